"""The marketplace's own OCDS extension, served beside the releases and listed in their packages.

OCDS 1.1 has no field for what a contract pays when one of its milestones is met; the marketplace's
contracts are paid milestone by milestone, so the payment schedule is part of every contract. The
extension adds ``Milestone.value`` (a ``Value``), the field OCDS 1.2 is to bring, and nothing else.
"""
from __future__ import annotations

from typing import Any

from market.opendata.common import public_url

#: The files of the extension, by the names OCDS tools ask for.
FILES = ("extension.json", "release-schema.json")

RELEASE_SCHEMA_PATCH: dict[str, Any] = {
    "definitions": {
        "Milestone": {
            "properties": {
                "value": {
                    "title": "Value",
                    "description": "The payment due to the supplier once this milestone is met: one instalment "
                                   "of the contract's payment schedule.",
                    "$ref": "#/definitions/Value",
                },
            },
        },
    },
}


def metadata() -> dict[str, Any]:
    """``extension.json``, as the extension metadata schema describes it."""
    return {
        "name": {"en": "Milestone value", "zh": "里程碑金额"},
        "description": {"en": "Adds a value to milestones, for contracts paid milestone by milestone.",
                        "zh": "为里程碑增加金额字段，用于按里程碑付款的合同。"},
        "documentationUrl": {"en": public_url("web.open_data")},
        "compatibility": ["1.1"],
        "schemas": ["release-schema.json"],
    }


def url() -> str:
    """The URL packages list the extension by (its ``extension.json``)."""
    return public_url("opendata.ocds_extension", filename="extension.json")


def document(filename: str) -> dict[str, Any] | None:
    if filename == "extension.json":
        return metadata()
    if filename == "release-schema.json":
        return RELEASE_SCHEMA_PATCH
    return None
