"""Structured reasons: why a project is unmatched, why a constraint binds, what the run noticed.

The engine never builds sentences.  Every explanation in a result is a :class:`Reason`, a code
and JSON-ready parameters, e.g. ``Reason("pools_exhausted", {"needed": 30_000_000, "left":
12_000_000})``.  An application translates the code with its own catalogue;
:func:`render` is a plain English / Chinese renderer for notebooks and logs.

Parameters follow a few conventions: ids are the input's ids; money (``needed``, ``left``,
``coverable``, ``used``, ``remaining``, ``amount``, ``cap``, ``value``, ``reachable``,
``budget``, ``price``) is in fen; ``share`` is a fraction; ``lot_id`` is ``None`` for a whole
project; ``conflicts`` holds nested reasons as ``{"code", "params"}`` dicts.  In donation
matching ``matched``, ``full``, ``limit``, ``ideal`` and ``pool`` are money too.

Codes
-----
Why a project (lot) is unmatched (:attr:`matching.types.Unmatched.reason`):
    ``no_provider_for_category``, ``no_provider_supplies_type``, ``no_provider_in_area``, ``requirements_not_met``,
    ``no_valid_bid``, ``conflict_of_interest``, ``forbidden_by_decision``,
    ``providers_at_capacity``, ``provider_share_cap``, ``no_eligible_pool``, ``pools_exhausted``,
    ``co_funding_limit``, ``co_funding_share_rounds_to_zero``, ``not_selected``,
    ``infeasible_decisions``, ``no_solution``.
Why official decisions cannot all be met (``conflicts`` of ``infeasible_decisions``, and notes):
    ``pin_fails_filter``, ``pin_not_candidate``, ``pinned_pool_not_eligible``,
    ``pinned_project_not_viable``, ``two_pinned_providers``, ``pinned_over_capacity``,
    ``pinned_over_share_cap``, ``pinned_project_underfunded``, ``pins_exceed_limits``.
Constraints at their limit (:attr:`matching.types.MatchResult.binding`):
    ``pool_budget``, ``pool_project_cap``, ``provider_capacity``, ``provider_share``,
    ``pinned_provider``, ``pinned_pool``.
How the run went (:attr:`matching.types.MatchResult.notes`):
    ``solver_fallback``, ``lp_failed``, ``column_generation_stopped``, ``selection_mip_failed``,
    ``solution_rejected``, ``greedy_fallback``.
Which solution path ran (also in the notes, :data:`PATH_CODES`):
    ``flow_fast_path`` (a pure assignment solved as a min-cost flow, no solver).
Donation matching (:mod:`matching.funding`): per donation ``donation_matched``,
    ``donation_partly_matched``, ``donation_not_matched``; per project ``matched_in_full``,
    ``reached_limit``, ``cap_ran_out``, ``no_contributions``, ``single_contributor``,
    ``full_ideal``, ``share``; per run ``one_to_one_summary``, ``quadratic_scaled``,
    ``quadratic_shared``.

Examples
--------
>>> reason = Reason("pools_exhausted", {"needed": 30_000_000, "left": 12_000_000})
>>> render(reason)
'pools exhausted: needs 300,000, 120,000 left'
>>> render(reason, lang="zh")
'资金池余额不足：需要300,000元，剩余120,000元'
>>> reason.as_dict()
{'code': 'pools_exhausted', 'params': {'needed': 30000000, 'left': 12000000}}
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Reason", "Lang", "REASON_TEMPLATES", "render", "format_reason", "format_money",
           "UNMATCHED_CODES", "CONFLICT_CODES", "BINDING_CODES", "NOTE_CODES", "PATH_CODES", "DONATION_CODES",
           "ALLOCATION_CODES", "CAMPAIGN_CODES"]

Lang = Literal["en", "zh"]

#: ``code -> (English template, Chinese template)``.  Placeholders are parameters, or values
#: derived from them by :func:`render` (``lot``, ``requirements``, ``conflicts``).
REASON_TEMPLATES: dict[str, tuple[str, str]] = {
    # ---- why a project (lot) is unmatched
    "no_provider_for_category": (
        "no provider offers {category_name}",
        "暂无提供{category_name}的服务机构"),
    "no_provider_supplies_type": (
        "no provider of {category_name} supplies {project_type}",
        "暂无可提供{project_type}的{category_name}服务机构"),
    "no_provider_in_area": (
        "no eligible provider in {street_name} for {category_name}",
        "{street_name}暂无符合条件的{category_name}服务机构"),
    "requirements_not_met": (
        "no provider for {category_name} in {street_name} meets the requirements ({requirements})",
        "{street_name}的{category_name}服务机构均不满足资质要求（{requirements}）"),
    "no_valid_bid": (
        "no valid bid: {bids} bid(s), none from an eligible provider within the budget",
        "没有有效投标（{bids}份投标均不符合条件或超出预算）"),
    "conflict_of_interest": (
        "every eligible provider has a conflict of interest",
        "符合条件的服务机构均存在利益冲突"),
    "forbidden_by_decision": (
        "every eligible provider is excluded by an official decision",
        "符合条件的服务机构均已被正式决定排除"),
    "providers_at_capacity": (
        "all {count} eligible providers are fully booked",
        "{count}家符合条件的服务机构均已满负荷"),
    "provider_share_cap": (
        "eligible providers reached the fairness cap of {share} of the total value",
        "符合条件的服务机构已达到总金额{share}的公平上限"),
    "no_eligible_pool": (
        "no funding pool covers {category_name} in {street_name}",
        "没有资金池覆盖{street_name}的{category_name}项目"),
    "pools_exhausted": (
        "pools exhausted: needs {needed}, {left} left",
        "资金池余额不足：需要{needed}元，剩余{left}元"),
    "co_funding_limit": (
        "co-funding rules cover at most {coverable} of {needed}",
        "配资规则限制：最多可筹集{coverable}元，需要{needed}元"),
    "co_funding_share_rounds_to_zero": (
        "co-funding share rounds to 0 fen: {pools} can pay nothing towards {needed}",
        "配资比例折算不足1分：{pools}无法为{needed}元的项目出资"),
    "not_selected": (
        "not selected: funds and providers went to higher-scoring projects",
        "未入选：资金和服务机构已分配给综合得分更高的项目"),
    "infeasible_decisions": (
        "official decisions cannot all be met: {conflicts}",
        "正式决定无法同时满足：{conflicts}"),
    "no_solution": (
        "the solver found no solution within the time limit",
        "求解器在时限内未找到可行解"),
    # ---- why official decisions cannot all be met
    "pin_fails_filter": (
        "pinned provider {provider_id} for project {project_id}{lot} fails the {stage} filter",
        "项目{project_id}{lot}锁定的服务机构{provider_id}未通过{stage}筛选"),
    "pin_not_candidate": (
        "pinned provider {provider_id} for project {project_id}{lot} is not an eligible candidate",
        "项目{project_id}{lot}锁定的服务机构{provider_id}不是合格候选"),
    "pinned_pool_not_eligible": (
        "pinned pool {pool_id} is not eligible for project {project_id} (category, street or "
        "money left)",
        "锁定的资金池{pool_id}不能资助项目{project_id}（类别、街道或余额不符）"),
    "pinned_project_not_viable": (
        "pinned project {project_id} cannot go ahead (no eligible provider or pool)",
        "锁定的项目{project_id}无法实施（没有合格的服务机构或资金池）"),
    "two_pinned_providers": (
        "project {project_id}{lot} has two pinned providers",
        "项目{project_id}{lot}锁定了两家服务机构"),
    "pinned_over_capacity": (
        "provider {provider_id} is pinned to {count} projects but has capacity {capacity}",
        "服务机构{provider_id}被锁定承接{count}个项目，但只能再承接{capacity}个"),
    "pinned_over_share_cap": (
        "provider {provider_id} is pinned to more than the fairness cap",
        "服务机构{provider_id}锁定的项目超过公平上限"),
    "pinned_project_underfunded": (
        "pinned project {project_id} needs {needed} but its pools can give at most {reachable}",
        "锁定的项目{project_id}需要{needed}元，但其资金池最多只能提供{reachable}元"),
    "pins_exceed_limits": (
        "the pinned pairs together exceed pool budgets or provider capacity",
        "锁定的组合合计超出资金池余额或服务机构承接能力"),
    # ---- constraints at their limit
    "pool_budget": (
        "pool {pool_id} is used up: {used} of its {remaining} paid",
        "资金池{pool_id}已基本用完：{remaining}元中已分配{used}元"),
    "pool_project_cap": (
        "pool {pool_id} pays its maximum of {cap} for project {project_id}",
        "资金池{pool_id}为项目{project_id}出资已达上限{cap}元"),
    "provider_capacity": (
        "provider {provider_id} has no capacity left ({load} of {capacity} projects)",
        "服务机构{provider_id}已满负荷（{capacity}个中已承接{load}个）"),
    "provider_share": (
        "provider {provider_id} reached the fairness cap ({value} of at most {cap})",
        "服务机构{provider_id}已达公平上限（{value}元，上限{cap}元）"),
    "pinned_provider": (
        "kept by an official decision: provider {provider_id} for project {project_id}{lot}",
        "正式决定保留：项目{project_id}{lot}由服务机构{provider_id}承接"),
    "pinned_pool": (
        "kept by an official decision: pool {pool_id} for project {project_id}",
        "正式决定保留：资金池{pool_id}资助项目{project_id}"),
    # ---- how the run went
    "solver_fallback": (
        "{solver} is not available: used {fallback}",
        "{solver}不可用：改用{fallback}"),
    "lp_failed": (
        "the LP relaxation ended without a solution ({status})",
        "线性松弛未得到解（{status}）"),
    "column_generation_stopped": (
        "column generation stopped: the master LP ended {status}",
        "列生成中止：主问题结果为{status}"),
    "selection_mip_failed": (
        "the selection MIP ended without a solution ({status})",
        "项目选择MIP未得到解（{status}）"),
    "solution_rejected": (
        "the {stage} solution failed verification ({violation}) and was discarded",
        "{stage}得到的解未通过校验（{violation}），已舍弃"),
    "greedy_fallback": (
        "used the greedy fallback solution",
        "采用了贪心备用解"),
    "flow_fast_path": (
        "solved exactly as an assignment (min-cost flow), without a MIP solver",
        "按指派问题（最小费用流）精确求解，未调用MIP求解器"),
    # ---- donation matching (matching.funding)
    "donation_matched": (
        "matched",
        "已配捐"),
    "donation_partly_matched": (
        "partly matched: {ran_out}",
        "部分配捐：{ran_out}"),
    "donation_not_matched": (
        "not matched: {ran_out}",
        "未配捐：{ran_out}"),
    "matched_in_full": (
        "all {gifts} gift(s) matched in full",
        "{gifts}笔捐赠全部获得配捐"),
    "reached_limit": (
        "reached its limit of {limit}",
        "已达到上限{limit}元"),
    "cap_ran_out": (
        "{matched} of {full} matched before the cap or a donor limit ran out",
        "配捐总额或捐赠人上限用完前，{full}元中获得配捐{matched}元"),
    "no_contributions": (
        "no contributions",
        "没有捐赠"),
    "single_contributor": (
        "a single contributor attracts no quadratic match",
        "只有一位捐赠人，不产生二次方配捐"),
    "full_ideal": (
        "paid its full ideal match",
        "获得全部理想配捐"),
    "share": (
        "{fraction:.1%} of the ideal matches of all projects",
        "占全部项目理想配捐的{fraction:.1%}"),
    "one_to_one_summary": (
        "{donations} donation(s) matched {ratio} in the order given, first come first matched: "
        "{matched} of the {cap} cap paid, {left} left.",
        "{donations}笔捐赠按{ratio}比例先到先配：配捐上限{cap}元中已支付{matched}元，剩余{left}元。"),
    "quadratic_scaled": (
        "Quadratic funding over {projects} project(s): ideal matches of {ideal} scaled to the "
        "{pool} pool (×{scale:.4f}); {matched} matched, {left} left in the pool.",
        "{projects}个项目二次方配捐：理想配捐{ideal}元按{pool}元资金池缩放（×{scale:.4f}）；"
        "已配捐{matched}元，资金池剩余{left}元。"),
    "quadratic_shared": (
        "Quadratic funding over {projects} project(s): ideal matches of {ideal} shared to the "
        "{pool} pool (×{scale:.4f}); {matched} matched, {left} left in the pool.",
        "{projects}个项目二次方配捐：理想配捐{ideal}元，{pool}元资金池（×{scale:.4f}）；"
        "已配捐{matched}元，资金池剩余{left}元。"),
}

#: Codes by what they explain.
UNMATCHED_CODES = frozenset({
    "no_provider_for_category", "no_provider_supplies_type", "no_provider_in_area",
    "requirements_not_met", "no_valid_bid", "conflict_of_interest", "forbidden_by_decision", "providers_at_capacity", "provider_share_cap",
    "no_eligible_pool", "pools_exhausted", "co_funding_limit", "co_funding_share_rounds_to_zero",
    "not_selected", "infeasible_decisions", "no_solution"})
CONFLICT_CODES = frozenset({
    "pin_fails_filter", "pin_not_candidate", "pinned_pool_not_eligible", "pinned_project_not_viable",
    "two_pinned_providers", "pinned_over_capacity", "pinned_over_share_cap",
    "pinned_project_underfunded", "pins_exceed_limits"})
BINDING_CODES = frozenset({"pool_budget", "pool_project_cap", "provider_capacity", "provider_share",
                           "pinned_provider", "pinned_pool"})
NOTE_CODES = frozenset({"solver_fallback", "lp_failed", "column_generation_stopped",
                        "selection_mip_failed", "solution_rejected", "greedy_fallback"})
PATH_CODES = frozenset({"flow_fast_path"})
DONATION_CODES = frozenset({"donation_matched", "donation_partly_matched", "donation_not_matched"})
ALLOCATION_CODES = frozenset({"matched_in_full", "reached_limit", "cap_ran_out", "no_contributions",
                              "single_contributor", "full_ideal", "share"})
CAMPAIGN_CODES = frozenset({"one_to_one_summary", "quadratic_scaled", "quadratic_shared"})

#: Parameters that hold money in fen (shown in yuan).
MONEY_PARAMS = frozenset({"needed", "left", "coverable", "budget", "price", "used", "remaining",
                          "amount", "cap", "value", "reachable", "matched", "full", "limit", "ideal",
                          "pool"})

_STAGES: dict[str, tuple[str, str]] = {
    "category": ("category", "服务类别"), "supplies": ("supplies", "供应类型"),
    "capacity": ("capacity", "承接能力"),
    "area": ("area", "服务区域"), "requirements": ("requirements", "资质要求"),
    "bids": ("bids", "投标"), "conflicts": ("conflicts", "利益冲突"),
    "decisions": ("decisions", "正式决定"),
    "lp_rounding": ("LP rounding", "线性松弛取整"), "selection_mip": ("selection MIP", "项目选择MIP"),
}
_SOLVERS = {"cbc": "CBC", "highs": "HiGHS"}
#: What a project buys (``project_type``).
_PROJECT_TYPES: dict[str, tuple[str, str]] = {
    "service": ("services", "服务"), "goods": ("goods", "货物"), "works": ("works", "工程")}
#: What stopped a donation's match (``ran_out`` of the donation reasons).
_RAN_OUT: dict[str, tuple[str, str]] = {
    "cap": ("the cap ran out", "配捐总额已用完"),
    "donor_limit": ("the donor's match limit was reached", "已达到该捐赠人的配捐上限"),
    "project_limit": ("the project's match limit was reached", "已达到该项目的配捐上限"),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """A reason code with its parameters (JSON-ready values; treat ``params`` as read-only).

    >>> Reason("not_selected").params
    {}
    >>> Reason("no_such_reason")
    Traceback (most recent call last):
    ...
    ValueError: Reason.code: unknown reason code 'no_such_reason'
    """

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in REASON_TEMPLATES:
            raise ValueError(f"Reason.code: unknown reason code {self.code!r}")
        object.__setattr__(self, "params", dict(self.params))

    def as_dict(self) -> dict[str, Any]:
        """``{"code": ..., "params": {...}}``, e.g. to store as JSON."""
        return {"code": self.code, "params": dict(self.params)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Reason:
        """The reason of an :meth:`as_dict` dict.

        >>> Reason.from_dict({"code": "no_valid_bid", "params": {"bids": 2}}).params["bids"]
        2
        """
        return cls(str(data["code"]), dict(data.get("params") or {}))


def format_money(fen: int) -> str:
    """Format an amount in fen as yuan with thousands separators.

    >>> format_money(30_000_000)
    '300,000'
    >>> format_money(12_345)
    '123.45'
    """
    fen = int(fen)
    sign = "-" if fen < 0 else ""
    yuan, cents = divmod(abs(fen), 100)
    return f"{sign}{yuan:,}" if cents == 0 else f"{sign}{yuan:,}.{cents:02d}"


def render(reason: Reason | Mapping[str, Any], lang: Lang = "en") -> str:
    """A reason in plain English (``lang="en"``) or Chinese (``lang="zh"``).

    Money is shown in yuan, ``share`` as a percentage, lists joined, nested ``conflicts``
    rendered one after the other; a placeholder without its parameter shows "?".

    >>> render(Reason("no_provider_in_area", {"street_name": "福田街道", "category_name": "养老服务"}))
    'no eligible provider in 福田街道 for 养老服务'
    >>> render({"code": "requirements_not_met", "params": {"category_name": "养老服务",
    ...         "street_name": "福田街道", "min_rating_grade": 4}}, lang="zh")
    '福田街道的养老服务服务机构均不满足资质要求（等级不低于4A）'
    """
    if not isinstance(reason, Reason):
        reason = Reason.from_dict(reason)
    template = REASON_TEMPLATES[reason.code][0 if lang == "en" else 1]
    return template.format_map(_Default(_shown(reason.params, lang)))


def format_reason(code: str, params: Mapping[str, Any], lang: Lang = "en") -> str:
    """:func:`render` of ``Reason(code, params)``.

    >>> format_reason("co_funding_share_rounds_to_zero", {"pools": ["甲基金", "乙基金"], "needed": 5},
    ...               lang="zh")
    '配资比例折算不足1分：甲基金、乙基金无法为0.05元的项目出资'
    """
    if code not in REASON_TEMPLATES:
        raise ValueError(f"code: unknown reason code {code!r}")
    return render(Reason(code, dict(params)), lang)


class _Default(dict[str, Any]):
    def __missing__(self, key: str) -> str:  # a template field the caller did not give
        return "?"


def _shown(params: Mapping[str, Any], lang: Lang) -> dict[str, Any]:
    """Parameters as they appear in a sentence, with the derived placeholders added."""
    shown = {key: _show_value(key, value, lang) for key, value in params.items()}
    lot_id = params.get("lot_id")
    shown["lot"] = "" if lot_id is None else (f" lot {lot_id}" if lang == "en" else f"（标段{lot_id}）")
    shown["requirements"] = _requirements_text(params, lang)
    conflicts = params.get("conflicts") or ()
    shown["conflicts"] = ("; " if lang == "en" else "；").join(render(c, lang) for c in conflicts)
    return shown


def _show_value(key: str, value: Any, lang: Lang) -> Any:
    if key in MONEY_PARAMS and isinstance(value, numbers.Real) and not isinstance(value, bool):
        return format_money(int(value) if isinstance(value, numbers.Integral) else round(float(value)))
    if key == "share" and isinstance(value, numbers.Real):
        return f"{float(value):.0%}"
    if key == "stage" and value in _STAGES:
        return _STAGES[value][0 if lang == "en" else 1]
    if key == "project_type" and value in _PROJECT_TYPES:
        return _PROJECT_TYPES[value][0 if lang == "en" else 1]
    if key == "ran_out" and value in _RAN_OUT:
        return _RAN_OUT[value][0 if lang == "en" else 1]
    if key in ("solver", "fallback") and value in _SOLVERS:
        return _SOLVERS[value]
    if isinstance(value, (list, tuple)):
        return ("、" if lang == "zh" else ", ").join(str(v) for v in value)
    return value


def _requirements_text(params: Mapping[str, Any], lang: Lang) -> str:
    """The non-trivial thresholds of a ``requirements_not_met`` reason."""
    en = lang == "en"
    parts = []
    if params.get("min_rating_grade"):
        grade = params["min_rating_grade"]
        parts.append(f"rating >= {grade}A" if en else f"等级不低于{grade}A")
    if params.get("min_years_registered"):
        years = f"{params['min_years_registered']:g}"
        parts.append(f"registered >= {years} years" if en else f"成立不少于{years}年")
    if params.get("min_staff"):
        staff = params["min_staff"]
        parts.append(f"staff >= {staff}" if en else f"专职人员不少于{staff}人")
    if params.get("min_office_area_m2"):
        area = f"{params['min_office_area_m2']:g}"
        parts.append(f"office >= {area} m2" if en else f"办公面积不少于{area}平方米")
    if not parts:
        return "none" if en else "无"
    return ", ".join(parts) if en else "、".join(parts)
