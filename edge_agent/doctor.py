"""`evidence-agent doctor`: the installation checked, each check with pass or fail and why.

Checks: the device token file (present, not empty, readable only by its owner),
the server (https, its TLS certificate verifies, and the pinned receipt key is in
place or configured), the spool (exists, free space above the low-water mark, and
whether it sits on an encrypted dm-crypt volume: a car is not a physically secure
location, so evidence at rest must be encrypted), the system clock (synchronised:
systemd-timesyncd's flag, `timedatectl`, or the kernel's adjtimex state), and each
configured camera source (mount roots, UVC devices). The checks only read.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import ssl
import stat
import subprocess
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from edge_agent.core.config import AgentSettings


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'PASS' if self.ok else 'FAIL'}  {self.name}: {self.detail}"


def check_token(path: Path | None) -> Check:
    if path is None:
        return Check("device token", False, "device_token_file is not configured (uploads are off)")
    try:
        st = os.stat(path)
    except OSError as exc:
        return Check("device token", False, f"{path}: {exc.strerror}")
    if st.st_mode & 0o077:
        return Check(
            "device token",
            False,
            f"{path} is mode {stat.filemode(st.st_mode)}: readable by others; chmod 600 it",
        )
    if st.st_size == 0:
        return Check("device token", False, f"{path} is empty")
    return Check("device token", True, f"{path} mode {stat.filemode(st.st_mode)}, owner uid {st.st_uid}")


def check_server(settings: AgentSettings, timeout: float = 5.0) -> list[Check]:
    url = settings.server_url
    if not url:
        return [Check("server", False, "server_url is not configured (uploads are off)")]
    parts = urlsplit(url)
    checks = []
    if parts.scheme != "https":
        checks.append(
            Check("server TLS", False, f"{url} is not https: the token and clips would cross in clear")
        )
    else:
        try:
            with socket.create_connection((parts.hostname, parts.port or 443), timeout=timeout) as sock:
                with ssl.create_default_context().wrap_socket(sock, server_hostname=parts.hostname) as tls:
                    checks.append(
                        Check("server TLS", True, f"{parts.hostname}: {tls.version()}, certificate verifies")
                    )
        except (OSError, ssl.SSLError) as exc:
            checks.append(Check("server TLS", False, f"{parts.hostname}: {exc}"))
    key = settings.server_key_file or settings.spool_dir / "server-key.pem"
    if key.is_file():
        checks.append(Check("pinned receipt key", True, f"{key}"))
    else:
        checks.append(
            Check(
                "pinned receipt key",
                False,
                f"{key} missing: fetched at first contact, kept only with server_key_fingerprint",
            )
        )
    return checks


def _mount_of(path: Path, mounts_file: Path) -> tuple[str, str] | None:
    """(device, mount point) of the mount holding `path` (longest mount point prefix)."""
    real = os.path.realpath(path)
    best = None
    for line in Path(mounts_file).read_text().splitlines():
        fields = line.split()
        if len(fields) < 2:
            continue
        device, point = fields[0], fields[1].replace("\\040", " ")
        if (real == point or real.startswith(point.rstrip("/") + "/")) and (
            best is None or len(point) > len(best[1])
        ):
            best = (device, point)
    return best


def is_encrypted(
    path: Path, *, mounts_file: Path = Path("/proc/mounts"), sys_block: Path = Path("/sys/block")
) -> tuple[bool, str]:
    """Whether `path` sits on a dm-crypt device (its dm uuid starts with CRYPT-), and on what."""
    found = _mount_of(path, mounts_file)
    if found is None:
        return False, "no mount found"
    device, point = found
    try:
        name = Path(os.path.realpath(device)).name  # /dev/mapper/x -> dm-N
    except OSError:
        name = Path(device).name
    uuid_file = Path(sys_block) / name / "dm" / "uuid"
    try:
        uuid = uuid_file.read_text().strip()
    except OSError:
        return False, f"{device} on {point} is not a device-mapper device"
    if uuid.startswith("CRYPT-"):
        return True, f"{device} on {point} is dm-crypt ({uuid.split('-')[1]})"
    return False, f"{device} on {point} is device-mapper but not dm-crypt ({uuid or 'no uuid'})"


def check_spool(settings: AgentSettings, **kw) -> list[Check]:
    spool = settings.spool_dir
    if not spool.is_dir():
        return [Check("spool", False, f"{spool} does not exist")]
    usage = shutil.disk_usage(spool)
    enough = usage.free > settings.min_free_bytes
    checks = [
        Check(
            "spool free space",
            enough,
            f"{usage.free / 1e9:.1f} GB free of {usage.total / 1e9:.1f} GB, low-water mark "
            f"{settings.min_free_bytes / 1e9:.1f} GB",
        )
    ]
    ok, detail = is_encrypted(spool, **kw)
    checks.append(
        Check(
            "spool encrypted", ok, detail if ok else f"{detail}: evidence at rest in a car must be encrypted"
        )
    )
    return checks


def _adjtimex_state() -> int | None:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        buf = ctypes.create_string_buffer(512)  # struct timex, modes = 0: read only
        return int(libc.adjtimex(buf))
    except (OSError, AttributeError):
        return None


def check_clock(timesync_flag: Path = Path("/run/systemd/timesync/synchronized")) -> Check:
    if timesync_flag.exists():
        return Check("clock sync", True, f"systemd-timesyncd says synchronised ({timesync_flag})")
    if shutil.which("timedatectl"):
        try:
            out = subprocess.run(
                ["timedatectl", "show", "-p", "NTPSynchronized", "--value"],
                capture_output=True,
                text=True,
                timeout=5,
            )
            if out.returncode == 0 and out.stdout.strip() in ("yes", "no"):
                synced = out.stdout.strip() == "yes"
                return Check("clock sync", synced, f"timedatectl NTPSynchronized={out.stdout.strip()}")
        except (OSError, subprocess.TimeoutExpired):
            pass
    state = _adjtimex_state()
    if state is None:
        return Check("clock sync", False, "cannot tell (no timesyncd flag, no timedatectl, no adjtimex)")
    if state == 5:  # TIME_ERROR: the kernel clock is not synchronised
        return Check(
            "clock sync",
            False,
            "kernel clock not synchronised (adjtimex TIME_ERROR); camera offsets would be wrong",
        )
    return Check("clock sync", True, f"kernel clock synchronised (adjtimex state {state})")


def check_cameras(settings: AgentSettings) -> list[Check]:
    checks = []
    for root in settings.mount_roots:
        ok = root.is_dir() and os.access(root, os.R_OK | os.X_OK)
        checks.append(Check(f"mount root {root}", ok, "readable" if ok else "missing or not readable"))
    for dev in settings.uvc_devices:
        if dev.source == "test":
            checks.append(Check(f"uvc {dev.name}", True, "FFmpeg test source (no device)"))
            continue
        try:
            st = os.stat(dev.source)
            ok = stat.S_ISCHR(st.st_mode) and os.access(dev.source, os.R_OK | os.W_OK)
            detail = "character device, readable" if ok else "not a readable character device"
        except OSError as exc:
            ok, detail = False, exc.strerror or str(exc)
        checks.append(Check(f"uvc {dev.name}", ok, f"{dev.source}: {detail}"))
    return checks


def run_checks(settings: AgentSettings, **kw) -> list[Check]:
    return [
        check_token(settings.device_token_file),
        *check_server(settings),
        *check_spool(settings, **kw),
        check_clock(),
        *check_cameras(settings),
    ]
