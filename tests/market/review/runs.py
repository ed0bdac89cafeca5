"""A finished matching run of any size, stored through the service that stores the engine's results
(:func:`market.review.services._store_result`), for console pages that list many proposals."""
from __future__ import annotations

from market.core.db import db, utcnow
from market.core.state import transition
from market.projects.models import ProjectKind, ProjectStatus
from market.review import adapter, services
from market.review.models import RunStatus

KINDS = (ProjectKind.MICRO, ProjectKind.GOVERNMENT_SERVICE, ProjectKind.MICRO)
CATEGORIES = ("elderly_care", "youth", "culture_sports")


def large_run(market, *, proposals=150, unmatched=10, official=None, providers=8, pools=3):
    """A run by ``official`` (the street official) over ``proposals + unmatched`` open projects of their
    street: each matched project has a provider and money from a pool, scores spread from 0.30 to 0.95;
    every seventh is not the engine's first choice; the first provider is fully booked by the run and the
    first pool is used up."""
    official = official or market.official
    street = market.geo.streets[0]
    orgs = [market.org(name=f"福田第{i}社工服务中心", name_en=f"Futian Social Work Centre No. {i}",
                       capacity=1000, categories=CATEGORIES) for i in range(providers)]
    funds = [market.make_pool(total_cents=10_000_000_000) for _ in range(pools)]
    projects = []
    for i in range(proposals + unmatched):
        kind = KINDS[i % len(KINDS)]
        projects.append(market.make_project(
            kind=kind, owner=official,
            status=ProjectStatus.EVALUATING if kind == ProjectKind.GOVERNMENT_SERVICE else ProjectStatus.OPEN, street=street, category_code=CATEGORIES[i % len(CATEGORIES)],
            budget_cents=1_000_000 + 12_345 * i, title=f"社区服务项目{i:03d}", title_en=f"Community service {i:03d}"))
    run = services.start_run(official, [p.id for p in projects], adapter.RunOptions(time_limit=20), now=utcnow())
    db.session.commit()
    assignments = []
    for i, project in enumerate(projects[:proposals]):
        org = orgs[i % providers]
        score = round(0.30 + 0.65 * ((i * 37) % 100) / 100, 6)
        pool = funds[i % pools]
        unit = {"project_id": project.id, "lot_id": None, "provider_id": org.id, "score": score,
                "components": {"text": score, "category": 1.0, "geography": 1.0, "reputation": 0.6},
                "cost": project.budget_cents, "pinned": False,
                "funding": [{"pool_id": pool.id, "amount": project.budget_cents}]
                if project.kind == ProjectKind.MICRO else [],
                "rank": 1, "candidates": providers,
                "first_choice": {"provider_id": org.id, "score": score}}
        if i % 7 == 3:
            better = orgs[(i + 1) % providers]
            unit.update(rank=2, first_choice={"provider_id": better.id, "score": min(1.0, score + 0.05)})
        assignments.append(unit)
    left = [{"project_id": p.id, "lot_id": None, "code": "providers_at_capacity" if i % 2 else "pools_exhausted",
             "params": {"count": 3} if i % 2 else {"needed": p.budget_cents + 55, "left": 123_456}}
            for i, p in enumerate(projects[proposals:])]
    orgs[0].capacity = sum(1 for unit in assignments if unit["provider_id"] == orgs[0].id)  # booked by the run
    result = {"status": "optimal", "objective": 1.0, "bound": 1.0, "gap": 0.0, "solver": "cbc", "seconds": 1.0,
              "notes": [], "assignments": assignments, "unmatched": left,
              "binding": [f"provider_capacity:{orgs[0].id}", f"pool_budget:{funds[0].id}"],
              "wrong_category": [], "stats": {"providers": providers, "pools": pools, "bids": 0, "decisions": 0}}
    transition(run, RunStatus.RUNNING, actor=None, action="match_run.started")
    services._store_result(run, result)
    run.seconds, run.finished_at = 1.0, utcnow()
    run.progress = 100
    transition(run, RunStatus.SUCCEEDED, actor=None, action="match_run.finished")
    db.session.commit()
    return run, projects, orgs, funds
