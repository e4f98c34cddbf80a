"""Property-based run of schemathesis against the OpenAPI document: no input the
schema allows (and none it forbids) makes the server answer 5xx.

Bounded to a few examples per operation so it runs in well under a minute. Upload
endpoints are called with a device token, the rest with an admin token, so the
generated inputs reach the handlers instead of stopping at the role check.
"""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from ingest_server import migrate
from ingest_server.app import build_context, create_app
from ingest_server.auth import service as auth_service
from ingest_server.settings import Settings

EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzz_target(tmp_path_factory, s3_endpoint):
    tmp = tmp_path_factory.mktemp("fuzz")
    config = Settings(
        data_dir=tmp,
        s3_endpoint_url=s3_endpoint,
        s3_access_key_id="testing",
        s3_secret_access_key="testing",
        s3_bucket=f"fuzz-{uuid.uuid4().hex[:12]}",
    )
    migrate.upgrade(config.db_url)
    ctx = build_context(config)
    with ctx.sessions() as session:
        _, admin = auth_service.create_user(
            session=session, username="admin", role="admin", officer_id=None, actor="t"
        )
        _, device = auth_service.enroll_device(session=session, name="car", vehicle_id="V1", actor="t")
    app = create_app(context=ctx)
    yield app, {"admin": admin, "device": device}
    ctx.engine.dispose()


def _failures(operation, tokens, mode, statuses: list[int]) -> list[str]:
    role = "device" if operation.path.startswith("/api/v1/uploads") else "admin"
    found: list[str] = []

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        response = case.call(headers={"Authorization": f"Bearer {tokens[role]}"})
        statuses.append(response.status_code)
        if response.status_code >= 500:
            found.append(
                f"{case.method} {case.formatted_path} ({mode}): {response.status_code} "
                f"{response.text[:200]} -- body={case.body!r:.200} query={case.query!r:.200}"
            )

    try:
        run()
    except Unsatisfiable:
        assert mode is GenerationMode.NEGATIVE  # nothing to break in an operation without inputs
    return found


def test_no_server_errors(fuzz_target):
    app, tokens = fuzz_target
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17
    failures, statuses = [], []
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            failures += _failures(operation, tokens, mode, statuses)
    assert failures == [], "\n".join(failures)
    # the run really exercised the handlers: accepted and refused inputs both seen
    assert len(statuses) > 10 * len(operations)
    assert any(200 <= s < 300 for s in statuses) and statuses.count(422) > len(operations)
