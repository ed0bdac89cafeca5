"""Identifiers both exports share: organisations and the official codes of places.

Organisations
-------------
An organisation whose unified social credit code (统一社会信用代码) an official has verified is
identified as ``CN-USCI-<code>``, the org-id.guide list for that register; every other one keeps
the marketplace's own identifier (the caller's internal scheme and the organisation's id).

Places
------
The official codes of Futian district's places, for the exports' locations: the district's
administrative division code (GB/T 2260) and its streets' statistical division codes at township
level (9 digits), from the National Bureau of Statistics' 2023 statistical division codes
(统计用区划代码, state on 30 June 2023). The codes of the communities (12 digits) are not in this
table: an export names a community in words and locates it by its street's code. The codes kept
in the database's geography tables are not used here: the demo data's are made up.
"""
from __future__ import annotations

from dataclasses import dataclass

from market.geo.models import District, Street
from market.orgs import credit_code
from market.orgs.models import Organization

USCI_SCHEME = "CN-USCI"

#: geoCodeType of each kind of code (360Giving leaves the list open outside the UK).
DISTRICT_CODE_TYPE = "GB/T 2260 county-level division"
STREET_CODE_TYPE = "NBS statistical division, township level"

#: Official codes by district name: the district's own, then its streets' by street name.
DIVISIONS: dict[str, tuple[str, dict[str, str]]] = {
    "福田区": ("440304", {
        "南园街道": "440304001",
        "园岭街道": "440304002",
        "福田街道": "440304004",
        "沙头街道": "440304005",
        "香蜜湖街道": "440304006",
        "梅林街道": "440304007",
        "莲花街道": "440304008",
        "华富街道": "440304009",
        "福保街道": "440304010",
        "华强北街道": "440304011",
    }),
}


def verified_credit_code(org: Organization) -> str | None:
    """The unified social credit code an official verified for ``org`` (checked again), or None.

    A verified organisation's profile is what the official checked; one waiting for a check of
    changed facts still has the code of its last verification.
    """
    if org.is_verified:
        code = org.credit_code
    elif org.is_eligible:
        code = (org.verified_facts or {}).get("credit_code") or ""
    else:
        return None
    code = credit_code.normalise(code)
    return code if code and credit_code.problem(code) is None else None


@dataclass(frozen=True)
class OrgIdentifier:
    scheme: str
    id: str

    def __str__(self) -> str:
        return f"{self.scheme}-{self.id}"


def org_identifier(org: Organization, internal_scheme: str) -> OrgIdentifier:
    """``CN-USCI-<code>`` when the code is verified, else ``<internal_scheme>-<id>``."""
    code = verified_credit_code(org)
    return OrgIdentifier(USCI_SCHEME, code) if code else OrgIdentifier(internal_scheme, str(org.id))


@dataclass(frozen=True)
class Division:
    """A place with an official code."""

    code: str
    code_type: str
    name: str


def district_division(district: District | None) -> Division | None:
    if district is None or district.name not in DIVISIONS:
        return None
    return Division(DIVISIONS[district.name][0], DISTRICT_CODE_TYPE, district.name)


def street_division(street: Street | None) -> Division | None:
    if street is None or street.district is None or street.district.name not in DIVISIONS:
        return None
    code = DIVISIONS[street.district.name][1].get(street.name)
    return Division(code, STREET_CODE_TYPE, street.name) if code else None
