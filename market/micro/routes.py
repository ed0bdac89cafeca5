"""Views of the resident micro-project programme: parse, authorise, call a service, render."""
from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from market.accounts.models import Role
from market.core import policy
from market.core.calendar import local_to_utc, utc_to_local_naive
from market.core.db import db, utcnow
from market.core.errors import DomainError, IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from market.extensions import limiter
from market.geo.models import Category, Community, District, ProjectType, Street
from market.geo.services import category_choices, limit_to_jurisdiction
from market.micro import forms, labels
from market.micro.models import (
    BallotType,
    Flag,
    FlagKind,
    MicroRound,
    Objection,
    Photo,
    Proposal,
    ProposalStatus,
    RoundPhase,
    RoutedItem,
    SelectionRule,
)
from market.micro.services import (
    classification,
    dashboard,
    elections,
    evaluation,
    proposals,
    review,
    rounds,
    routing,
    supervision,
    voting,
)
from market.micro.services.common import MAX_PHOTO_BYTES, PhotoUpload, can_view_photo, governs, responsible_official
from market.orgs.models import Organization, OrgKind
from market.orgs.signals import profile_sections
from market.projects.models import Project, ProjectKind, ProjectStatus
from market.ui.formatting import enum_label
from market.ui.forms import handle_form, require_form, saved
from market.ui.guard import domain_error_response, guard, public
from market.ui.listing import parse_listing_args
from market.ui.sections import Section
from market.ui.security import MAX_ID

bp = Blueprint("micro", __name__, url_prefix="/micro")


@profile_sections.connect
def _residents_rating(org: Organization, **_kwargs) -> Section | None:
    """A provider's page shows how residents rated the micro-projects it delivered (its reputation)."""
    if org.kind not in (OrgKind.SOCIAL_ORGANISATION, OrgKind.ENTERPRISE):
        return None
    return Section("micro/_org_reputation.html", {"reputation": evaluation.provider_reputation(org.id)}, order=30)


# ---------------------------------------------------------------- helpers

def _actor() -> Any:
    return current_user if current_user.is_authenticated else None


def _upload_dir() -> Path:
    return Path(current_app.instance_path) / "uploads" / "micro"


def _uploads(field) -> list[PhotoUpload]:
    """The files of a multiple-file field, each read to at most one byte over the limit."""
    files = []
    for storage in field.data or []:
        if storage is not None and getattr(storage, "filename", ""):
            files.append(PhotoUpload(storage.filename, storage.stream.read(MAX_PHOTO_BYTES + 1)))
    return files


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh")


def _get_round(round_id: int) -> MicroRound:
    return db.get_or_404(MicroRound, round_id)


def _get_proposal(proposal_id: int) -> Proposal:
    proposal = db.get_or_404(Proposal, proposal_id)
    if not proposals.can_view_proposal(_actor(), proposal):
        abort(404)
    return proposal


def _get_micro_project(project_id: int) -> Project | None:
    project = db.session.get(Project, project_id)
    if project is None or project.kind != ProjectKind.MICRO or project.status == ProjectStatus.DRAFT:
        return None
    return project


def _micro(action: str):
    """Guard a micro-project page: the project is found by id, and stands where its contract puts it."""
    return guard(action, Project, "project_id", loader=_get_micro_project, scope=supervision.micro_scope)


def _done(message: str, target: str):
    db.session.commit()
    flash(message, "success")
    return redirect(target)


@bp.errorhandler(DomainError)
def domain_error(error: DomainError):
    """The application's answer, but JSON for the endpoints that scripts call."""
    return domain_error_response(error, as_json=True if request.endpoint in ("micro.similar", "micro.suggest_category")
                                 else None)


@bp.app_template_global()
def micro_dashboard():
    """Micro-project work for the logged-in user's dashboard."""
    return dashboard.dashboard_for(current_user) if current_user.is_authenticated else None


bp.add_app_template_global(labels.reason_text, "reason_text")


# ---------------------------------------------------------------- rounds

@bp.get("/")
@public
def index():
    listing = parse_listing_args(request.args, int_filters=("street_id", "community_id"),
                                 choice_filters={"phase": [p.value for p in RoundPhase]})
    stmt = rounds.rounds_query(street_id=listing.filters.get("street_id"),
                               community_id=listing.filters.get("community_id"), phase=listing.filters.get("phase"))
    all_rounds = db.session.scalars(stmt.limit(200)).all()
    mine = []
    if current_user.is_authenticated and current_user.role == Role.RESIDENT:
        mine = rounds.current_rounds_for(current_user.community_id)
    projects = db.session.scalars(
        select(Project).join(Proposal, Proposal.project_id == Project.id)
        .order_by(Project.updated_at.desc(), Project.id.desc()).limit(12)).all()
    streets = [(s.id, s.tr("name", _locale())) for s in db.session.scalars(select(Street).order_by(Street.id))]
    return render_template("micro/index.html", rounds=all_rounds, mine=mine, listing=listing, projects=projects,
                           streets=streets, phases=list(RoundPhase),
                           can_create=policy.can(current_user, "round.create"))


def _round_form_choices(form: forms.RoundForm) -> None:
    locale = _locale()
    stmt = limit_to_jurisdiction(select(Street).order_by(Street.id), current_user, Street.id)
    streets = db.session.scalars(stmt).all()
    form.street_id.choices = [(s.id, s.tr("name", locale)) for s in streets]
    communities = db.session.scalars(select(Community).where(Community.street_id.in_([s.id for s in streets]))
                                     .order_by(Community.street_id, Community.id)).all()
    form.community_id.choices = [("", _("Whole street"))] + [
        (c.id, f"{c.street.tr('name', locale)} · {c.tr('name', locale)}") for c in communities]


@bp.route("/rounds/new", methods=["GET", "POST"])
@guard("round.create")
def create_round():
    form = forms.RoundForm()
    _round_form_choices(form)
    if request.method == "GET":
        form.year.data = utcnow().year + 1
        form.budget.set_cents(2_000_000 * 100)
        form.cap_service.set_cents(rounds.DEFAULT_CAP_SERVICE_CENTS)
        form.cap_works.set_cents(rounds.DEFAULT_CAP_WORKS_CENTS)

    def operation():
        return rounds.create_round(current_user, rounds.RoundInput(
            title=form.title.data, title_en=form.title_en.data or "", year=form.year.data,
            street_id=form.street_id.data, community_id=form.community_id.data, budget_cents=form.budget.cents or 0,
            cap_service_cents=form.cap_service.cents or 0, cap_works_cents=form.cap_works.cents or 0))

    return handle_form(form, "micro/round_form.html", operation,
                       lambda r: saved(_("Round created: residents can now propose projects."),
                                       url_for("micro.round_detail", round_id=r.id)))


@bp.get("/rounds/<int:round_id>")
@public
def round_detail(round_id: int):
    round_ = _get_round(round_id)
    actor = _actor()
    official = governs(actor, round_.street_id)
    visible = [p for p in round_.proposals if p.is_public or (actor is not None and p.author_id == actor.id)]
    ids = [p.id for p in visible]
    return render_template(
        "micro/round_detail.html", round=round_, proposals=visible, official=official,
        supports=proposals.support_counts(ids), panel=review.panel_summaries(ids),
        panel_members=review.panel_members(round_), is_panel_member=review.is_panel_member(actor, round_),
        invite_form=forms.PanelInviteForm(), ballots=voting.ballots_count(round_),
        voting_problem=voting.voting_problem(actor, round_) if round_.phase == RoundPhase.VOTING else None,
        can_propose=_can_propose(actor, round_), criteria=labels.EXPERT_CRITERIA_LABELS,
        rule_text=labels.RULE_DESCRIPTIONS.get(round_.rule, ""), now=utcnow())


def _is_round_resident(actor: Any, round_: MicroRound) -> bool:
    from market.micro.services.common import is_verified_resident_of

    return (actor is not None and actor.role == Role.RESIDENT and is_verified_resident_of(actor, actor.community_id)
            and round_.covers(actor.community_id, actor.community.street_id if actor.community else None))


def _can_propose(actor: Any, round_: MicroRound) -> bool:
    return round_.phase == RoundPhase.COLLECTION and _is_round_resident(actor, round_)


@bp.post("/rounds/<int:round_id>/phase")
@guard("round.manage", MicroRound, "round_id")
def change_phase(round: MicroRound):
    round_ = round
    try:
        target = RoundPhase(request.form.get("phase", ""))
    except ValueError:
        abort(400)
    rounds.change_phase(current_user, round_, target)
    return _done(_("The round moved to: %(phase)s.", phase=enum_label(target)),
                 url_for("micro.round_detail", round_id=round_.id))


@bp.route("/rounds/<int:round_id>/voting", methods=["GET", "POST"])
@guard("round.manage", MicroRound, "round_id")
def open_voting(round: MicroRound):
    round_ = round
    if round_.phase != RoundPhase.REVIEW:
        raise IllegalTransition(_("The vote is opened once the proposals have been reviewed."))
    form = forms.VotingForm()
    form.ballot_type.choices = [(t.value, enum_label(t)) for t in BallotType]
    form.rule.choices = [(r.value, f"{enum_label(r)} — {labels.RULE_DESCRIPTIONS[r.value]}") for r in SelectionRule]
    if request.method == "GET":
        now = utcnow().replace(second=0, microsecond=0)
        form.budget.set_cents(round_.budget_cents)
        form.opens_at.data = utc_to_local_naive(now)
        form.closes_at.data = utc_to_local_naive(now + timedelta(days=14))
        form.ballot_type.data = round_.ballot_type
        form.rule.data = round_.rule
        form.notice_working_days.data = round_.notice_working_days

    def operation():
        return rounds.open_voting(current_user, round_, rounds.VotingSetup(
            budget_cents=form.budget.cents or 0, opens_at=local_to_utc(form.opens_at.data),
            closes_at=local_to_utc(form.closes_at.data), ballot_type=BallotType(form.ballot_type.data),
            rule=SelectionRule(form.rule.data), max_picks=form.max_picks.data,
            notice_working_days=form.notice_working_days.data))

    return handle_form(form, "micro/voting_form.html", operation,
                       lambda r: saved(_("The vote is open. Residents have been told."),
                                       url_for("micro.round_detail", round_id=r.id)),
                       round=round_, feasible=voting.feasible_proposals(round_))


@bp.post("/rounds/<int:round_id>/close")
@guard("round.manage", MicroRound, "round_id")
def close_voting(round: MicroRound):
    round_ = round
    voting.close_voting(current_user, round_)
    return _done(_("Votes counted; the results are published for public notice."),
                 url_for("micro.results", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/finalise")
@guard("round.manage", MicroRound, "round_id")
def finalise(round: MicroRound):
    round_ = round
    created = voting.finalise_results(current_user, round_)
    return _done(_("The results are final; %(n)d projects go to provider and funding matching.", n=len(created)),
                 url_for("micro.results", round_id=round_.id))


@bp.post("/rounds/<int:round_id>/panel")
@guard("round.manage", MicroRound, "round_id")
def invite_reviewer(round: MicroRound):
    round_ = round
    form = forms.PanelInviteForm()
    if not form.validate_on_submit():
        raise_validation(form)
    review.invite_panel_member(current_user, round_, form.email.data)
    return _done(_("Reviewer invited."), url_for("micro.round_detail", round_id=round_.id) + "#panel")


def raise_validation(form) -> None:
    from market.core.errors import ValidationFailed

    raise ValidationFailed(_("Please correct the marked fields."), fields=form.errors)


@bp.get("/rounds/<int:round_id>/similar")
@public
def similar(round_id: int):
    """JSON: proposals of the round (and the resident's community) that read like ``q``."""
    round_ = db.session.get(MicroRound, round_id)
    if round_ is None:
        raise NotFound(_("Not found."))
    query = request.args.get("q")
    if query is None:
        from market.core.errors import ValidationFailed

        raise ValidationFailed(_("Say what to look for."), fields={"q": _("This field is required.")})
    actor = _actor()
    community_id = round_.community_id or (actor.community_id if actor is not None else None)
    exclude = request.args.get("exclude", type=int)
    found = proposals.similar_proposals(round_, community_id, query, exclude_id=exclude)
    locale = _locale()
    return jsonify({"items": [{
        "id": s.proposal.id, "title": s.proposal.tr("title", locale), "status": s.proposal.status,
        "status_label": enum_label(s.proposal.status), "supporters": s.supporters, "score": round(s.score, 1),
        "url": url_for("micro.proposal_detail", proposal_id=s.proposal.id)} for s in found]})


# ---------------------------------------------------------------- proposals

def _proposal_form(round_: MicroRound, proposal: Proposal | None = None) -> forms.ProposalForm:
    form = forms.ProposalForm(obj=proposal)
    form.project_type.choices = [(t.value, enum_label(t)) for t in ProjectType]
    if proposal is not None and request.method == "GET":
        form.estimated_cost.set_cents(proposal.estimated_cost_cents)
    _category_choices(form)
    return form


def _category_choices(form: forms.ProposalForm) -> list[classification.CategorySuggestion]:
    """The category list with the text's likeliest categories first, marked as suggested."""
    text = classification.text_of(form.title.data or "", form.description.data or "")
    suggested = classification.suggest_categories(text) if text.strip() else []
    locale = _locale()
    marked = {s.category.id for s in suggested}
    form.category_id.choices = (
        [("", _("Suggest one for me"))]
        + [(s.category.id, _("%(name)s (suggested)", name=s.category.tr("name", locale))) for s in suggested]
        + [(cid, name) for cid, name in category_choices() if cid not in marked])
    form.suggested = suggested
    return suggested


def _proposal_input(form: forms.ProposalForm) -> proposals.ProposalInput:
    return proposals.ProposalInput(
        title=form.title.data or "", title_en=form.title_en.data or "", description=form.description.data or "",
        description_en=form.description_en.data or "", category_id=form.category_id.data,
        project_type=ProjectType(form.project_type.data), place=form.place.data or "",
        estimated_cost_cents=form.estimated_cost.cents or 0)


def _suggest_only(form: forms.ProposalForm, round_: MicroRound, proposal: Proposal | None):
    """The "suggest a category" button: the form again, with the top suggestion chosen; nothing saved."""
    if form.suggested:
        form.category_id.data = form.suggested[0].category.id
    else:
        flash(_("No category could be suggested yet: say a little more in the title or description."), "info")
    return render_template("micro/proposal_form.html", form=form, round=round_, proposal=proposal)


def _after_proposal_saved(proposal: Proposal):
    if proposal.status == ProposalStatus.SUBMITTED:
        duplicates = proposals.similar_proposals(proposal.round, proposal.community_id,
                                                 f"{proposal.title} {proposal.description[:60]}",
                                                 exclude_id=proposal.id)
        item = routing.item_of(proposal=proposal)
        message = _("Proposal submitted. The street office will review it.")
        if item is not None:
            message = _("Proposal submitted and sent to %(office)s; it must be reviewed by %(when)s.",
                        office=routing.office_label(item, _locale()), when=_fmt_datetime(item.review_due_at))
        if duplicates:
            message += " " + _("Similar proposals exist; see the list below and consider supporting them.")
        return saved(message, url_for("micro.proposal_detail", proposal_id=proposal.id))
    return saved(_("Draft saved. Submit it when it is ready."), url_for("micro.proposal_detail", proposal_id=proposal.id))


@bp.get("/category-suggestions")
@limiter.limit(lambda: current_app.config["SUGGEST_RATE_LIMIT"])
@public
def suggest_category():
    """JSON: the likeliest categories of a proposal's text ``q`` (empty text: no suggestion)."""
    query = request.args.get("q")
    if query is None:
        raise ValidationFailed(_("Say what to classify."), fields={"q": _("This field is required.")})
    if len(query) > classification.MAX_SUGGEST_CHARS:
        raise ValidationFailed(_("The text is too long to classify."),
                               fields={"q": _("At most %(n)d characters.", n=classification.MAX_SUGGEST_CHARS)})
    locale = _locale()
    return jsonify({"items": [{"id": s.category.id, "name": s.category.tr("name", locale), "score": round(s.score, 3)}
                              for s in classification.suggest_categories(query)]})


@bp.route("/rounds/<int:round_id>/proposals/new", methods=["GET", "POST"])
@guard("round.take_part", MicroRound, "round_id")
def create_proposal(round: MicroRound):
    round_ = round
    proposals.require_round_resident(current_user, round_, _("propose projects"))
    proposals.require_collecting(current_user, round_)
    form = _proposal_form(round_)
    if form.suggest.data and form.is_submitted():  # the app-wide CSRF check has run; the rest may be unfilled
        return _suggest_only(form, round_, None)

    def operation():
        return proposals.create_proposal(current_user, round_, _proposal_input(form), _uploads(form.photos),
                                         submit=bool(form.submit.data), upload_dir=_upload_dir())

    return handle_form(form, "micro/proposal_form.html", operation, _after_proposal_saved, round=round_,
                       proposal=None)


@bp.route("/proposals/<int:proposal_id>/edit", methods=["GET", "POST"])
@guard("proposal.edit", Proposal, "proposal_id")
def edit_proposal(proposal: Proposal):
    if not proposals.can_edit_proposal(current_user, proposal):
        raise PermissionDenied(_("This proposal can no longer be edited."))
    form = _proposal_form(proposal.round, proposal)
    if form.suggest.data and form.is_submitted():  # the app-wide CSRF check has run; the rest may be unfilled
        return _suggest_only(form, proposal.round, proposal)

    def operation():
        return proposals.update_proposal(current_user, proposal, _proposal_input(form), _uploads(form.photos),
                                         submit=bool(form.submit.data), upload_dir=_upload_dir())

    return handle_form(form, "micro/proposal_form.html", operation, _after_proposal_saved, round=proposal.round,
                       proposal=proposal)


def _proposal_page(proposal: Proposal, **forms_in_use):
    actor = _actor()
    round_ = proposal.round
    official = governs(actor, round_.street_id)
    duplicates = proposals.similar_proposals(round_, proposal.community_id,
                                             f"{proposal.title} {proposal.description[:60]}", exclude_id=proposal.id)
    merge_form = forms_in_use.get("merge_form") or forms.MergeForm()
    merge_form.target_id.choices = [(p.id, f"#{p.id} {p.tr('title', _locale())}") for p in round_.proposals
                                    if p.id != proposal.id and p.community_id == proposal.community_id
                                    and p.status in proposals.OPEN_STATUSES]
    summary = review.panel_summaries([proposal.id]).get(proposal.id)
    return dict(
        proposal=proposal, round=round_, official=official, duplicates=duplicates,
        supporters=proposals.support_counts([proposal.id]).get(proposal.id, 0),
        supporting=proposals.supports(actor, proposal), comments=proposals.proposal_comments(proposal),
        comment_form=forms_in_use.get("form") or forms.TextForm(), merge_form=merge_form, panel=summary,
        criteria=labels.EXPERT_CRITERIA_LABELS, editable=proposals.can_edit_proposal(actor, proposal),
        is_panel_member=review.is_panel_member(actor, round_),
        merged_from=[p for p in round_.proposals if p.merged_into_id == proposal.id],
        routed=routing.item_of(proposal=proposal), now=utcnow(),
        result=next((r for r in round_.results if r.proposal_id == proposal.id), None))


@bp.get("/proposals/<int:proposal_id>")
@guard("proposal.view", Proposal, "proposal_id", conceal=True)
def proposal_detail(proposal: Proposal):
    return render_template("micro/proposal_detail.html", **_proposal_page(proposal))


@bp.post("/proposals/<int:proposal_id>/submit")
@guard("proposal.edit", Proposal, "proposal_id", conceal=True)
def submit_proposal(proposal: Proposal):
    proposals.submit_proposal(current_user, proposal)
    return _done(_("Proposal submitted. The street office will review it."),
                 url_for("micro.proposal_detail", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/support")
@guard("proposal.support", Proposal, "proposal_id")
def support(proposal: Proposal):
    if request.form.get("action") == "withdraw":
        proposals.withdraw_support(current_user, proposal)
        message = _("Your support was withdrawn.")
    else:
        proposals.support_proposal(current_user, proposal)
        message = _("Thank you for your support.")
    return _done(message, url_for("micro.proposal_detail", proposal_id=proposal.id))


@bp.post("/proposals/<int:proposal_id>/comments")
@guard("proposal.discuss", Proposal, "proposal_id")
def comment_proposal(proposal: Proposal):
    form = forms.TextForm()
    return handle_form(form, "micro/proposal_detail.html",
                       lambda: proposals.add_proposal_comment(current_user, proposal, form.body.data),
                       lambda _c: saved(_("Comment posted."),
                                        url_for("micro.proposal_detail", proposal_id=proposal.id) + "#comments"),
                       authorise=lambda: proposals.require_proposal_commenter(current_user, proposal),
                       **_proposal_page(proposal, form=form))


@bp.post("/proposals/<int:proposal_id>/merge")
@guard("proposal.review", Proposal, "proposal_id")
def merge(proposal: Proposal):
    form = forms.MergeForm()
    page = _proposal_page(proposal, merge_form=form)

    def operation():
        target = db.session.get(Proposal, form.target_id.data)
        return proposals.merge_proposals(current_user, proposal, target)

    return handle_form(form, "micro/proposal_detail.html", operation,
                       lambda target: saved(_("Merged; its supporters now support the other proposal."),
                                            url_for("micro.proposal_detail", proposal_id=target.id)),
                       **page)


@bp.route("/proposals/<int:proposal_id>/review", methods=["GET", "POST"])
@guard("proposal.review", Proposal, "proposal_id")
def review_proposal(proposal: Proposal):
    form = forms.ReviewForm()
    form.outcome.choices = [(o.value, enum_label(ProposalStatus(o.value))) for o in review.ReviewOutcome]
    if request.method == "GET":
        form.official_cost.set_cents(proposal.official_cost_cents or proposal.estimated_cost_cents)

    def operation():
        return review.review_proposal(current_user, proposal, review.ReviewDecision(
            review.ReviewOutcome(form.outcome.data), form.official_cost.cents, form.reason.data or ""))

    return handle_form(form, "micro/review_form.html", operation,
                       lambda p: saved(_("Review recorded; the author has been told."),
                                       url_for("micro.round_detail", round_id=p.round_id)),
                       proposal=proposal, round=proposal.round)


@bp.route("/proposals/<int:proposal_id>/score", methods=["GET", "POST"])
@guard("panel.score", Proposal, "proposal_id", conceal=True)
def score_proposal(proposal: Proposal):
    if not review.is_panel_member(current_user, proposal.round):
        abort(403)
    form = forms.ScoreForm()
    return handle_form(form, "micro/score_form.html",
                       lambda: review.score_proposal(current_user, proposal, form.scores(), form.comment.data or ""),
                       lambda _s: saved(_("Scores saved."), url_for("micro.round_detail", round_id=proposal.round_id)),
                       proposal=proposal, criteria=labels.EXPERT_CRITERIA_LABELS)


@bp.get("/photos/<int:photo_id>")
@public
def photo(photo_id: int):
    photo_ = db.get_or_404(Photo, photo_id)
    if not can_view_photo(_actor(), photo_):
        abort(404)
    response = send_from_directory(_upload_dir(), photo_.stored_name, mimetype=photo_.content_type, max_age=3600)
    if photo_.proposal is not None and not photo_.proposal.is_public:
        response.cache_control.private = True
        response.cache_control.public = False
    return response


@bp.post("/photos/<int:photo_id>/delete")
@guard("photo.delete", Photo, "photo_id", conceal=True)
def delete_photo(photo: Photo):
    photo_ = photo
    if photo_.proposal is None:
        abort(404)
    proposal_id = photo_.proposal_id
    proposals.delete_photo(current_user, photo_, _upload_dir())
    return _done(_("Photo removed."), url_for("micro.edit_proposal", proposal_id=proposal_id))


# ---------------------------------------------------------------- voting and results

@bp.route("/rounds/<int:round_id>/ballot", methods=["GET", "POST"])
@guard("account.view_own", MicroRound, "round_id")
def ballot(round: MicroRound):
    round_ = round
    on_ballot = voting.feasible_proposals(round_)
    mine = voting.ballot_of(current_user, round_)
    form = forms.BallotForm()
    locale = _locale()
    form.proposal_ids.choices = [(p.id, p.tr("title", locale)) for p in on_ballot]
    if request.method == "GET" and mine is not None:
        form.proposal_ids.data = mine.proposal_ids
    problem = voting.voting_problem(current_user, round_)
    if request.method == "POST" and problem:
        voting.check_can_vote(current_user, round_, utcnow())  # raises with the reason
    return handle_form(form, "micro/ballot.html",
                       lambda: voting.cast_ballot(current_user, round_, form.proposal_ids.data or []),
                       lambda b: saved(_("Your ballot is saved. You can change it until voting closes."),
                                       url_for("micro.ballot", round_id=round_.id)),
                       round=round_, proposals=on_ballot, mine=mine, problem=problem,
                       supports=proposals.support_counts([p.id for p in on_ballot]),
                       rule_text=labels.RULE_DESCRIPTIONS.get(round_.rule, ""))


@bp.get("/rounds/<int:round_id>/results")
@public
def results(round_id: int):
    round_ = _get_round(round_id)
    if round_.phase not in (RoundPhase.NOTICE, RoundPhase.FINAL):
        # Not a dead end: say when the results will be out.
        return render_template("micro/results_pending.html", round=round_)
    return render_template("micro/results.html", **_results_page(round_))


def _results_page(round_: MicroRound, objection_form=None) -> dict[str, Any]:
    actor = _actor()
    return dict(round=round_, view=voting.results_view(round_), objections=voting.objections_of(round_),
                official=governs(actor, round_.street_id), objection_form=objection_form or forms.TextForm(),
                answer_form=forms.AnswerForm(), rule_text=labels.RULE_DESCRIPTIONS.get(round_.rule, ""),
                unanswered=voting.unanswered_objections(round_), now=utcnow(),
                can_object=round_.phase == RoundPhase.NOTICE and utcnow() < round_.notice_ends_at
                and _is_round_resident(actor, round_))


@bp.post("/rounds/<int:round_id>/objections")
@guard("account.view_own", MicroRound, "round_id")
def file_objection(round: MicroRound):
    round_ = round
    form = forms.TextForm()
    return handle_form(form, "micro/results.html",
                       lambda: voting.file_objection(current_user, round_, form.body.data),
                       lambda _o: saved(_("Your objection was filed; an official will answer it publicly."),
                                        url_for("micro.results", round_id=round_.id) + "#objections"),
                       authorise=lambda: voting.require_objector(current_user, round_),
                       **_results_page(round_, form))


@bp.post("/objections/<int:objection_id>/answer")
@guard("round.manage", Objection, "objection_id")
def answer_objection(objection: Objection):
    form = forms.AnswerForm()
    if not form.validate_on_submit():
        raise_validation(form)
    voting.answer_objection(current_user, objection, form.answer.data)
    return _done(_("Answer published."), url_for("micro.results", round_id=objection.round_id) + "#objections")


@bp.get("/rounds/<int:round_id>/export.pb")
@public
def export_pb(round_id: int):
    round_ = _get_round(round_id)
    if round_.phase not in (RoundPhase.NOTICE, RoundPhase.FINAL):
        raise PermissionDenied(_("The ballots are published once voting has closed."))
    return Response(elections.export_pabulib(round_), mimetype="text/plain",
                    headers={"Content-Disposition": f"attachment; filename=futian-micro-round-{round_.id}.pb"})


@bp.route("/replay", methods=["GET", "POST"])
@guard("micro.replay")
def replay():
    form = forms.ReplayForm()
    form.rule.choices = [("", _("The file's own rule"))] + [(r.value, enum_label(r)) for r in SelectionRule]
    result = None
    if form.validate_on_submit():
        try:
            result = elections.replay_pabulib(form.file.data.read(elections.MAX_PB_BYTES + 1), form.rule.data or None)
        except DomainError as error:
            from market.ui.forms import apply_field_errors

            apply_field_errors(form, error)
            return render_template("micro/replay.html", form=form, result=None), error.status_code
    elif request.method == "POST":
        return render_template("micro/replay.html", form=form, result=None), 400
    return render_template("micro/replay.html", form=form, result=result)


# ---------------------------------------------------------------- implementation and acceptance

def _project_page(project: Project, **forms_in_use) -> dict[str, Any]:
    actor = _actor()
    contract = supervision.contract_of(project)
    milestones = list(contract.milestones) if contract else []
    flag_form = forms_in_use.get("flag_form") or forms.FlagForm()
    flag_form.kind.choices = [(k.value, enum_label(k)) for k in FlagKind]
    now = utcnow()
    return dict(
        project=project, proposal=supervision.proposal_of(project), contract=contract, milestones=milestones,
        updates=supervision.updates_of(project), flags=supervision.flags_of(project),
        comments=supervision.project_comments(project), percent_done=supervision.progress_percent(project),
        following=supervision.is_following(actor, project), can_take_part=supervision.can_take_part(actor, project),
        is_provider=supervision.is_provider_member(actor, contract),
        is_responsible=responsible_official(actor, project),
        is_resident=actor is not None and actor.role == Role.RESIDENT and actor.community_id == project.community_id,
        acceptance=evaluation.acceptance_of(project), rating_summary=evaluation.rating_summary(project),
        ratings=evaluation.project_ratings(project), rating_problem=evaluation.rating_problem(actor, project),
        rating_criteria=labels.RATING_CRITERIA_LABELS, reputation=evaluation.provider_reputation(contract.provider_id)
        if contract else None,
        flag_form=flag_form, comment_form=forms_in_use.get("comment_form") or forms.TextForm(),
        answer_form=forms.AnswerForm(), now=now, today=now.date())


@bp.get("/projects/<int:project_id>")
@public
def project_detail(project_id: int):
    project = _get_micro_project(project_id)
    if project is None:
        abort(404)
    return render_template("micro/project_detail.html", **_project_page(project))


@bp.post("/projects/<int:project_id>/follow")
@_micro("account.view_own")
def follow(project: Project):
    if request.form.get("action") == "unfollow":
        supervision.unfollow_project(current_user, project)
        message = _("You no longer follow this project.")
    else:
        supervision.follow_project(current_user, project)
        message = _("You follow this project and will be told about its progress.")
    return _done(message, url_for("micro.project_detail", project_id=project.id))


@bp.route("/projects/<int:project_id>/updates/new", methods=["GET", "POST"])
@_micro("micro_project.report")
def post_update(project: Project):
    contract = supervision.contract_of(project)
    if not supervision.is_provider_member(current_user, contract):
        abort(403)
    form = forms.UpdateForm()
    form.milestone_id.choices = [("", _("No particular milestone"))] + [
        (m.id, f"{m.seq}. {m.tr('title', _locale())}") for m in contract.milestones]
    if request.method == "GET":
        form.percent_complete.data = supervision.progress_percent(project) or 0

    def operation():
        return supervision.post_update(current_user, project, supervision.UpdateInput(
            body=form.body.data, percent_complete=form.percent_complete.data, milestone_id=form.milestone_id.data,
            milestone_done=bool(form.milestone_done.data)), _uploads(form.photos), upload_dir=_upload_dir())

    return handle_form(form, "micro/update_form.html", operation,
                       lambda _u: saved(_("Update posted; followers have been told."),
                                        url_for("micro.project_detail", project_id=project.id)),
                       project=project)


@bp.post("/projects/<int:project_id>/flags")
@_micro("micro_project.flag")
def raise_flag(project: Project):
    form = forms.FlagForm()
    return handle_form(form, "micro/project_detail.html",
                       lambda: supervision.raise_flag(current_user, project, form.kind.data, form.body.data),
                       lambda f: saved(_("Problem reported; the responsible official must answer by %(when)s.",
                                         when=_fmt_datetime(f.due_at)),
                                       url_for("micro.project_detail", project_id=project.id) + f"#flag-{f.id}"),
                       authorise=lambda: supervision.require_flag_reporter(current_user, project),
                       **_project_page(project, flag_form=form))


def _fmt_datetime(value) -> str:
    from market.ui.formatting import datetime_label

    return datetime_label(value)


@bp.post("/flags/<int:flag_id>/answer")
@guard("micro_project.answer", Flag, "flag_id")
def answer_flag(flag: Flag):
    form = forms.AnswerForm()
    if not form.validate_on_submit():
        raise_validation(form)
    supervision.answer_flag(current_user, flag, form.answer.data)
    return _done(_("Answer published."), url_for("micro.project_detail", project_id=flag.project_id) + f"#flag-{flag.id}")


@bp.post("/projects/<int:project_id>/comments")
@_micro("micro_project.take_part")
def comment_project(project: Project):
    form = forms.TextForm()
    return handle_form(form, "micro/project_detail.html",
                       lambda: supervision.add_project_comment(current_user, project, form.body.data),
                       lambda _c: saved(_("Comment posted."),
                                        url_for("micro.project_detail", project_id=project.id) + "#comments"),
                       authorise=lambda: supervision.require_project_commenter(current_user, project),
                       **_project_page(project, comment_form=form))


@bp.route("/projects/<int:project_id>/accept", methods=["GET", "POST"])
@_micro("micro_project.answer")
def accept(project: Project):
    form = forms.AcceptanceForm()
    return handle_form(form, "micro/accept_form.html",
                       lambda: evaluation.accept_project(current_user, project, form.report.data,
                                                         rating_days=form.rating_days.data),
                       lambda _a: saved(_("Acceptance recorded; residents can now rate the project."),
                                        url_for("micro.project_detail", project_id=project.id)),
                       project=project, contract=supervision.contract_of(project))


@bp.route("/projects/<int:project_id>/rate", methods=["GET", "POST"])
@_micro("account.view_own")
def rate(project: Project):
    problem = evaluation.rating_problem(current_user, project)
    form = forms.RatingForm()
    if problem and request.method == "POST":
        # Let the service refuse with the right status (403 or 409).
        evaluation.rate_project(current_user, project, form.stars(), "")
    return handle_form(form, "micro/rate_form.html",
                       lambda: evaluation.rate_project(current_user, project, form.stars(), form.comment.data or ""),
                       lambda _r: saved(_("Thank you for your rating."),
                                        url_for("micro.project_detail", project_id=project.id) + "#ratings"),
                       project=project, problem=problem, criteria=labels.RATING_CRITERIA_LABELS)


# ---------------------------------------------------------------- routing: queues and the category map

@bp.get("/queue")
@guard("routing.queue")
def queue():
    """The official's routed proposals and flags, with ages and deadlines; overdue ones are escalated first."""
    now = utcnow()
    if routing.escalate_overdue(now=now):
        db.session.commit()
    return render_template("micro/queue.html", entries=routing.queue_for(current_user, now=now), now=now,
                           reroute_form=_reroute_form(), departments=routing.departments(current_user.district_id),
                           street_office=routing.street_office,
                           office_label=routing.office_label, can_configure=policy.can(current_user,
                                                                                       "routing.configure"))


def _reroute_form() -> forms.RerouteForm:
    form = forms.RerouteForm()
    locale = _locale()
    form.office_id.choices = [("", _("Choose an office"))] + [(o.id, o.tr("name", locale)) for o in routing.departments(current_user.district_id)]
    return form


@bp.post("/routed/<int:item_id>/acknowledge")
@guard("routing.handle", RoutedItem, "item_id")
def acknowledge(item: RoutedItem):
    require_form(forms.ButtonForm())
    routing.acknowledge(current_user, item)
    return _done(_("Acknowledged; the resident can see that your office has it in hand."), url_for("micro.queue"))


@bp.post("/routed/<int:item_id>/reroute")
@guard("routing.handle", RoutedItem, "item_id")
def reroute(item: RoutedItem):
    form = _reroute_form()
    street_office = routing.street_office(item.street_id)
    if street_office is not None:
        form.office_id.choices.append((street_office.id, street_office.tr("name", _locale())))
    if not form.validate_on_submit():
        raise_validation(form)
    routing.reroute(current_user, item, form.office_id.data)
    return _done(_("Sent on to %(office)s.", office=routing.office_label(item, _locale())), url_for("micro.queue"))


@bp.route("/routing", methods=["GET", "POST"])
@guard("routing.configure")
def category_routes():
    """Which of a district's departments answers which category (the rest go to street offices)."""
    locale = _locale()
    asked = request.args.get("district", type=int)
    if asked is not None and not 0 < asked <= MAX_ID:
        abort(404)
    district = routing.map_district(current_user, asked)
    if district is None:  # an administrator of several districts chooses one
        districts = db.session.scalars(select(District).order_by(District.id)).all()
        return render_template("micro/routing_districts.html", districts=districts)
    offices = routing.departments(district.id)
    categories = db.session.scalars(select(Category).order_by(Category.sort_order, Category.id)).all()
    current = routing.category_routes(district)
    errors: dict[str, Any] = {}
    if request.method == "POST":
        require_form(forms.ButtonForm())
        try:
            routing.set_district_map(current_user, district,
                                     {c: request.form.get(f"office_{c.id}", "") for c in categories})
        except ValidationFailed as error:  # checked before anything was written
            errors = dict(error.fields)
            flash(_("Please correct the marked fields."), "danger")
        else:
            return _done(_("Routing saved; new proposals and flags follow it."),
                         url_for("micro.category_routes", district=district.id))
    return render_template("micro/routing.html", district=district, categories=categories, offices=offices,
                           current=current, errors=errors, locale=locale,
                           posted=request.form if request.method == "POST" else None), \
        400 if errors else 200
