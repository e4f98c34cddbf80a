"""`evidence-agent`, the agent's one command line: service, manual offload, status, simulator, UVC.

    evidence-agent run [--config FILE]                  the service (dock watcher, offload, UVC)
    evidence-agent enroll [--config FILE]               create the device key, register it with the server
    evidence-agent offload PATH --spool DIR [--json]    offload one folder now, with progress bars
    evidence-agent status [--spool DIR] [--json]        what the agent is doing and what went wrong
    evidence-agent simulate-camera --profile NAME --out DIR --clips N --seconds S ...
    evidence-agent record-uvc --spool DIR --name NAME [--source test|/dev/videoN] --seconds S
    evidence-agent uvc record --out DIR (--test-source | --source /dev/videoN) ...   segments only
    evidence-agent uvc recover DIR                      keep the segments a crash left open

Exit codes of `offload`: 0 every clip is in the spool, 1 some clip is not (see its
error), 3 paused because the spool is full, 4 the volume went away mid-copy.
"""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

from edge_agent.capture.factory import RecorderSpec, make_recorder
from edge_agent.capture.recorder import test_source
from edge_agent.capture.recovery import recover_partial_segments
from edge_agent.capture.segment import Segment
from edge_agent.core.clip_state import ClipState
from edge_agent.core.config import AgentSettings, UvcDevice, load_settings
from edge_agent.core.server_trust import TrustError
from edge_agent.doctor import run_checks
from edge_agent.manual.enroll import enroll as enroll_device
from edge_agent.manual.offload import manual_offload
from edge_agent.manual.record import record
from edge_agent.manual.upload import manual_upload
from edge_agent.service import Agent
from edge_agent.simulator import simulate
from edge_agent.status_page import StatusPage
from edge_agent.status_report import build_status, render
from edge_agent.upload.server_client import ServerError
from firmware_profiles import ProfileError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="Edge agent: offload body cameras and dashcams into a hashed, journaled spool.",
)
err = Console(stderr=True, soft_wrap=True)


def _settings(config: Path | None, **overrides) -> AgentSettings:
    try:
        return load_settings(config, **{k: v for k, v in overrides.items() if v is not None})
    except (ValueError, FileNotFoundError) as exc:
        err.print(f"[red]configuration error:[/red] {exc}")
        raise typer.Exit(2) from exc


@app.command()
def run(
    config: Path | None = typer.Option(None, help="TOML or JSON config file (or EVIDENCE_AGENT_CONFIG)."),
    spool: Path | None = typer.Option(None, help="Override the spool directory."),
    root: list[Path] | None = typer.Option(None, help="Override the mount roots (repeatable)."),
) -> None:
    """Run the agent service until SIGTERM or SIGINT."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings = _settings(config, spool_dir=spool, mount_roots=root or None)
    agent = Agent(settings)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: agent.stop_event.set())
    err.print(f"agent running: roots {[str(r) for r in settings.mount_roots]}, spool {settings.spool_dir}")
    page = None
    if settings.status_port is not None:
        try:
            page = StatusPage(settings.spool_dir, settings.status_port, live=agent.status.snapshot).start()
            err.print(f"status page: {page.url}")
        except OSError as exc:  # the service runs without its page rather than not at all
            err.print(f"[yellow]status page not served on port {settings.status_port}: {exc}[/yellow]")
    try:
        agent.run_forever()
    finally:
        if page is not None:
            page.stop()


@app.command()
def enroll(
    config: Path | None = typer.Option(None, help="TOML or JSON config file (or EVIDENCE_AGENT_CONFIG)."),
) -> None:
    """Create the car's device key (kept if it exists) and register its public key with the server."""
    settings = _settings(config)
    try:
        done = enroll_device(settings)
    except (TrustError, OSError, ValueError, ServerError) as exc:
        err.print(f"[red]enrollment failed:[/red] {exc}")
        raise typer.Exit(1) from exc
    print(f"device key {'created' if done.created else 'kept'}: {done.path} ({done.fingerprint})")
    if done.registered is None:
        print("no server configured: the key is sent with the first upload")
    else:
        print(f"server holds this device's key: {done.registered.get('fingerprint')}")


@app.command()
def doctor(
    config: Path | None = typer.Option(None, help="TOML or JSON config file (or EVIDENCE_AGENT_CONFIG)."),
    spool: Path | None = typer.Option(None, help="Override the spool directory."),
) -> None:
    """Check the installation: token file, server TLS and pinned key, spool space and encryption,
    clock sync, camera sources. Exit 0 when every check passes, 1 otherwise."""
    settings = _settings(config, spool_dir=spool)
    checks = run_checks(settings)
    for c in checks:
        print(c.line())
    failed = [c for c in checks if not c.ok]
    print(f"{len(checks) - len(failed)} passed, {len(failed)} failed")
    raise typer.Exit(1 if failed else 0)


@app.command()
def offload(
    path: Path = typer.Argument(..., help="The camera volume (a mounted folder)."),
    spool: Path = typer.Option(..., help="Spool directory (the journal lives there)."),
    as_json: bool = typer.Option(False, "--json", help="Print a JSON summary on stdout."),
    profile: str | None = typer.Option(None, help="Force this firmware profile."),
    profile_dir: list[Path] | None = typer.Option(None, help="Extra profile folder (repeatable)."),
    min_free_bytes: int = typer.Option(0, help="Spool low-water mark in bytes."),
    thumbnails: bool = typer.Option(True, help="Take a JPEG thumbnail of each clip."),
    config: Path | None = typer.Option(
        None, help="Agent config: with server_url and device_token_file set, the clips are uploaded too."
    ),
    upload: bool = typer.Option(True, help="Upload when a server is configured."),
) -> None:
    """Offload every clip of PATH into the spool now, hashing each at its first read (and upload them
    when the config names a server)."""
    if not path.is_dir():
        err.print(f"[red]{path} is not a folder[/red]")
        raise typer.Exit(2)
    summary, code = manual_offload(
        path,
        spool,
        profile_name=profile,
        profile_dirs=profile_dir or [],
        min_free_bytes=min_free_bytes,
        thumbnails=thumbnails,
        progress_factory=None if as_json and not sys.stderr.isatty() else _bars,
    )
    settings = _settings(config, spool_dir=spool) if config else None
    if upload and code in (0, 1) and settings and settings.server_url and settings.device_token_file:
        summary["upload"] = manual_upload(
            path, settings, profile_name=profile, progress_factory=None if as_json else _bars
        )
        if summary["upload"]["waiting"]:
            code = code or 5
    if as_json:
        print(json.dumps(summary, indent=1))
    else:
        for c in summary["clips"]:
            flags = f" [{', '.join(c['flags'])}]" if c["flags"] else ""
            err.print(
                f"{c['state']:<11} {c['sha256'] or '-':<64} {c['path']!r}{flags}"
                + (f"  ({c['error']})" if c["error"] and c["state"] == ClipState.DISCOVERED else "")
            )
        for s in summary["skipped"]:
            err.print(f"skipped     {s['relpath']!r}: {s['reason']}")
        if summary["paused"]:
            err.print(f"[yellow]{summary['paused']}[/yellow]")
        if "upload" in summary:
            up = summary["upload"]
            err.print(f"uploaded {up['uploaded']} clip(s) to {up['server']}, {up['bytes_sent'] / 1e6:.1f} MB")
            for r in up["released"]:
                err.print(f"released    {r['relpath']!r}: {r['action']}")
            for w in up["waiting"]:
                err.print(f"[yellow]waiting     {w['relpath']!r} ({w['state']}): {w['error']}[/yellow]")
    raise typer.Exit(code)


def _bars(total_bytes: int):
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=err,
        transient=False,
    )


@app.command()
def status(
    config: Path | None = typer.Option(None, help="Agent config file (for the spool directory)."),
    spool: Path | None = typer.Option(None, help="Spool directory (overrides the config)."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Docked volumes, clips per state, bytes per second, errors and quarantined clips."""
    spool_dir = spool or _settings(config).spool_dir
    result = build_status(spool_dir)
    print(json.dumps(result, indent=1) if as_json else render(result))


@app.command("simulate-camera")
def simulate_camera_cmd(
    profile: str = typer.Option(..., help="Firmware profile name."),
    out: Path = typer.Option(..., help="Folder to write the volume into."),
    clips: int = typer.Option(3, min=0),
    seconds: float = typer.Option(5.0, min=0.1),
    seed: int = 0,
    truncated: int = typer.Option(0, min=0),
    odd_names: bool = False,
    symlink_out: bool = False,
    fifo: bool = False,
    clock_offset: float = typer.Option(0.0, help="Camera clock minus true time (s)."),
    still_writing: float | None = typer.Option(
        None, help="Also write one clip that grows for this many seconds."
    ),
    profile_dir: list[Path] | None = typer.Option(None),
) -> None:
    """Write a simulated camera volume in a profile's layout (real H.264 clips, sidecars, clock)."""
    simulate(
        profile,
        out,
        clips=clips,
        seconds=seconds,
        seed=seed,
        truncated=truncated,
        odd_names=odd_names,
        symlink_out=symlink_out,
        fifo=fifo,
        clock_offset=clock_offset,
        still_writing=still_writing,
        profile_dirs=profile_dir or [],
        console=err,
    )


@app.command("record-uvc")
def record_uvc(
    spool: Path = typer.Option(..., help="Spool directory."),
    name: str = typer.Option("dashcam", help="Device name (segment prefix)."),
    source: str = typer.Option("test", help="'test' (FFmpeg test source) or /dev/videoN."),
    uvc_profile: str | None = typer.Option(None, "--profile", help="UVC firmware profile."),
    segment_seconds: float = typer.Option(60.0, min=0.5),
    seconds: float | None = typer.Option(None, help="Stop after this many seconds."),
) -> None:
    """Record a dashcam into the spool; each closed segment becomes a journaled clip."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    device = UvcDevice(name=name, source=source, profile=uvc_profile, segment_seconds=segment_seconds)
    for line in record(spool, device, seconds=seconds, stop=stop):
        print(json.dumps(line), flush=True)


uvc_app = typer.Typer(
    no_args_is_help=True,
    help="UVC capture on its own, into a folder (no spool, no journal): for trying a dashcam by hand "
    "and for the crash tests. `evidence-agent run` and `record-uvc` journal their segments.",
)
app.add_typer(uvc_app, name="uvc")


def _print_segment(segment: Segment) -> None:
    print(json.dumps(segment.as_dict()), flush=True)


def _key_values(items: list[str]) -> dict[str, str]:
    options = {}
    for text in items:
        key, sep, value = text.partition("=")
        if not sep or not key:
            err.print(f"[red]--option: expected KEY=VALUE, got {text!r}[/red]")
            raise typer.Exit(2)
        options[key] = value
    return options


@uvc_app.command("record")
def uvc_record(
    out: Path = typer.Option(..., help="Segment folder."),
    source: str | None = typer.Option(None, help="Device path, e.g. /dev/video0."),
    use_test_source: bool = typer.Option(False, "--test-source", help="FFmpeg lavfi test picture + tone."),
    input_format: str = typer.Option("v4l2", "--format", help="FFmpeg input format."),
    option: list[str] | None = typer.Option(
        None, metavar="KEY=VALUE", help="Input option, e.g. video_size=1280x720 (repeatable)."
    ),
    segment_seconds: float = typer.Option(60.0, min=0.1),
    prefix: str = typer.Option("dashcam", help="Segment file name prefix."),
    seconds: float | None = typer.Option(None, help="Stop after this much media time."),
    bitrate: int = 2_000_000,
    preset: str = typer.Option("veryfast", help="libx264 preset."),
    no_audio: bool = typer.Option(False, "--no-audio"),
    realtime: bool = typer.Option(False, help="Pace the test source to the wall clock."),
    size: str = typer.Option("320x240", help="Test source picture size."),
    rate: int = typer.Option(15, help="Test source frame rate."),
) -> None:
    """Capture into hashed fragmented MP4 segments until SIGINT/SIGTERM, an unplug or --seconds;
    one JSON line per closed segment."""
    if use_test_source == (source is not None):
        err.print("[red]give exactly one of --source and --test-source[/red]")
        raise typer.Exit(2)
    if use_test_source:
        width, _, height = size.partition("x")
        src, fmt, options = test_source(int(width), int(height), rate, audio=not no_audio, realtime=realtime)
    else:
        src, fmt, options = str(source), input_format, {}
    options.update(_key_values(option or []))
    logging.basicConfig(
        level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    spec = RecorderSpec(
        src, fmt, options, segment_seconds, {"bitrate": bitrate, "preset": preset, "audio": not no_audio}
    )
    recorder = make_recorder(
        spec, out_dir=out, name_prefix=prefix, on_segment=_print_segment, stop=stop, max_seconds=seconds
    )
    recorder.start()
    while recorder.is_alive():
        recorder.join(0.5)  # the main thread must stay free to take signals
    err.print(f"capture ended: {recorder.end_reason}")
    raise typer.Exit(1 if recorder.error else 0)


@uvc_app.command("recover")
def uvc_recover(out: Path = typer.Argument(..., help="Segment folder.")) -> None:
    """Keep the segments a crash left open (hashed, partial); one JSON line per segment."""
    for segment in recover_partial_segments(out):
        _print_segment(segment)


def main() -> None:
    try:
        app()
    except (ProfileError, TrustError) as exc:  # a user's mistake (a profile, a token file), not a crash
        err.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
