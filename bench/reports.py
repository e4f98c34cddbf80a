"""Reports and retention benchmarks (issue 6): linking a new use-of-force report
against an index of 1,000,000 clips (time per report), and a search by officer and
time range at that size (p50, p99), on SQLite and on PostgreSQL.

The index: 1,000 officers, 500 vehicles, one year of clips (about 3 a day per
officer), bulk-loaded (SQLite: executemany in one transaction; PostgreSQL: COPY),
then ANALYZE. Each report names 2 officers and 1 vehicle with a 1 to 60 minute
window around a clip picked at random; linking is the real
`linking.service.link_report` (candidate range scans on
clips(officer_id|vehicle_id, corrected_start), the pure matcher, link rows and
their audit events, one commit). The search is the clip index's own
`clips.service.search` (what GET /api/v1/clips runs). EXPLAIN shows the linking
query's index. EVIDENCE_BENCH_LINK_CLIPS scales the index (default 1,000,000);
EVIDENCE_BENCH_LINK_BACKENDS picks "sqlite,postgresql".
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy import select, text

from bench.common import data_dir
from ingest_server import migrate
from ingest_server.auth.roles import Role
from ingest_server.auth.service import Principal
from ingest_server.clips import service as clips
from ingest_server.clips.models import Clip
from ingest_server.db import make_engine, make_sessionmaker
from ingest_server.devices.models import Device
from ingest_server.linking import service as linking
from ingest_server.reports import service as reports
from ingest_server.reports.schemas import ReportCreate

CLIPS = int(os.environ.get("EVIDENCE_BENCH_LINK_CLIPS", "1000000"))
BACKENDS = os.environ.get("EVIDENCE_BENCH_LINK_BACKENDS", "sqlite,postgresql").split(",")
OFFICERS, VEHICLES = 1000, 500
YEAR = datetime(2026, 1, 1, tzinfo=UTC)
PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres connect_timeout=3"
NO_TARGET = "no target set for search p99 at 1M clips; reported for comparison"
COLUMNS = (
    "id",
    "device_id",
    "sha256",
    "size",
    "part_size",
    "composite",
    "manifest_json",
    "state",
    "object_key",
    "officer_id",
    "vehicle_id",
    "original_name",
    "corrected_start",
    "corrected_end",
    "camera_start",
    "camera_end",
    "duration_seconds",
    "flags_json",
    "category",
    "registered_at",
    "stored_at",
    "row_version",
)


def _pct(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1] if len(values) > 1 else values[0]


def _rows(device_id: str, count: int, has_row_version: bool):
    rng = random.Random(6)
    seconds = 365 * 86400
    for n in range(count):
        start = YEAR + timedelta(seconds=rng.randrange(seconds))
        length = rng.choice((60, 180, 300, 600, 1800))
        end = start + timedelta(seconds=length)
        row = (
            uuid.uuid4().hex,
            device_id,
            f"{n:064x}",
            1,
            1,
            "x-1",
            "{}",
            "stored",
            f"o/{n}",
            f"B{rng.randrange(OFFICERS):04d}",
            f"V{rng.randrange(VEHICLES):03d}" if rng.random() < 0.4 else None,
            "a.mp4",
            start,
            end,
            start,
            end,
            float(length),
            "[]",
            "unclassified",
            end,
            end,
        )
        yield row + ((1,) if has_row_version else ())


def _columns(engine) -> tuple[str, ...]:
    with engine.connect() as conn:
        names = {c[1] for c in conn.exec_driver_sql("SELECT * FROM clips LIMIT 0").cursor.description}
    return COLUMNS if "row_version" in names else COLUMNS[:-1]


def _fill_sqlite(engine, device_id: str) -> None:
    columns = _columns(engine)
    sql = f"INSERT INTO clips ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("BEGIN")
        batch = []
        for row in _rows(device_id, CLIPS, "row_version" in columns):
            batch.append(tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row))
            if len(batch) == 50_000:
                cur.executemany(sql, batch)
                batch.clear()
        cur.executemany(sql, batch)
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()


def _fill_postgres(url: str, engine, device_id: str) -> None:
    columns = _columns(engine)
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo) as conn:
        with conn.cursor() as cur, cur.copy(f"COPY clips ({', '.join(columns)}) FROM STDIN") as copy:
            for row in _rows(device_id, CLIPS, "row_version" in columns):
                copy.write_row(tuple(v.replace(tzinfo=None) if isinstance(v, datetime) else v for v in row))
        conn.commit()
        conn.autocommit = True
        conn.execute("ANALYZE clips")


def _device(sessions) -> str:
    with sessions() as session:
        device = Device(
            name=f"bench-{uuid.uuid4().hex[:6]}", vehicle_id=None, token_hash=uuid.uuid4().hex * 2
        )
        session.add(device)
        session.commit()
        return device.id


def _link_reports(sessions, count: int = 200) -> tuple[list[float], int]:
    """Each report is built around a clip picked at random, as a real incident has its recordings."""
    rng = random.Random(7)
    times, links = [], 0
    for n in range(count):
        with sessions() as session:
            pivot = f"{rng.getrandbits(128):032x}"
            officer, vehicle, start = session.execute(
                select(Clip.officer_id, Clip.vehicle_id, Clip.corrected_start)
                .where(Clip.id >= pivot)
                .order_by(Clip.id)
                .limit(1)
            ).one_or_none() or ("B0000", None, YEAR)
            session.rollback()
            start += timedelta(minutes=rng.randrange(-10, 10))
            body = ReportCreate(
                number=f"BENCH-{uuid.uuid4().hex[:10]}-{n}",
                incident_start=start,
                incident_end=start + timedelta(minutes=rng.randrange(1, 60)),
                town="Hartford",
                officers=[officer, f"B{rng.randrange(OFFICERS):04d}"],
                vehicles=[vehicle or f"V{rng.randrange(VEHICLES):03d}"],
                force_types=["strike"],
            )
            started = time.perf_counter()
            report = reports.create(session=session, body=body, actor="bench", now=start)
            links += len(linking.link_report(session=session, report=report, actor="bench", now=start))
            session.commit()
            times.append(time.perf_counter() - started)
    return times, links


def _searches(sessions, count: int = 300) -> tuple[list[float], int]:
    rng = random.Random(8)
    who = Principal("user", "bench", "bench", Role.CUSTODIAN)
    times, found = [], 0
    with sessions() as session:
        for _ in range(count):
            day = YEAR + timedelta(days=rng.randrange(350))
            where = clips.ClipFilter(
                officer_id=f"B{rng.randrange(OFFICERS):04d}",
                recorded_from=day,
                recorded_to=day + timedelta(days=7),
            )
            started = time.perf_counter()
            rows, total = clips.search(session=session, principal=who, where=where, limit=50, offset=0)
            times.append(time.perf_counter() - started)
            found += total
            session.rollback()
    return times, found


def _plan(engine) -> str:
    lo, hi = YEAR + timedelta(days=100), YEAR + timedelta(days=100, hours=1)
    query = select(Clip.id).where(
        Clip.officer_id == "B0001",
        Clip.corrected_start <= hi,
        Clip.corrected_start >= lo - timedelta(hours=24),
    )
    compiled = query.compile(engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        lines = [" ".join(str(c) for c in row) for row in conn.execute(text(prefix + str(compiled)))]
    return (
        "ix_clips_officer_start"
        if any("ix_clips_officer_start" in line for line in lines)
        else " | ".join(lines)
    )


def _bench(name: str, url: str, fill, report) -> None:
    engine = make_engine(url)
    try:
        sessions = make_sessionmaker(engine)
        device = _device(sessions)
        started = time.monotonic()
        fill(engine, device)
        report(f"reports {name}: index fill", f"{CLIPS} clips in {time.monotonic() - started:.0f} s", "setup")
        report(f"reports {name}: linking query index", _plan(engine), "expect ix_clips_officer_start")
        per_report, links = _link_reports(sessions)
        report(
            f"reports {name}: link a new report at {CLIPS} clips p50",
            f"{_pct(per_report, 50) * 1000:.1f} ms",
            f"{links / len(per_report):.1f} links per report; no target set",
        )
        report(
            f"reports {name}: link a new report at {CLIPS} clips p99",
            f"{_pct(per_report, 99) * 1000:.1f} ms",
            "no target set",
        )
        found, total = _searches(sessions)
        report(
            f"reports {name}: search officer+7 days at {CLIPS} clips p50",
            f"{_pct(found, 50) * 1000:.2f} ms",
            f"{total / len(found):.1f} hits per search; {NO_TARGET}",
        )
        report(
            f"reports {name}: search officer+7 days at {CLIPS} clips p99",
            f"{_pct(found, 99) * 1000:.2f} ms",
            NO_TARGET,
        )
    finally:
        engine.dispose()


def run(report) -> None:
    if "sqlite" in BACKENDS:
        work = data_dir() / f"reports-{os.getpid()}"
        work.mkdir(parents=True, exist_ok=True)
        try:
            url = f"sqlite:///{work / 'bench.sqlite3'}"
            migrate.upgrade(url)
            _bench("sqlite", url, _fill_sqlite, report)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    if "postgresql" in BACKENDS:
        name = f"evidence_bench_{uuid.uuid4().hex[:8]}"
        try:
            admin = psycopg.connect(PG_ADMIN, autocommit=True)
        except psycopg.Error as exc:
            report("reports postgresql", f"skipped: {exc.__class__.__name__}", "PostgreSQL on 127.0.0.1:5432")
            return
        with admin:
            admin.execute(f'CREATE DATABASE "{name}"')
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
            try:
                migrate.upgrade(url)
                _bench("postgresql", url, lambda engine, device: _fill_postgres(url, engine, device), report)
            finally:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


if __name__ == "__main__":
    run(lambda name, value, goal: print(f"{name}: {value} ({goal})", flush=True))
