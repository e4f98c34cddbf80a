"""Agent configuration: defaults < config file (TOML or JSON) < environment < explicit overrides.

Environment variables take the prefix `EVIDENCE_AGENT_` (lists and nested values as
JSON, e.g. `EVIDENCE_AGENT_MOUNT_ROOTS='["/media", "/run/media"]'`). The config file
is named by `load_settings(config_file=...)` or `EVIDENCE_AGENT_CONFIG`. Unknown keys
are refused, and so is a raw device token: the token lives in its own file
(`device_token_file`, readable only by the agent's user).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    JsonConfigSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from edge_agent.core.server_trust import check_fingerprint, check_server_url

CONFIG_ENV = "EVIDENCE_AGENT_CONFIG"
GIB = 1024**3


class UvcDevice(BaseModel):
    """One V4L2/UVC dashcam to record continuously."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        title="Name",
        description="Short name; segment files and source keys use it.",
        pattern=r"^[A-Za-z0-9_.-]+$",
    )
    source: str = Field(
        title="Source",
        description="V4L2 device path (/dev/videoN), or 'test' for the "
        "FFmpeg test source that stands in for a camera.",
    )
    profile: str | None = Field(
        None,
        title="Profile",
        description="Firmware profile (kind 'uvc') whose "
        "capture options apply; None uses the test source's own options.",
    )
    segment_seconds: float | None = Field(
        None, gt=0, title="Segment length", description="Overrides the profile's segment length."
    )
    device_serial: str | None = Field(
        None, title="Device serial", description="Serial recorded with each segment (default: name)."
    )
    max_seconds: float | None = Field(
        None,
        gt=0,
        title="Stop after",
        description="Stop recording after this much media time (demo, tests); "
        "None records until the agent stops.",
    )


class AgentSettings(BaseSettings):
    """Everything the agent service reads at start."""

    model_config = SettingsConfigDict(env_prefix="EVIDENCE_AGENT_", extra="forbid")

    mount_roots: list[Path] = Field(
        default_factory=lambda: [Path("/media"), Path("/run/media")],
        title="Mount roots",
        description="Folders whose child folders (or mount points) are docked volumes.",
    )
    spool_dir: Path = Field(
        Path("/var/lib/evidence-agent/spool"),
        title="Spool directory",
        description="Local spool on its own volume; the journal lives here too.",
    )
    profile_dirs: list[Path] = Field(
        default_factory=list,
        title="Extra profile folders",
        description="Folders of extra firmware profile TOML files.",
    )
    quiet_seconds: float = Field(
        5.0,
        ge=0,
        title="Quiet time",
        description="A file must keep its size and mtime this long before offload.",
    )
    rescan_seconds: float = Field(
        10.0,
        gt=0,
        title="Rescan period",
        description="How often the mount table and docked volumes are re-read.",
    )
    min_free_bytes: int = Field(
        1 * GIB,
        ge=0,
        title="Spool low-water mark",
        description="Offload pauses rather than leave less free space than this.",
    )
    max_attempts: int = Field(
        5,
        ge=1,
        title="Attempts before quarantine",
        description="A clip unreadable this often is quarantined (kept, reported).",
    )
    thumbnails: bool = Field(True, title="Thumbnails", description="Take a JPEG thumbnail of each clip.")
    status_port: int | None = Field(
        8765,
        ge=0,
        le=65535,
        title="Status page port",
        description="Port of the local status page `run` serves on 127.0.0.1 (0: any free port; "
        "None: no page).",
    )
    offload_concurrency: int = Field(
        4,
        ge=1,
        le=16,
        title="Volumes offloaded at once",
        description="Docked volumes copied concurrently (one reader per volume); "
        "the spool disk and the hashing are shared by at most this many copies.",
    )
    uvc_devices: list[UvcDevice] = Field(
        default_factory=list, title="UVC devices", description="Dashcams recorded continuously by `run`."
    )
    vehicle_id: str | None = Field(None, title="Vehicle id", description="Sent with each clip's metadata.")
    # Used by the uploader (edge_agent/upload/), not by offload:
    server_url: str | None = Field(None, title="Server URL", description="Ingest server base URL (uploader).")
    device_token_file: Path | None = Field(
        None,
        title="Device token file",
        description="File holding the device token (uploader). "
        "Never put the token itself in the configuration.",
    )
    device_key_file: Path | None = Field(
        None,
        title="Device key file",
        description="The car's Ed25519 private key that signs its custody events (mode 0600; "
        "created at enrollment). Default: device-key.pem next to the device token file.",
    )
    bandwidth_limit_bps: int | None = Field(
        None, gt=0, title="Bandwidth limit", description="Upload limit in bytes per second (uploader)."
    )
    upload_concurrency: int = Field(
        4, ge=1, le=16, title="Upload concurrency", description="Parts uploaded at once (uploader)."
    )
    clip_concurrency: int = Field(
        2,
        ge=1,
        le=8,
        title="Clip concurrency",
        description="Clips uploaded at once (uploader); event clips go first.",
    )
    upload_poll_seconds: float = Field(
        2.0, gt=0, title="Upload poll", description="How often the uploader looks for new spooled clips."
    )
    server_key_file: Path | None = Field(
        None,
        title="Server receipt key",
        description="The server's Ed25519 public key (PEM) that receipts must verify with. Or give "
        "server_key_fingerprint: one of the two is required with server_url (no trust on first use).",
    )
    server_key_fingerprint: str | None = Field(
        None,
        title="Server receipt key fingerprint",
        description="sha256:<64 hex>, printed by `evidence-server enroll-device`. The key the server "
        "hands out is accepted only with this fingerprint, then kept in the spool (server-key.pem).",
    )
    ca_file: Path | None = Field(
        None,
        title="CA bundle",
        description="PEM bundle of the CA(s) that sign the server's TLS certificate, when it is not a "
        "public CA (for example an agency PKI). Default: the system's CAs.",
    )
    spool_grace_seconds: float = Field(
        24 * 3600,
        ge=0,
        title="Spool grace period",
        description="A spool copy is removed this long after its receipt.",
    )

    @model_validator(mode="before")
    @classmethod
    def _no_raw_token(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(k in data for k in ("device_token", "token")):
            raise ValueError(
                "a raw device token is not accepted in the configuration; "
                "write it to a file readable only by the agent and set device_token_file"
            )
        return data

    @field_validator("server_url")
    @classmethod
    def _trusted_url(cls, value: str | None) -> str | None:
        return None if value is None else check_server_url(value)

    @field_validator("server_key_fingerprint")
    @classmethod
    def _fingerprint(cls, value: str | None) -> str | None:
        return None if value is None else check_fingerprint(value)

    @model_validator(mode="after")
    def _knows_its_server(self) -> AgentSettings:
        if self.server_url and self.server_key_file is None and self.server_key_fingerprint is None:
            raise ValueError(
                "server_url needs server_key_fingerprint (printed by evidence-server enroll-device) "
                "or server_key_file: receipts release camera copies, so their key is never taken on trust"
            )
        return self

    @property
    def journal_path(self) -> Path:
        return self.spool_dir / "journal.sqlite"


def load_settings(config_file: str | os.PathLike | None = None, **overrides: Any) -> AgentSettings:
    """Settings from defaults, the config file, the environment and `overrides` (highest)."""
    path = config_file or os.environ.get(CONFIG_ENV)
    if path is None:
        return AgentSettings(**overrides)
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"agent config file {path} does not exist")
    if path.suffix.lower() not in (".toml", ".json"):
        raise ValueError(f"agent config file {path}: use a .toml or .json file")

    class _WithFile(AgentSettings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls,
            init_settings: PydanticBaseSettingsSource,
            env_settings,
            dotenv_settings,
            file_secret_settings,
        ):
            if path.suffix.lower() == ".toml":
                file_source = TomlConfigSettingsSource(settings_cls, toml_file=path)
            else:
                file_source = JsonConfigSettingsSource(settings_cls, json_file=path)
            return init_settings, env_settings, file_source

    return AgentSettings.model_validate(_WithFile(**overrides).model_dump())
