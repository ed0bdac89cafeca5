"""Command line: ``python -m matching.pb FILE.pb --rule mes-add1-greedy``.

Prints exactly one JSON line: ``{"rule": ..., "selected": [sorted ids], "cost": ...}``.
"""

from __future__ import annotations

import argparse
import json
import sys

from matching.pb.io import read_pabulib
from matching.pb.rules import RULES, run_rule
from matching.pb.tiebreaking import TIE_BREAKING_RULES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m matching.pb", description="Run a participatory-budgeting rule on a Pabulib file."
    )
    parser.add_argument("file", help="a Pabulib .pb file")
    parser.add_argument("--rule", required=True, choices=list(RULES))
    parser.add_argument("--tie-breaking", default="lexico", choices=list(TIE_BREAKING_RULES))
    args = parser.parse_args(argv)
    try:
        election = read_pabulib(args.file)
        result = run_rule(args.rule, election, tie_breaking=args.tie_breaking)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(result.to_json_dict(), ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
