"""An in-process stand-in for the ingest server's upload API, for the agent's own tests.

It keeps the contract the agent relies on (docs/ingest_server.md "Upload contract"):
register is idempotent on (device, sha256) and lists the parts already held; each
part is checked against its SHA-256; completion answers with an Ed25519-signed
receipt naming the clip's sha256 and size (and its related files, sidecars, which must
all have been PUT first); a stored clip registered again returns its receipt. `fail`
lets a test make the next calls of one operation raise a
`ServerError` (a status and whether it is retryable), as a real server would.
The end-to-end tests hold the agent to the real server; these tests are about
the agent's reaction to what a server says.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Callable

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from edge_agent.upload.server_client import ChecksumRefused, ServerError, TokenRefused


class FakeServer:
    def __init__(self):
        self._key = Ed25519PrivateKey.generate()
        self._lock = threading.Lock()
        self.clips: dict[str, dict] = {}  # sha256 -> {"manifest", "metadata", "parts", "receipt"}
        self.completed: list[str] = []  # sha256 in the order their receipts were issued
        self.calls: list[str] = []
        self._faults: dict[str, list[Callable[[], ServerError]]] = {}
        self.token = "device-token"  # the token the agent presents (ServerClient.use_token)
        self.revoked: set[str] = set()  # tokens the server refuses with 401
        self.refused: dict[str, int] = {}  # sha256 -> HTTP status its register is refused with, for good
        self.device_key_pem: str | None = None  # the first device key it was given (PUT /devices/me/key)
        self.custody: dict[int, dict] = {}  # seq -> {"payload", "signature", "clip_id"} (deduplicated)
        self.custody_posts: list[list[int]] = []  # the seqs of each post, in order

    # -- test controls ---------------------------------------------------------------------------

    def fail(self, op: str, status: int, *, times: int = 1, message: str = "refused") -> None:
        retryable = status >= 500 or status in (408, 429)
        err = lambda: ServerError(f"{op}: HTTP {status}: {message}", status=status, retryable=retryable)  # noqa: E731
        with self._lock:
            self._faults.setdefault(op, []).extend([err] * times)

    def use_token(self, token: str) -> None:
        self.token = token

    def _maybe_fail(self, op: str) -> None:
        if self.token in self.revoked:
            raise TokenRefused(f"{op}: HTTP 401: device token revoked", status=401, retryable=False)
        with self._lock:
            self.calls.append(op)
            pending = self._faults.get(op)
            err = pending.pop(0)() if pending else None
        if err is not None:
            raise err

    @property
    def public_pem(self) -> str:
        return (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    # -- the client's methods (edge_agent.upload.server_client.ServerClient) ------------------------

    def receipt_key(self) -> dict:
        return {"public_key_pem": self.public_pem}

    def put_device_key(self, public_key_pem: str) -> dict:
        self._maybe_fail("device key")
        with self._lock:
            if self.device_key_pem not in (None, public_key_pem):
                raise ServerError(
                    "device key: HTTP 409: a different key is registered", status=409, retryable=False
                )
            self.device_key_pem = public_key_pem
        return {"fingerprint": "sha256:fake"}

    def post_custody_events(self, clip_id: str, events: list[dict]) -> dict:
        self._maybe_fail("custody events")
        with self._lock:
            self.custody_posts.append([e["payload"]["seq"] for e in events])
            for e in events:
                self.custody.setdefault(e["payload"]["seq"], {**e, "clip_id": clip_id})
        return {"recorded": len(events)}

    def register(
        self, manifest: dict, metadata: dict, related: list[dict] | None = None, gps_track: dict | None = None
    ) -> dict:
        self._maybe_fail("register")
        sha = manifest["sha256"]
        if sha in self.refused:
            status = self.refused[sha]
            raise ServerError(f"register: HTTP {status}: manifest refused", status=status, retryable=False)
        with self._lock:
            clip = self.clips.setdefault(
                sha, {"manifest": manifest, "metadata": metadata, "parts": {}, "related": {}, "files": {}}
            )
            clip_id = f"srv-{sha[:12]}"
            if clip.get("receipt"):
                return {"clip_id": clip_id, "upload_id": "u1", "state": "stored", "receipt": clip["receipt"]}
            clip["related"] = {r["name"]: r for r in related or []}
            clip["gps_track"] = gps_track
            parts = [
                {
                    "part_number": n,
                    "url": f"fake://{sha}/{n}",
                    "checksum_sha256": base64.b64encode(bytes.fromhex(digest)).decode(),
                    "present": n in clip["parts"],
                }
                for n, digest in enumerate(manifest["parts"], start=1)
            ]
            files = [
                {
                    "name": name,
                    "url": f"fake-related://{sha}/{n}",
                    "checksum_sha256": base64.b64encode(bytes.fromhex(r["sha256"])).decode(),
                    "present": hashlib.sha256(clip["files"].get(name, b"")).hexdigest() == r["sha256"],
                }
                for n, (name, r) in enumerate(sorted(clip["related"].items()))
            ]
        return {"clip_id": clip_id, "upload_id": "u1", "state": "uploading", "parts": parts, "related": files}

    def put_part(self, url: str, body: bytes, checksum_b64: str, throttle=None) -> str:
        self._maybe_fail("put_part")
        if throttle is not None:
            throttle(len(body))
        if base64.b64encode(hashlib.sha256(body).digest()).decode() != checksum_b64:
            raise ServerError("part upload: HTTP 400: BadDigest", status=400, retryable=False)
        if url.startswith("fake-related://"):
            sha, number = url.removeprefix("fake-related://").split("/")
            with self._lock:
                name = sorted(self.clips[sha]["related"])[int(number)]
                self.clips[sha]["files"][name] = body
            return f'"etag-{sha[:8]}-r{number}"'
        sha, number = url.removeprefix("fake://").split("/")
        with self._lock:
            self.clips[sha]["parts"][int(number)] = body
        return f'"etag-{sha[:8]}-{number}"'

    def complete(self, clip_id: str, parts: list[dict]) -> dict:
        self._maybe_fail("complete")
        with self._lock:
            sha = next(s for s in self.clips if f"srv-{s[:12]}" == clip_id)
            clip = self.clips[sha]
            data = b"".join(clip["parts"][n] for n in sorted(clip["parts"]))
            if hashlib.sha256(data).hexdigest() != sha:
                raise ChecksumRefused("complete: HTTP 409: bytes differ", status=409, retryable=False)
            missing = [
                {"name": name, "problem": "not in the store"}
                for name, r in sorted(clip["related"].items())
                if hashlib.sha256(clip["files"].get(name, b"")).hexdigest() != r["sha256"]
            ]
            if missing:
                for item in missing:
                    clip["files"].pop(item["name"], None)
                raise ChecksumRefused(
                    "complete: HTTP 409: related files differ",
                    status=409,
                    retryable=False,
                    body={"related": missing},
                )
            if not clip.get("receipt"):
                body = {
                    "clip_id": clip_id,
                    "sha256": sha,
                    "size": len(data),
                    "object_key": f"clips/{sha}",
                    "version_id": "v1",
                    "stored_at": "2026-12-01T00:00:00+00:00",
                    "device_id": "fake-device",
                }
                if clip["related"]:
                    body["related"] = [
                        {"name": n, "sha256": r["sha256"], "size": r["size"], "object_key": f"related/{n}"}
                        for n, r in sorted(clip["related"].items())
                    ]
                signature = self._key.sign(json.dumps(body, sort_keys=True, separators=(",", ":")).encode())
                clip["receipt"] = {
                    "receipt": body,
                    "signature": base64.b64encode(signature).decode(),
                    "key_id": "fake",
                }
                self.completed.append(sha)
            return clip["receipt"]

    def close(self) -> None:
        pass
