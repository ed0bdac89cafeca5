"""Rows to JSON-ready dicts (both languages; money in integer minor units)."""
from __future__ import annotations

from typing import Any

from market.funds.models import FundingPool
from market.orgs.models import Organization
from market.projects.models import Project


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None


def _ref(row, *fields: str) -> dict[str, Any] | None:
    if row is None:
        return None
    return {"id": row.id, **{f: getattr(row, f) for f in fields}}


def project_dict(project: Project) -> dict[str, Any]:
    return {
        "id": project.id,
        "kind": project.kind,
        "title": project.title,
        "title_en": project.title_en,
        "description": project.description,
        "description_en": project.description_en,
        "category": _ref(project.category, "code", "name", "name_en"),
        "project_type": project.project_type,
        "street": _ref(project.street, "name", "name_en"),
        "community": _ref(project.community, "name", "name_en"),
        "budget_cents": project.budget_cents,
        "funded_cents": project.funded_cents,
        "status": project.status,
        "start_date": _iso(project.start_date),
        "end_date": _iso(project.end_date),
        "bid_deadline": _iso(project.bid_deadline),
        "published_at": _iso(project.published_at),
        "organization": _ref(project.organization, "name", "name_en"),
        "eligibility": {"min_rating_grade": project.min_rating_grade,
                        "min_years_registered": project.min_years_registered,
                        "min_staff": project.min_staff, "min_office_area_m2": project.min_office_area_m2},
    }


def org_dict(org: Organization) -> dict[str, Any]:
    return {
        "id": org.id,
        "name": org.name,
        "name_en": org.name_en,
        "kind": org.kind,
        "registration_date": _iso(org.registration_date),
        "full_time_staff": org.full_time_staff,
        "office_area_m2": org.office_area_m2,
        "rating_grade": org.rating_grade,
        "capability": org.capability,
        "capability_en": org.capability_en,
        "capacity": org.capacity,
        "verification_state": org.verification_state,
        "serves_whole_district": org.serves_whole_district,
        "categories": [c.code for c in org.categories],
        "service_streets": [_ref(s, "name", "name_en") for s in org.service_streets],
    }


def pool_dict(pool: FundingPool) -> dict[str, Any]:
    return {
        "id": pool.id,
        "name": pool.name,
        "name_en": pool.name_en,
        "description": pool.description,
        "description_en": pool.description_en,
        "funder": _ref(pool.funder, "name", "name_en"),
        "year": pool.year,
        "declared_cents": pool.declared_cents,
        "received_cents": pool.received_cents,
        "remaining_cents": pool.remaining_cents,
        "max_grant_cents": pool.max_grant_cents,
        "max_share_percent": pool.max_share_percent,
        "is_open": pool.is_open,
        "focus_categories": [c.code for c in pool.focus_categories],
        "streets": [_ref(s, "name", "name_en") for s in pool.streets],
    }
