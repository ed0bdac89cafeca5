"""Command line: ``python -m matching.pb FILE.pb --rule mes-add1-greedy``.

Prints exactly one JSON line: ``{"rule": ..., "selected": [sorted ids], "cost": ...}``.
With ``--rule official`` the rule named in the file's META ``rule`` is applied (see
:mod:`matching.pb.rules.official`), and the line also carries ``meta_rule`` and, when
the file has a ``selected`` column, ``matches_selected`` plus the projects
``missing`` from the replay and ``extra`` in it.
"""

from __future__ import annotations

import argparse
import json
import sys

from matching.pb.io import read_pabulib
from matching.pb.model import Election, PBResult
from matching.pb.rules import RULES, run_rule
from matching.pb.rules.official import official_rule, recorded_selection
from matching.pb.tiebreaking import TIE_BREAKING_RULES

OFFICIAL = "official"


def _official_payload(election: Election, result: PBResult) -> dict[str, object]:
    """The JSON line of ``--rule official``: the outcome, the META rule and the comparison with ``selected``."""
    payload = result.to_json_dict()
    payload["meta_rule"] = dict(result.details)["meta_rule"]
    found = recorded_selection(election)
    if found is not None:
        recorded, special = found
        replayed = set(result.selected) - special
        payload["matches_selected"] = replayed == recorded
        payload["missing"] = sorted(recorded - replayed)
        payload["extra"] = sorted(replayed - recorded)
    return payload


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m matching.pb", description="Run a participatory-budgeting rule on a Pabulib file."
    )
    parser.add_argument("file", help="a Pabulib .pb file")
    parser.add_argument(
        "--rule",
        required=True,
        choices=[*RULES, OFFICIAL],
        help=f"a rule, or {OFFICIAL!r}: the rule named in the file's META section",
    )
    parser.add_argument("--tie-breaking", default="lexico", choices=list(TIE_BREAKING_RULES))
    args = parser.parse_args(argv)
    try:
        election = read_pabulib(args.file)
        if args.rule == OFFICIAL:
            payload = _official_payload(election, official_rule(election, tie_breaking=args.tie_breaking))
        else:
            payload = run_rule(args.rule, election, tie_breaking=args.tie_breaking).to_json_dict()
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(payload, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
