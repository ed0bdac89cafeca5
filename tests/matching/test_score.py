"""Score components, their combination, and the weights dataclass."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.score import (
    category_score,
    combine,
    delivery_score,
    geography_score,
    price_score,
    reputation_score,
    score_pair,
)
from matching.types import ProjectSpec, ProviderSpec, ScoreWeights

PROJECT = ProjectSpec(
    id="p1", title="福田社区长者助餐", category="elderly", category_name="养老服务",
    street_id="futian", street_name="福田街道", community_id="futian:0", budget=30_000_000,
    description="为辖区独居老人提供上门助餐、探访和健康监测服务")


def provider(**kw):
    base = dict(id="a", name="福田区长者之家", categories=("elderly",), streets={"futian"},
                capability="专注居家养老、助餐配送、长者健康管理")
    base.update(kw)
    return ProviderSpec(**base)


def test_unrated_provider_gets_the_prior_mean():
    assert reputation_score(0, 0) == pytest.approx((3.0 - 1) / 4)


def test_few_perfect_ratings_are_pulled_towards_the_prior():
    few = reputation_score(10, 2)
    many = reputation_score(250, 50)
    assert reputation_score(0, 0) < few < many < 1.0


def test_bad_ratings_lower_the_reputation():
    assert reputation_score(20, 20) < reputation_score(0, 0)


def test_delivery_score_is_a_bayesian_success_rate():
    assert delivery_score(0, 0) == pytest.approx(2 / 3)
    assert delivery_score(20, 0) > delivery_score(20, 5) > delivery_score(0, 5)


def test_price_score_rewards_cheaper_bids_and_is_neutral_at_budget():
    assert price_score(100, 100) == 0.5
    assert price_score(80, 100) > price_score(95, 100)
    assert price_score(0, 0) == 0.5


def test_category_score_prefers_primary_category():
    assert category_score("elderly", ("elderly", "health")) == 1.0
    assert category_score("health", ("elderly", "health")) == 0.7
    assert category_score("children", ("elderly",)) == 0.0


def test_geography_scores_local_street_and_district():
    assert geography_score(provider(communities={"futian:0"}), "futian", "futian:0") == 1.0
    assert geography_score(provider(home_street_id="futian"), "futian", None) == 1.0
    assert geography_score(provider(), "futian", None) == 0.9
    assert geography_score(provider(streets=set(), whole_district=True), "futian", None) == 0.75
    assert geography_score(provider(streets={"meilin"}), "futian", None) == 0.0


def test_combined_score_keeps_every_component():
    score, parts = score_pair(PROJECT, provider())
    assert set(parts) == set(ScoreWeights.COMPONENTS)
    assert score == pytest.approx(combine(parts))
    assert parts["geography"] == 0.9 and parts["category"] == 1.0


def test_social_organisation_wins_an_otherwise_equal_tie():
    ngo, _ = score_pair(PROJECT, provider(kind="social_organisation"))
    firm, _ = score_pair(PROJECT, provider(kind="enterprise"))
    assert ngo > firm
    assert ngo - firm < 0.02  # a tie-breaker, not a thumb on the scale


def test_weights_are_overridable():
    text_only = ScoreWeights(text=1, category=0, geography=0, reputation=0, price=0, delivery=0,
                             social_org=0)
    score, parts = score_pair(PROJECT, provider(), weights=text_only)
    assert score == pytest.approx(parts["text"])


def test_score_pair_uses_bid_price():
    cheap, parts = score_pair(PROJECT, provider(), price=24_000_000)
    full, _ = score_pair(PROJECT, provider())
    assert parts["price"] == pytest.approx(0.6) and cheap > full


@pytest.mark.parametrize("field, value", [("text", -0.1), ("rating_prior_mean", 6.0),
                                          ("social_org", float("nan"))])
def test_invalid_weights_raise_naming_the_field(field, value):
    with pytest.raises(ValueError, match=f"ScoreWeights.{field}"):
        ScoreWeights(**{field: value})


def test_all_zero_weights_are_rejected():
    with pytest.raises(ValueError, match="ScoreWeights"):
        ScoreWeights(text=0, category=0, geography=0, reputation=0, price=0, delivery=0,
                     social_org=0)


unit = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
weight = st.floats(min_value=0.0, max_value=10.0, allow_nan=False)


@given(components=st.fixed_dictionaries({name: unit for name in ScoreWeights.COMPONENTS}),
       weights=st.lists(weight, min_size=7, max_size=7).filter(lambda ws: sum(ws) > 1e-6))
@settings(max_examples=60, deadline=None)
def test_combined_score_stays_in_unit_interval(components, weights):
    w = ScoreWeights(**dict(zip(ScoreWeights.COMPONENTS, weights)))
    assert 0.0 <= combine(components, w) <= 1.0


@given(rating_count=st.integers(0, 500), mean=st.floats(1.0, 5.0),
       completed=st.integers(0, 200), failed=st.integers(0, 200))
@settings(max_examples=60, deadline=None)
def test_reputation_and_delivery_stay_in_unit_interval(rating_count, mean, completed, failed):
    assert 0.0 <= reputation_score(mean * rating_count, rating_count) <= 1.0
    assert 0.0 < delivery_score(completed, failed) < 1.0


def test_a_district_wide_specialist_beats_a_local_generalist_on_a_clear_text_lead():
    """Geography ranks providers that all serve the street: a lead of 0.1 on the text outweighs
    a local office."""
    weights = ScoreWeights()
    local = {"text": 0.4, "category": 1.0, "geography": 1.0, "reputation": 0.5, "price": 0.5,
             "delivery": 0.9, "social_org": 1.0}
    specialist = dict(local, text=0.5, geography=geography_score(
        provider(streets=set(), whole_district=True), "futian", None))
    assert combine(specialist, weights) > combine(local, weights)
