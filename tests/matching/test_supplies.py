"""What a provider supplies (services, goods, works) and the licences it holds are hard filters."""

import pytest

from matching.candidates import check_pair, exhaustive_candidates, generate_candidates
from matching.optimize import solve
from matching.reasons import render
from matching.types import (
    FilterFunnel,
    LotSpec,
    MatchOptions,
    MatchProblem,
    ProjectSpec,
    ProviderSpec,
    Requirements,
)

NEED = "为社区长者活动室采购乒乓球台和健身器材，并负责安装"


def project(id="p1", **kw):
    base = dict(id=id, title="长者活动室器材", category="culture", category_name="文体服务",
                street_id="futian", street_name="福田街道", budget=5_000_000, description=NEED,
                project_type="goods", needs_funding=False)
    base.update(kw)
    return ProjectSpec(**base)


def provider(id, **kw):
    base = dict(id=id, name=id, categories=("culture",), streets=("futian",), capacity=3,
                capability="乒乓球台 健身器材 采购 安装 长者活动室")
    base.update(kw)
    return ProviderSpec(**base)


def test_provider_supplies_services_only_by_default():
    assert provider("a").supplies == frozenset({"service"})
    assert provider("b", supplies=["goods", "works"]).supplies == frozenset({"goods", "works"})


@pytest.mark.parametrize("bad", ["goods", ["food"], [""]])
def test_bad_supplies_name_the_field(bad):
    with pytest.raises(ValueError, match=r"^ProviderSpec\.supplies"):
        provider("a", supplies=bad)


def test_bad_lot_type_names_the_field():
    with pytest.raises(ValueError, match=r"^LotSpec\.project_type"):
        LotSpec(id="A", budget=1, project_type="food")


def test_goods_project_is_never_proposed_to_a_provider_that_supplies_no_goods():
    troupe = provider("troupe", capability=NEED)  # the best text match, but services only
    supplier = provider("supplier", supplies=["goods"], capability="体育用品 户外健身器材 供应")
    problem = MatchProblem(projects=[project()], providers=[troupe, supplier])
    assert check_pair(problem, "p1", "troupe") == "supplies"
    assert check_pair(problem, "p1", "supplier") is None
    for found in (generate_candidates(problem), exhaustive_candidates(problem)):
        assert [c.provider_id for c in found.for_project("p1")] == ["supplier"]
        assert found.funnels[("p1", None)].category == 2
        assert found.funnels[("p1", None)].supplies == 1
    result = solve(problem)
    assert [a.provider_id for a in result.assignments] == ["supplier"]


def test_service_projects_still_go_to_service_providers():
    problem = MatchProblem(projects=[project(project_type="service")],
                           providers=[provider("troupe"), provider("supplier", supplies=["goods"])])
    assert [c.provider_id for c in generate_candidates(problem).for_project("p1")] == ["troupe"]


def test_unmatched_reason_says_nobody_supplies_the_type():
    problem = MatchProblem(projects=[project(project_type="works")],
                           providers=[provider("troupe"), provider("supplier", supplies=["goods"])])
    result = solve(problem)
    (unmatched,) = result.unmatched
    assert unmatched.reason_code == "no_provider_supplies_type"
    assert unmatched.params["project_type"] == "works"
    assert render(unmatched.reason) == "no provider of 文体服务 supplies works"
    assert render(unmatched.reason, lang="zh") == "暂无可提供工程的文体服务服务机构"
    assert FilterFunnel(category=2, supplies=0).first_empty() == "supplies"


def test_a_lot_of_another_type_needs_a_provider_that_supplies_it():
    lots = [LotSpec(id="A", budget=2_000_000, title="健身器材采购"),
            LotSpec(id="B", budget=3_000_000, title="活动室运营服务", project_type="service")]
    problem = MatchProblem(projects=[project(lots=lots)],
                           providers=[provider("troupe"), provider("supplier", supplies=["goods"])])
    found = generate_candidates(problem)
    assert [c.provider_id for c in found.for_project("p1", "A")] == ["supplier"]
    assert [c.provider_id for c in found.for_project("p1", "B")] == ["troupe"]
    assert check_pair(problem, "p1", "troupe", "A") == "supplies"


def test_required_qualifications_are_a_requirement():
    works = project(project_type="works", requirements=Requirements(qualifications=["construction"]))
    builder = provider("builder", supplies=["works"], qualifications=["construction"])
    unlicensed = provider("unlicensed", supplies=["works"])
    problem = MatchProblem(projects=[works], providers=[builder, unlicensed])
    assert check_pair(problem, "p1", "unlicensed") == "requirements"
    for found in (generate_candidates(problem), exhaustive_candidates(problem)):
        assert [c.provider_id for c in found.for_project("p1")] == ["builder"]
    alone = MatchProblem(projects=[works], providers=[unlicensed])
    assert solve(alone).unmatched[0].reason_code == "requirements_not_met"


def test_the_filter_holds_on_the_pruned_path():
    """With more providers than the shortlist, the approximate pass never lets a non-supplier in."""
    providers = [provider(f"s{i:02d}", supplies=["goods"], capability=f"器材 供应 {i}") for i in range(30)]
    providers += [provider(f"t{i:02d}", capability=NEED) for i in range(30)]
    problem = MatchProblem(projects=[project()], providers=providers,
                           options=MatchOptions(shortlist=5, k_providers=5))
    found = generate_candidates(problem)
    ids = [c.provider_id for c in found.for_project("p1")]
    assert len(ids) == 5 and all(i.startswith("s") for i in ids)
