"""The shipped policy's sources are facts a reader can find, not files outside the
repository (issue 13, Found 3: the custody report quoted "DOMAIN.md: ..." from here)."""

from __future__ import annotations

import re
from pathlib import Path

POLICY = Path(__file__).resolve().parents[2] / "retention" / "policy.toml"


def test_no_rule_cites_a_document_that_is_not_in_the_repository():
    sources = re.findall(r'^source = "(.*)"$', POLICY.read_text(), flags=re.MULTILINE)
    assert sources, "the policy states a source for its rules"
    for source in sources:
        assert not re.search(r"\b[\w-]+\.(md|txt|docx?|pdf)\b", source), source
