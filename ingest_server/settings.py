"""Server settings (pydantic-settings, environment prefix EVIDENCE_SERVER_).

Defaults give an embedded server: SQLite (WAL) and the signing key under
`data_dir`. Store credentials live here, on the server, never on a car.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

MIN_OBJECT_LOCK_DAYS = 90  # POST 2015 policy: every recording kept at least 90 days


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="EVIDENCE_SERVER_", extra="forbid")

    data_dir: Path = Field(Path("./evidence-data"), description="Where the embedded database and key live.")
    database_url: str | None = Field(None, description="SQLAlchemy URL; default: SQLite under data_dir.")
    s3_endpoint_url: str | None = Field(None, description="S3-compatible endpoint; None means AWS.")
    s3_region: str = "us-east-1"
    s3_path_style: bool = True
    s3_access_key_id: str | None = None
    s3_secret_access_key: SecretStr | None = None
    s3_bucket: str = "evidence"
    s3_create_bucket: bool = Field(
        True, description="Create the bucket (versioning + Object Lock) if missing."
    )
    accept_nonconforming_store: bool = Field(
        False, description="Serve even if `store check` fails a guaranteed property (logged at each start)."
    )
    fixity_compare_locks: bool = Field(
        True, description="Fixity also compares each version's Object Lock in the store with the database."
    )
    presign_expiry_seconds: int = Field(3600, ge=60, le=7 * 24 * 3600)
    signing_key_path: Path | None = Field(None, description="Ed25519 PEM; default data_dir/receipt-key.pem.")
    object_lock_days: int = Field(MIN_OBJECT_LOCK_DAYS, description="Retention set at completion (>= 90).")
    object_lock_mode: str = Field("COMPLIANCE", pattern="^(COMPLIANCE|GOVERNANCE)$")
    rehash_on_complete: bool = Field(False, description="Re-read and re-hash every object at completion.")
    completion_retry_after_seconds: int = Field(
        5, ge=0, le=600, description="Retry-After given while another completion verifies a clip."
    )
    max_body_bytes: int = Field(2 * 1024 * 1024, ge=1024, description="Largest request body accepted.")
    max_clip_bytes: int = Field(256 * 1024**3, ge=1, description="Largest clip accepted at register.")
    min_part_size: int = Field(5 * 1024 * 1024, ge=1, description="Smallest non-final part (S3: 5 MiB).")
    max_thumbnail_bytes: int = Field(256 * 1024, ge=0)
    max_related_bytes: int = Field(
        512 * 1024**2,
        ge=1,
        le=5 * 1024**3,
        description="Largest related file (sidecar) accepted at register; each is one PUT (S3: <= 5 GiB).",
    )
    allowed_containers: list[str] = Field(
        default_factory=lambda: ["iso-bmff", "mpeg-ts", "matroska", "avi"],
        description="Video containers accepted as originals, as the server sniffs them from the bytes "
        "(iso-bmff, mpeg-ts, matroska, avi); anything else is refused at completion.",
    )
    max_page_size: int = Field(200, ge=1, le=10_000)
    default_page_size: int = Field(50, ge=1)
    public_portal: bool = Field(False, description="Serve the public use-of-force statistics at /public/.")
    jobs_redis_url: str | None = Field(
        None, description="Redis URL of the job queue (several servers); default: SQLite under data_dir."
    )
    jobs_queue_name: str = Field("evidence", min_length=1, max_length=100, description="huey queue name.")
    jobs_lease_seconds: float = Field(
        60.0, ge=1.0, le=3600.0, description="A running job whose worker is silent this long is restarted."
    )
    jobs_max_attempts: int = Field(3, ge=1, le=100, description="Starts of one job before it is failed.")
    abandoned_uploads_every_seconds: float = Field(
        3600.0,
        ge=0.0,
        le=7 * 86400.0,
        description="How often the job worker aborts abandoned multipart uploads (0: never).",
    )
    abandoned_uploads_grace_seconds: float = Field(
        86400.0,
        ge=0.0,
        description="A multipart upload no clip is uploading to is abandoned once this old.",
    )
    records_request_due_hours: int = Field(
        96, ge=1, le=24 * 365, description="A public records request is due this long after receipt."
    )
    release_cert_chain_path: Path | None = Field(
        None, description="Agency C2PA signing certificate chain (PEM, leaf first) for released copies."
    )
    release_key_path: Path | None = Field(None, description="The agency signing key (PKCS#8 PEM).")

    @field_validator("allowed_containers")
    @classmethod
    def _known_containers(cls, value: list[str]) -> list[str]:
        from ingest_server.media_types import BY_NAME

        unknown = sorted(set(value) - set(BY_NAME))
        if unknown:
            raise ValueError(f"allowed_containers: unknown {unknown}; known: {sorted(BY_NAME)}")
        return value

    @field_validator("object_lock_days")
    @classmethod
    def _at_least_90(cls, value: int) -> int:
        if value < MIN_OBJECT_LOCK_DAYS:
            raise ValueError(f"object_lock_days must be at least {MIN_OBJECT_LOCK_DAYS}, got {value}")
        return value

    @model_validator(mode="after")
    def _page_sizes(self) -> Settings:
        if self.default_page_size > self.max_page_size:
            raise ValueError("default_page_size must not exceed max_page_size")
        return self

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.data_dir / 'evidence.sqlite3').resolve()}"

    @property
    def jobs_path(self) -> Path:
        return self.data_dir / "jobs.sqlite3"

    @property
    def redaction_work_dir(self) -> Path:
        """Scratch space for redaction jobs (a verified copy of the original, the rendered copy)."""
        return self.data_dir / "redaction-work"

    @property
    def release_dir(self) -> Path:
        """Release packages for public records requests (a folder and a zip each)."""
        return self.data_dir / "releases"

    @property
    def key_path(self) -> Path:
        return self.signing_key_path or self.data_dir / "receipt-key.pem"
