"""`python -m retention check [POLICY.toml]`: validate a policy file and show its rules.

Exit 0 and a table of categories when the file is valid; exit 2 and every bad
field (with its name) when it is not. Reads the file, nothing else.
"""

from __future__ import annotations

import argparse
import sys

from retention.policy import DEFAULT_POLICY_PATH, PolicyError, load_policy


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m retention", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="validate a policy file and list its categories")
    check.add_argument("policy", nargs="?", default=str(DEFAULT_POLICY_PATH), help="policy TOML file")
    args = parser.parse_args(argv)
    try:
        policy = load_policy(args.policy)
    except PolicyError as error:
        print(error, file=sys.stderr)
        return 2
    print(f"{args.policy}: policy {policy.version} is valid")
    print(
        f"  default category: {policy.default_category}; linked reports apply: {policy.report_category}; "
        f"Inspector General reports apply: {policy.inspector_general_category}"
    )
    for name, category in policy.categories.items():
        print(f"  {name:<20} {category.rule_text}")
        print(f"  {'':<20} source: {category.source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
