"""The matching engine's reason codes in the reader's language.

The engine explains itself with codes and parameters (:class:`matching.reasons.Reason`): why a
project is unmatched, which limits bound the result, why official decisions cannot all be met,
how the run went. Runs store them as ``{"code", "params"}`` JSON; :func:`reason_text` is the one
place that turns a code into a translated sentence, with names in place of ids (:class:`Names`).
The adapter adds a few codes of its own (projects it did not send to the engine, decisions it
ignored). Runs stored before reasons were codes keep plain strings, which are shown as they are.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from market.core.enums import label_of
from market.core.money import money
from market.geo.models import ProjectType
from market.projects.models import ProjectStatus

#: Every code the console may show, as a sentence with ``%(name)s`` parameters (see :func:`_values`).
REASON_TEXTS: dict[str, Any] = {
    # why a project (lot) is unmatched
    "no_provider_for_category": _l("No provider offers %(category)s."),
    "no_provider_supplies_type": _l("No provider of %(category)s supplies %(project_type)s."),
    "no_provider_in_area": _l("No eligible provider for %(category)s in %(street)s."),
    "requirements_not_met": _l("No provider for %(category)s in %(street)s meets the requirements "
                               "(%(requirements)s)."),
    "no_valid_bid": _l("No valid bid: %(bids)s, none from an eligible provider within the budget."),
    "conflict_of_interest": _l("Every eligible provider has a conflict of interest."),
    "forbidden_by_decision": _l("Every eligible provider is excluded by an official decision."),
    "providers_at_capacity": _l("Every eligible provider is fully booked (%(providers)s)."),
    "provider_share_cap": _l("The eligible providers reached the fairness cap of %(share)s of the total value."),
    "no_eligible_pool": _l("No funding pool covers %(category)s in %(street)s."),
    "pools_exhausted": _l("Needs %(needed)s, only %(left)s left in the pools."),
    "co_funding_limit": _l("Co-funding rules cover at most %(coverable)s of the %(needed)s needed."),
    "co_funding_share_rounds_to_zero": _l("The co-funding share of %(pools)s comes to less than ¥0.01 of the "
                                          "%(needed)s needed."),
    "not_selected": _l("Not selected: the money and providers went to higher-scoring projects."),
    "infeasible_decisions": _l("Official decisions cannot all be met: %(conflicts)s"),
    "no_solution": _l("The solver found no solution within the time limit."),
    # why official decisions cannot all be met
    "pin_fails_filter": _l("The pinned provider %(org)s fails the %(stage)s filter for %(project)s."),
    "pin_not_candidate": _l("The pinned provider %(org)s is not an eligible candidate for %(project)s."),
    "pinned_pool_not_eligible": _l("The pinned pool %(pool)s may not fund %(project)s (its fields, streets or "
                                   "money left)."),
    "pinned_project_not_viable": _l("The pinned project %(project)s cannot go ahead: no eligible provider or "
                                    "pool."),
    "two_pinned_providers": _l("%(project)s has two pinned providers."),
    "pinned_over_capacity": _l("%(org)s is pinned to more projects (%(count)d) than it can take (%(capacity)d)."),
    "pinned_over_share_cap": _l("%(org)s is pinned to more than the fairness cap allows."),
    "pinned_project_underfunded": _l("The pinned project %(project)s needs %(needed)s but its pools can give at "
                                     "most %(reachable)s."),
    "pins_exceed_limits": _l("The pinned pairs together exceed the pools' money or the providers' capacity."),
    # limits the result met
    "pool_budget": _l("%(pool)s is used up: its remaining money limits the result."),
    "provider_capacity": _l("%(org)s has no capacity left for more projects."),
    "provider_share": _l("%(org)s reached the fairness cap on its share of the total value."),
    "pool_project_cap": _l("%(pool)s pays its maximum for %(project)s (per-project limit or co-funding share)."),
    "pinned_provider": _l("Kept by an official decision: %(org)s for %(project)s."),
    "pinned_pool": _l("Kept by an official decision: %(pool)s for %(project)s."),
    # how the run went
    "solver_fallback": _l("%(solver)s is not available: %(fallback)s was used instead."),
    "flow_fast_path": _l("No budget or co-funding limit applied: solved exactly as an assignment (a min-cost flow), "
                         "without the optimiser."),
    "lp_failed": _l("The LP relaxation ended without a solution (%(status)s)."),
    "column_generation_stopped": _l("Column generation stopped early (%(status)s); the whole LP was solved "
                                    "instead."),
    "selection_mip_failed": _l("The selection MIP ended without a solution (%(status)s); the first solution was "
                               "kept."),
    "solution_rejected": _l("A solution from %(stage)s failed verification and was discarded."),
    "greedy_fallback": _l("The solver gave no usable solution: a greedy solution built from the pinned pairs "
                          "was used."),
    # the adapter's own: projects not sent to the engine, decisions ignored
    "bids_sealed": _l("Bids not opened yet: bidding closes %(deadline)s."),
    "already_funded": _l("Already fully funded."),
    "not_matchable": _l("Not in a state that can be matched (%(status)s)."),
    "already_contracted": _l("Already has a contract."),
    "project_gone": _l("Project %(project_id)s no longer exists."),
    "decision_ignored_provider": _l("Decision %(decision_id)s ignored: %(org)s cannot deliver %(project)s."),
    "decision_ignored_lot_pin": _l("Decision %(decision_id)s ignored: pin a provider to one lot."),
    "decision_ignored_pool": _l("Decision %(decision_id)s ignored: %(pool)s cannot fund %(project)s."),
}

#: The hard filters of candidate generation, and the stages of the optimiser.
STAGE_LABELS: dict[str, Any] = {
    "category": _l("field of service"),
    "supplies": _l("what the provider supplies"),
    "capacity": _l("capacity"),
    "area": _l("service area"),
    "requirements": _l("requirements"),
    "bids": _l("bids"),
    "conflicts": _l("conflict of interest"),
    "decisions": _l("official decisions"),
    "lp_rounding": _l("rounding the LP relaxation"),
    "selection_mip": _l("the selection MIP"),
}

#: A run's result status.
RESULT_STATUS_LABELS: dict[str, Any] = {
    "optimal": _l("optimal"),
    "feasible": _l("not proven optimal"),
    "infeasible": _l("decisions cannot all be met"),
    "no_candidates": _l("nothing could be matched"),
}

_MONEY = frozenset({"needed", "left", "coverable", "reachable", "used", "remaining", "amount", "cap", "value",
                    "budget", "price"})
_SOLVER_NAMES = {"cbc": "CBC", "highs": "HiGHS"}


@dataclass
class Names:
    """Display names of the objects a reason may name, in ``locale``; ids without one show as ids."""

    locale: str = "zh"
    orgs: Mapping[int, Any] = field(default_factory=dict)
    pools: Mapping[int, Any] = field(default_factory=dict)
    projects: Mapping[int, Any] = field(default_factory=dict)
    lots: Mapping[int, Any] = field(default_factory=dict)
    categories: Mapping[str, Any] = field(default_factory=dict)

    def _name(self, rows: Mapping[int, Any], key: Any, attribute: str = "name") -> str:
        row = rows.get(key) if isinstance(key, int) else None
        return row.tr(attribute, self.locale) if row is not None else str(key)

    def org(self, org_id: Any) -> str:
        return self._name(self.orgs, org_id)

    def pool(self, pool_id: Any) -> str:
        return self._name(self.pools, pool_id)

    def project(self, project_id: Any, lot_id: Any = None) -> str:
        title = self._name(self.projects, project_id, "title")
        lot = self.lots.get(lot_id) if isinstance(lot_id, int) else None
        if lot is not None:
            return f"{title} ({_l('Lot %(n)d', n=lot.seq)})"
        return title if lot_id is None else f"{title} ({lot_id})"

    def category(self, code: Any, fallback: Any = None) -> str:
        row = self.categories.get(code) if isinstance(code, str) else None
        if row is not None:
            return str(row.tr("name", self.locale))
        return str(fallback or code or "?")


def reason_text(code: str, params: Mapping[str, Any] | None = None, names: Names | None = None) -> str:
    """A reason code with its parameters as a sentence in the current language.

    A code the console does not know is shown as it is.
    """
    template = REASON_TEXTS.get(code)
    if template is None:
        return str(code)
    try:
        return str(template) % _values(code, dict(params or {}), names or Names())
    except (KeyError, TypeError, ValueError):
        return str(code)


def stored_reason_text(entry: Any, names: Names | None = None) -> str:
    """A stored reason: a ``{"code", "params"}`` dict, or the plain text of an older run."""
    if isinstance(entry, Mapping):
        return reason_text(str(entry.get("code", "")), entry.get("params") or {}, names)
    return str(entry)


def result_status_label(status: str | None) -> str:
    return str(RESULT_STATUS_LABELS.get(status or "", status or ""))


def _values(code: str, params: dict[str, Any], names: Names) -> dict[str, Any]:
    """What the sentence shows for each parameter: money in yuan, names for ids, labels for stages."""
    values: dict[str, Any] = {}
    for key, value in params.items():
        if key in _MONEY and isinstance(value, int | float) and not isinstance(value, bool):
            values[key] = money(round(value), whole=True)
        elif key in ("solver", "fallback"):
            values[key] = _SOLVER_NAMES.get(value, value)
        elif key == "stage":
            values[key] = str(STAGE_LABELS.get(value, value))
        elif key == "project_type":
            values[key] = _project_type(value)
        elif key == "share" and isinstance(value, int | float):
            values[key] = f"{float(value):.0%}"
        else:
            values[key] = value
    values["category"] = names.category(params.get("category"), params.get("category_name"))
    values["street"] = params.get("street_name", "?")
    values["org"] = names.org(params.get("provider_id"))
    values["pool"] = names.pool(params.get("pool_id"))
    values["project"] = names.project(params.get("project_id"), params.get("lot_id"))
    values["pools"] = "、".join(names.pool(p) for p in params.get("pool_ids") or ()) or \
        "、".join(str(p) for p in params.get("pools") or ())
    values["bids"] = ngettext("%(num)d bid", "%(num)d bids", int(params.get("bids") or 0))
    values["providers"] = ngettext("%(num)d eligible provider", "%(num)d eligible providers",
                                   int(params.get("count") or 0))
    values["requirements"] = _requirements(params)
    values["conflicts"] = " ".join(stored_reason_text(c, names) for c in params.get("conflicts") or ())
    if code == "not_matchable":
        values["status"] = _project_status(params.get("status"))
    return values


def _requirements(params: Mapping[str, Any]) -> str:
    """The thresholds of a ``requirements_not_met`` reason."""
    parts = []
    if params.get("min_rating_grade"):
        parts.append(str(_l("rating %(grade)dA or above", grade=int(params["min_rating_grade"]))))
    if params.get("min_years_registered"):
        parts.append(str(_l("registered %(years)s years or more", years=f"{params['min_years_registered']:g}")))
    if params.get("min_staff"):
        parts.append(str(_l("%(staff)d full-time staff or more", staff=int(params["min_staff"]))))
    if params.get("min_office_area_m2"):
        parts.append(str(_l("an office of %(area)s m² or more", area=f"{params['min_office_area_m2']:g}")))
    return ", ".join(parts) if parts else str(_l("none"))


def _project_type(value: Any) -> str:
    """The label of a project type (service, goods, works), lower-case in English."""
    try:
        return label_of(ProjectType(value)).lower()
    except ValueError:
        return str(value)


def _project_status(value: Any) -> str:
    try:
        return str(label_of(ProjectStatus(value)))
    except ValueError:
        return str(value)


def ids_named(entries: Iterable[Any]) -> dict[str, set[Any]]:
    """The provider, pool, project and lot ids that stored reasons name (nested ones included)."""
    found: dict[str, set[Any]] = {"provider_id": set(), "pool_id": set(), "project_id": set(), "lot_id": set()}
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        params = entry.get("params") or {}
        for key, ids in found.items():
            if params.get(key) is not None:
                ids.add(params[key])
        found["pool_id"].update(params.get("pool_ids") or ())
        for key, ids in ids_named(params.get("conflicts") or ()).items():
            found[key] |= ids
    return found
