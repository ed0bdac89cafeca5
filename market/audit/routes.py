from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from market.core.audit import AuditEvent, ChainReport, verify_chain
from market.ui.guard import guard
from market.ui.listing import ListingArgs, parse_listing_args, run_listing

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


@bp.get("/")
@guard("audit.read")
def index():
    listing = parse_listing_args(request.args, choice_filters={"verify": ["1"]}, default_per_page=50)
    page = run_listing(AuditEvent, select(AuditEvent), ListingArgs(page=listing.page, per_page=50),
                       order_by=(AuditEvent.seq.desc(),), text_columns=())
    report = verify_chain() if listing.filters.get("verify") else None
    return render_template("audit/index.html", page=page, report=report,
                           report_text=report_text(report) if report else "")
