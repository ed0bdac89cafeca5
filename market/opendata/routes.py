"""GET-only open-data endpoints under /api/v1 (registered CSRF-exempt, like the rest of the API)."""
from __future__ import annotations

from flask import Blueprint, abort, request

from market.core.db import utcnow
from market.opendata import checkpoints, extension, giving360, ocds
from market.opendata.common import json_response, parse_page_args
from market.opendata.csv_export import csv_response, grants_csv, releases_csv
from market.ui.guard import public
from market.ui.replica import replica_reads

bp = Blueprint("opendata", __name__)


@bp.get("/ocds/releases.json")
@replica_reads
@public
def ocds_releases():
    page, per_page = parse_page_args(request.args)
    return json_response(*ocds.release_package(page=page, per_page=per_page, now=utcnow()))


@bp.get("/ocds/extension/<filename>")
@public
def ocds_extension(filename: str):
    """The marketplace's OCDS extension (milestone value): ``extension.json`` and ``release-schema.json``."""
    document = extension.document(filename)
    if document is None:
        abort(404)
    return json_response(document)


@bp.get("/ocds/releases.csv")
@replica_reads
@public
def ocds_releases_csv():
    return csv_response(releases_csv(ocds.iter_releases(utcnow())), "ocds-releases.csv")


@bp.get("/360giving/grants.json")
@replica_reads
@public
def giving_grants():
    page, per_page = parse_page_args(request.args)
    return json_response(*giving360.grant_package(page=page, per_page=per_page, now=utcnow()))


@bp.get("/360giving/grants.csv")
@replica_reads
@public
def giving_grants_csv():
    return csv_response(grants_csv(giving360.all_grants()), "360giving-grants.csv")


@bp.get("/audit/checkpoints.json")
@public
def audit_checkpoints():
    """Every checkpoint of the audit chain, oldest first, a page at a time, with the latest on every page.

    Save one; later, check that it is still listed unchanged at its ``index`` and that every later
    checkpoint descends from it (each carries the digest of the one before, ``prev``). See docs/trust.md.
    """
    page, per_page = parse_page_args(request.args)
    return json_response(checkpoints.published(page=page, per_page=per_page))
