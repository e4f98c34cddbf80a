"""Jobs API: where background jobs stand (progress, time left, errors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from ingest_server.deps import Reader, SessionDep
from ingest_server.jobs import service
from ingest_server.jobs.schemas import JobList, JobOut
from ingest_server.retention_apply.http import ERRORS

router = APIRouter(prefix="/api/v1/jobs", tags=["jobs"])


@router.get(
    "", name="jobs.list", summary="Recent jobs, newest first", response_model=JobList, responses=ERRORS
)
def list_jobs(
    session: SessionDep,
    who: Reader,
    kind: Annotated[str | None, Query(max_length=64)] = None,
    subject: Annotated[str | None, Query(max_length=200)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> JobList:
    rows = service.recent(session=session, limit=limit, kind=kind, subject=subject)
    return JobList(jobs=[JobOut.model_validate(r) for r in rows])


@router.get("/{job_id}", name="jobs.get", summary="One job", response_model=JobOut, responses=ERRORS)
def get_job(job_id: str, session: SessionDep, who: Reader) -> JobOut:
    job = service.get(session=session, job_id=job_id[:32])
    if job is None:
        raise HTTPException(404, f"no job {job_id[:32]}")
    return JobOut.model_validate(job)
