"""The category suggestion measured on hand-written proposals and held-aside demo proposals
(tests/data/README.md says how the labelled sets were made), trained as on the demo database."""
from __future__ import annotations

from pathlib import Path

import pytest

from market.demo.micro import classifier_training_examples, demo_ideas, held_aside_examples, held_aside_ideas
from market.geo.taxonomy import CATEGORIES
from matching.classify import evaluate, read_examples, train

DATA = Path(__file__).resolve().parents[2] / "data"
SETS = ("micro_proposals_labelled.csv", "micro_proposals_fresh.csv", "micro_proposals_final.csv")


@pytest.fixture(scope="module")
def classifier():
    return train(classifier_training_examples())


def _held_aside():
    return [e for name in SETS for e in read_examples(str(DATA / name))] + held_aside_examples()


def test_the_labelled_sets_cover_every_category_and_stay_out_of_training():
    examples = _held_aside()
    codes = {code for code, _zh, _en in CATEGORIES}
    assert {e.label for e in examples} == codes
    assert all(sum(e.label == code for e in examples) >= 4 for code in codes)
    assert sum(1 for e in examples if e.text.isascii()) >= 8  # a few in English
    trained = {e.text for e in classifier_training_examples()}
    assert not any(e.text in trained for e in examples)
    held_titles = {i.title for i in held_aside_ideas()}
    assert 0 < len(held_titles) < len(demo_ideas())
    assert not any(title in text for text in trained for title in held_titles)


def test_the_suggestion_meets_the_aim_on_the_held_aside_set(classifier):
    result = evaluate(classifier, _held_aside(), k=3)
    print(f"held-aside set: {result.summary()}")
    assert result.count >= 150
    assert result.top1 >= 0.85 and result.topk >= 0.95, result.misses


def test_the_blind_set_stays_near_its_measured_figures(classifier):
    """The set written last and measured once (80.0 % top-1, 95.0 % top-3 on 40 texts): the honest
    estimate for new texts; a change that makes it worse fails here."""
    result = evaluate(classifier, read_examples(str(DATA / "micro_proposals_final.csv")), k=3)
    print(f"blind set: {result.summary()}")
    assert result.top1 >= 0.775 and result.topk >= 0.925, result.misses


def test_the_held_aside_demo_proposals_alone(classifier):
    result = evaluate(classifier, held_aside_examples(), k=3)
    assert result.count == len(held_aside_ideas()) and result.topk == 1.0 and result.top1 >= 0.85
