"""The micro-project factories, the usual marketplace and two districts, for probes written from the outside."""
import pytest

from tests.market.bids.helpers import market  # noqa: F401
from tests.market.micro.conftest import (  # noqa: F401
    _request_context,
    cast,
    engaged_project,
    make_proposal,
    make_round,
    photo_file,
    street_official,
)


@pytest.fixture
def city(geo, make_user):
    """District A (the fixture's Futian, two streets) and district B (Luohu, one street), each with a
    district-wide official and a street official."""
    from market.accounts.models import Role
    from market.core.db import db
    from market.geo.models import Community, District, Street

    luohu = District(code="440303", name="罗湖区", name_en="Luohu District")
    street = Street(district=luohu, code="LH1", name="桂园街道", name_en="Guiyuan Subdistrict")
    community = Community(street=street, code="LH101", name="松园社区", name_en="Songyuan Community")
    db.session.add_all([luohu, street, community])
    db.session.commit()

    class City:
        pass

    c = City()
    c.a, c.b, c.b_street, c.b_community = geo.district, luohu, street, community
    c.a_official = make_user(Role.OFFICIAL)
    c.a_street_official = make_user(Role.OFFICIAL, street=geo.streets[0])
    c.b_official = make_user(Role.OFFICIAL, district_id=luohu.id)
    c.b_street_official = make_user(Role.OFFICIAL, street=street)
    c.admin = make_user(Role.ADMIN)
    c.intruders = (c.b_official, c.b_street_official)
    return c
