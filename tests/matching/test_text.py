"""Text normalisation, tokenisation and similarity, on real-looking Chinese and English texts."""

import pytest

from matching.text import (
    normalize,
    pairwise_similarity,
    prepare,
    prepare_many,
    similarity,
    tfidf_matrix,
    tokenize,
)

ELDERLY_NEED = "为辖区独居老人提供上门助餐、探访和健康监测服务"
ELDERLY_CAPABILITY = "专注居家养老、助餐配送、长者健康管理"
CHILDREN_CAPABILITY = "青少年课后托管、四点半课堂与亲子阅读"
DISABILITY_CAPABILITY = "为残障人士提供康复训练和辅具适配"


def test_normalize_turns_full_width_into_half_width_and_lower_case():
    assert normalize("ＡＢＣ１２３") == "abc123"


def test_normalize_drops_chinese_and_english_punctuation_and_extra_spaces():
    assert normalize("长者助餐，探访；健康监测！（每周）  Meals-on-Wheels.") == \
        "长者助餐 探访 健康监测 每周 meals on wheels"


def test_normalize_treats_ideographic_space_as_space():
    assert normalize("社区\u3000治理") == "社区 治理"


def test_normalize_rejects_non_text():
    with pytest.raises(ValueError, match="text"):
        normalize(None)  # type: ignore[arg-type]


def test_tokenize_segments_chinese_with_jieba_and_drops_stopwords():
    tokens = tokenize(ELDERLY_NEED)
    assert "助餐" in tokens and "独居老人" in tokens
    assert "为" not in tokens and "提供" not in tokens and "服务" not in tokens


def test_tokenize_keeps_english_words_lightly_stemmed():
    assert tokenize("Providing home meals for isolated elderly residents") == \
        ["home", "meal", "isolated", "elderly", "resident"]


def test_tokenize_handles_mixed_chinese_and_english():
    tokens = tokenize("长者饭堂 Elder Canteen 2024")
    assert tokens[:1] == ["长者饭堂"] and {"elder", "canteen", "2024"} <= set(tokens)


def test_tokenize_in_chars_mode_splits_chinese_into_characters():
    assert tokenize("助餐服务", mode="chars") == ["助", "餐", "服", "务"]


def test_tokenize_rejects_unknown_mode():
    with pytest.raises(ValueError, match="mode"):
        tokenize("助餐", mode="bigrams")  # type: ignore[arg-type]


def test_prepare_sorts_and_deduplicates_tokens():
    assert prepare("助餐、探访；助餐") == "助餐 探访"


def test_prepare_many_matches_prepare():
    texts = [ELDERLY_NEED, ELDERLY_CAPABILITY, ELDERLY_NEED]
    assert prepare_many(texts) == [prepare(t) for t in texts]


def test_related_chinese_capability_scores_higher_than_unrelated_ones():
    related = similarity(ELDERLY_NEED, ELDERLY_CAPABILITY)
    assert related > similarity(ELDERLY_NEED, CHILDREN_CAPABILITY)
    assert related > similarity(ELDERLY_NEED, DISABILITY_CAPABILITY)


def test_related_english_capability_scores_higher_than_unrelated_one():
    need = "Home meal delivery and weekly health checks for isolated elderly residents"
    assert similarity(need, "Elderly care, meal delivery, health management") > \
        similarity(need, "After-school tutoring and reading clubs for children")


def test_similarity_is_symmetric_bounded_and_one_for_identical_texts():
    a, b = ELDERLY_NEED, ELDERLY_CAPABILITY
    assert similarity(a, b) == pytest.approx(similarity(b, a))
    assert 0.0 <= similarity(a, b) <= 1.0
    assert similarity(a, a) == 1.0


def test_similarity_ignores_word_order_and_width():
    assert similarity("助餐 探访 健康监测", "健康监测，探访，助餐") == 1.0
    assert similarity("ＥＬＤＥＲＬＹ ＣＡＲＥ", "elderly care") == 1.0


def test_empty_text_has_zero_similarity():
    assert similarity("", ELDERLY_CAPABILITY) == 0.0
    assert similarity("！！！", "。。。") == 0.0


def test_pairwise_similarity_matches_single_pair_scores():
    needs = [prepare(ELDERLY_NEED), prepare(ELDERLY_NEED), ""]
    caps = [prepare(ELDERLY_CAPABILITY), prepare(CHILDREN_CAPABILITY), ""]
    got = pairwise_similarity(needs, caps)
    assert got[0] == pytest.approx(similarity(ELDERLY_NEED, ELDERLY_CAPABILITY))
    assert got[1] == pytest.approx(similarity(ELDERLY_NEED, CHILDREN_CAPABILITY))
    assert got[2] == 0.0


def test_pairwise_similarity_needs_aligned_lists():
    with pytest.raises(ValueError, match="capabilities"):
        pairwise_similarity(["a"], [])


def test_tfidf_cosine_ranks_related_capability_first():
    texts = [prepare(t) for t in (ELDERLY_NEED, ELDERLY_CAPABILITY, CHILDREN_CAPABILITY,
                                  DISABILITY_CAPABILITY)]
    mat, vocab, idf = tfidf_matrix(texts)
    cos = (mat[0] @ mat[1:].T).toarray().ravel()
    assert cos.argmax() == 0
    again, _, _ = tfidf_matrix(texts[1:], vocabulary=dict(vocab), idf=idf)
    assert again.shape[1] == mat.shape[1]
