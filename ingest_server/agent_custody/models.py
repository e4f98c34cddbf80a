"""Which agent custody events the server already holds: (device, the car's seq) -> its audit event.

The event itself is the audit event (component "agent"); this row only makes a
re-send recognisable: the same (device, seq) with the same payload digest is
already recorded, with another digest it is a conflict.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from ingest_server.db import Base


class AgentCustodyEvent(Base):
    __tablename__ = "agent_custody_events"

    device_id: Mapped[str] = mapped_column(ForeignKey("devices.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    clip_id: Mapped[str] = mapped_column(ForeignKey("clips.id"), index=True)
    payload_sha256: Mapped[str] = mapped_column(String(64))
    audit_seq: Mapped[int] = mapped_column(BigInteger)
