"""A tender whose bids are open, and an expert pool around it."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.market.bids.helpers import AFTER, _request_context, market  # noqa: F401


class Evaluation:
    """The usual situation: a tender of the street official's street with three opened bids, and
    ``experts`` of elderly care (no conflicts) in the pool."""

    def __init__(self, builder, category):
        from market.core.db import db
        from market.panels import services

        self.market, self.category = builder, category
        self.project = builder.tendered(start_date=(AFTER + timedelta(days=30)).date(),
                                        end_date=(AFTER + timedelta(days=210)).date())
        self.best, self.second, self.third = (builder.provider(rating_grade=5), builder.provider(rating_grade=4),
                                               builder.provider(rating_grade=3))
        self.bids = [builder.bid(self.best, self.project, 26_000_000), builder.bid(self.second, self.project, 27_000_000),
                     builder.bid(self.third, self.project, 29_000_000)]
        builder.open(self.project)
        self.experts = [self.expert(f"专家{n}") for n in range(7)]
        db.session.commit()
        self.services = services

    def expert(self, name, *, codes=("elderly_care",), organization=None):
        from market.core.db import db
        from market.panels import services

        expert = services.create_expert(self.market.district_official, services.ExpertInput(
            name=name, title="高级社工师", phone="0755-8888 0000", organization_id=organization.id if organization else None,
            category_ids=tuple(self.category(code).id for code in codes)))
        db.session.commit()
        return expert

    def draw(self, size=5, **kwargs):
        from market.core.db import db

        draw = self.services.draw_panel(self.market.official, self.project, size, now=AFTER, **kwargs)
        db.session.commit()
        return draw

    def sheet(self, draw, scores_by_bid=None, reasons=None):
        """Every member gives bid i the score ``scores_by_bid[i]`` on every criterion (default 90, 80, 70)."""
        scores_by_bid = scores_by_bid or (90, 80, 70)
        criteria = len(self.project_tender().criteria)
        scores = {(bid.id, m, c): scores_by_bid[i] for i, bid in enumerate(self.bids) for m in draw.member_ids
                  for c in range(criteria)}
        return self.services.ScoreSheet(scores, reasons or {bid.id: "方案完整，团队经验充分。" for bid in self.bids})

    def project_tender(self):
        from market.bids.services import tender_of

        return tender_of(self.project)

    def scored(self, size=5, scores_by_bid=None, now=AFTER):
        from market.core.db import db

        draw = self.services.current_draw(self.project) or self.draw(size)
        evaluation = self.services.record_scores(self.market.official, self.project,
                                                 self.sheet(draw, scores_by_bid), now=now)
        db.session.commit()
        return evaluation

    def published(self, scores_by_bid=None, now=AFTER):
        from market.core.db import db

        self.scored(scores_by_bid=scores_by_bid, now=now)
        notice = self.services.publish_notice(self.market.official, self.project, now=now)
        db.session.commit()
        return notice


@pytest.fixture
def evaluation(request, category):
    return Evaluation(request.getfixturevalue("market"), category)
