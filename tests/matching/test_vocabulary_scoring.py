"""The sector vocabulary in the score: shared skills, specialists over generalists, evidence from
the provider's name and delivered projects, and the matched skills carried to the results."""

import pytest

from matching import MatchedSkill, MatchOptions, SkillTerm, Vocabulary, solve
from matching.candidates import generate_candidates
from matching.candidates.skills import text_scores
from matching.score import NAME_WEIGHT, provider_claims, score_pair, skill_text_score, text_component
from matching.text import similarity
from matching.types import MatchProblem, ProjectSpec, ProviderSpec

HOME_CARE = ProjectSpec(
    id="p1", title="莲花街道居家养老上门服务项目", category="elderly_care", street_id="lianhua",
    budget=50_000_000, needs_funding=False,
    description="为辖区高龄、失能长者提供居家养老上门服务，包括生活照料、助浴助洁，每月服务不少于600人次。"
                "服务对象：莲花街道高龄、失能长者")


def provider(pid, capability, **kw):
    base = dict(id=pid, name=f"机构{pid}", categories=("elderly_care",), streets={"lianhua"},
                capability=capability)
    base.update(kw)
    return ProviderSpec(**base)


SPECIALIST = provider("spec", "专业照护机构：为失能半失能老人提供入户护理、上门照护、助浴、助洁和康复护理，"
                              "护理员持证上岗，建立一户一档照护计划。")
GENERALIST = provider("gen", (
    "综合服务中心，服务辖区长者：居家养老上门服务、长者饭堂助餐配餐、日间照料、适老化改造、喘息服务、"
    "认知症照护、独居老人探访、长者大学、老年活动室、健康管理、高龄长者关爱。"))


def test_other_words_of_the_same_skill_are_recorded_as_matched():
    _, matched = text_component(HOME_CARE.text, SPECIALIST, "elderly_care")
    assert MatchedSkill("居家养老", "居家养老", "上门照护") in matched


def test_keyword_stuffed_generalist_no_longer_beats_the_specialist():
    words = {p.id: score_pair(HOME_CARE, p, vocabulary=Vocabulary.empty())[1]["text"]
             for p in (SPECIALIST, GENERALIST)}
    assert words["gen"] > words["spec"]  # word overlap alone prefers the generic profile
    sector = {p.id: score_pair(HOME_CARE, p)[1]["text"] for p in (SPECIALIST, GENERALIST)}
    assert sector["spec"] > sector["gen"]


def test_breadth_penalty_lowers_a_profile_claiming_every_skill():
    assert skill_text_score(0.5, 1, 1, 1, 10) > skill_text_score(0.5, 1, 9, 1, 10)
    assert skill_text_score(0.5, 1, 3, 1, 10) == skill_text_score(0.5, 1, 1, 1, 10)  # two are free
    assert skill_text_score(0.5, 1, 4, 1, 10) < skill_text_score(0.5, 1, 3, 1, 10)
    assert skill_text_score(0.5, 2, 2, 2, 10) > skill_text_score(0.5, 2, 2, 1, 10)


def test_a_category_unknown_to_the_vocabulary_is_not_penalised_for_breadth():
    assert skill_text_score(0.5, 0, 30, 0, 0) == 0.5


def test_array_text_scores_equal_the_scalar_formula():
    cases = [(0.5, 0, 0, 0, 10, 0), (0.3, 2, 5, 1, 8, 1), (0.9, 1, 12, 1, 9, 0), (0.0, 3, 3, 3, 5, 2),
             (0.4, 0, 25, 0, 0, 0), (0.6, 2, 40, 2, 10, 2)]
    got = text_scores(*(list(col) for col in zip(*cases)))
    assert got.tolist() == pytest.approx([skill_text_score(*c) for c in cases])


#: Names the project's skill in its own category, and the skills of five other categories.
SPREAD = provider("spread", "社区综合服务中心：居家上门照护、助浴；四点半课堂、亲子阅读；孤独症康复；心理咨询、"
                            "心理热线；法律援助、人民调解；垃圾分类、社区花园；就业培训、创业指导。",
                  categories=("elderly_care", "children_family", "disability", "mental_health"))


def test_breadth_counts_the_skills_a_profile_claims_in_every_category():
    elderly_only = text_component(HOME_CARE.text, SPREAD, "elderly_care")
    # within the project's category the profile looks as narrow as the specialist ...
    assert len(Vocabulary.default().index("elderly_care").find(SPREAD.capability)) <= 2
    # ... across the vocabulary it claims many more skills, and keeps less of its word overlap
    assert provider_claims(SPREAD, Vocabulary.default()) >= provider_claims(SPECIALIST, Vocabulary.default()) + 6
    assert text_component(HOME_CARE.text, SPECIALIST, "elderly_care")[0] > elderly_only[0]
    assert elderly_only[0] < similarity(HOME_CARE.text, SPREAD.capability)


def test_a_name_that_names_the_needed_skill_adds_to_the_text():
    body = "为失能长者提供上门照护、康复护理，护理员持证上岗。"
    named = provider("named", body, name="福田区颐康居家养老服务中心")
    plain = provider("plain", body, name="福田区颐康社会工作服务中心")
    with_name, _ = text_component(HOME_CARE.text, named, "elderly_care")
    without, _ = text_component(HOME_CARE.text, plain, "elderly_care")
    need = Vocabulary.default().index("elderly_care").find(HOME_CARE.text)
    assert with_name - without == pytest.approx(NAME_WEIGHT / len(need))


def test_empty_vocabulary_is_plain_word_overlap():
    text, matched = text_component(HOME_CARE.text, SPECIALIST, "elderly_care",
                                   vocabulary=Vocabulary.empty())
    assert matched == ()
    assert text == similarity(HOME_CARE.text, SPECIALIST.capability)


OPERA = ProjectSpec(id="p2", title="社区戏曲进万家", category="culture_sports", street_id="lianhua",
                    budget=20_000_000, description="每季度一场粤剧专场演出，邀请居民观看。")


def culture(pid, **kw):
    base = dict(id=pid, name=f"文化机构{pid}", categories=("culture_sports",), streets={"lianhua"},
                capability="组织社区文艺活动，排练节目，服务辖区居民。")
    base.update(kw)
    return ProviderSpec(**base)


def test_the_provider_name_is_evidence_of_its_specialty():
    named = culture("named", name="福田区粤韵粤剧团")
    plain = culture("plain")
    assert score_pair(OPERA, named)[0] > score_pair(OPERA, plain)[0]
    _, matched = text_component(OPERA.text, named, "culture_sports")
    assert [(m.skill, m.provider_term) for m in matched if m.skill == "戏曲"] == [("戏曲", "粤剧")]
    _, plain_matched = text_component(OPERA.text, plain, "culture_sports")
    assert all(m.skill != "戏曲" for m in plain_matched)


def test_delivered_titles_are_evidence_of_the_specialty():
    delivered = culture("done", delivered_titles=("2023年华富街道粤曲专场演出",))
    plain = culture("plain")
    assert score_pair(OPERA, delivered)[0] > score_pair(OPERA, plain)[0]
    _, matched = text_component(OPERA.text, delivered, "culture_sports")
    assert [(m.skill, m.provider_term) for m in matched if m.skill == "戏曲"] == [("戏曲", "粤曲")]


def test_candidates_carry_matched_skills_and_the_same_text_as_score_pair():
    problem = MatchProblem(projects=[HOME_CARE, OPERA], providers=[
        SPECIALIST, GENERALIST, SPREAD, provider("named-care", SPECIALIST.capability, name="颐康居家养老服务中心"),
        culture("named", name="福田区粤韵粤剧团"), culture("plain")])
    for exhaustive in (True, False):
        cands = generate_candidates(problem, exhaustive=exhaustive)
        top = cands.for_project("p1")[0]
        assert top.provider_id == "named-care"
        assert MatchedSkill("居家养老", "居家养老", "上门照护") in top.matched_skills
        for proj in (HOME_CARE, OPERA):
            for c in cands.for_project(proj.id):
                score, parts = score_pair(proj, problem.provider(c.provider_id), price=c.price)
                assert c.components["text"] == pytest.approx(parts["text"])
                assert c.score == pytest.approx(score)
                _, matched = text_component(proj.text, problem.provider(c.provider_id), proj.category)
                assert c.matched_skills == matched


def test_approximate_pass_keeps_the_specialist_among_many_generalists():
    generalists = [provider(f"g{n}", GENERALIST.capability + f"第{n}分中心。") for n in range(70)]
    problem = MatchProblem(projects=[HOME_CARE], providers=[*generalists, SPECIALIST],
                           options=MatchOptions(k_providers=3, shortlist=5))
    assert generate_candidates(problem).for_project("p1")[0].provider_id == "spec"


def test_officials_terms_reach_the_candidates_through_the_options():
    project = ProjectSpec(id="p3", title="长者家庭照护床位建设", category="elderly_care",
                          street_id="lianhua", budget=10_000_000)
    prov = provider("bed", "养老床位延伸到家：上门照护与远程监测。")
    added = Vocabulary.default().with_terms([SkillTerm("elderly_care", "居家养老", ("家庭照护床位",))])
    default_run = generate_candidates(MatchProblem(projects=[project], providers=[prov]))
    added_run = generate_candidates(MatchProblem(projects=[project], providers=[prov],
                                                 options=MatchOptions(vocabulary=added)))
    assert all(m.project_term != "家庭照护床位"
               for m in default_run.for_project("p3")[0].matched_skills)
    assert [(m.skill, m.project_term) for m in added_run.for_project("p3")[0].matched_skills] == [
        ("居家养老", "家庭照护床位")]


def test_assignments_carry_the_matched_skills_of_their_candidate():
    result = solve(MatchProblem(projects=[HOME_CARE], providers=[SPECIALIST]))
    assignment = result.assignment_for("p1")
    assert assignment is not None and assignment.provider_id == "spec"
    assert MatchedSkill("居家养老", "居家养老", "上门照护") in assignment.matched_skills


def test_pinned_pair_below_the_cut_keeps_its_matched_skills():
    from matching.types import Decision

    problem = MatchProblem(projects=[HOME_CARE], providers=[SPECIALIST, GENERALIST],
                           decisions=[Decision.pin("p1", provider_id="gen")],
                           options=MatchOptions(k_providers=1))
    cands = generate_candidates(problem).for_project("p1")
    gen = next(c for c in cands if c.provider_id == "gen")
    assert gen.matched_skills and gen.matched_skills[0].skill == "居家养老"


def test_a_category_with_more_than_64_skills_is_scored_like_score_pair():
    many = Vocabulary(tuple(SkillTerm("elderly_care", f"技能{n}", (f"术语甲{n}号", f"术语乙{n}号"))
                            for n in range(70)))
    project = ProjectSpec(id="p9", title="需要术语甲66号", category="elderly_care", street_id="lianhua",
                          budget=1_000_000, needs_funding=False)
    right = provider("r", "我们擅长术语乙66号")
    wrong = provider("w", "我们擅长术语乙3号和术语乙65号")
    problem = MatchProblem(projects=[project], providers=[right, wrong],
                           options=MatchOptions(vocabulary=many))
    cands = generate_candidates(problem).for_project("p9")
    assert [c.provider_id for c in cands][0] == "r"
    assert cands[0].matched_skills == (MatchedSkill("技能66", "术语甲66号", "术语乙66号"),)
    for c in cands:
        _, parts = score_pair(project, problem.provider(c.provider_id), vocabulary=many)
        assert c.components["text"] == pytest.approx(parts["text"])


def test_generate_candidates_accepts_a_vocabulary_instead_of_the_options_one():
    problem = MatchProblem(projects=[HOME_CARE], providers=[SPECIALIST])
    assert generate_candidates(problem).for_project("p1")[0].matched_skills
    for exhaustive in (False, True):
        plain = generate_candidates(problem, vocabulary=Vocabulary.empty(), exhaustive=exhaustive)
        assert plain.for_project("p1")[0].matched_skills == ()
        assert plain.for_project("p1")[0].components["text"] == pytest.approx(
            similarity(HOME_CARE.text, SPECIALIST.capability))
