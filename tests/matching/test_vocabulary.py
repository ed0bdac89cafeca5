"""The sector vocabulary: packaged data, merging officials' terms, finding shared skills."""

from importlib import resources

import pytest

from matching import MatchedSkill, MatchOptions, SkillTerm, Vocabulary, render_matched
from matching.types import Assignment, Candidate, ProviderSpec
from matching.vocabulary import DEFAULT_DATA

#: Every category code of the application's taxonomy (market/geo/taxonomy.py).
APP_CATEGORIES = {
    "elderly_care", "disability", "youth", "children_family", "bereaved_families",
    "youth_offender_support", "community_education", "health", "mental_health", "environment",
    "culture_sports", "legal_aid", "employment", "community_governance", "public_safety",
    "volunteering", "poverty_relief", "migrant_services", "facilities_works",
}


def test_default_vocabulary_is_packaged_data_covering_every_category():
    assert resources.files("matching").joinpath(DEFAULT_DATA).is_file()
    vocab = Vocabulary.default()
    assert set(vocab.categories) == APP_CATEGORIES
    for category in APP_CATEGORIES:
        skills = vocab.skills_of(category)
        assert len(skills) >= 5, category
        assert all(s.terms for s in skills), category


def test_default_vocabulary_matches_the_taxonomy_module():
    from market.geo.taxonomy import CATEGORIES

    assert {code for code, _, _ in CATEGORIES} == APP_CATEGORIES


def test_default_vocabulary_names_each_skill_in_chinese_and_english():
    vocab = Vocabulary.default()
    no_english = [s.skill for s in vocab.skills if not any(t.isascii() for t in s.terms)]
    assert len(no_english) <= len(vocab.skills) // 10, no_english


def test_policy_word_and_practice_word_are_one_skill():
    vocab = Vocabulary.default()
    assert vocab.match("街道居家养老服务项目", "为长者提供上门照护与助浴", "elderly_care") == (
        MatchedSkill("居家养老", "居家养老", "上门照护"),)
    assert vocab.match("Home care for frail elders", "上门照护", "elderly_care")[0].skill == "居家养老"


def test_terms_of_another_category_do_not_match():
    vocab = Vocabulary.default()
    assert vocab.match("居家养老", "上门照护", "youth") == ()
    assert vocab.skills_in("居家养老", "no_such_category") == {}


def test_english_terms_match_whole_words_only():
    vocab = Vocabulary((SkillTerm("c", "电梯", ("lift",)),))
    assert vocab.skills_in("two lifts replaced", "c") == {"电梯": "lift"}
    assert vocab.skills_in("uplifting stories", "c") == {}


def test_with_terms_merges_into_an_existing_skill_and_adds_new_ones():
    base = Vocabulary((SkillTerm("elderly_care", "居家养老", ("上门照护",)),))
    added = base.with_terms([SkillTerm("elderly_care", "居家养老", ("家庭照护床位", "上门照护")),
                             SkillTerm("elderly_care", "老年助浴", ("助浴车",))])
    assert [(s.skill, s.terms) for s in added.skills] == [
        ("居家养老", ("上门照护", "家庭照护床位")), ("老年助浴", ("助浴车",))]
    assert base.skills == (SkillTerm("elderly_care", "居家养老", ("上门照护",)),)  # unchanged
    assert added.match("家庭照护床位建设", "上门照护", "elderly_care")[0].project_term == "家庭照护床位"
    assert base.match("家庭照护床位建设", "上门照护", "elderly_care") == ()


def test_default_with_an_official_term_keeps_the_packaged_skills():
    default = Vocabulary.default()
    more = default.with_terms([SkillTerm("elderly_care", "居家养老", ("长护险上门",))])
    assert len(more.skills) == len(default.skills)
    assert more.skills_in("希望长护险上门", "elderly_care") == {"居家养老": "长护险上门"}
    assert default.skills_in("希望长护险上门", "elderly_care") == {}


def test_empty_vocabulary_matches_nothing():
    assert Vocabulary.empty().match("居家养老", "居家养老", "elderly_care") == ()


@pytest.mark.parametrize("bad", [dict(category="", skill="助餐"), dict(category="c", skill=" "),
                                 dict(category="c", skill="助餐", terms="上门"),
                                 dict(category="c", skill="助餐", terms=("老",)),
                                 dict(category="c", skill="助餐", terms=("！!",)),
                                 dict(category="c", skill="餐")])
def test_bad_skill_terms_raise_value_error_naming_the_field(bad):
    with pytest.raises(ValueError, match="SkillTerm"):
        SkillTerm(**bad)


def test_vocabulary_rejects_non_skill_terms():
    with pytest.raises(ValueError, match="Vocabulary.skills"):
        Vocabulary(("居家养老",))  # type: ignore[arg-type]


def test_from_toml_reads_the_file_layout(tmp_path):
    path = tmp_path / "v.toml"
    path.write_text('[health]\n"急救培训" = ["心肺复苏", "first aid"]\n', encoding="utf-8")
    vocab = Vocabulary.from_toml(path)
    assert vocab.skills == (SkillTerm("health", "急救培训", ("心肺复苏", "first aid")),)


def test_options_vocabulary_defaults_to_the_packaged_one():
    assert MatchOptions().vocabulary is None
    assert MatchOptions().sector_vocabulary is Vocabulary.default()
    own = Vocabulary.empty()
    assert MatchOptions(vocabulary=own).sector_vocabulary is own
    with pytest.raises(ValueError, match="MatchOptions.vocabulary"):
        MatchOptions(vocabulary={"elderly_care": {}})  # type: ignore[arg-type]


def test_results_carry_matched_skills_and_render_them():
    skill = MatchedSkill("居家养老", "居家养老", "上门照护")
    assert Candidate(1, "a", 0.5, {}, 10).matched_skills == ()
    assert Candidate(1, "a", 0.5, {}, 10, matched_skills=(skill,)).matched_skills == (skill,)
    assert Assignment(1, "a", 0.5, {}, 10, matched_skills=(skill,)).matched_skills == (skill,)
    assert render_matched([skill]) == "matched: 居家养老 ≈ 上门照护"
    assert render_matched([skill], lang="zh") == "匹配技能：居家养老 ≈ 上门照护"


def test_provider_delivered_titles_are_a_tuple_of_str():
    p = ProviderSpec(id=1, name="x", delivered_titles=["长者助餐项目"])
    assert p.delivered_titles == ("长者助餐项目",)
    assert ProviderSpec(id=2, name="y").delivered_titles == ()
    with pytest.raises(ValueError, match="ProviderSpec.delivered_titles"):
        ProviderSpec(id=3, name="z", delivered_titles="长者助餐项目")
