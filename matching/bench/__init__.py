"""Benchmarks of the matching engine (``python -m matching.bench [--quick]``).

This package also holds :func:`synthetic_market`, a deterministic generator of Futian-like
inputs (10 streets and their communities, 12 service categories, Chinese project and
capability texts, government / foundation / CSR pools with co-funding rules), used by the
benchmarks and by tests that need realistic volume.  Nothing here is imported by
``import matching``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import NamedTuple

import numpy as np

from ..types import (
    BidSpec,
    LotSpec,
    MatchOptions,
    MatchProblem,
    PoolSpec,
    ProjectSpec,
    ProviderSpec,
    Requirements,
)

__all__ = ["synthetic_market", "STREETS", "CATEGORIES"]

_ALL_TYPES = frozenset({"service", "goods", "works"})
_SERVICES = frozenset({"service"})
_CONTRACTOR = frozenset({"construction"})

#: Futian's ten streets (街道) with a selection of their communities (社区).
STREETS: dict[str, tuple[str, tuple[str, ...]]] = {
    "yuanling": ("园岭街道", ("百花社区", "红荔社区", "园东社区", "园西社区", "长城社区", "华林社区",
                            "鹏盛社区", "上林社区", "南天社区", "八卦岭社区")),
    "nanyuan": ("南园街道", ("南园社区", "南华社区", "滨江社区", "赤尾社区", "巴登社区", "埔尾社区",
                           "沙埔头社区", "玉田社区", "东园社区")),
    "shatou": ("沙头街道", ("沙头社区", "沙尾社区", "新沙社区", "上沙社区", "下沙社区", "沙嘴社区",
                          "金地社区", "天安社区", "翠湾社区", "新洲社区")),
    "xiangmihu": ("香蜜湖街道", ("香蜜社区", "香岭社区", "侨香社区", "竹园社区", "东海社区",
                              "农园社区", "竹林社区", "廉价房社区")),
    "meilin": ("梅林街道", ("梅林社区", "梅京社区", "梅都社区", "梅丰社区", "孖岭社区", "上梅林社区",
                          "下梅林社区", "新兴社区", "翰岭社区", "梅亭社区")),
    "lianhua": ("莲花街道", ("莲花北社区", "彩田社区", "景田社区", "梅岭社区", "紫荆社区", "福中社区",
                           "新港社区", "狮岭社区", "康欣社区", "彩虹社区")),
    "huafu": ("华富街道", ("华富社区", "田面社区", "莲花一村社区", "新田社区", "黄木岗社区",
                         "笔架山社区", "景华社区", "梅岭东社区")),
    "fubao": ("福保街道", ("福保社区", "福田保税区社区", "石厦社区", "新港口社区", "益田社区",
                         "明月社区", "福民社区")),
    "futian": ("福田街道", ("福田社区", "岗厦社区", "皇岗社区", "水围社区", "福安社区", "福山社区",
                          "渔农社区", "口岸社区", "圩镇社区", "福南社区")),
    "huaqiangbei": ("华强北街道", ("华强北社区", "通新岭社区", "福强社区", "荔村社区", "华航社区",
                               "华红社区", "振兴社区")),
}

#: Category code -> (name, vocabulary of service phrases).
CATEGORIES: dict[str, tuple[str, tuple[str, ...]]] = {
    "elderly": ("养老服务", (
        "上门探访", "长者助餐", "送餐上门", "健康监测", "慢病管理", "认知症筛查", "适老化改造",
        "日间照料", "长者文娱", "防跌倒评估", "喘息服务", "智能手环", "居家养老", "长者大学",
        "助浴助洁", "家庭养老床位", "老年人心理关怀", "紧急呼叫")),
    "disability": ("助残服务", (
        "康复训练", "辅具适配", "无障碍改造", "残障人士就业", "家属喘息", "特殊儿童融合教育",
        "手语培训", "精神康复", "职业康复", "社区康园", "残障人士社交", "居家康复指导")),
    "children": ("儿童青少年", (
        "四点半课堂", "课后托管", "亲子阅读", "儿童友好空间", "青少年成长", "暑期夏令营",
        "学业辅导", "防溺水安全教育", "儿童议事会", "科普实验", "困境儿童关爱", "青少年志愿服务")),
    "governance": ("社区治理", (
        "居民议事会", "楼栋长培育", "社区营造", "民主协商", "小区自治", "物业纠纷协调",
        "社区规划", "志愿者队伍建设", "社区基金", "党群服务", "城中村治理", "邻里互助")),
    "culture": ("文化体育", (
        "广场舞培训", "非遗传承", "社区文艺汇演", "书法课堂", "全民健身", "社区运动会", "读书会",
        "粤剧兴趣班", "摄影沙龙", "传统节日活动", "社区合唱团", "太极拳")),
    "environment": ("环境保护", (
        "垃圾分类", "低碳生活", "社区花园", "旧物回收", "节水节能", "河道巡护", "绿色家庭",
        "厨余堆肥", "环保宣传", "自然教育", "生态步道维护", "无废社区")),
    "mental": ("心理健康", (
        "心理疏导", "情绪支持", "心理咨询热线", "压力管理", "危机干预", "心理健康讲座",
        "家庭关系调适", "青少年心理辅导", "哀伤辅导", "正念减压", "心理测评", "同伴支持小组")),
    "employment": ("就业创业", (
        "就业指导", "技能培训", "创业孵化", "简历辅导", "专场招聘会", "新市民就业", "电商直播培训",
        "家政技能培训", "职业规划", "灵活就业", "退役军人就业", "女性创业")),
    "legal": ("法律援助", (
        "法律咨询", "普法讲座", "矛盾调解", "劳动争议调解", "婚姻家事法律服务", "防诈骗宣传",
        "公证指引", "租赁纠纷调解", "法律明白人培育", "遗嘱咨询", "社区律师驻点", "未成年人保护")),
    "safety": ("社区安全", (
        "消防演练", "安全隐患巡查", "电动车充电安全", "应急救护培训", "燃气安全检查", "台风防范",
        "反诈宣传", "高空抛物治理", "治安巡逻", "食品安全宣传", "应急物资储备", "社区安全地图")),
    "family": ("家庭服务", (
        "婚姻辅导", "家庭教育指导", "隔代教养", "母婴关爱", "家庭暴力预防", "亲职教育",
        "家庭关系修复", "单亲家庭支持", "双职工家庭托育", "家风建设", "家庭档案", "亲子沟通")),
    "health": ("社区健康", (
        "义诊", "健康讲座", "慢病随访", "中医养生", "家庭医生签约", "营养膳食", "控烟宣传",
        "口腔健康", "视力筛查", "健康小屋", "运动处方", "传染病防控")),
}

_TARGETS = ("独居老人", "高龄长者", "残障人士", "困境儿童", "青少年", "来深建设者", "新市民", "居民",
            "城中村居民", "双职工家庭", "退役军人", "妇女", "低收入家庭", "社区志愿者", "学龄儿童")
_ORG_WORDS = ("阳光", "同心", "邻里", "乐群", "春晖", "启航", "彩虹", "明德", "和谐", "福田", "仁爱",
              "益家", "聚力", "善行", "新港", "绿洲", "星火", "知行", "博爱", "长青", "悦享", "睦邻")
_ORG_SUFFIX = ("社工服务中心", "公益服务中心", "社会工作服务社", "志愿者协会", "发展中心", "服务社")
_FIRM_SUFFIX = ("物业管理有限公司", "健康管理有限公司", "教育科技有限公司", "文化传播有限公司",
                "养老服务有限公司", "环保科技有限公司")
_CAP_OPENERS = ("专注", "长期从事", "擅长", "深耕", "提供", "致力于")
_NEED_OPENERS = ("为{t}提供", "面向{t}开展", "针对{t}需求，开展", "组织{t}参与")


def synthetic_market(n_projects: int, n_providers: int, n_pools: int, *, seed: int = 0,
                     bid_share: float = 0.15, lot_share: float = 0.03,
                     funding_ratio: float = 0.65, options: MatchOptions | None = None
                     ) -> MatchProblem:
    """A deterministic Futian-like matching problem.

    Parameters
    ----------
    n_projects, n_providers, n_pools : int
        Sizes.
    seed : int
        Random seed (same seed, same problem).
    bid_share : float
        Share of projects that received bids (2-5 bids each).
    lot_share : float
        Share of projects split into 2-3 lots.
    funding_ratio : float
        Total pool money as a share of the total budget of the projects that need funding.
    options : MatchOptions, optional

    Returns
    -------
    MatchProblem

    Examples
    --------
    >>> prob = synthetic_market(20, 30, 5, seed=1)
    >>> len(prob.projects), len(prob.providers), len(prob.pools)
    (20, 30, 5)
    """
    draw = _Draw(np.random.default_rng(seed))
    providers = [draw.provider(i) for i in range(n_providers)]
    projects = [draw.project(i, lot_share) for i in range(n_projects)]
    bids = draw.bids(providers, projects, bid_share)
    need_total = sum(p.budget for p in projects if p.needs_funding)
    pools = draw.pools(n_pools, need_total * funding_ratio)
    return MatchProblem(projects=projects, providers=providers, pools=pools, bids=bids,
                        options=options or MatchOptions(as_of=date(2025, 1, 1)))


class _PoolPlan(NamedTuple):
    kind: str
    name: str
    focus: frozenset[str]
    streets: frozenset[str]
    share: float
    cap: int | None


class _Draw:
    """The random draws of :func:`synthetic_market`, always in the same order for a seed."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.street_codes = list(STREETS)
        self.category_codes = list(CATEGORIES)
        popularity = np.array([0.2, 0.06, 0.14, 0.1, 0.1, 0.07, 0.06, 0.05, 0.05, 0.06, 0.05, 0.06])
        self.popularity = popularity / popularity.sum()

    def pick(self, options: Sequence[str]) -> str:
        """One of ``options``, uniformly."""
        return options[int(self.rng.integers(len(options)))]

    def phrases(self, category: str, n: int) -> list[str]:
        vocab = CATEGORIES[category][1]
        return [vocab[i] for i in self.rng.choice(len(vocab), size=min(n, len(vocab)), replace=False)]

    def provider(self, i: int) -> ProviderSpec:
        rng = self.rng
        roll = rng.random()
        kind = "social_organisation" if roll < 0.75 else ("enterprise" if roll < 0.95
                                                          else "public_institution")
        n_categories = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
        categories = list(dict.fromkeys(
            rng.choice(self.category_codes, size=n_categories, p=self.popularity).tolist()))
        home = self.pick(self.street_codes)
        whole = bool(rng.random() < 0.15)
        n_streets = int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2]))
        streets = {home, *rng.choice(self.street_codes, size=n_streets - 1).tolist()} if not whole \
            else set()
        communities = set()
        if rng.random() < 0.3:
            other = self.pick(self.street_codes)
            communities.add(f"{other}:{int(rng.integers(len(STREETS[other][1])))}")
        words = self.phrases(categories[0], int(rng.integers(3, 6)))
        for category in categories[1:]:
            words += self.phrases(category, 2)
        opener = self.pick(_CAP_OPENERS)
        capability = f"{opener}{'、'.join(words)}，服务{STREETS[home][0]}及周边{self.pick(_TARGETS)}"
        word = self.pick(_ORG_WORDS)
        name = f"深圳市福田区{word}{self.pick(_ORG_SUFFIX if kind != 'enterprise' else _FIRM_SUFFIX)}"
        n_ratings = int(rng.poisson(6))
        average = float(np.clip(rng.normal(4.0, 0.5), 1, 5))
        grade = int(rng.choice([0, 3, 4, 5], p=[0.3, 0.35, 0.25, 0.1]))
        completed = int(rng.poisson(5))
        return ProviderSpec(
            id=f"org{i:05d}", name=name, kind=kind, categories=categories, streets=streets,
            communities=communities, whole_district=whole, home_street_id=home, rating_grade=grade,
            years_registered=round(float(rng.uniform(0.3, 15)), 1), staff=int(rng.integers(2, 60)),
            office_area_m2=float(rng.integers(8, 400)), capacity=int(rng.integers(1, 6)),
            capability=capability, rating_sum=round(average * n_ratings, 1), rating_count=n_ratings,
            deliveries_completed=completed, deliveries_failed=int(rng.binomial(completed, 0.08)),
            # firms also supply goods and build works (decided by kind: the random stream is untouched)
            supplies=_ALL_TYPES if kind == "enterprise" else _SERVICES,
            qualifications=_CONTRACTOR if kind == "enterprise" else frozenset())

    def project(self, i: int, lot_share: float) -> ProjectSpec:
        rng = self.rng
        category = str(rng.choice(self.category_codes, p=self.popularity))
        street = self.pick(self.street_codes)
        community_names = STREETS[street][1]
        has_community = rng.random() < 0.6
        community = int(rng.integers(len(community_names)))
        project_type = str(rng.choice(["service", "goods", "works"], p=[0.8, 0.1, 0.1]))
        cap_yuan = 1_000_000 if project_type == "works" else 500_000
        budget_yuan = int(np.clip(rng.lognormal(np.log(120_000), 0.6), 10_000, cap_yuan))
        budget = budget_yuan // 100 * 100 * 100  # whole hundreds of yuan, in fen
        target = self.pick(_TARGETS)
        words = self.phrases(category, int(rng.integers(2, 5)))
        if rng.random() < 0.3:
            words.append(self.phrases(self.pick(self.category_codes), 1)[0])
        opener = self.pick(_NEED_OPENERS).format(t=target)
        place = community_names[community] if has_community else STREETS[street][0]
        description = f"{opener}{'、'.join(words)}服务，预计受益{int(rng.integers(30, 800))}人次"
        requirements = Requirements(
            min_rating_grade=int(rng.choice([0, 3, 4], p=[0.6, 0.3, 0.1])),
            min_years_registered=float(rng.choice([0, 1, 2], p=[0.2, 0.6, 0.2])),
            min_staff=int(rng.choice([0, 3, 5], p=[0.3, 0.5, 0.2])),
            min_office_area_m2=float(rng.choice([0, 20], p=[0.4, 0.6])))
        roll = rng.random()
        needs_provider, needs_funding = (True, True) if roll < 0.85 else (
            (False, True) if roll < 0.95 else (True, False))
        lots = self.lots(category, budget) if needs_provider and rng.random() < lot_share else ()
        return ProjectSpec(
            id=f"p{i:05d}", title=f"{place}{words[0]}项目", category=category, street_id=street,
            budget=budget, description=description, category_name=CATEGORIES[category][0], street_name=STREETS[street][0],
            community_id=f"{street}:{community}" if has_community else None,
            community_name=community_names[community] if has_community else "",
            project_type=project_type, requirements=requirements, needs_provider=needs_provider,
            needs_funding=needs_funding, lots=lots, priority=float(np.round(rng.uniform(0.8, 1.2), 2)))

    def lots(self, category: str, budget: int) -> tuple[LotSpec, ...]:
        """2-3 lots sharing the budget, half of them in another category."""
        rng = self.rng
        n_lots = int(rng.integers(2, 4))
        parts = rng.dirichlet(np.ones(n_lots) * 3)
        amounts = [int(budget * x) // 100 * 100 for x in parts[:-1]]
        amounts.append(budget - sum(amounts))
        lot_categories = [category] + [
            category if rng.random() < 0.5 else str(rng.choice(self.category_codes, p=self.popularity))
            for _ in range(n_lots - 1)]
        return tuple(LotSpec(id=f"L{j + 1}", budget=amounts[j],
                             title=f"第{j + 1}标段：{self.phrases(lot_categories[j], 1)[0]}",
                             category=lot_categories[j]) for j in range(n_lots))

    def bids(self, providers: list[ProviderSpec], projects: list[ProjectSpec],
             bid_share: float) -> list[BidSpec]:
        """2-5 bids on ``bid_share`` of the projects without lots, from eligible providers."""
        rng = self.rng
        bids = []
        by_category: dict[str, list[int]] = {}
        for j, provider in enumerate(providers):
            for category in provider.categories:
                by_category.setdefault(category, []).append(j)
        for project in projects:
            if not project.needs_provider or project.lots or rng.random() >= bid_share:
                continue
            bidders = [j for j in by_category.get(project.category, [])
                       if providers[j].whole_district or project.street_id in providers[j].streets]
            if not bidders:
                continue
            for j in rng.choice(bidders, size=min(len(bidders), int(rng.integers(2, 6))), replace=False):
                price = int(project.budget * rng.uniform(0.8, 1.02)) // 100 * 100
                bids.append(BidSpec(project_id=project.id, provider_id=providers[int(j)].id,
                                    price=price))
        return bids

    def pools(self, n_pools: int, money: float) -> list[PoolSpec]:
        """The district fund, street funds, then foundations and CSR programmes sharing ``money``."""
        if n_pools < 1:
            return []
        plans: list[_PoolPlan] = []
        weights: list[float] = []
        for i in range(n_pools):
            if i == 0:
                plans.append(_PoolPlan("government", "福田区民生微实事专项资金", frozenset(), frozenset(),
                                       0.5, None))
                weights.append(0.3 * n_pools)
            elif i <= min(10, n_pools - 1) and i <= len(self.street_codes):
                street = self.street_codes[i - 1]
                plans.append(_PoolPlan("government", f"{STREETS[street][0]}社区发展资金", frozenset(),
                                       frozenset({street}), 0.5, None))
                weights.append(0.1 * n_pools / 10)
            else:
                plans.append(self.private_pool(i))
                weights.append(float(self.rng.lognormal(0, 0.8)))
        shares = np.array(weights) / sum(weights)
        return [PoolSpec(id=f"f{i:04d}", name=plan.name, remaining=int(money * shares[i]) // 100 * 100,
                         max_per_project=plan.cap, max_share=plan.share, categories=plan.focus,
                         streets=plan.streets, kind=plan.kind)
                for i, plan in enumerate(plans)]

    def private_pool(self, i: int) -> _PoolPlan:
        rng = self.rng
        kind = "foundation" if rng.random() < 0.6 else "csr"
        n_focus = int(rng.choice([0, 1, 2, 3], p=[0.15, 0.45, 0.3, 0.1]))
        focus = frozenset(rng.choice(self.category_codes, size=n_focus, p=self.popularity).tolist())
        streets = frozenset(rng.choice(self.street_codes, size=int(rng.integers(1, 4))).tolist()
                            ) if rng.random() < 0.35 else frozenset()
        share = float(rng.choice([0.3, 0.5, 0.7, 1.0], p=[0.2, 0.4, 0.2, 0.2]))
        cap = int(rng.choice([100_000, 200_000, 300_000, 0])) * 100
        label = "基金会" if kind == "foundation" else "企业公益计划"
        return _PoolPlan(kind, f"{self.pick(_ORG_WORDS)}{label}{i:03d}", focus, streets, share, cap or None)
