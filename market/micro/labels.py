"""Words for the micro-project pages: published criteria, rule descriptions and the engine's
explanations said in the reader's language."""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from market.core.money import money

EXPERT_CRITERIA_LABELS: dict[str, tuple[Any, Any]] = {
    "need": (_l("Need"), _l("How many residents need it, and how badly.")),
    "feasibility": (_l("Feasibility"), _l("Can it be delivered as proposed, on this site, within a year?")),
    "value_for_money": (_l("Value for money"), _l("Is the official cost estimate reasonable for what residents get?")),
    "reach": (_l("Benefit reach"), _l("How many residents, and which groups, benefit.")),
}

RATING_CRITERIA_LABELS: dict[str, tuple[Any, Any]] = {
    "quality": (_l("Quality"), _l("Is the result good and safe to use?")),
    "timeliness": (_l("On time"), _l("Was it delivered when promised?")),
    "communication": (_l("Communication"), _l("Did the provider keep residents informed and listen to them?")),
    "value_for_money": (_l("Value for money"), _l("Was it worth what it cost?")),
}

RULE_DESCRIPTIONS: dict[str, Any] = {
    "greedy": _l("Greedy by votes: projects are funded in order of votes while they fit in the budget left "
                 "(the traditional rule)."),
    "mes-add1-greedy": _l("Method of Equal Shares: every voter gets an equal share of the budget and projects are "
                          "funded by their supporters' shares, so that every group of residents gets its fair part; "
                          "money left over goes to the most-voted projects that still fit (recommended)."),
    "mes": _l("Method of Equal Shares without completion: fair to every group of residents, but may leave part of "
              "the budget unspent."),
    "max-welfare": _l("Maximum welfare: the combination of projects with the largest total of votes × cost that fits "
                      "the budget."),
}

REASON_TEXTS: dict[str, Any] = {
    "greedy_selected": _l("Selected: %(votes)s (place %(position)d by votes); its cost %(cost)s fitted in the budget "
                          "left %(left)s."),
    "greedy_budget": _l("Not selected: %(votes)s (place %(position)d by votes), but the budget left %(left)s < cost "
                        "%(cost)s."),
    "completion_selected": _l("Then selected when the money left over was given by votes: %(votes)s; its cost "
                              "%(cost)s fitted in the budget left %(left)s."),
    "completion_budget": _l("When the money left over was given by votes (%(votes)s), the budget left %(left)s < "
                            "cost %(cost)s."),
    "free_selected": _l("Selected first: it costs nothing and has supporters."),
    "mes_selected": _l("Selected in round %(round)d: its %(supporters)s paid %(payment)s each from their equal "
                       "shares."),
    "mes_selected_partial": _l("Selected in round %(round)d with %(supporters)s: %(full)d paid %(payment)s each and "
                               "%(partial)d paid all they had left (%(partial_total)s together)."),
    "no_support": _l("Not selected: no voter supported it."),
    "free_not_selected": _l("Not selected: it costs nothing, so there was nothing to share."),
    "mes_short": _l("Not selected: from the start its %(supporters)s had only %(left)s of their equal shares < cost "
                    "%(cost)s."),
    "mes_short_after": _l("Not selected: after round %(round)d its %(supporters)s had only %(left)s of their equal "
                          "shares left < cost %(cost)s."),
    "no_payers": _l("Not selected: none of its supporters had money left."),
    "welfare_selected": _l("Selected: %(votes)s; part of the combination with the most support that fits the "
                           "budget."),
    "welfare_not_selected": _l("Not selected: %(votes)s; the combination with the most support that fits the budget "
                               "does better without it."),
    "over_budget": _l("Not selected: its cost %(cost)s is more than the whole budget %(budget)s."),
}


def _values(params: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key, value in params.items():
        if key.endswith("_cents"):
            values[key[:-len("_cents")]] = money(value)
        elif key == "votes":
            values[key] = ngettext("%(num)d vote", "%(num)d votes", value)
        elif key == "supporters":
            values[key] = ngettext("%(num)d supporter", "%(num)d supporters", value)
        else:
            values[key] = value
    return values


def reason_text(items: list[dict[str, Any]] | None) -> str:
    """The structured reasons of a result row, as sentences in the current language."""
    sentences = []
    for item in items or ():
        code, params = item.get("code", ""), dict(item.get("params") or {})
        if code == "mes_short" and "round" in params:
            code = "mes_short_after"
        template = REASON_TEXTS.get(code)
        if template is None:
            sentences.append(str(params.get("text", code)))
            continue
        try:
            sentences.append(str(template) % _values(params))
        except (KeyError, TypeError, ValueError):
            sentences.append(str(params.get("text", code)))
    return " ".join(sentences)
