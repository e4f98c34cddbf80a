"""What one running server holds: settings, database, store, receipt signer, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from ingest_server.receipts import ReceiptSigner
from ingest_server.settings import Settings
from ingest_server.storage import Storage
from ingest_server.types import utcnow


@dataclass
class ServerContext:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    storage: Storage
    signer: ReceiptSigner
    clock: Callable[[], datetime] = utcnow
