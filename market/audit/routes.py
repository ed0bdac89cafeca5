from __future__ import annotations

from flask import Blueprint, render_template, request, url_for
from flask_babel import get_timezone
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from market.audit import presenting, services
from market.audit.labels import ACTION_LABELS, OBJECT_TYPE_LABELS
from market.core import policy
from market.core.audit import AuditEvent, ChainReport, verify_chain
from market.core.db import utcnow
from market.core.enums import label_of
from market.core.errors import ValidationFailed
from market.ui.export import table_response
from market.ui.guard import guard
from market.ui.listing import ListingArgs, run_listing

bp = Blueprint("audit", __name__, url_prefix="/audit")

PROBLEMS = {
    "gap": _l("Events are missing before event %(seq)s: the sequence jumps."),
    "link": _l("Event %(seq)s does not follow the event before it: an event was removed, replaced or reordered."),
    "legacy_after_keyed": _l("Event %(seq)s claims to be older than the signed chain but comes after it: it was forged."),
    "unknown_key": _l("Event %(seq)s is signed with a key this server does not know."),
    "edited": _l("Event %(seq)s does not match its signature: its content was edited."),
    "truncated": _l("The chain ends before event %(seq)s, but a checkpoint kept outside the database recorded "
                    "%(checkpoint)s events: the last events were deleted."),
    "rewritten": _l("Event %(seq)s differs from the checkpoint kept outside the database: the chain was rewritten."),
}

#: The page of each object type that has one: (endpoint, URL argument). Others get no link; a sealed
#: bid's events are recorded under its seal precisely so that nothing leads from them to the bid.
OBJECT_PAGES: dict[str, tuple[str, str]] = {
    "projects": ("projects.detail", "project_id"),
    "organizations": ("orgs.detail", "org_id"),
    "funding_pools": ("funds.detail", "pool_id"),
    "matching_campaigns": ("funding.campaign", "campaign_id"),
    "payment_orders": ("payments.order", "order_id"),
    "match_runs": ("review.run", "run_id"),
    "awards": ("review.award", "award_id"),
    "contracts": ("contracts.contract", "contract_id"),
    "micro_rounds": ("micro.round_detail", "round_id"),
    "micro_proposals": ("micro.proposal_detail", "proposal_id"),
}


#: The filters' names, for saying which one is wrong.
FILTER_LABELS = {"date_from": _l("From (date)"), "date_to": _l("To (date)"), "actor": _l("Who"),
                 "object_type": _l("Object type"), "object_id": _l("Object number"), "action": _l("Action"),
                 "page": _l("Page")}


def report_text(report: ChainReport) -> str:
    """The verification's result in the reader's language."""
    if report.ok:
        if report.checkpoint_seq:
            return _("The chain is intact: %(n)d events checked, up to the latest checkpoint (event %(seq)d).",
                     n=report.checked, seq=report.checkpoint_seq)
        return _("The chain is intact: %(n)d events checked.", n=report.checked)
    template = PROBLEMS.get(report.problem)
    text = str(template % {"seq": report.first_bad_seq, "checkpoint": report.checkpoint_seq}) if template \
        else report.message
    return _("The chain is broken. %(problem)s %(n)d events before it are intact.", problem=text, n=report.checked)


def object_url(object_type: str, object_id: str) -> str | None:
    """The page of the object an event is about, or None when it has none."""
    page = OBJECT_PAGES.get(object_type)
    if page is None or not object_id.isdigit() or not object_id.isascii() or int(object_id) > services.MAX_ID:
        return None
    endpoint, arg = page
    return url_for(endpoint, **{arg: int(object_id)})


@bp.app_template_global("may_read_audit")
def may_read_audit() -> bool:
    """Whether the viewer may read the audit trail (object pages link to their history then)."""
    return policy.can(current_user, "audit.read")


def _shows_emails() -> bool:
    # E-mail addresses are personal data that only the people who run accounts see.
    return policy.can(current_user, "account.admin")


def _choices() -> dict[str, list[tuple[str, str]]]:
    actors = [(services.SYSTEM, _("System"))] + [
        (str(user.id), f"{user.display_name} ({label_of(user.role)})") for user in services.actors(current_user)]
    types = sorted(((code, str(label)) for code, label in OBJECT_TYPE_LABELS.items()), key=lambda c: c[1])
    actions = sorted(((code, str(label)) for code, label in ACTION_LABELS.items()), key=lambda c: c[1])
    return {"actors": actors, "object_types": types, "actions": actions}


@bp.get("/")
@guard("audit.read")
def index():
    report = verify_chain() if request.args.get("verify") == "1" else None
    context = {"report": report, "report_text": report_text(report) if report else "",
               "checked_at": utcnow() if report else None, "choices": _choices(), "args": request.args,
               "show_emails": _shows_emails(), "object_url": object_url,
               "filter_labels": FILTER_LABELS}
    try:
        filters = services.parse_filters(request.args)
    except ValidationFailed as error:
        return render_template("audit/index.html", page=None, events=[], filters=services.AuditFilters(),
                               errors=error.fields, error=error.message, **context), 400
    stmt = services.events_query(filters, zone=get_timezone(), reader=current_user)
    page = run_listing(AuditEvent, stmt, ListingArgs(page=filters.page, per_page=services.PER_PAGE),
                       order_by=(AuditEvent.seq.desc(),))
    events = presenting.present(page.items, services.people(e.actor_id for e in page.items),
                                show_emails=context["show_emails"])
    return render_template("audit/index.html", page=page, events=events, filters=filters, errors={}, error="",
                           **context)


@bp.get("/export.<any(csv, xlsx):fmt>")
@guard("audit.read")
def export(fmt: str):
    """The filtered events as a CSV or XLSX table, with the page's columns."""
    filters = services.parse_filters(request.args)
    zone, show_emails = get_timezone(), _shows_emails()
    events = list(services.exported_events(filters, zone=zone, reader=current_user))
    views = presenting.present(events, services.people(e.actor_id for e in events), show_emails=show_emails)
    rows = (presenting.export_row(view, zone=zone, show_emails=show_emails) for view in views)
    return table_response(presenting.export_header(show_emails=show_emails), rows,
                          filename_stem=f"audit-trail-{utcnow().astimezone(zone):%Y%m%d-%H%M}", fmt=fmt)
