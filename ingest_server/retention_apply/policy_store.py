"""The policy in force: the newest row of `retention_policies`, or the shipped
`retention/policy.toml` when no agency policy was ever activated."""

from __future__ import annotations

import tomllib
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import Session

from ingest_server.retention_apply.models import RetentionPolicyRow
from retention import Policy, PolicyError, load_policy, parse_policy


@lru_cache(maxsize=8)
def _parse(text: str) -> Policy:
    return parse_policy(tomllib.loads(text), origin="retention_policies")


@lru_cache(maxsize=1)
def shipped() -> Policy:
    return load_policy()


def current(*, session: Session) -> Policy:
    row = session.execute(
        select(RetentionPolicyRow).order_by(RetentionPolicyRow.id.desc()).limit(1)
    ).scalar_one_or_none()
    return shipped() if row is None else _parse(row.toml_text)


def parse_text(text: str, origin: str = "proposed policy") -> Policy:
    """Validate a proposed policy's TOML; raises `retention.PolicyError` naming each bad field."""

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(origin, [("", f"not valid TOML: {exc}")]) from None
    return parse_policy(data, origin=origin)
