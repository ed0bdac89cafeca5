"""Third-party evaluation (第三方评估) at acceptance, as services: who may evaluate, what the report
must be, what each conclusion does to the milestone, and that bad input writes nothing."""
from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from market.accounts.models import Role
from market.contracts import services as contract_services
from market.contracts.models import ContractEvaluation, ContractStatus, EvaluationConclusion, MilestoneStatus
from market.contracts.services import MAX_REPORT_BYTES, EvaluationInput, Upload
from market.core.audit import AuditEvent
from market.core.db import db
from market.core.errors import Conflict, PermissionDenied, ValidationFailed
from market.orgs.credit_code import check_character
from market.payments.models import Payout
from tests.market.bids.helpers import AFTER

PDF = b"%PDF-1.4\n% evaluation report\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
DOCX = b"PK\x03\x04" + b"\x00" * 32
SUMMARY = "服务台账完整，回访满意度达到92%，建议加强个案记录。"
OUTSIDE_CODE = "52440300MJL0A4P7X" + check_character("52440300MJL0A4P7X")


@pytest.fixture
def reported(market, signed):
    """The signed contract's first milestone reported done by the winner."""
    contract, winner = signed
    first = contract.milestones[0]
    contract_services.submit_milestone(winner, first, "完成需求评估和团队组建", now=AFTER)
    db.session.commit()
    return contract, first


@pytest.fixture
def evaluator(market):
    """A verified organisation with nothing to do with the contract."""
    return market.org(name="深圳市社会组织评估中心")


def _input(evaluator=None, **fields) -> EvaluationInput:
    values = {"conclusion": EvaluationConclusion.PASS.value, "summary": SUMMARY,
              "report": Upload("评估报告.pdf", PDF), "evaluator_org_id": evaluator.id if evaluator else None}
    values.update(fields)
    return EvaluationInput(**values)


def _nothing_written(milestone, storage) -> None:
    assert db.session.scalar(select(func.count(ContractEvaluation.id))) == 0
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action == "milestone.evaluated")) == 0
    assert milestone.status == MilestoneStatus.SUBMITTED and milestone.approved_by_id is None
    assert not any(p.is_file() for p in storage.rglob("*"))


@pytest.mark.parametrize("conclusion", [EvaluationConclusion.PASS, EvaluationConclusion.PASS_WITH_REMARKS])
def test_a_passed_evaluation_accepts_the_milestone_and_keeps_the_report(market, reported, evaluator, tmp_path,
                                                                        conclusion):
    contract, first = reported
    evaluation = contract_services.accept_milestone(market.official, first, _input(evaluator, conclusion=conclusion),
                                                    storage_root=tmp_path, now=AFTER)
    db.session.commit()
    assert first.status == MilestoneStatus.APPROVED and first.approved_by_id == market.official.id
    assert [p.milestone_id for p in db.session.scalars(select(Payout))] == [first.id]  # the payout follows
    assert evaluation.evaluator_org_id == evaluator.id and evaluation.evaluator_name == "深圳市社会组织评估中心"
    assert evaluation.conclusion == conclusion and evaluation.summary == SUMMARY
    assert evaluation.sha256 == hashlib.sha256(PDF).hexdigest() and evaluation.size_bytes == len(PDF)
    assert evaluation.content_type == "application/pdf" and evaluation.filename == "评估报告.pdf"
    stored = contract_services.evaluation_report_path(tmp_path, evaluation)
    assert stored.read_bytes() == PDF and evaluation.stored_name != evaluation.filename
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "milestone.evaluated"))
    assert event.actor_id == market.official.id and event.object_id == str(evaluation.id)
    assert event.after["sha256"] == evaluation.sha256 and event.after["conclusion"] == conclusion.value
    assert event.after["evaluator_org_id"] == evaluator.id and event.after["milestone_id"] == first.id
    assert first.evaluations == [evaluation]


def test_a_failed_evaluation_returns_the_milestone_instead(market, reported, evaluator, tmp_path):
    contract, first = reported
    evaluation = contract_services.accept_milestone(
        market.official, first, _input(evaluator, conclusion="fail", report=Upload("现场照片.png", PNG)),
        storage_root=tmp_path, now=AFTER)
    db.session.commit()
    assert evaluation.conclusion == EvaluationConclusion.FAIL and evaluation.content_type == "image/png"
    assert first.status == MilestoneStatus.PLANNED and first.approved_by_id is None
    assert db.session.scalar(select(func.count(Payout.id))) == 0 and contract.status == ContractStatus.SIGNED
    returned = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "milestone.returned"))
    assert returned.after["reason"] == SUMMARY
    # The provider reports again; a second evaluation passes, and both stay on record.
    contract_services.submit_milestone(market.provider(contract.provider), first,
                                       "补充了满意度回访记录", now=AFTER)
    contract_services.accept_milestone(market.official, first, _input(evaluator, report=Upload("复评.docx", DOCX)),
                                       storage_root=tmp_path, now=AFTER)
    assert first.status == MilestoneStatus.APPROVED
    assert [e.conclusion for e in first.evaluations] == [EvaluationConclusion.FAIL, EvaluationConclusion.PASS]


def test_an_evaluator_not_registered_here_is_named_with_its_credit_code(market, reported, tmp_path):
    _, first = reported
    evaluation = contract_services.accept_milestone(
        market.official, first, _input(evaluator_name="  深圳大学社会评估  研究中心 ",
                                       evaluator_credit_code=OUTSIDE_CODE.lower()),
        storage_root=tmp_path, now=AFTER)
    assert evaluation.evaluator_org_id is None and evaluation.evaluator_name == "深圳大学社会评估 研究中心"
    assert evaluation.evaluator_credit_code == OUTSIDE_CODE and first.status == MilestoneStatus.APPROVED


def _refused_fields(actor, milestone, data, storage) -> set[str]:
    with pytest.raises(ValidationFailed) as caught:
        contract_services.accept_milestone(actor, milestone, data, storage_root=storage, now=AFTER)
    db.session.rollback()
    return set(caught.value.fields)


def test_the_evaluator_is_independent_verified_and_identified(market, reported, evaluator, make_user, tmp_path):
    contract, first = reported
    official = market.official
    assert _refused_fields(official, first, _input(evaluator_org_id=contract.provider_id), tmp_path) == {
        "evaluator_org_id"}
    unverified = market.org(verified=False)
    assert _refused_fields(official, first, _input(unverified), tmp_path) == {"evaluator_org_id"}
    assert _refused_fields(official, first, _input(evaluator_org_id=99999), tmp_path) == {"evaluator_org_id"}
    department = market.org(name="福田区民政局")
    insider = make_user(Role.OFFICIAL, street=official.street, organization=department)
    assert _refused_fields(insider, first, _input(department), tmp_path) == {"evaluator_org_id"}
    assert _refused_fields(official, first, _input(evaluator, evaluator_name="另一家评估机构"), tmp_path) == {
        "evaluator_org_id"}
    assert _refused_fields(official, first, _input(), tmp_path) == {"evaluator_name", "evaluator_credit_code"}
    assert _refused_fields(official, first, _input(evaluator_name="某评估机构",
                                                   evaluator_credit_code=OUTSIDE_CODE[:-1] + "0"),
                           tmp_path) == {"evaluator_credit_code"}
    # A registered organisation cannot be typed in by hand to get round the checks above: not by its name
    # with an invented code, nor by its code under another name.
    provider = db.session.get(type(evaluator), contract.provider_id)
    assert _refused_fields(official, first, _input(evaluator_name=f" {provider.name} ", evaluator_credit_code=OUTSIDE_CODE),
                           tmp_path) == {"evaluator_name"}
    provider.credit_code = OUTSIDE_CODE
    db.session.commit()
    assert _refused_fields(official, first, _input(evaluator_name="改个名字的中标机构", evaluator_credit_code=OUTSIDE_CODE),
                           tmp_path) == {"evaluator_credit_code"}
    _nothing_written(first, tmp_path)
    candidates = set(db.session.scalars(contract_services.evaluator_candidates(insider, contract)))
    assert evaluator in candidates and unverified not in candidates
    assert provider not in candidates and department not in candidates


@pytest.mark.parametrize("fields, field", [
    ({"report": None}, "report"),
    ({"report": Upload("", b"")}, "report"),
    ({"report": Upload("empty.pdf", b"")}, "report"),
    ({"report": Upload("huge.pdf", PDF + b"0" * MAX_REPORT_BYTES)}, "report"),
    ({"report": Upload("tool.exe", b"MZ\x90\x00")}, "report"),
    ({"report": Upload("sheet.xlsx", DOCX)}, "report"),  # a bid may carry a spreadsheet, a report may not
    ({"report": Upload("disguised.pdf", PNG)}, "report"),
    ({"conclusion": ""}, "conclusion"),
    ({"conclusion": "excellent"}, "conclusion"),
    ({"summary": "  合格 "}, "summary"),
])
def test_bad_evaluations_are_refused_and_write_nothing(market, reported, evaluator, tmp_path, fields, field):
    _, first = reported
    assert field in _refused_fields(market.official, first, _input(evaluator, **fields), tmp_path)
    _nothing_written(first, tmp_path)


def test_only_the_streets_officials_accept_with_an_evaluation(market, reported, evaluator, make_user, tmp_path):
    contract, first = reported
    winner = market.provider(contract.provider)
    for actor in (market.other_official, winner, market.provider(), make_user(Role.RESIDENT),
                  make_user(Role.FUNDER)):
        with pytest.raises(PermissionDenied):
            contract_services.accept_milestone(actor, first, _input(evaluator), storage_root=tmp_path, now=AFTER)
        db.session.rollback()
    _nothing_written(first, tmp_path)
    contract_services.accept_milestone(market.district_official, first, _input(evaluator), storage_root=tmp_path,
                                       now=AFTER)
    assert first.status == MilestoneStatus.APPROVED


def test_only_a_milestone_reported_done_is_evaluated(market, signed, evaluator, tmp_path):
    contract, _ = signed
    with pytest.raises(Conflict):
        contract_services.accept_milestone(market.official, contract.milestones[0], _input(evaluator),
                                           storage_root=tmp_path, now=AFTER)
    assert not any(tmp_path.rglob("*.pdf"))


def test_report_downloads_are_for_the_streets_officials_and_the_provider(market, reported, evaluator, make_user,
                                                                         tmp_path):
    contract, first = reported
    evaluation = contract_services.accept_milestone(market.official, first, _input(evaluator), storage_root=tmp_path,
                                                    now=AFTER)
    may = contract_services.can_download_report
    assert may(market.official, evaluation) and may(market.district_official, evaluation)
    assert may(market.provider(contract.provider), evaluation)
    evaluator_member = market.provider(evaluator)
    for outsider in (None, market.other_official, market.provider(), make_user(Role.RESIDENT), evaluator_member):
        assert not may(outsider, evaluation)
