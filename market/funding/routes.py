from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from market.core import policy
from market.core.db import db, utcnow
from market.funding import services
from market.funding.forms import (
    AppropriationForm,
    CampaignForm,
    DonationForm,
    PledgeForm,
    TopUpForm,
    day_end,
    day_start,
)
from market.funding.models import CampaignStatus, MatchingCampaign, MatchingRule, Pledge
from market.funds.models import FundingPool
from market.funds.services import can_manage as can_manage_pool
from market.payments import services as payments
from market.payments.forms import ActionForm
from market.payments.gateway import current_gateway
from market.payments.models import PaymentOrder, PaymentStatus
from market.projects.models import Project
from market.ui.fields import choices_of
from market.ui.formatting import enum_label, money
from market.ui.forms import handle_form, require_form, saved
from market.ui.guard import guard, public

bp = Blueprint("funding", __name__, url_prefix="/funding")


def _return_urls(order: PaymentOrder) -> tuple[str, str]:
    success = url_for("payments.success", order_id=order.id, _external=True) + "?session_id={CHECKOUT_SESSION_ID}"
    return success, url_for("payments.cancel", order_id=order.id, _external=True)


def _after_payment(order: PaymentOrder, fallback: str):
    """Online: off to Stripe Checkout. Offline: the order page with the bank-transfer details."""
    if order.status == PaymentStatus.FAILED:
        flash(_("The payment service did not answer, so nothing was charged. Please try again later. (%(error)s)",
                error=order.failure_message), "danger")
        return redirect(fallback)
    if order.checkout_url:
        return redirect(order.checkout_url, code=303)
    flash(_("Recorded as a bank-transfer pledge. Please quote the reference %(ref)s on your transfer.",
            ref=order.reference), "success")
    return redirect(url_for("payments.order", order_id=order.id))


# ---------------------------------------------------------------- template helpers

@bp.app_context_processor
def _funding_helpers():
    def funding_panel(project: Project) -> dict:
        now = utcnow()
        return {"summary": services.funding_summary(project), "seeks_funds": services.seeks_funds(project),
                "campaigns": services.running_campaigns_for(project, now),
                "pledges": db.session.scalars(services.pledges_of_project(project)).all(),
                "donations": services.donations_to(project, limit=10),
                "can_pledge": bool(current_user.is_authenticated and services.pools_for_pledging(current_user, project))}

    def pool_panel(pool: FundingPool) -> dict:
        manage = can_manage_pool(current_user, pool)
        return {"pledges": db.session.scalars(services.pledges_of_pool(pool).limit(50)).all(),
                "campaigns": db.session.scalars(services.list_campaigns().where(MatchingCampaign.pool_id == pool.id)
                                                .limit(20)).all(),
                "incoming": db.session.scalars(services.money_coming_into(pool).limit(20)).all() if manage else [],
                "manage": manage, "takes_appropriations": services.takes_appropriations(pool)}

    def funding_dashboard(user) -> dict:
        data: dict = {"my_orders": db.session.scalars(payments.orders_of(user).limit(10)).all()}
        if user.organization_id:
            data["org_pledges"] = db.session.scalars(services.pledges_of_org(user.organization_id).limit(10)).all()
            data["org_topups"] = db.session.scalars(services.topups_of_org(user.organization_id).limit(10)).all()
        if user.is_official:
            data["official"] = payments.counts_for_officials(user)
        return data

    return {"funding_panel": funding_panel, "pool_panel": pool_panel, "funding_dashboard": funding_dashboard,
            "allocation_reason": services.reason_label}


# ---------------------------------------------------------------- donations

@bp.route("/projects/<int:project_id>/donate", methods=["GET", "POST"])
@guard("donation.make", Project, "project_id")
def donate(project: Project):
    if not policy.can(current_user, "project.view", project):
        abort(404)  # a draft is its owner's: its existence is not told to others
    if not services.seeks_funds(project):
        flash(_("This project is not collecting donations."), "warning")
        return redirect(url_for("projects.detail", project_id=project.id))
    form = DonationForm()
    summary = services.funding_summary(project)
    campaigns = services.running_campaigns_for(project, utcnow())
    return handle_form(
        form, "funding/donate.html",
        lambda: services.donate(current_user, project, services.DonationInput(
            amount_cents=form.amount.cents or 0, as_organisation=bool(form.as_organisation.data),
            anonymous=bool(form.anonymous.data)), gateway=current_gateway(), now=utcnow(),
            currency=current_app.config["CURRENCY"], return_urls=_return_urls),
        lambda order: _after_payment(order, url_for("funding.donate", project_id=project.id)),
        project=project, summary=summary, campaigns=campaigns, min_amount=services.MIN_DONATION_CENTS)


@bp.route("/pools/<int:pool_id>/top-up", methods=["GET", "POST"])
@guard("pool.manage", FundingPool, "pool_id")
def top_up(pool: FundingPool):
    form = TopUpForm()
    return handle_form(
        form, "funding/top_up.html",
        lambda: services.top_up_pool(current_user, pool, form.amount.cents or 0, gateway=current_gateway(),
                                     now=utcnow(), currency=current_app.config["CURRENCY"], return_urls=_return_urls),
        lambda order: _after_payment(order, url_for("funding.top_up", pool_id=pool.id)),
        pool=pool, min_amount=services.MIN_TOPUP_CENTS)


@bp.route("/pools/<int:pool_id>/appropriation", methods=["GET", "POST"])
@guard("pool.manage", FundingPool, "pool_id")
def appropriation(pool: FundingPool):
    """A government department announces budget money for its pool; another of its officials confirms it."""
    form = AppropriationForm()
    return handle_form(
        form, "funding/appropriation.html",
        lambda: payments.request_appropriation(current_user, pool, form.amount.cents or 0, form.document_ref.data or "",
                                               now=utcnow(), currency=current_app.config["CURRENCY"]),
        lambda order: saved(_("Appropriation %(ref)s recorded. It counts once another official of the department "
                              "confirms the money arrived.", ref=order.reference),
                            url_for("payments.order", order_id=order.id)),
        pool=pool)


# ---------------------------------------------------------------- pledges

@bp.route("/projects/<int:project_id>/pledge", methods=["GET", "POST"])
@guard("project.view", Project, "project_id", conceal=True)
def pledge(project: Project):
    options = services.pools_for_pledging(current_user, project)
    if not options:
        abort(403)
    form = PledgeForm()
    form.pool_id.choices = choices_of(
        (pool.id, f"{pool.tr('name', _locale())} — {_('up to %(amount)s', amount=money(limit.amount))}")
        for pool, limit in options)
    pools = {pool.id: pool for pool, _limit in options}

    def operation():
        return services.pledge_from_pool(current_user, pools[form.pool_id.data], project, form.amount.cents or 0,
                                         now=utcnow(), note=form.note.data or "")

    def done(pledge: Pledge):
        flash(_("Pledged %(amount)s from %(pool)s.", amount=money(pledge.amount_cents),
                pool=pledge.pool.tr("name", _locale())), "success")
        return redirect(url_for("projects.detail", project_id=project.id))

    return handle_form(form, "funding/pledge.html", operation, done, project=project, options=options,
                       summary=services.funding_summary(project))


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale() or "zh")


def _settle(pledge: Pledge, action: str):
    require_form(ActionForm())
    if action == "release":
        services.release_pledge(current_user, pledge, now=utcnow())
        message = _("Pledge released: %(amount)s paid into the project's funds.", amount=money(pledge.amount_cents))
    else:
        services.withdraw_pledge(current_user, pledge, now=utcnow())
        message = _("Pledge withdrawn: %(amount)s is back in the pool.", amount=money(pledge.amount_cents))
    db.session.commit()
    flash(message, "success")
    return redirect(url_for("funds.detail", pool_id=pledge.pool_id))


@bp.post("/pledges/<int:pledge_id>/release")
@guard("pledge.settle", Pledge, "pledge_id")
def release_pledge(pledge: Pledge):
    return _settle(pledge, "release")


@bp.post("/pledges/<int:pledge_id>/withdraw")
@guard("pledge.settle", Pledge, "pledge_id")
def withdraw_pledge(pledge: Pledge):
    return _settle(pledge, "withdraw")


# ---------------------------------------------------------------- matching campaigns

@bp.get("/campaigns")
@public
def campaigns():
    status = request.args.get("status")
    chosen = CampaignStatus(status) if status in {s.value for s in CampaignStatus} else None
    items = db.session.scalars(services.list_campaigns(chosen).limit(100)).all()
    return render_template("funding/campaigns.html", campaigns=items, status=chosen, statuses=list(CampaignStatus),
                           now=utcnow())


@bp.get("/campaigns/<int:campaign_id>")
@public
def campaign(campaign_id: int):
    campaign = db.get_or_404(MatchingCampaign, campaign_id)
    now = utcnow()
    tally = services.tally_campaign(campaign, now=now) if campaign.status == CampaignStatus.OPEN else None
    manage = services.can_manage_campaign(current_user, campaign)
    can_close = campaign.status == CampaignStatus.OPEN and now > campaign.starts_at and (
        manage or (now >= campaign.ends_at and policy.can(current_user, "campaign.close", campaign)))
    can_cancel = campaign.status == CampaignStatus.OPEN and now < campaign.starts_at and manage
    return render_template("funding/campaign.html", campaign=campaign, tally=tally, now=now, action=ActionForm(),
                           can_close=can_close, can_cancel=can_cancel)


@bp.route("/pools/<int:pool_id>/campaigns/new", methods=["GET", "POST"])
@guard("campaign.manage", FundingPool, "pool_id")
def new_campaign(pool: FundingPool):
    form = CampaignForm()
    form.rule.choices = choices_of((r.value, enum_label(r)) for r in MatchingRule)
    eligible = services.eligible_campaign_projects(pool)
    form.project_ids.choices = choices_of(
        (p.id, f"{p.tr('title', _locale())} ({money(p.budget_cents)})") for p in eligible)
    tz = current_app.config.get("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")

    def operation():
        return services.create_campaign(current_user, pool, services.CampaignInput(
            name=form.name.data or "", name_en=form.name_en.data or "", description=form.description.data or "",
            description_en=form.description_en.data or "", rule=MatchingRule(form.rule.data),
            amount_cents=form.amount.cents or 0, per_donor_cap_cents=form.per_donor_cap.cents,
            per_project_cap_cents=form.per_project_cap.cents,
            starts_at=day_start(form.starts_on.data, tz), ends_at=day_end(form.ends_on.data, tz),
            project_ids=tuple(form.project_ids.data or ())), now=utcnow())

    def done(campaign: MatchingCampaign):
        flash(_("Campaign opened: %(amount)s reserved from the pool.", amount=money(campaign.amount_cents)), "success")
        return redirect(url_for("funding.campaign", campaign_id=campaign.id))

    return handle_form(form, "funding/campaign_form.html", operation, done, pool=pool, eligible=eligible)


@bp.post("/campaigns/<int:campaign_id>/close")
@guard("campaign.close", MatchingCampaign, "campaign_id")
def close_campaign(campaign: MatchingCampaign):
    require_form(ActionForm())
    services.close_campaign(current_user, campaign, now=utcnow())
    db.session.commit()
    flash(_("Campaign closed: %(amount)s matched and paid into the projects.", amount=money(campaign.matched_cents)),
          "success")
    return redirect(url_for("funding.campaign", campaign_id=campaign.id))


@bp.post("/campaigns/<int:campaign_id>/cancel")
@guard("campaign.manage", MatchingCampaign, "campaign_id")
def cancel_campaign(campaign: MatchingCampaign):
    require_form(ActionForm())
    services.cancel_campaign(current_user, campaign, now=utcnow())
    db.session.commit()
    flash(_("Campaign cancelled; its money is back in the pool."), "success")
    return redirect(url_for("funding.campaign", campaign_id=campaign.id))
