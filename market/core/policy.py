"""Who may do what, and where: the one answer to "may this user do this action on this object".

Every action has a :class:`Rule` in :data:`RULES`: the relations between a user and an object
that grant it (any one suffices). Objects say where they stand through ``policy_scope()``, which
returns a :class:`Scope` (the street they belong to, the organisation and person that own them,
...), so this module needs no domain model:

* ``governs``: an official of the object's street; a district-wide official governs the streets of
  their own district and the objects that belong to their district but to no street; administrators
  (city level) govern everything. An object with neither street nor district governs nobody but
  administrators. ``governs_other``: the same, but never over the official's own organisation;
* ``district``: a district-wide official (on objects of their own district, or on no object) or an
  administrator;
* ``member``: a member of the organisation that owns the object (a pool's funder, a bid's bidder);
* ``owner``: the person who owns the object (a proposal's author, an order's payer);
* ``funding_body``: an official who works for the organisation that owns the object (a
  government pool's department), confirming money its colleagues announced;
* ``resident``: a verified resident of the object's community (or street);
* ``responsible``: the official responsible for the object (a micro-project's owner, the official who
  added a vocabulary word);
* ``public``: anyone, once the object is published;
* role relations (``official``, ``admin``, ``provider``, ``funder``, ``resident_role``, ``user``)
  for actions on no particular object.

Routes declare their action with :func:`market.ui.guard.guard` (the authorisation matrix test is
generated from those declarations and this table); services call :func:`require` again, so no
caller can skip the check.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from market.core.errors import PermissionDenied

OFFICIAL, ADMIN, RESIDENT, PROVIDER, FUNDER = "official", "admin", "resident", "provider", "funder"


@dataclass(frozen=True)
class Scope:
    """Where an object stands, for deciding who may act on it."""

    street_id: int | None = None  # None: the district's (``district_id``)
    # The district it belongs to. Left None for an object in a street, it is the street's district
    # (see :func:`_in_district`); objects without a street name theirs.
    district_id: int | None = None
    community_id: int | None = None
    org_id: int | None = None  # the organisation that owns it
    user_id: int | None = None  # the person who owns it
    public: bool = False  # published: anyone may see it
    requested_by_id: int | None = None  # who asked for it (the four-eyes rule: another person confirms)
    city: bool = False  # the whole city's (an administrator's): no district's officials act on it as theirs


NOWHERE = Scope()


def _authenticated(user: Any) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and not getattr(user, "is_disabled", False)


def _role(user: Any) -> str:
    return str(getattr(user, "role", ""))


def _in_district(user: Any, scope: Scope) -> bool:
    """Whether the object stands in the user's district: named by the scope, or through its street (the
    user knows the streets of their district: ``district_street_ids``)."""
    district = getattr(user, "district_id", None)
    if district is None:
        return False
    if scope.street_id is not None:  # the street decides (a scope naming another district too is refused)
        return scope.street_id in getattr(user, "district_street_ids", ()) and scope.district_id in (None, district)
    return scope.district_id is not None and bool(scope.district_id == district)


def _governs(user: Any, scope: Scope) -> bool:
    if _role(user) == ADMIN:
        return True
    if _role(user) != OFFICIAL:
        return False
    if user.street_id is not None:
        return scope.street_id is not None and scope.street_id == user.street_id
    return _in_district(user, scope)


def _governs_other(user: Any, scope: Scope) -> bool:
    """Governs, and is not one of the object's own members (nobody verifies their own organisation)."""
    return _governs(user, scope) and not (scope.org_id is not None and user.organization_id == scope.org_id)


def _district(user: Any, scope: Scope) -> bool:
    """An administrator, or a district-wide official: on no object or on one of their own district. An object
    that names no district (an organisation's, the whole city's project's donations, a city word) is the
    administrators' (no district may claim it)."""
    if _role(user) == ADMIN:
        return True
    if _role(user) != OFFICIAL or user.street_id is not None or getattr(user, "district_id", None) is None:
        return False
    return scope == NOWHERE or _in_district(user, scope)


def _member(user: Any, scope: Scope) -> bool:
    return (_role(user) in (PROVIDER, FUNDER, OFFICIAL) and scope.org_id is not None
            and getattr(user, "organization_id", None) == scope.org_id)


def _owner(user: Any, scope: Scope) -> bool:
    return scope.user_id is not None and user.id == scope.user_id


def _funding_body(user: Any, scope: Scope) -> bool:
    return (_role(user) == OFFICIAL and scope.org_id is not None and user.organization_id == scope.org_id
            and user.id != scope.requested_by_id)


def _resident(user: Any, scope: Scope) -> bool:
    if _role(user) != RESIDENT or getattr(user, "verified_at", None) is None or user.community_id is None:
        return False
    if scope.community_id is not None:
        return user.community_id == scope.community_id
    street = getattr(getattr(user, "community", None), "street_id", None)
    return scope.street_id is not None and street == scope.street_id


def _responsible(user: Any, scope: Scope) -> bool:
    return _role(user) == ADMIN or (_role(user) == OFFICIAL and scope.user_id == user.id)


RELATIONS: dict[str, Callable[[Any, Scope], bool]] = {
    "governs": _governs,
    "governs_other": _governs_other,
    "district": _district,
    "member": _member,
    "owner": _owner,
    "funding_body": _funding_body,
    "resident": _resident,
    "responsible": _responsible,
    "public": lambda user, scope: scope.public,
    "official": lambda user, scope: _role(user) in (OFFICIAL, ADMIN),
    "admin": lambda user, scope: _role(user) == ADMIN,
    "provider": lambda user, scope: _role(user) == PROVIDER,
    "funder": lambda user, scope: _role(user) == FUNDER,
    "resident_role": lambda user, scope: _role(user) == RESIDENT,
    "user": lambda user, scope: True,
}
# Relations that anonymous visitors can have.
ANONYMOUS = frozenset({"public"})
# Relations only officials (or administrators) can have.
OFFICIAL_ONLY = frozenset({"governs", "governs_other", "district", "funding_body", "responsible", "official", "admin"})


@dataclass(frozen=True)
class Rule:
    """Who may take an action: any one of ``relations``; ``message`` says why others may not."""

    relations: tuple[str, ...]
    message: Any

    def __post_init__(self) -> None:
        unknown = set(self.relations) - set(RELATIONS)
        if unknown:
            raise ValueError(f"unknown relations {sorted(unknown)}")

    @property
    def officials_only(self) -> bool:
        return set(self.relations) <= OFFICIAL_ONLY

    @property
    def jurisdictional(self) -> bool:
        """An official of another street is refused (the rule grants officials only where they govern)."""
        return bool({"governs", "governs_other"} & set(self.relations)) and not set(self.relations) & {
            "official", "user", "public"}


def _rule(*relations: str, message: Any) -> Rule:
    return Rule(relations, message)


_OFFICIALS_OF_STREET = _l("Only officials responsible for this street can do that.")
_MEMBERS = _l("Only the organisation's members can do that.")

#: Every action of the marketplace and who may take it.
RULES: dict[str, Rule] = {
    # ---- accounts
    "account.view_own": _rule("user", message=_l("Log in first.")),
    "account.admin": _rule("admin", message=_l("Only administrators can manage accounts.")),
    "resident.review": _rule("official", message=_l("Only officials verify residents.")),
    "resident.verify": _rule("governs", message=_l("Only an official of this community's street can verify its "
                                                   "residents.")),
    # ---- organisations
    "organization.create": _rule("provider", "funder", "official", message=_l("Your account cannot create an "
                                                                              "organisation.")),
    # A profile is its organisation's own statement: its members write it, officials check it.
    "organization.edit": _rule("member", message=_MEMBERS),
    "organization.review": _rule("official", message=_l("Only officials verify organisations.")),
    "organization.verify": _rule("governs_other", message=_l("Only officials of the street where the organisation "
                                                             "is based, and not its own members, can verify it.")),
    # Where its payouts go is the organisation's own business: nobody else, administrators included.
    "organization.payment_settings": _rule("member", message=_MEMBERS),
    # ---- projects
    "project.view": _rule("public", "owner", "member", "governs", message=_l("Not found.")),
    "project.create": _rule("official", "provider", message=_l("Only officials and providers create projects.")),
    "project.edit": _rule("governs", "owner", "member", message=_l("You cannot edit this project.")),
    # ---- funding pools and the money in them
    "pool.create": _rule("funder", "official", message=_l("Only members of a funding organisation can open a "
                                                          "pool.")),
    # A funder's money is its own: administrators run accounts, they do not spend pools.
    "pool.manage": _rule("member", message=_l("Only the pool's funder can do that.")),
    "payment.view": _rule("owner", "member", "governs", message=_l("Not found.")),
    "payment.confirm": _rule("governs", message=_l("Only officials responsible for where this money goes can "
                                                   "confirm it.")),
    "appropriation.confirm": _rule("funding_body", message=_l("Only another official of the funding body can "
                                                              "confirm its appropriation.")),
    "payment.refund": _rule("district", message=_l("Only the district finance office refunds payments.")),
    "finance.review": _rule("official", message=_l("Only officials of the finance office can do this.")),
    "payout.confirm": _rule("governs", message=_l("Only officials responsible for this project can confirm its "
                                                  "payouts.")),
    "donation.make": _rule("user", message=_l("Log in to donate.")),
    "pledge.make": _rule("member", message=_l("Only the pool's funder can pledge from it.")),
    "pledge.settle": _rule("member", message=_l("Only the pool's funder can release or withdraw this pledge.")),
    "campaign.manage": _rule("member", message=_l("Only the campaign's funder can do that.")),
    "campaign.close": _rule("member", "district", message=_l("Only the campaign's funder or a district official can "
                                                             "close it.")),
    # ---- tenders and bids
    "tender.publish": _rule("governs", message=_OFFICIALS_OF_STREET),
    "bid.submit": _rule("provider", message=_l("Only members of a provider organisation can bid.")),
    "bid.manage": _rule("member", message=_l("Not found.")),
    "bid.view": _rule("member", "governs", message=_l("Not found.")),
    "bids.open": _rule("governs", message=_l("Only officials responsible for this project's area can open its "
                                             "bids.")),
    "bids.review": _rule("official", message=_l("Only officials open bids.")),
    # ---- evaluation: the expert pool, panels, the candidate notice and complaints about it
    "experts.manage": _rule("district", message=_l("Only district officials manage the expert pool.")),
    "evaluation.manage": _rule("governs", message=_OFFICIALS_OF_STREET),
    "complaint.file": _rule("provider", message=_l("Only members of an organisation that bid can file a "
                                                   "complaint.")),
    "complaint.answer": _rule("governs", message=_l("Only officials responsible for this project's street can "
                                                    "answer complaints.")),
    "clarification.ask": _rule("provider", message=_l("Only members of a provider organisation ask questions "
                                                      "about a tender.")),
    # A question stays with the organisation that asked it and the project's officials until answered.
    "clarification.view": _rule("public", "member", "governs", message=_l("Not found.")),
    "clarification.answer": _rule("governs", message=_l("Only officials responsible for this project's area "
                                                        "answer its questions.")),
    "tender_document.download": _rule("public", "governs", message=_l("Not found.")),
    "procurement.settings": _rule("district", message=_l("Only district officials and administrators change "
                                                         "the procurement settings.")),
    # ---- the matching console, awards, contracts
    "console.use": _rule("official", message=_l("Only officials use the matching console.")),
    "run.view": _rule("governs", message=_l("This run was made for another street.")),
    "match.decide": _rule("governs", message=_l("You cannot decide on another street's project.")),
    # Each district keeps its own words for the sector vocabulary (administrators' words serve the whole city):
    # any official adds one to their district's; a word is withdrawn by the official who added it, by a
    # district-wide official of its district, or by an administrator.
    "vocabulary.view": _rule("official", message=_l("Only officials see the matching vocabulary.")),
    "vocabulary.add": _rule("official", message=_l("Only officials add words to the matching vocabulary.")),
    "vocabulary.withdraw": _rule("responsible", "district", message=_l(
        "Only the official who added this word, an official of its district or an administrator can withdraw it.")),
    "award.object": _rule("user", message=_l("Log in to file an objection.")),
    "award.answer": _rule("governs", message=_l("You cannot answer objections on another street's project.")),
    "contract.manage": _rule("governs", message=_l("You cannot manage another street's contracts.")),
    "contract.report": _rule("member", message=_l("Only the contracted provider reports its milestones.")),
    # The report itself: the street's officials and the provider; its conclusion and summary are public.
    "evaluation.download": _rule("governs", "member", message=_l("Only the street's officials and the provider can "
                                                                 "read the evaluation report.")),
    # ---- resident micro-projects
    "round.create": _rule("official", message=_l("Only officials open rounds.")),
    "round.manage": _rule("governs", message=_l("Only officials of this round's street can do that.")),
    "round.take_part": _rule("resident", message=_l("Only verified residents of this round's area can do that.")),
    "proposal.view": _rule("public", "owner", "governs", message=_l("Not found.")),
    "proposal.edit": _rule("owner", message=_l("Only the author can edit this proposal.")),
    "proposal.support": _rule("resident", message=_l("Only verified residents of this round's area can support "
                                                     "proposals.")),
    "proposal.review": _rule("governs", message=_l("Only officials of this round's street can review proposals.")),
    "proposal.discuss": _rule("resident", "governs", message=_l("Only residents of this round's area and its "
                                                                "officials can comment.")),
    "panel.score": _rule("user", message=_l("Only members of this round's expert panel can score.")),
    "micro.replay": _rule("official", message=_l("Only officials replay elections.")),
    "micro_project.take_part": _rule("resident", "governs", "member", message=_l(
        "Only residents of this community, its officials and the provider can do that.")),
    "micro_project.report": _rule("member", "responsible", message=_l("Only the engaged provider and the "
                                                                      "responsible official post updates.")),
    "micro_project.flag": _rule("resident", message=_l("Only verified residents of this community can report "
                                                       "problems.")),
    "micro_project.answer": _rule("responsible", message=_l("Only the official responsible for this project can do "
                                                            "that.")),
    "micro_project.rate": _rule("resident", message=_l("Only verified residents of this community can rate the "
                                                       "project.")),
    "photo.delete": _rule("owner", "governs", message=_l("Not found.")),
    # ---- statistics for decisions
    "stats.view": _rule("official", message=_l("Only officials see the statistics for decisions.")),
    "stats.street": _rule("governs", message=_l("Officials of a street see the statistics of their own street "
                                                "only.")),
    # Routed proposals and flags: the office they were routed to (its street's officials, or the department's
    # members) and the district above it.
    "routing.queue": _rule("official", message=_l("Only officials have a queue of residents' matters.")),
    "routing.handle": _rule("governs", "member", message=_l("This matter was routed to another office.")),
    "routing.configure": _rule("district", message=_l("Only district officials decide which department answers "
                                                      "which category.")),
    # ---- the record
    "audit.read": _rule("official", message=_l("Only officials read the audit trail.")),
    "notifications.read": _rule("user", message=_l("Log in first.")),
    "notification.open": _rule("owner", message=_l("Not found.")),
    "notifications.preferences": _rule("user", message=_l("Log in first.")),
    # Messages that could not be delivered name their recipients: the district's officials handle them.
    "notifications.dead_letters": _rule("district", message=_l("Only district officials handle undelivered "
                                                                "messages.")),
}


def rule(action: str) -> Rule:
    try:
        return RULES[action]
    except KeyError:
        raise KeyError(f"no policy for action {action!r}") from None


def scope_of(obj: Any) -> Scope:
    if obj is None:
        return NOWHERE
    if isinstance(obj, Scope):
        return obj
    return obj.policy_scope()


def granting(user: Any, action: str, obj: Any = None) -> str | None:
    """The first relation that lets ``user`` take ``action`` on ``obj``, or None."""
    the_rule = rule(action)
    scope = scope_of(obj)
    if not _authenticated(user):
        return next((r for r in the_rule.relations if r in ANONYMOUS and RELATIONS[r](user, scope)), None)
    return next((r for r in the_rule.relations if RELATIONS[r](user, scope)), None)


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Whether ``user`` (None or anonymous allowed) may take ``action`` on ``obj``."""
    return granting(user, action, obj) is not None


def require(user: Any, action: str, obj: Any = None) -> None:
    """Raise :class:`PermissionDenied` (with the rule's message) unless ``user`` may."""
    if not can(user, action, obj):
        raise PermissionDenied(rule(action).message, code="forbidden")


def governs_street(user: Any, street_id: int | None, district_id: int | None = None) -> bool:
    """Whether ``user`` governs ``street_id`` (None: the district ``district_id``'s), for filtering lists."""
    return _authenticated(user) and _governs(user, Scope(street_id=street_id, district_id=district_id))


def street_filter(user: Any) -> int | None:
    """The one street a street official's lists are limited to; None for district-wide officials."""
    return user.street_id if _role(user) == OFFICIAL else None


#: A district id no district has: lists of an official who belongs to no district show nothing.
NO_DISTRICT = -1


def district_filter(user: Any) -> int | None:
    """The district an official's lists are limited to (street officials too: their street is in it);
    None for administrators, who see the whole city. An official without a district sees nothing."""
    if _role(user) != OFFICIAL:
        return None
    district = getattr(user, "district_id", None)
    return NO_DISTRICT if district is None else int(district)


_ROLE_RELATIONS = {OFFICIAL: ("official", "governs", "governs_other", "district", "funding_body", "responsible"),
                   PROVIDER: ("provider", "member"), FUNDER: ("funder", "member"), RESIDENT: ("resident_role", "resident",
                                                                                              "owner")}


def _name(thing: Any) -> str:
    """A street's or community's name in the reader's language (Chinese outside a request)."""
    if thing is None:
        return ""
    locale = str(get_locale() or "zh")
    return str(thing.tr("name", locale) if hasattr(thing, "tr") else getattr(thing, "name", "") or "")


def advice(user: Any, action: str, obj: Any = None) -> Any:
    """What a refused user can do about it, in words (None when there is nothing to say beyond the rule's
    message): wait for verification, ask the street office that is responsible, log in with another account."""
    the_rule = rule(action)
    relations = set(the_rule.relations)
    if not _authenticated(user):
        return _l("Log in to continue.")
    role = _role(user)
    scope = scope_of(obj)
    if "resident" in relations and role == RESIDENT:
        community = getattr(user, "community", None)
        if getattr(user, "verified_at", None) is None:
            street = _name(getattr(community, "street", None))
            if street:
                return _l("Your account awaits verification by %(street)s. You can take part once an official there "
                          "has checked your address.", street=street)
            return _l("Your account awaits verification by your street office.")
        if community is not None and (scope.community_id is not None or scope.street_id is not None):
            return _l("This is for the residents of another area; you are registered in %(community)s.",
                      community=_name(community))
    if role == OFFICIAL and relations & {"governs", "governs_other"} and not _governs(user, scope):
        return _l("This belongs to another street or district. Its own street office handles it; the officials "
                  "of its district can help too.")
    if not relations & set(_ROLE_RELATIONS.get(role, ())) and not relations & {"user", "public", "owner"}:
        return _l("Your account's role cannot do this. Log in with an account of the right kind, or ask an "
                  "official for help.")
    return None
