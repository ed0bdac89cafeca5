"""The fixed category taxonomy, loaded by the migration-independent seed step."""
from __future__ import annotations

# (code, Chinese, English) in display order.
CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("elderly_care", "养老服务", "Elderly care"),
    ("disability", "残障服务", "Disability services"),
    ("youth", "青少年服务", "Youth services"),
    ("children_family", "儿童与家庭服务", "Children and family"),
    ("bereaved_families", "失独家庭关怀", "Bereaved families (失独家庭)"),
    ("youth_offender_support", "涉罪青少年帮教", "Youth offender support"),
    ("community_education", "社区教育", "Community education"),
    ("health", "健康服务", "Health"),
    ("mental_health", "心理健康", "Mental health"),
    ("environment", "环境保护", "Environment"),
    ("culture_sports", "文化体育", "Culture and sports"),
    ("legal_aid", "法律援助", "Legal aid"),
    ("employment", "就业服务", "Employment"),
    ("community_governance", "社区治理", "Community governance"),
    ("public_safety", "公共安全", "Public safety"),
    ("volunteering", "志愿服务", "Volunteering"),
    ("poverty_relief", "社会救助", "Social assistance"),
    ("migrant_services", "来深建设者服务", "Migrant workers"),
    ("facilities_works", "设施与工程", "Facilities and works"),
)
