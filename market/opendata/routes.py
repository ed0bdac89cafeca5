"""GET-only open-data endpoints under /api/v1 (registered CSRF-exempt, like the rest of the API)."""
from __future__ import annotations

from flask import Blueprint, request

from market.db import utcnow
from market.opendata import giving360, ocds
from market.opendata.common import json_response, parse_page_args
from market.opendata.csv_export import csv_response, grants_csv, releases_csv

bp = Blueprint("opendata", __name__)


@bp.get("/ocds/releases.json")
def ocds_releases():
    page, per_page = parse_page_args(request.args)
    return json_response(ocds.release_package(page=page, per_page=per_page, now=utcnow()))


@bp.get("/ocds/releases.csv")
def ocds_releases_csv():
    return csv_response(releases_csv(ocds.iter_releases(utcnow())), "ocds-releases.csv")


@bp.get("/360giving/grants.json")
def giving_grants():
    page, per_page = parse_page_args(request.args)
    return json_response(giving360.grant_package(page=page, per_page=per_page, now=utcnow()))


@bp.get("/360giving/grants.csv")
def giving_grants_csv():
    return csv_response(grants_csv(giving360.all_grants()), "360giving-grants.csv")
