"""The policy file: the shipped rules, loading from another path, and clear errors."""

from __future__ import annotations

import copy
import tomllib

import pytest
import tomli_w

from retention import DEFAULT_POLICY_PATH, Category, Kind, Policy, PolicyError, load_policy
from retention.__main__ import main

SHIPPED = tomllib.loads(DEFAULT_POLICY_PATH.read_text())

# What each shipped category's source cites.
CITED = {
    "unclassified": "Kansas City auditors",
    "non_evidentiary": "POST 2015 policy, at least 90 days",
    "evidentiary": "POST 2015 policy, at least 4 years",
    "arrest": "POST 2015 policy, at least 4 years",
    "use_of_force": "CGS 7-282e",
    "inspector_general": "CGS 7-282e",
    "pending_matter": "pending civil, criminal or administrative matter",
    "training": "more than one year outside a pending matter",
}


@pytest.mark.parametrize(
    ("name", "kind", "days", "years"),
    [
        pytest.param("unclassified", Kind.FIXED, None, 1, id="unclassified-1-year"),
        pytest.param("non_evidentiary", Kind.FIXED, 90, None, id="non-evidentiary-90-days"),
        pytest.param("evidentiary", Kind.FIXED, None, 4, id="evidentiary-4-years"),
        pytest.param("arrest", Kind.FIXED, None, 4, id="arrest-4-years"),
        pytest.param(
            "use_of_force", Kind.AFTER_REPORT_CLOSES, None, 4, id="use-of-force-4-years-after-close"
        ),
        pytest.param(
            "inspector_general", Kind.UNTIL_RELEASED, None, None, id="inspector-general-until-released"
        ),
        pytest.param("pending_matter", Kind.INDEFINITE, None, None, id="pending-matter-indefinite"),
        pytest.param("training", Kind.FIXED, None, 1, id="training-1-year"),
    ],
)
def test_shipped_policy_categories(name, kind, days, years):
    category = load_policy().categories[name]
    assert (category.kind, category.days, category.years) == (kind, days, years)
    assert CITED[name] in category.source  # each rule names the law, policy or finding behind it


def test_shipped_policy_defaults_to_unclassified_and_needs_two_ig_releases():
    policy = load_policy()
    assert policy.default_category == "unclassified"
    assert "non" not in policy.default_category
    assert policy.report_category == "use_of_force"
    assert policy.categories[policy.inspector_general_category].releases_required == 2


def test_policy_loads_from_another_path(tmp_path):
    data = copy.deepcopy(SHIPPED)
    data["version"] = "county-7"
    data["categories"]["non_evidentiary"]["days"] = 180
    path = tmp_path / "county.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    policy = load_policy(path)
    assert policy.version == "county-7"
    assert policy.categories["non_evidentiary"].days == 180


def _set(path: str, value):
    def edit(data):
        *parents, leaf = path.split(".")
        node = data
        for key in parents:
            node = node[key]
        if value is _DELETE:
            del node[leaf]
        else:
            node[leaf] = value

    return edit


_DELETE = object()

# fmt: off
P = pytest.param
BAD = [
    P(_set("categories.non_evidentiary.days", 30), "categories.non_evidentiary.days",
      "30 days is under the 90-day floor", id="period-under-90-day-floor"),
    P(_set("categories.non_evidentiary.days", 89), "categories.non_evidentiary.days",
      "under the 90-day floor (POST 2015 policy", id="89-days-under-floor"),
    P(_set("categories.training.years", 0), "categories.training.years", "greater than or equal to 1",
      id="zero-years"),
    P(_set("retention_days", 30), "retention_days", "unknown field", id="unknown-top-level-field"),
    P(_set("categories.training.dayz", 100), "categories.training.dayz", "unknown field",
      id="misspelled-category-field"),
    P(_set("categories.arrest.source", _DELETE), "categories.arrest.source", "required field is missing",
      id="category-without-source"),
    P(_set("categories.arrest.source", "   "), "categories.arrest.source", "must cite its source",
      id="blank-source"),
    P(_set("categories.training.days", 400), "categories.training",
      "needs exactly one of `days` or `years`", id="days-and-years-both"),
    P(_set("categories.pending_matter.days", 400), "categories.pending_matter", "takes no `days` or `years`",
      id="indefinite-with-period"),
    P(_set("categories.training.kind", "forever"), "categories.training.kind", "'fixed'",
      id="unknown-kind"),
    P(_set("categories.inspector_general.releases_required", 1),
      "categories.inspector_general.releases_required", "greater than or equal to 2",
      id="ig-released-by-one-custodian"),
    P(_set("categories.arrest.releases_required", 2), "categories.arrest", "only for kind 'until_released'",
      id="releases-on-fixed-category"),
    P(_set("default_category", "non_evidence"), "default_category", "'non_evidence' is not one of",
      id="default-category-missing"),
    P(_set("report_category", "evidentiary"), "report_category", "must have kind 'after_report_closes'",
      id="report-category-wrong-kind"),
    P(_set("inspector_general_category", "training"), "inspector_general_category",
      "must have kind 'until_released'", id="ig-category-wrong-kind"),
    P(_set("version", _DELETE), "version", "required field is missing", id="no-version"),
    P(_set("categories.Use Of Force", {"title": "x", "kind": "indefinite", "source": "y"}),
      "categories.Use Of Force", "pattern", id="bad-category-name"),
    P(_set("categories", {}), "categories", "at least 1 item", id="no-categories"),
]
# fmt: on


@pytest.mark.parametrize(("edit", "field", "message"), BAD)
def test_policy_errors_name_the_field(tmp_path, edit, field, message):
    data = copy.deepcopy(SHIPPED)
    edit(data)
    path = tmp_path / "policy.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    text = str(caught.value)
    assert str(path) in text
    lines = [line.strip() for line in text.splitlines()[1:]]
    assert any(line.startswith(field) and message in line for line in lines), text


def test_every_problem_is_reported_at_once(tmp_path):
    data = copy.deepcopy(SHIPPED)
    data["categories"]["non_evidentiary"]["days"] = 7
    data["categories"]["arrest"]["colour"] = "red"
    path = tmp_path / "policy.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    with pytest.raises(PolicyError) as caught:
        load_policy(path)
    fields = [field for field, _ in caught.value.problems]
    assert fields == ["categories.non_evidentiary.days", "categories.arrest.colour"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(b"version = \n", "not valid TOML", id="toml-syntax-error"),
        pytest.param(b"\xff\xfe", "not UTF-8", id="binary-file"),
    ],
)
def test_unreadable_policy_files(tmp_path, content, message):
    path = tmp_path / "policy.toml"
    path.write_bytes(content)
    with pytest.raises(PolicyError, match=message):
        load_policy(path)


def test_missing_policy_file(tmp_path):
    with pytest.raises(PolicyError, match="cannot read the policy file"):
        load_policy(tmp_path / "nope.toml")


@pytest.mark.parametrize("model", [Policy, Category], ids=["policy", "category"])
def test_every_schema_field_has_title_and_description(model):
    for name, field in model.model_fields.items():
        assert field.title and field.description, name


def test_policy_is_immutable():
    policy = load_policy()
    with pytest.raises(ValueError):
        policy.categories["non_evidentiary"].days = 30


def test_check_command_lists_categories(capsys):
    assert main(["check"]) == 0
    out = capsys.readouterr().out
    assert "is valid" in out
    assert "non_evidentiary      90 days from recording" in out


def test_check_command_names_bad_field(tmp_path, capsys):
    data = copy.deepcopy(SHIPPED)
    data["categories"]["unclassified"]["days"] = 30
    del data["categories"]["unclassified"]["years"]
    path = tmp_path / "bad.toml"
    path.write_bytes(tomli_w.dumps(data).encode())
    assert main(["check", str(path)]) == 2
    assert "categories.unclassified.days: 30 days is under the 90-day floor" in capsys.readouterr().err
