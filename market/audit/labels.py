"""Words for the audit trail: what each recorded action, object type and detail is called.

Every action code the marketplace records (``market.core.audit.record`` and the transition
helper ``market.core.state.transition``) has its label in :data:`ACTION_LABELS`;
``tests/market/test_audit_view.py`` reads the source and fails when a recorded code has none.
Codes the transition helper makes itself (``<noun>.<status>``, when a caller names no action)
are said from the object type and the status's own label.
"""
from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from market.core.db import Base
from market.core.enums import label_of
from market.core.state import stateful_models

#: Every recorded action, by code.
ACTION_LABELS: dict[str, Any] = {
    # ---- accounts
    "user.registered": _l("Account registered"),
    "user.login_paused": _l("Log-in paused after failed attempts"),
    "user.logged_out": _l("Logged out"),
    "user.password_changed": _l("Password changed"),
    "user.verified": _l("Resident verified"),
    "user.disabled": _l("Account disabled"),
    "user.enabled": _l("Account enabled"),
    # ---- organisations
    "organization.created": _l("Organisation registered"),
    "organization.updated": _l("Organisation profile edited"),
    "organization.facts_changed": _l("Verified facts changed: verification needed again"),
    "organization.resubmitted": _l("Organisation resubmitted for verification"),
    "organization.document_added": _l("Evidence document added"),
    "organization.verified": _l("Organisation verified"),
    "organization.verification_refused": _l("Organisation verification refused"),
    "organization.verification_withdrawn": _l("Organisation verification withdrawn"),
    "organization.stripe_account": _l("Payout account changed"),
    # ---- projects and tenders
    "project.created": _l("Project created"),
    "project.updated": _l("Project edited"),
    "project.status_changed": _l("Project status changed"),
    "project.published": _l("Project published"),
    "project.bids_opened": _l("Project's bids opened"),
    "project.awarded": _l("Project awarded"),
    "project.award_cancelled": _l("Project's award cancelled"),
    "project.started": _l("Project started"),
    "project.completed": _l("Project completed"),
    "tender.published": _l("Tender published"),
    "tender.amended": _l("Tender amended"),
    "tender.opened": _l("Bids opened"),
    "bid.submitted": _l("Sealed bid submitted"),
    "bid.revised": _l("Sealed bid revised"),
    "bid.withdrawn": _l("Sealed bid withdrawn"),
    "bid.awarded": _l("Bid won"),
    "bid.not_awarded": _l("Bid not successful"),
    "bid.back_in_the_running": _l("Bid back in the running"),
    # ---- funding pools, pledges, campaigns, payments
    "pool.created": _l("Funding pool opened"),
    "pool.updated": _l("Funding pool edited"),
    "pledge.made": _l("Pledge made"),
    "pledge.released": _l("Pledge paid to the project"),
    "pledge.withdrawn": _l("Pledge withdrawn"),
    "campaign.created": _l("Matching campaign created"),
    "campaign.closed": _l("Matching campaign closed"),
    "campaign.cancelled": _l("Matching campaign cancelled"),
    "appropriation.requested": _l("Budget appropriation requested"),
    "payment.pledged": _l("Payment announced"),
    "payment.checkout_started": _l("Online payment started"),
    "payment.checkout_failed": _l("Online payment could not start"),
    "payment.received": _l("Payment received"),
    "payment.cancelled": _l("Payment cancelled"),
    "payment.refunded": _l("Payment refunded"),
    "payment.expired": _l("Payment expired"),
    "payment.failed": _l("Payment failed"),
    "payment.mismatch": _l("Payment does not match the order"),
    "payment.refunded_unwanted": _l("Unexpected payment refunded"),
    "payment.refund_due": _l("Payment to be refunded"),
    "payout.requested": _l("Payout requested"),
    "payout.paid": _l("Payout paid"),
    "payout.failed": _l("Payout failed"),
    "payout.mismatch": _l("Payout amount does not match"),
    # ---- money moved by the ledger (one per movement)
    "money.opening": _l("Money: opening balance carried over"),
    "money.appropriation": _l("Money: budget appropriation"),
    "money.top_up": _l("Money: pool top-up"),
    "money.donation": _l("Money: donation"),
    "money.refund": _l("Money: refund"),
    "money.pledge": _l("Money: pledge"),
    "money.pledge_release": _l("Money: pledge paid to the project"),
    "money.pledge_withdrawal": _l("Money: pledge withdrawn"),
    "money.campaign_reserve": _l("Money: reserved for a matching campaign"),
    "money.campaign_match": _l("Money: matching paid to the project"),
    "money.campaign_return": _l("Money: campaign money returned"),
    "money.commitment": _l("Money: reserved for a contract"),
    "money.commitment_release": _l("Money: reservation released"),
    "money.payout": _l("Money: paid to the provider"),
    # ---- matching, awards, contracts
    "match_run.created": _l("Matching run requested"),
    "match_run.started": _l("Matching run started"),
    "match_run.finished": _l("Matching run finished"),
    "match_run.failed": _l("Matching run failed"),
    "match_decision.pin": _l("Pair kept (pinned) for matching"),
    "match_decision.forbid": _l("Pair excluded (forbidden) from matching"),
    "match_decision.replaced": _l("Matching decision replaced"),
    "match_decision.revoked": _l("Matching decision revoked"),
    "match_proposal.approved": _l("Match proposal approved"),
    "match_proposal.rejected": _l("Match proposal rejected"),
    "match_proposal.superseded": _l("Match proposal superseded"),
    "award.approved": _l("Award approved"),
    "award.confirmed": _l("Award confirmed"),
    "award.cancelled": _l("Award cancelled"),
    "award.money_released": _l("Award's reserved money released"),
    "award.objection_filed": _l("Objection to an award filed"),
    "award.objection_answered": _l("Objection to an award answered"),
    "commitment.paid": _l("Reserved money paid"),
    "commitment.released": _l("Reserved money released"),
    "commitment.settled": _l("Reserved money settled"),
    "contract.signed": _l("Contract signed"),
    "contract.completed": _l("Contract completed"),
    "contract.terminated": _l("Contract terminated"),
    "milestone.submitted": _l("Milestone submitted"),
    "milestone.returned": _l("Milestone returned"),
    "milestone.approved": _l("Milestone approved"),
    "milestone.paid": _l("Milestone paid"),
    # ---- residents' micro-projects
    "micro.round_created": _l("Micro-project round opened"),
    "micro.round_phase_changed": _l("Round moved to another phase"),
    "micro.voting_opened": _l("Voting opened"),
    "micro.proposal_created": _l("Proposal written"),
    "micro.proposal_updated": _l("Proposal edited"),
    "micro.proposal_submitted": _l("Proposal submitted"),
    "micro.proposal_reviewed": _l("Proposal reviewed"),
    "micro.proposal_scored": _l("Proposal scored by an expert"),
    "micro.proposal_merged": _l("Proposal merged into another"),
    "micro.proposal_supported": _l("Proposal supported"),
    "micro.proposal_support_withdrawn": _l("Support for a proposal withdrawn"),
    "micro.proposal_selected": _l("Proposal selected"),
    "micro.proposal_not_selected": _l("Proposal not selected"),
    "micro.photo_removed": _l("Photo removed"),
    "micro.panel_member_invited": _l("Expert panel member invited"),
    "micro.comment_added": _l("Comment added"),
    "micro.ballot_cast": _l("Ballot cast"),
    "micro.ballot_changed": _l("Ballot changed"),
    "micro.results_published": _l("Results published"),
    "micro.results_final": _l("Results final"),
    "micro.objection_filed": _l("Objection to the results filed"),
    "micro.objection_answered": _l("Objection to the results answered"),
    "micro.progress_update": _l("Progress update posted"),
    "micro.flag_raised": _l("Problem reported"),
    "micro.flag_answered": _l("Reported problem answered"),
    "micro.project_accepted": _l("Micro-project accepted"),
    "micro.project_rated": _l("Micro-project rated"),
    # ---- demonstration data
    "demo.loaded": _l("Demonstration data loaded"),
    "demo.city_loaded": _l("City demonstration data loaded"),
    "demo.marketplace_loaded": _l("Demonstration marketplace loaded"),
    "demo.sealed_bids": _l("Demonstration sealed bids placed"),
    # ---- procedure, panels, contracts, routing, delivery
    "bid.refused_late": _l("Late bid refused"),
    "bid.returned": _l("Bid returned (tender re-published)"),
    "candidate_notice.published": _l("Candidate notice published"),
    "candidate_notice.superseded": _l("Candidate notice superseded"),
    "clarification.asked": _l("Question asked about a tender"),
    "clarification.published": _l("Clarification published"),
    "complaint.answered": _l("Complaint answered"),
    "complaint.filed": _l("Complaint filed"),
    "evaluation.recorded": _l("Panel scores recorded"),
    "evaluation.superseded": _l("Panel scores superseded"),
    "expert.created": _l("Expert added to the pool"),
    "expert.employment_added": _l("Expert's employment recorded"),
    "expert.employment_removed": _l("Expert's employment removed"),
    "expert.relationship_declared": _l("Expert's relationship declared"),
    "expert.relationship_removed": _l("Expert's relationship removed"),
    "expert.updated": _l("Expert's details edited"),
    "match_run.bulk_approved": _l("Several proposals approved at once"),
    "micro.category_route_set": _l("Department for a category set"),
    "micro.item_acknowledged": _l("Item acknowledged by the office"),
    "micro.item_escalated": _l("Item escalated to the district"),
    "micro.item_rerouted": _l("Item passed to another office"),
    "micro.item_routed": _l("Item routed to an office"),
    "milestone.evaluated": _l("Third-party evaluation recorded"),
    "notification.delivery_discarded": _l("Undelivered message discarded"),
    "notification.delivery_failed": _l("Message could not be delivered"),
    "notification.delivery_retried": _l("Undelivered message sent again"),
    "organization.procurement_code_changed": _l("Department's project-number prefix changed"),
    "panel.drawn": _l("Expert panel drawn"),
    "panel.redrawn": _l("Expert panel members redrawn"),
    "panel_draw.superseded": _l("Panel draw superseded"),
    "procurement.settings_changed": _l("Procurement settings changed"),
    "project.tender_failed": _l("Project's tender failed"),
    "tender.deadline_extended": _l("Bid deadline extended"),
    "tender.document_added": _l("Tender document added"),
    "tender.document_removed": _l("Tender document removed"),
    "tender.failed": _l("Tender failed (too few valid bids)"),
    "tender.method_switched": _l("Procurement method switched"),
    "tender.republished": _l("Tender re-published"),
    "user.phone_changed": _l("Mobile number changed"),
    "vocabulary_term.added": _l("Word added to the matching vocabulary"),
    "vocabulary_term.withdrawn": _l("Word withdrawn from the matching vocabulary"),
}

#: What each object type (the table an event is about) is called.
OBJECT_TYPE_LABELS: dict[str, Any] = {
    "users": _l("Account"),
    "organizations": _l("Organisation"),
    "projects": _l("Project"),
    "tenders": _l("Tender"),
    "bids": _l("Bid"),
    "sealed_bid": _l("Sealed bid"),
    "funding_pools": _l("Funding pool"),
    "funding_commitments": _l("Reserved money"),
    "pledges": _l("Pledge"),
    "matching_campaigns": _l("Matching campaign"),
    "payment_orders": _l("Payment"),
    "payouts": _l("Payout"),
    "ledger_transfers": _l("Money transfer"),
    "match_runs": _l("Matching run"),
    "match_decisions": _l("Matching decision"),
    "match_proposals": _l("Match proposal"),
    "awards": _l("Award"),
    "award_objections": _l("Objection to an award"),
    "contracts": _l("Contract"),
    "milestones": _l("Milestone"),
    "micro_rounds": _l("Micro-project round"),
    "micro_proposals": _l("Micro-project proposal"),
    "micro_comments": _l("Comment"),
    "micro_ballots": _l("Ballot"),
    "micro_objections": _l("Objection to the results"),
    "micro_progress_updates": _l("Progress update"),
    "micro_flags": _l("Reported problem"),
    "micro_acceptances": _l("Acceptance"),
    "micro_ratings": _l("Rating"),
    "system": _l("System"),
    "bid_openings": _l("Bid opening record"),
    "candidate_complaints": _l("Complaint about the candidates"),
    "candidate_notices": _l("Candidate notice"),
    "clarifications": _l("Clarification"),
    "contract_evaluations": _l("Third-party evaluation"),
    "districts": _l("District"),
    "expert_employments": _l("Expert's employment"),
    "expert_relationships": _l("Expert's declared relationship"),
    "experts": _l("Expert"),
    "late_bid_attempts": _l("Late bid"),
    "micro_category_routes": _l("Department for a category"),
    "micro_routed_items": _l("Routed item"),
    "notification_outbox": _l("Outgoing message"),
    "panel_draws": _l("Panel draw"),
    "panel_evaluations": _l("Panel evaluation"),
    "procurement_settings": _l("Procurement settings"),
    "tender_documents": _l("Tender document"),
    "tender_invitations": _l("Invitation to tender"),
    "vocabulary_terms": _l("Vocabulary word"),
}

#: What the details recorded before and after are called.
FIELD_LABELS: dict[str, Any] = {
    "address": _l("Address"), "allocation": _l("Allocation"), "already_supporting": _l("Already supporting"),
    "amount": _l("Amount"), "amount_cents": _l("Amount"), "answer": _l("Answer"), "assignments": _l("Assignments"),
    "attempts": _l("Attempts"), "award_id": _l("Award"), "balances": _l("Balances"),
    "ballot_type": _l("Ballot type"), "bid_count": _l("Number of bids"), "bid_deadline": _l("Bid deadline"),
    "bids": _l("Bids"), "budget_cents": _l("Budget"), "category_id": _l("Category"), "changed": _l("Changed"),
    "checkout_session_id": _l("Checkout session"), "code": _l("Code"), "commitment": _l("Seal commitment"),
    "community_id": _l("Community"), "contract_id": _l("Contract"), "contracts": _l("Contracts"),
    "credit_code": _l("Unified social credit code"), "criteria": _l("Criteria"), "currency": _l("Currency"),
    "declared_cents": _l("Declared total"), "disabled": _l("Disabled"), "district_id": _l("District"), "document_id": _l("Document"),
    "document_ref": _l("Document"), "due_at": _l("Due"), "ends_at": _l("Ends"), "error": _l("Error"),
    "estimated_cost_cents": _l("Estimated cost"), "event_id": _l("Payment provider event"),
    "facts": _l("Facts"), "from": _l("From"), "from_pools_cents": _l("From pools"),
    "full_time_staff": _l("Full-time staff"), "funded_cents": _l("Funded"), "funding_pools": _l("Funding pools"),
    "home_street_id": _l("Home street"), "is_open": _l("Open"), "kind": _l("Kind"), "late": _l("Late"),
    "lot_id": _l("Lot"), "lots": _l("Lots"), "matched_cents": _l("Matched"), "max_grant_cents": _l("Largest grant"),
    "max_picks": _l("Most choices per ballot"), "max_share_percent": _l("Largest share (%)"),
    "merged_into": _l("Merged into"), "method": _l("Method"), "milestone_id": _l("Milestone"), "name": _l("Name"),
    "note": _l("Note"), "notice_ends_at": _l("Public notice ends"),
    "notice_working_days": _l("Public notice (working days)"), "office_area_m2": _l("Office area (m²)"),
    "official_cost_cents": _l("Official cost estimate"), "opened_at": _l("Opened"), "options": _l("Options"),
    "organizations": _l("Organisations"), "paid_cents": _l("Paid"), "parent_id": _l("Earlier version"),
    "pauses": _l("Pauses"), "payout_id": _l("Payout"), "percent_complete": _l("Per cent complete"),
    "phase": _l("Phase"), "photo": _l("Photo"), "photos": _l("Photos"), "picks": _l("Choices"),
    "pool_id": _l("Funding pool"), "project_id": _l("Project"), "project_type": _l("Project type"),
    "projects": _l("Projects"), "proposal_id": _l("Proposal"), "provider_id": _l("Provider"),
    "rating_closes_at": _l("Rating closes"), "rating_grade": _l("Rating grade"), "reason": _l("Reason"),
    "reference": _l("Reference"), "reference_date": _l("Reference date"),
    "registration_date": _l("Registration date"), "released_cents": _l("Released"),
    "requirements": _l("Requirements"), "reserved_cents": _l("Reserved"), "result": _l("Result"),
    "returned_cents": _l("Returned"), "returned_to_pool_cents": _l("Returned to the pool"),
    "revision": _l("Revision"), "role": _l("Role"), "round_id": _l("Round"), "rule": _l("Rule"),
    "run_id": _l("Matching run"), "scale": _l("Scale"), "districts": _l("Districts"), "fraction": _l("Fraction"),
    "rounds": _l("Rounds"), "seconds": _l("Seconds"), "seed": _l("Seed"),
    "selected": _l("Selected"), "selected_cost_cents": _l("Cost of the selected"),
    "service_street_ids": _l("Streets served"), "serves_whole_district": _l("Serves the whole district"),
    "sha256": _l("SHA-256"), "size_bytes": _l("Size (bytes)"), "source": _l("Source"), "starts_at": _l("Starts"),
    "status": _l("Status"), "street_id": _l("Street"), "stripe_account_id": _l("Payout account"),
    "supporters": _l("Supporters"), "supporters_moved": _l("Supporters moved"), "title": _l("Title"),
    "to": _l("To"), "transfer_id": _l("Transfer"), "unmatched": _l("Unmatched"), "until": _l("Until"),
    "user_id": _l("Person"), "verification_state": _l("Verification"), "verified": _l("Verified"),
    "voters": _l("Voters"), "voting_closes_at": _l("Voting closes"), "voting_opens_at": _l("Voting opens"),
    # the expert panel's and residents' rating criteria
    "need": _l("Need"), "feasibility": _l("Feasibility"), "value_for_money": _l("Value for money"),
    "reach": _l("Benefit reach"), "quality": _l("Quality"), "timeliness": _l("On time"),
    "communication": _l("Communication"),
    "acknowledged_at": _l("Acknowledged"),
    "attempted_at": _l("Attempted"),
    "award_ids": _l("Awards"),
    "candidates": _l("Candidates"),
    "channel": _l("Channel"),
    "clarification_id": _l("Clarification"),
    "conclusion": _l("Conclusion"),
    "contact_name": _l("Contact person"),
    "contact_phone": _l("Contact phone"),
    "dead_at": _l("Given up"),
    "deadline_extended_to": _l("Deadline extended to"),
    "draw_id": _l("Panel draw"),
    "evaluation_id": _l("Evaluation"),
    "evaluator_credit_code": _l("Evaluator's credit code"),
    "evaluator_name": _l("Evaluator"),
    "evaluator_org_id": _l("Evaluating organisation"),
    "failed": _l("Failed"),
    "filename": _l("File"),
    "flag_id": _l("Reported problem"),
    "invited_org_ids": _l("Invited organisations"),
    "last_error": _l("Last error"),
    "length": _l("Length"),
    "members": _l("Members"),
    "method_reason": _l("Reason for the method"),
    "missed": _l("Deadline missed"),
    "notice_id": _l("Notice"),
    "number": _l("Project number"),
    "office_id": _l("Office"),
    "organization_id": _l("Organisation"),
    "phone_given": _l("Phone number given"),
    "procurement_code": _l("Project-number prefix"),
    "proposal_ids": _l("Proposals"),
    "question": _l("Question"),
    "reasons": _l("Reasons"),
    "returned_bids": _l("Bids returned"),
    "round": _l("Round"),
    "scores": _l("Scores"),
    "summary": _l("Summary"),
    "text": _l("Text"),
    "totals": _l("Totals"),
    "window_ends_at": _l("Complaint window ends"),
    "working_days": _l("Working days"),
    "skill": _l("Skill"), "term": _l("Word"), "language": _l("Language"),
}


def generated_action(code: str) -> tuple[type, Any] | None:
    """``(model, status)`` when ``code`` is one the transition helper names itself (``<noun>.<status>``)."""
    noun, _dot, value = code.rpartition(".")
    for model in stateful_models(Base):
        if model.__state_noun__ != noun:
            continue
        enum = getattr(model.__table__.c[model.__state_column__].type, "enum", None)
        if enum is None:
            continue
        try:
            return model, enum(value)
        except ValueError:
            continue
    return None


def action_label(code: str) -> str:
    """The action's label in the reader's language (the code itself when it is unknown)."""
    label = ACTION_LABELS.get(code)
    if label is not None:
        return str(label)
    generated = generated_action(code)
    if generated is not None:
        model, status = generated
        return _("%(object)s: %(status)s", object=object_type_label(model.__tablename__), status=label_of(status))
    return code


def object_type_label(object_type: str) -> str:
    """The object type's name in the reader's language (the code itself when it is unknown)."""
    label = OBJECT_TYPE_LABELS.get(object_type)
    return str(label) if label is not None else object_type


def field_label(key: str) -> str:
    """A recorded detail's name in the reader's language; unknown keys as words."""
    label = FIELD_LABELS.get(key)
    if label is not None:
        return str(label)
    words = key.removesuffix("_cents").removesuffix("_id").replace("_", " ").strip()
    return words[:1].upper() + words[1:] if words else key
