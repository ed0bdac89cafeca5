"""The bridge to :mod:`matching.pb`: build an election from a round, run its rule, export and replay
Pabulib files, and turn the engine's explanations into codes the UI can translate."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from market.core.db import db
from market.core.errors import ValidationFailed
from market.micro.models import Ballot, BallotType, MicroRound, Proposal, ProposalStatus, RoundResult, SelectionRule
from matching import pb
from matching.pb.io import format_number

MAX_PB_BYTES = 5 * 1024 * 1024

# --------------------------------------------------------------------------- explanations
# The engine explains every outcome in one English sentence; these patterns turn each clause into a
# code and numbers so that the page can say it in the reader's language. An unknown sentence is kept
# as the "engine" code and shown verbatim.
_N = r"(?P<{}>[\d,]+)"
_M = r"(?P<{}>[\d,]+(?:\.\d+)?)"
_VOTES = _N.format("votes") + r" (?:votes?|points?)"


def _p(pattern: str) -> re.Pattern[str]:
    return re.compile("^" + pattern + "$")


REASON_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("greedy_selected", _p(r"selected: " + _VOTES + r" \(" + _N.format("position") + r"\w\w in line\); its cost "
                           + _M.format("cost") + r" fit in the budget left " + _M.format("left"))),
    ("greedy_budget", _p(r"not selected: " + _VOTES + r" \(" + _N.format("position") + r"\w\w in line\), but the "
                         r"budget left " + _M.format("left") + r" < cost " + _M.format("cost"))),
    ("completion_selected", _p(r"then selected by the greedy completion: " + _VOTES + r", its cost "
                               + _M.format("cost") + r" fit in the budget left " + _M.format("left"))),
    ("completion_budget", _p(r"greedy completion: " + _VOTES + r", but the budget left " + _M.format("left")
                             + r" < cost " + _M.format("cost"))),
    ("free_selected", _p(r"selected first: it costs nothing and has supporters")),
    ("mes_selected", _p(r"selected in round " + _N.format("round") + r" with " + _N.format("supporters")
                        + r" supporters? paying " + _M.format("payment") + r" each")),
    ("mes_selected_partial", _p(r"selected in round " + _N.format("round") + r" with " + _N.format("supporters")
                                + r" supporters?: " + _N.format("full") + r" paying " + _M.format("payment")
                                + r" each and " + _N.format("partial") + r" paying all they had left \("
                                + _M.format("partial_total") + r" together\)")),
    ("no_support", _p(r"not selected: no voter supported it")),
    ("free_not_selected", _p(r"not selected: it costs nothing, so .*")),
    ("mes_short", _p(r"not selected: (?:from the start|after round " + _N.format("round") + r") its "
                     + _N.format("supporters") + r" supporters? had " + _M.format("left") + r" left in total < cost "
                     + _M.format("cost"))),
    ("no_payers", _p(r"not selected: no voter left to pay for it")),
    ("welfare_selected", _p(r"selected: " + _VOTES + r"; part of the selection with the largest total .*")),
    ("welfare_not_selected", _p(r"not selected: " + _VOTES + r"; the largest total .* is reached without it")),
    ("over_budget", _p(r"not selected: its cost " + _M.format("cost") + r" exceeds the whole budget "
                       + _M.format("budget"))),
)
# mes-add1-greedy appends the greedy completion's sentence to the MES one after "; ".
_COMPLETION_CLAUSE = re.compile(r"; (?=(?:then selected by the )?greedy completion)")
_MONEY_KEYS = frozenset({"cost", "left", "payment", "partial_total", "budget"})


def _yuan_to_cents(text: str) -> int:
    try:
        return int((Decimal(text.replace(",", "")) * 100).to_integral_value())
    except InvalidOperation:  # pragma: no cover - the patterns only let digits through
        return 0


def parse_reason(reason: str) -> list[dict[str, Any]]:
    """The engine's sentence as ``[{"code", "params"}]``, one item per clause (MES, then its completion).

    Money amounts (yuan in the engine) become ``*_cents`` integers; counts become ints.

    >>> parse_reason("not selected: 2 votes (3rd in line), but the budget left 99,999.50 < cost 150,000")
    [{'code': 'greedy_budget', 'params': {'votes': 2, 'position': 3, 'left_cents': 9999950, 'cost_cents': 15000000}}]
    """
    items = []
    for clause in _COMPLETION_CLAUSE.split(reason):
        for code, pattern in REASON_PATTERNS:
            match = pattern.match(clause)
            if match:
                params: dict[str, Any] = {}
                for key, value in match.groupdict().items():
                    if value is None:
                        continue
                    if key in _MONEY_KEYS:
                        params[f"{key}_cents"] = _yuan_to_cents(value)
                    else:
                        params[key] = int(value.replace(",", ""))
                items.append({"code": code, "params": params})
                break
        else:
            items.append({"code": "engine", "params": {"text": clause}})
    return items


# --------------------------------------------------------------------------- elections

def _yuan(cents: int) -> int | Fraction:
    value = Fraction(cents, 100)
    return int(value) if value.denominator == 1 else value


def _cents(value: int | Fraction) -> int:
    return int(round(Fraction(value) * 100))


def ballot_projects(round_: MicroRound) -> list[Proposal]:
    """The proposals on the ballot: the feasible ones, or after the count the ones counted."""
    if round_.results:
        return sorted((r.proposal for r in round_.results), key=lambda p: p.id)
    return list(db.session.scalars(select(Proposal).where(Proposal.round_id == round_.id,
                                                          Proposal.status == ProposalStatus.FEASIBLE)
                                   .order_by(Proposal.id)))


def _anonymous_order(round_: MicroRound, ballot: Ballot) -> str:
    # A salted hash: the published order (and so the voter numbers) says nothing about who voted when.
    return hashlib.sha256(f"{round_.ballot_salt}:{ballot.id}".encode()).hexdigest()


def build_election(round_: MicroRound) -> pb.Election:
    """The round as a :class:`matching.pb.Election`: costs are the official estimates in yuan,
    project ids the proposal ids, voters numbered 1..n in a salted-hash order."""
    proposals = ballot_projects(round_)
    known = {str(p.id) for p in proposals}
    ballots = db.session.scalars(select(Ballot).where(Ballot.round_id == round_.id)
                                 .options(selectinload(Ballot.choices))).all()
    ordered = sorted(ballots, key=lambda b: _anonymous_order(round_, b))
    selected = {r.proposal_id for r in round_.results if r.selected}
    projects = tuple(
        pb.PBProject(str(p.id), _yuan(p.cost_cents), p.title,
                     attributes=(("category", p.category.code), ("type", p.project_type))
                     + ((("selected", "1" if p.id in selected else "0"),) if round_.results else ()))
        for p in proposals)
    meta = [("description", round_.title_en or round_.title), ("country", "China"),
            ("unit", round_.street.district.name_en), ("subunit", (round_.community or round_.street).name_en), ("instance", str(round_.year)),
            ("currency", "CNY"), ("language", "zh"), ("rule", round_.rule),
            ("srx_round", str(round_.id))]
    if round_.voting_opens_at and round_.voting_closes_at:
        meta += [("date_begin", round_.voting_opens_at.date().isoformat()),
                 ("date_end", round_.voting_closes_at.date().isoformat())]
    if round_.ballot_type == BallotType.KNAPSACK:
        meta.append(("max_sum_cost", format_number(_yuan(round_.budget_cents))))
    elif round_.max_picks:
        meta.append(("max_length", str(round_.max_picks)))
    return pb.Election(
        projects=projects,
        ballots=tuple(pb.Ballot(str(number), tuple(str(pid) for pid in b.proposal_ids if str(pid) in known))
                      for number, b in enumerate(ordered, start=1)),
        budget=_yuan(round_.budget_cents), ballot_type="approval", meta=tuple(meta))


def export_pabulib(round_: MicroRound) -> str:
    """The round as Pabulib text; voters are already anonymous numbers."""
    return pb.format_pabulib(build_election(round_), voter_attributes=False)


@dataclass(frozen=True)
class Outcome:
    """One project's line in a computed result."""

    project_id: str
    name: str
    cost_cents: int
    votes: int
    selected: bool
    rank: int
    reasons: list[dict[str, Any]]
    engine_reason: str


def run_election(election: pb.Election, rule: str) -> tuple[pb.PBResult, list[Outcome]]:
    """Run ``rule``; outcomes in display order (selected in selection order, then by votes)."""
    result = pb.run_rule(rule, election)
    votes = election.votes()
    order = {pid: i for i, pid in enumerate(result.selected)}
    rest = sorted((p for p in election.projects if p.id not in order), key=lambda p: (-votes[p.id], p.id))
    ranked = sorted((p for p in election.projects if p.id in order), key=lambda p: order[p.id]) + rest
    outcomes = []
    for position, project in enumerate(ranked, start=1):
        reason = result.explanation(project.id).reason
        outcomes.append(Outcome(project.id, project.name, _cents(project.cost), votes[project.id],
                                project.id in order, position, parse_reason(reason), reason))
    return result, outcomes


def results_rows(round_: MicroRound, election: pb.Election) -> list[RoundResult]:
    """Compute the round's results with its rule (rows not yet added to the session)."""
    _result, outcomes = run_election(election, round_.rule)
    return [RoundResult(round_id=round_.id, proposal_id=int(o.project_id), votes=o.votes, cost_cents=o.cost_cents,
                        selected=o.selected, rank=o.rank, reasons=o.reasons, engine_reason=o.engine_reason)
            for o in outcomes]


@dataclass(frozen=True)
class Replay:
    """A Pabulib file run through a rule, for checking a round with independent tools."""

    rule: str
    budget_cents: int
    cost_cents: int
    voters: int
    outcomes: list[Outcome]
    meta: dict[str, str]
    round: MicroRound | None
    matches_round: bool | None

    @property
    def budget_used_percent(self) -> int:
        return min(100, round(100 * self.cost_cents / self.budget_cents)) if self.budget_cents else 0

    @property
    def max_votes(self) -> int:
        return max((o.votes for o in self.outcomes), default=0)


def replay_pabulib(data: bytes, rule: str | None) -> Replay:
    """Parse a ``.pb`` file and run ``rule`` (default: the file's own META rule, else greedy)."""
    if len(data) > MAX_PB_BYTES:
        raise ValidationFailed(_l("The file is larger than %(mb)d MB.", mb=MAX_PB_BYTES // (1024 * 1024)),
                               fields={"file": _l("Too large.")})
    try:
        text = data.decode("utf-8-sig")
        election = pb.parse_pabulib(text)
    except (UnicodeDecodeError, ValueError) as error:
        raise ValidationFailed(_l("This is not a valid Pabulib file: %(problem)s", problem=str(error)),
                               fields={"file": _l("Not a Pabulib file.")}) from None
    meta = dict(election.meta)
    rule = rule or (meta.get("rule") if meta.get("rule") in set(SelectionRule) else SelectionRule.GREEDY.value)
    if rule not in set(SelectionRule):
        raise ValidationFailed(_l("Unknown rule."), fields={"rule": _l("Unknown rule.")})
    if election.ballot_type not in ("approval", "choose-1"):
        raise ValidationFailed(_l("Only approval ballots can be replayed here."), fields={"file": _l("Not approval.")})
    try:
        result, outcomes = run_election(election, rule)
    except ValueError as error:
        raise ValidationFailed(_l("The rule could not run on this file: %(problem)s", problem=str(error)),
                               fields={"file": str(error)}) from None
    round_ = None
    matches = None
    round_id = meta.get("srx_round", "")
    if round_id.isdigit():
        round_ = db.session.get(MicroRound, int(round_id))
        if round_ is not None and round_.results and rule == round_.rule:
            stored = sorted(str(r.proposal_id) for r in round_.results if r.selected)
            matches = stored == sorted(result.selected)
    return Replay(rule, _cents(election.budget), _cents(result.cost), len(election.ballots), outcomes, meta,
                  round_, matches)
