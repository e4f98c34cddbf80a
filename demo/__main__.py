"""`make demo`: the whole chain on this machine, from a camera docking to receipts.

SeaweedFS (`weed mini`, see ingest_server.store.seaweed) and the ingest server
(SQLite) on 127.0.0.1, a device enrolled,
the agent service watching a demo dock folder and recording a simulated dashcam
(FFmpeg test source); a simulated body camera docks with generated clips. The
demo waits for every receipt, prints a table and the custodian console's URL with a
demo sign-in, and keeps
running until Ctrl-C. With --once (`make demo ONCE=1`) it also downloads every
clip back through the server, hashes it, restarts the store and checks that
every object and its COMPLIANCE lock survived (read back, hashed, deletion
refused), and exits 0 only if every clip was receipted and verified. Everything
lives under demo-data/ (recreated each run).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from demo.stack import BIN, ServerProcess, stop_process
from ingest_server.store.seaweed import EmbeddedStore

console = Console(stderr=True)
BODYCAM_PROFILE = "json-sidecar-bodycam"


def agent_config(data: Path, server: ServerProcess, dashcam_seconds: float, segment_seconds: float) -> Path:
    token = data / "agent" / "device-token"
    token.parent.mkdir(parents=True)
    token.write_text(server.device_token + "\n")
    os.chmod(token, 0o600)
    config = data / "agent" / "agent.toml"
    config.write_text(
        f'mount_roots = ["{data / "dock"}"]\n'
        f'spool_dir = "{data / "spool"}"\n'
        "quiet_seconds = 1.0\nrescan_seconds = 1.0\nmin_free_bytes = 0\n"
        f'vehicle_id = "{server.vehicle_id}"\n'
        f'server_url = "{server.url}"\n'
        f'server_key_fingerprint = "{server.key_fingerprint}"\n'
        f'device_token_file = "{token}"\n'
        "spool_grace_seconds = 0\n"
        "[[uvc_devices]]\n"
        'name = "dashcam"\nsource = "test"\ndevice_serial = "DASH-V17"\n'
        f"segment_seconds = {segment_seconds}\nmax_seconds = {dashcam_seconds}\n"
    )
    return config


def agent_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "evidence-agent"), *args], capture_output=True, text=True, timeout=300)


def dock_camera(data: Path, clips: int, seconds: float) -> Path:
    """Write a camera volume aside, then move it under the dock root at once (a USB attach)."""
    staging = data / "staging" / "BWC-0042"
    done = agent_cli(
        "simulate-camera",
        "--profile",
        BODYCAM_PROFILE,
        "--out",
        str(staging),
        "--clips",
        str(clips),
        "--seconds",
        str(seconds),
        "--clock-offset",
        "4.5",
        "--seed",
        "42",
    )
    if done.returncode != 0:
        raise RuntimeError(f"simulate-camera failed: {done.stderr}")
    target = data / "dock" / staging.name
    staging.rename(target)
    return target


def agent_status(data: Path) -> dict:
    done = agent_cli("status", "--spool", str(data / "spool"), "--json")
    if done.returncode != 0:
        raise RuntimeError(f"evidence-agent status failed: {done.stderr}")
    return json.loads(done.stdout)


def wait_for_receipts(data: Path, expected: int, agent: subprocess.Popen, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    last = None
    while True:
        status = agent_status(data)
        counts = status.get("counts", {})
        done = counts.get("RECEIPTED", 0) + counts.get("RELEASED", 0)
        line = ", ".join(f"{k.lower()} {v}" for k, v in counts.items() if v)
        if line != last:
            console.print(f"  agent: {line or 'waiting for the camera'}")
            last = line
        if (
            done >= expected
            and not counts.get("DISCOVERED")
            and not any(counts.get(s) for s in ("SPOOLED", "REGISTERED", "UPLOADED"))
        ):
            return status
        if agent.poll() is not None:
            raise RuntimeError(f"the agent exited with code {agent.returncode}; see {data / 'logs'}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {done} of {expected} clips receipted after {timeout:.0f} s")
        time.sleep(1.0)


def server_clips(server: ServerProcess) -> list[dict]:
    with server.custodian() as api:
        resp = api.get("/api/v1/clips", params={"limit": 200})
        resp.raise_for_status()
        return resp.json()["items"]


def verify_downloads(server: ServerProcess, clips: list[dict]) -> list[str]:
    problems = []
    with server.custodian() as api:
        for clip in clips:
            h = hashlib.sha256()
            with api.stream("GET", f"/api/v1/clips/{clip['id']}/original") as resp:
                if resp.status_code != 200:
                    problems.append(f"{clip['id']}: download answered {resp.status_code}")
                    continue
                for chunk in resp.iter_bytes():
                    h.update(chunk)
            if h.hexdigest() != clip["sha256"]:
                problems.append(
                    f"{clip['id']}: downloaded bytes hash to {h.hexdigest()}, index says {clip['sha256']}"
                )
    return problems


def verify_locks(store: EmbeddedStore, bucket: str, clips: list[dict]) -> list[str]:
    """Each clip's version in the store is under a COMPLIANCE retention that has not lapsed, and
    the store refuses to delete it, even to the server's own credentials."""
    from datetime import UTC, datetime

    from botocore.exceptions import ClientError

    s3, problems = store.client(), []
    for clip in clips:
        where = {"Bucket": bucket, "Key": clip["object_key"], "VersionId": clip["version_id"]}
        retention = s3.get_object_retention(**where)["Retention"]
        if retention["Mode"] != "COMPLIANCE":
            problems.append(f"{clip['id']}: the store's lock is {retention['Mode']}, not COMPLIANCE")
        if retention["RetainUntilDate"] <= datetime.now(UTC):
            problems.append(f"{clip['id']}: the store's lock ended {retention['RetainUntilDate']}")
        try:
            s3.delete_object(**where)
            problems.append(f"{clip['id']}: the store deleted a locked version")
        except ClientError as exc:
            if exc.response["ResponseMetadata"]["HTTPStatusCode"] != 403:
                problems.append(f"{clip['id']}: deleting a locked version answered {exc}")
    return problems


def print_table(clips: list[dict], verified: bool, out: Console | None = None) -> None:
    """The receipted clips, then each clip's full SHA-256 on a line of its own (77 characters:
    never cut, even at 80 columns)."""
    out = out or Console()
    table = Table(title="Receipted clips", show_lines=False)
    for col in ("clip", "recorded by", "camera time", "state"):
        table.add_column(col, overflow="fold")
    ordered = sorted(clips, key=lambda c: (c.get("camera_start") or "", c["id"]))
    for c in ordered:
        flags = ", ".join(c.get("flags") or [])
        table.add_row(
            c["id"][:12],
            c.get("officer_id") or (f"vehicle {c['vehicle_id']}" if c.get("vehicle_id") else "unknown"),
            (c.get("camera_start") or "-")[:19],
            (c.get("state") or "stored")
            + (" ✓ verified" if verified else "")
            + (f" ({flags})" if flags else ""),
        )
    out.print(table)
    out.print("SHA-256 of each original:")
    for c in ordered:
        out.print(f"{c['id'][:12]} {c['sha256']}", soft_wrap=True, highlight=False)


def run_chain(args, data: Path, expected: int) -> int:
    logs = data / "logs"
    console.print("[bold]1.[/bold] object store (SeaweedFS weed mini) on 127.0.0.1 only")
    with EmbeddedStore(data / "store") as store:
        endpoint = store.endpoint
        console.print(f"   {endpoint}  (generated S3 identity, JWT + gRPC mTLS, HTTP API off)")
        console.print("[bold]2.[/bold] ingest server on SQLite: migrate, enroll a device, create a custodian")
        creds = store.credentials
        server = ServerProcess(
            data / "server", endpoint, s3_credentials=(creds.access_key_id, creds.secret_access_key)
        )
        server.prepare().start(log=logs / "server.log")
        (data / "custodian-token").write_text(server.custodian_token + "\n")
        agent = None
        try:
            console.print(f"   {server.url}  (device {server.device_name}, vehicle {server.vehicle_id})")
            console.print("[bold]3.[/bold] edge agent watching the dock folder, recording a dashcam")
            config = agent_config(data, server, args.dashcam_seconds, args.segment_seconds)
            with open(logs / "agent.log", "ab") as log:
                agent = subprocess.Popen(
                    [str(BIN / "evidence-agent"), "run", "--config", str(config)], stdout=log, stderr=log
                )
            console.print(
                f"[bold]4.[/bold] a body camera docks with {args.clips} clips "
                f"({BODYCAM_PROFILE}, camera clock 4.5 s fast)"
            )
            console.print(f"   docked at {dock_camera(data, args.clips, args.seconds)}")
            console.print(f"[bold]5.[/bold] waiting for {expected} receipts")
            wait_for_receipts(data, expected, agent, timeout=300)
            clips = server_clips(server)
            problems = verify_downloads(server, clips) if args.once else []
            if args.once:
                console.print("[bold]6.[/bold] restarting the store: every object and lock must survive")
                store.restart()
                problems += verify_downloads(server, clips) + verify_locks(store, server.bucket, clips)
            print_table(clips, verified=args.once and not problems)
            for p in problems:
                console.print(f"[red]{p}[/red]")
            password = secrets.token_urlsafe(12)
            server.set_password(server.custodian_name, password)
            credentials = data / "custodian-credentials"
            credentials.write_text(f"{server.custodian_name}\n{password}\n")
            console.print(
                f"Custodian console: {server.url}/portal/  user [bold]{server.custodian_name}"
                f"[/bold] password [bold]{password}[/bold] (demo only; also in {credentials})"
            )
            console.print(f"API documentation: {server.url}/docs")
            if args.once:
                ok = not problems and len(clips) == expected
                console.print(
                    "[green]demo passed: every clip receipted and verified[/green]"
                    if ok
                    else f"[red]demo failed: {len(clips)} clips stored of {expected}[/red]"
                )
                return 0 if ok else 1
            console.print("Running; press Ctrl-C to stop.")
            while agent.poll() is None:
                time.sleep(1)
            return agent.returncode
        finally:
            if agent is not None:
                stop_process(agent, timeout=30)
            server.stop()


def _interrupt(*_) -> None:
    """First Ctrl-C or SIGTERM: stop cleanly. Later ones (make passes SIGINT on too) must not cut
    the clean-up short and leave servers running."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--once", action="store_true", help="run to completion, verify, exit")
    parser.add_argument("--data-dir", type=Path, default=Path("demo-data"))
    parser.add_argument("--clips", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=6.0, help="length of each body-camera clip")
    parser.add_argument("--dashcam-seconds", type=float, default=20.0)
    parser.add_argument("--segment-seconds", type=float, default=10.0)
    args = parser.parse_args(argv)
    data = args.data_dir.resolve()
    if data.exists():
        shutil.rmtree(data)  # demo data only: each run starts from nothing
    for sub in ("dock", "staging", "logs"):
        (data / sub).mkdir(parents=True)
    expected = args.clips + int(round(args.dashcam_seconds / args.segment_seconds))
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        return run_chain(args, data, expected)
    except KeyboardInterrupt:
        console.print("\nstopped.")
        return 130
    except RuntimeError as exc:
        console.print(f"[red]demo failed: {exc}[/red]")
        return 1


if __name__ == "__main__":
    sys.exit(main())
