"""Demo stage of the evaluation: the district's expert pool and one tender evaluated by a panel.

Runs after the marketplace stage (``market.demo.loader.DEMO_STAGES``); deterministic (its own seeded
generator, the fixed reference date of :mod:`market.demo.data`, and a seed for the draw derived
from them, so that two loads draw the same panel); flushes, never commits. Everything goes through
:mod:`market.panels.services`, so it is validated and audited as it would be in use:

* 20 experts across the social-service fields, some with a current organisation, an employment
  history or a declared relationship; the district official keeps the pool;
* the tender of 福田街道 that is being evaluated with the most bids: a panel of five drawn (the
  experts who work or worked for a bidder, or declared a relationship with one, excluded), every
  member's scores recorded with the panel's reasons, and the candidate notice published on the
  reference date, open to complaints for three working days.
"""
from __future__ import annotations

import hashlib
import random
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from market.accounts.models import Role, User
from market.bids.models import Bid, BidStatus, Lot, Tender
from market.bids.services import tender_of
from market.core import policy
from market.demo import data as D
from market.geo.models import Category
from market.orgs.models import Organization, OrgKind, VerificationState
from market.panels import services
from market.projects.models import Project, ProjectKind, ProjectStatus

SEED = D.SEED + 5
REF = D.REFERENCE_TIME
EXPERTS = (  # name, English name, title, English title, fields
    ("王建华", "Wang Jianhua", "高级社会工作师", "Senior social worker", ("elderly_care", "health")),
    ("李敏", "Li Min", "注册会计师", "Certified public accountant", ("elderly_care", "community_governance")),
    ("张志强", "Zhang Zhiqiang", "养老机构管理专家", "Elderly care home manager", ("elderly_care",)),
    ("刘芳", "Liu Fang", "康复治疗师", "Rehabilitation therapist", ("disability", "elderly_care", "health")),
    ("陈静", "Chen Jing", "心理咨询师", "Psychological counsellor", ("mental_health", "elderly_care")),
    ("杨帆", "Yang Fan", "社会工作专业副教授", "Associate professor of social work", ("youth", "elderly_care")),
    ("黄丽", "Huang Li", "公共管理学者", "Public administration scholar", ("community_governance", "elderly_care")),
    ("赵磊", "Zhao Lei", "中级社会工作师", "Social worker", ("elderly_care", "volunteering")),
    ("吴婷", "Wu Ting", "儿童发展研究员", "Child development researcher", ("children_family", "youth")),
    ("周强", "Zhou Qiang", "律师", "Lawyer", ("legal_aid", "community_governance")),
    ("徐慧", "Xu Hui", "社区卫生服务中心主任医师", "Community health physician", ("health", "elderly_care")),
    ("孙伟", "Sun Wei", "特殊教育教师", "Special education teacher", ("disability", "children_family")),
    ("马丽娟", "Ma Lijuan", "就业指导师", "Career counsellor", ("employment", "migrant_services")),
    ("朱明", "Zhu Ming", "环境工程师", "Environmental engineer", ("environment", "facilities_works")),
    ("胡婷婷", "Hu Tingting", "文化馆馆员", "Cultural centre librarian", ("culture_sports", "community_education")),
    ("郭勇", "Guo Yong", "志愿服务督导", "Volunteer supervisor", ("volunteering", "youth")),
    ("何洁", "He Jie", "青少年社会工作者", "Youth social worker", ("youth", "youth_offender_support")),
    ("林涛", "Lin Tao", "财务审计师", "Financial auditor", ("poverty_relief", "community_governance")),
    ("罗娜", "Luo Na", "社区教育讲师", "Community education lecturer", ("community_education", "children_family")),
    ("郑凯", "Zheng Kai", "安全评估工程师", "Safety assessment engineer", ("public_safety", "facilities_works")),
)
REASONS = ("服务方案针对性强，团队配置合理，报价在预算范围内。",
           "方案基本可行，但本地服务基础较弱，风险控制措施不够具体。",
           "以往同类项目验收情况良好，服务对象评价较高。",
           "方案对需求分析较为笼统，人员稳定性有待说明。")


def load_panels_demo(session: Session) -> None:
    """Add the expert pool and one evaluated tender (see the module docstring); flushes, never commits."""
    rng = random.Random(SEED)  # noqa: S311  (seeded demo data)
    official = session.scalar(select(User).where(User.email == f"official@{D.DEMO_EMAIL_DOMAIN}"))
    street_official = session.scalar(select(User).where(User.email == f"street.official@{D.DEMO_EMAIL_DOMAIN}"))
    project = _tender_to_evaluate(session, street_official.street_id)
    bidders = [] if project is None else sorted({b.organization_id for b in services.valid_bids(project)})
    others = list(session.scalars(select(Organization.id).where(
        Organization.kind == OrgKind.SOCIAL_ORGANISATION, Organization.verification_state == VerificationState.VERIFIED,
        Organization.id.not_in(bidders or [0])).order_by(Organization.id).limit(200)))
    categories = {c.code: c.id for c in session.scalars(select(Category))}
    project_field = project.category.code if project is not None else "elderly_care"
    experts = []
    for index, (name, name_en, title, title_en, codes) in enumerate(EXPERTS):
        if index < 8 and project_field not in codes:  # the tender's field has enough experts to draw from
            codes = (project_field, *codes)
        working = rng.random() < 0.5
        experts.append(services.create_expert(official, services.ExpertInput(
            name=name, name_en=name_en, title=title, title_en=title_en, phone=f"0755-8{rng.randrange(10**6, 10**7)}",
            category_ids=tuple(categories[c] for c in codes),
            organization_id=rng.choice(others) if working and others else None)))
    for expert in experts[8:14]:  # careers: earlier employers, long enough ago to be no conflict
        services.add_employment(official, expert, services.EmploymentInput(
            rng.choice(others), date(2012 + rng.randrange(4), 3, 1), date(2019 + rng.randrange(2), 6, 30)))
    if project is None or len(bidders) < 2:
        return
    # Conflicts the draw must see: one works for a bidder, one left a bidder last year, one is related to one.
    experts[0].organization_id = bidders[0]
    services.update_expert(official, experts[0], _as_input(experts[0]))
    services.add_employment(official, experts[1], services.EmploymentInput(
        bidders[-1], date(2019, 9, 1), D.REFERENCE_DATE - timedelta(days=300)))
    services.add_relationship(official, experts[2], bidders[1], "配偶在该机构担任项目主管。")
    evaluator = street_official if policy.can(street_official, "evaluation.manage", project) else official
    seed = hashlib.sha256(f"{SEED}:{project.id}".encode()).hexdigest()[:32]
    draw = services.draw_panel(evaluator, project, 5, now=REF - timedelta(minutes=40), seed=seed)
    criteria = tender_of(project).criteria
    bids = services.valid_bids(project)
    quality = {bid.id: rng.randint(62, 92) for bid in bids}
    scores = {(bid.id, member, c): max(0, min(100, quality[bid.id] + rng.randint(-8, 8)))
              for bid in bids for member in draw.member_ids for c in range(len(criteria))}
    services.record_scores(evaluator, project, services.ScoreSheet(
        scores, {bid.id: REASONS[rng.randrange(len(REASONS))] for bid in bids}), now=REF - timedelta(minutes=30))
    notice = services.publish_notice(evaluator, project, now=REF - timedelta(minutes=20))
    # A bidder that is not first complains within the window; the complaint waits for the officials' answer.
    first = services.first_candidate(project)
    complainant = session.scalar(select(User).where(
        User.organization_id.in_([b for b in bidders if b != first]), User.role == Role.PROVIDER).order_by(User.id))
    if complainant is not None and notice is not None:
        services.file_complaint(complainant, project, "我方认为服务方案评分偏低：方案已按招标文件逐项响应，"
                                "请评审专家复核“服务方案”一项的评分依据。", now=REF - timedelta(minutes=10))
    session.flush()


def _as_input(expert) -> services.ExpertInput:
    return services.ExpertInput(name=expert.name, name_en=expert.name_en, title=expert.title, title_en=expert.title_en,
                                phone=expert.phone, category_ids=tuple(c.id for c in expert.categories),
                                organization_id=expert.organization_id, is_active=expert.is_active)


def _tender_to_evaluate(session: Session, street_id: int | None) -> Project | None:
    """The street's opened tender, still being evaluated and not split into lots, with the most bids."""
    bid_count = (select(func.count(Bid.id)).where(Bid.project_id == Project.id, Bid.status != BidStatus.WITHDRAWN)
                 .correlate(Project).scalar_subquery())
    stmt = (select(Project).join(Tender, Tender.project_id == Project.id)
            .where(Project.kind == ProjectKind.GOVERNMENT_SERVICE, Project.status == ProjectStatus.EVALUATING,
                   Tender.opened_at.is_not(None), ~select(Lot.id).where(Lot.project_id == Project.id).exists())
            .order_by((Project.street_id == street_id).desc(), bid_count.desc(), Project.id).limit(1))
    return session.scalar(stmt)
