"""The category classifier: plain data in, ranked suggestions with their evidence out."""
from __future__ import annotations

import csv

import pytest

from matching.classify import MAX_CHARS, Example, evaluate, features, main, read_examples, train

EXAMPLES = [
    ("长者饭堂桌椅更新，给老人换带扶手的椅子", "elderly"),
    ("独居老人上门探访和送餐", "elderly"),
    ("儿童游乐场铺安全地垫，换滑梯", "children"),
    ("四点半课堂，放学后托管小学生", "children"),
    ("楼道电动车充电有火灾隐患，建集中充电棚", "safety"),
    ("Replace expired fire extinguishers in the stairwells", "safety"),
]


@pytest.fixture(scope="module")
def classifier():
    return train(EXAMPLES)


def test_suggestions_are_ranked_with_their_evidence(classifier):
    suggestions = classifier.suggest("小区老人吃饭难，想办个长者饭堂")
    assert suggestions[0].label == "elderly"
    assert [s.score for s in suggestions] == sorted((s.score for s in suggestions), reverse=True)
    assert 0 < suggestions[0].score <= 1
    assert any("饭堂" in e for e in suggestions[0].evidence)


def test_english_texts_are_classified(classifier):
    assert classifier.suggest("The fire extinguishers have expired")[0].label == "safety"


def test_k_limits_the_suggestions(classifier):
    assert len(classifier.suggest("老人 儿童 充电", k=2)) == 2
    with pytest.raises(ValueError, match="k"):
        classifier.suggest("老人", k=0)


def test_texts_without_known_words_get_no_suggestion(classifier):
    assert classifier.suggest("") == ()
    assert classifier.suggest("!!! ???") == ()
    assert classifier.suggest("zzqqxx") == ()


def test_non_text_is_refused_naming_the_field(classifier):
    with pytest.raises(ValueError, match="text"):
        classifier.suggest(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="text"):
        features(b"bytes")  # type: ignore[arg-type]


def test_only_the_start_of_a_very_long_text_is_read(classifier):
    long_text = "长者饭堂" + "啊" * (MAX_CHARS * 3) + "儿童滑梯" * 50
    assert classifier.suggest(long_text)[0].label == "elderly"


def test_training_is_deterministic_and_ties_follow_first_appearance():
    assert train(EXAMPLES).suggest("老人 儿童") == train(EXAMPLES).suggest("老人 儿童")
    tied = train([("alpha beta", "b"), ("alpha gamma", "a")])
    assert [s.label for s in tied.suggest("alpha")] == ["b", "a"]


def test_bad_training_data_is_refused():
    with pytest.raises(ValueError, match="examples"):
        train([])
    with pytest.raises(ValueError, match="examples"):
        train([("!!!", "x")])
    with pytest.raises(ValueError, match="examples"):
        train([("text", "")])
    with pytest.raises(ValueError, match="examples"):
        train([("only one value",)])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="weight"):
        train([Example("长者饭堂", "elderly", weight=0)])


def test_a_heavier_example_weighs_more_in_its_labels_centroid():
    def score(weight):
        c = train([Example("老人 饭堂", "elderly", weight), Example("老人 理发", "elderly"), ("儿童 滑梯", "children")])
        return c.suggest("饭堂")[0].score

    assert score(5.0) > score(1.0)


def test_evaluate_counts_first_and_within_k(classifier):
    result = evaluate(classifier, [("老人送餐", "elderly"), ("滑梯坏了", "children"), ("滑梯坏了", "elderly")], k=1)
    assert result.count == 3 and result.top1 == pytest.approx(2 / 3) and result.topk == pytest.approx(2 / 3)
    assert result.misses[0][1] == "elderly"
    with pytest.raises(ValueError):
        evaluate(classifier, [])


def test_the_command_line_prints_the_figures(tmp_path, capsys):
    def write(name, rows):
        path = tmp_path / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["label", "text"])
            writer.writerows(rows)
        return str(path)

    training = write("train.csv", [(label, text) for text, label in EXAMPLES])
    test = write("test.csv", [("elderly", "老人饭堂"), ("children", "儿童滑梯"), ("safety", "充电棚")])
    assert main(["--train", training, "--evaluate", test, "--misses"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("3 texts: top-1 100.0%, top-3 100.0%")
    assert len(read_examples(test)) == 3
    bad = write("bad.csv", [])
    (tmp_path / "bad.csv").write_text("category,words\nx,y\n", encoding="utf-8")
    with pytest.raises(ValueError, match="label"):
        read_examples(bad)


def test_doctests():
    import doctest

    import matching.classify

    assert doctest.testmod(matching.classify).failed == 0
