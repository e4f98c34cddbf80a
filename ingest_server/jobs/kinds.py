"""The names of the job kinds: one constant each, so a requester need not import
the package that runs it (the handlers are wired in `ingest_server/job_kinds.py`)."""

from __future__ import annotations

ALIGN_REPORT = "alignment.report"  # subject: a report id; aligns its linked clips
REDACTION_SCAN = "redaction.scan"  # subject: a redaction id; finds faces into tracks for review
REDACTION_RENDER = "redaction.render"  # subject: a redaction id; renders the decisions into a draft copy
REDACTION_FOLLOW = (
    "redaction.follow"  # subject: a redaction id; follows its hand-drawn boxes through the clip
)
ABORT_ABANDONED_UPLOADS = "uploads.abort_abandoned"  # subject: the kind; periodic (job_kinds.PERIODIC)
