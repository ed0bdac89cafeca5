"""Vocabulary for the demo data: places, name parts and bilingual text templates.

Everything here is plain data; :mod:`market.demo.loader` draws from it with a
seeded random generator. Street and community names follow Futian's real
geography closely enough to feel familiar, but the codes are demo codes in the
12-digit pattern of administrative division codes, not official ones. Every
organisation, person and project is invented.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from market.accounts.models import Role

SEED = 2014
# "Today" for the demo: deadlines, durations and statuses are laid out around
# this date, never around the real clock, so every load gives the same rows.
REFERENCE_DATE = date(2026, 12, 1)
REFERENCE_TIME = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)

DEMO_PASSWORD = "demo-password-2026"  # nosec B105 (the documented demo password)
DEMO_EMAIL_DOMAIN = "demo.futian.example"


@dataclass(frozen=True)
class DemoAccount:
    """A documented demo login (all share :data:`DEMO_PASSWORD`)."""

    key: str
    email: str
    password: str
    role: Role
    display_name: str
    description: str


DEMO_ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("admin", f"admin@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.ADMIN, "平台管理员",
                "Administrator: manages accounts and sees everything."),
    DemoAccount("official", f"official@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.OFFICIAL, "陈慧敏（区民政局）",
                "District-wide official of the Futian Civil Affairs Bureau; owns district government projects "
                "and manages the Futian social-construction fund."),
    DemoAccount("finance", f"finance@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.OFFICIAL, "王立群（区民政局财务科）",
                "Finance officer of the Futian Civil Affairs Bureau; confirms the appropriations into the "
                "social-construction fund that a colleague requested (four eyes)."),
    DemoAccount("street_official", f"street.official@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.OFFICIAL,
                "李志强（福田街道办）",
                "Official of the Futian Subdistrict Office (福田街道); owns that street's projects and verifies "
                "its residents."),
    DemoAccount("resident", f"resident@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.RESIDENT, "张秀英",
                "Verified resident of 福山社区, Futian Subdistrict."),
    DemoAccount("resident2", f"resident2@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.RESIDENT, "刘建国",
                "Unverified resident of 岗厦社区, Futian Subdistrict (waits for the street official)."),
    DemoAccount("provider", f"provider@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.PROVIDER, "黄嘉怡（福和社工）",
                "Member of 深圳市福田区福和社会工作服务中心, a verified 4A social organisation for elderly care "
                "and community education."),
    DemoAccount("funder", f"funder@{DEMO_EMAIL_DOMAIN}", DEMO_PASSWORD, Role.FUNDER, "周文博（恒信基金会）",
                "Member of 深圳市恒信公益基金会, a foundation with an open 2026 grant pool."),
)

# ---------------------------------------------------------------------------
# Geography
# ---------------------------------------------------------------------------

DISTRICT = ("440304", "福田区", "Futian District")

# (code suffix, Chinese, English, [(community Chinese, community pinyin), ...])
STREETS: tuple[tuple[str, str, str, tuple[tuple[str, str], ...]], ...] = (
    ("001", "园岭街道", "Yuanling Subdistrict", (
        ("上步", "Shangbu"), ("百花", "Baihua"), ("红荔", "Hongli"), ("园东", "Yuandong"), ("园西", "Yuanxi"),
        ("华林", "Hualin"), ("长城", "Changcheng"), ("鹏盛", "Pengsheng"), ("八卦岭", "Bagualing"),
        ("南天", "Nantian"))),
    ("002", "南园街道", "Nanyuan Subdistrict", (
        ("南园", "Nanyuan"), ("巴登", "Badeng"), ("南华", "Nanhua"), ("埔尾", "Puwei"), ("沙埔头", "Shaputou"),
        ("玉田", "Yutian"), ("南村", "Nancun"), ("赤尾", "Chiwei"), ("滨江", "Binjiang"))),
    ("003", "福田街道", "Futian Subdistrict", (
        ("福山", "Fushan"), ("福安", "Fu'an"), ("岗厦", "Gangxia"), ("皇岗", "Huanggang"), ("水围", "Shuiwei"),
        ("福田", "Futian"), ("渔农", "Yunong"), ("福南", "Funan"), ("口岸", "Kou'an"), ("福民", "Fumin"),
        ("金田", "Jintian"), ("福源", "Fuyuan"), ("福华", "Fuhua"), ("福祥", "Fuxiang"))),
    ("004", "沙头街道", "Shatou Subdistrict", (
        ("沙头", "Shatou"), ("新沙", "Xinsha"), ("沙嘴", "Shazui"), ("沙尾", "Shawei"), ("上沙", "Shangsha"),
        ("下沙", "Xiasha"), ("金地", "Jindi"), ("天安", "Tian'an"), ("新洲", "Xinzhou"), ("翠湾", "Cuiwan"),
        ("金众", "Jinzhong"), ("滨河", "Binhe"), ("海滨", "Haibin"), ("众孚", "Zhongfu"))),
    ("005", "香蜜湖街道", "Xiangmihu Subdistrict", (
        ("香蜜", "Xiangmi"), ("竹林", "Zhulin"), ("竹园", "Zhuyuan"), ("农园", "Nongyuan"), ("香岭", "Xiangling"),
        ("侨香", "Qiaoxiang"), ("东海", "Donghai"), ("香安", "Xiang'an"), ("农科", "Nongke"))),
    ("006", "梅林街道", "Meilin Subdistrict", (
        ("梅林一村", "Meilin Yicun"), ("梅丰", "Meifeng"), ("梅京", "Meijing"), ("孖岭", "Maling"),
        ("上梅林", "Shangmeilin"), ("下梅林", "Xiameilin"), ("梅河", "Meihe"), ("新兴", "Xinxing"),
        ("中康", "Zhongkang"), ("梅都", "Meidu"), ("翰岭", "Hanling"), ("梅亭", "Meiting"), ("梅华", "Meihua"))),
    ("007", "莲花街道", "Lianhua Subdistrict", (
        ("景田", "Jingtian"), ("景华", "Jinghua"), ("景丽", "Jingli"), ("彩田", "Caitian"), ("紫荆", "Zijing"),
        ("梅岗", "Meigang"), ("福中", "Fuzhong"), ("狮岭", "Shiling"), ("福新", "Fuxin"),
        ("莲花北", "Lianhuabei"), ("彩虹", "Caihong"), ("康欣", "Kangxin"))),
    ("008", "华富街道", "Huafu Subdistrict", (
        ("莲花一村", "Lianhua Yicun"), ("莲花二村", "Lianhua Ercun"), ("田面", "Tianmian"), ("新田", "Xintian"),
        ("黄木岗", "Huangmugang"), ("荔村", "Licun"), ("华富", "Huafu"), ("华新", "Huaxin"))),
    ("009", "福保街道", "Fubao Subdistrict", (
        ("益田", "Yitian"), ("石厦", "Shixia"), ("明月", "Mingyue"), ("新港", "Xingang"), ("福保", "Fubao"),
        ("福强", "Fuqiang"))),
    ("010", "华强北街道", "Huaqiangbei Subdistrict", (
        ("华航", "Huahang"), ("通新岭", "Tongxinling"), ("华强", "Huaqiang"), ("华红", "Huahong"),
        ("荔园", "Liyuan"))),
)
DEMO_STREET = "福田街道"
DEMO_RESIDENT_COMMUNITY = "福山社区"
DEMO_RESIDENT2_COMMUNITY = "岗厦社区"

# ---------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------

# Government departments: (Chinese, English, categories they purchase). Street offices are added per street.
DISTRICT_DEPARTMENTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("深圳市福田区民政局", "Futian District Civil Affairs Bureau",
     ("elderly_care", "children_family", "poverty_relief", "community_governance", "volunteering", "migrant_services")),
    ("深圳市福田区残疾人联合会", "Futian District Disabled Persons' Federation", ("disability",)),
    ("深圳市福田区教育局", "Futian District Education Bureau", ("community_education", "youth")),
    ("深圳市福田区卫生健康局", "Futian District Health Commission", ("health", "mental_health", "bereaved_families")),
)
# Which district department buys district-wide services of a category (default: civil affairs).
PURCHASING_DEPARTMENT = {
    "disability": 1, "community_education": 2, "youth": 2, "health": 3, "mental_health": 3, "bereaved_families": 3,
}
SOCIAL_FUND_OWNER = 0  # index into DISTRICT_DEPARTMENTS
SOCIAL_FUND_NAME = "福田区社会建设专项资金"
SOCIAL_FUND_NAME_EN = "Futian Social Construction Fund"
SOCIAL_FUND_DESCRIPTION = (
    "福田区社会建设专项资金用于支持社会组织参与社区服务和基层治理。对符合条件的项目，按不超过项目总成本50%的比例给予资助，"
    "单个项目资助上限50万元，其余部分须由申报机构自筹或向基金会、企业募集。"
)
SOCIAL_FUND_DESCRIPTION_EN = (
    "The Futian social-construction fund supports social organisations working on community services and local "
    "governance. It pays at most 50% of an eligible project's total cost, up to ¥500,000 per project; the rest must "
    "come from the applicant or from foundations and companies."
)
# The 2026 budget appropriation (拨款) into the fund: requested by the district official, confirmed
# by the bureau's finance officer.
SOCIAL_FUND_APPROPRIATION_REF = "福民财〔2026〕3号"
# Why an official refused an organisation's verification (the demo's refused organisations).
REFUSAL_REASON = "登记证书扫描件不清晰，且与登记管理机关公示的信息不一致，请上传清晰有效的证书后重新提交。"

# Brand names (字号) for social organisations: (Chinese, pinyin).
SOCIAL_BRANDS: tuple[tuple[str, str], ...] = (
    ("星河", "Xinghe"), ("启明", "Qiming"), ("同心", "Tongxin"), ("春晖", "Chunhui"), ("阳光", "Yangguang"),
    ("彩虹", "Caihong"), ("乐活", "Lehuo"), ("善德", "Shande"), ("明德", "Mingde"), ("和谐", "Hexie"),
    ("颐康", "Yikang"), ("博爱", "Bo'ai"), ("新希望", "Xinxiwang"), ("众爱", "Zhong'ai"), ("仁爱", "Ren'ai"),
    ("致远", "Zhiyuan"), ("思齐", "Siqi"), ("立德", "Lide"), ("惠民", "Huimin"), ("睦邻", "Mulin"),
    ("安馨", "Anxin"), ("馨悦", "Xinyue"), ("乐龄", "Leling"), ("益友", "Yiyou"), ("携手", "Xieshou"),
    ("晨曦", "Chenxi"), ("向日葵", "Xiangrikui"), ("蒲公英", "Pugongying"), ("百合", "Baihe"), ("青禾", "Qinghe"),
    ("福康", "Fukang"), ("福乐", "Fule"), ("恒爱", "Heng'ai"), ("正阳", "Zhengyang"), ("海帆", "Haifan"),
    ("启航", "Qihang"), ("守望", "Shouwang"), ("暖心", "Nuanxin"), ("微光", "Weiguang"), ("同行", "Tongxing"),
    ("聚贤", "Juxian"), ("汇智", "Huizhi"), ("知行", "Zhixing"), ("慧育", "Huiyu"), ("童乐", "Tongle"),
    ("长青", "Changqing"), ("松鹤", "Songhe"), ("夕阳红", "Xiyanghong"), ("康宁", "Kangning"), ("怡心", "Yixin"),
    ("心桥", "Xinqiao"), ("心晴", "Xinqing"), ("安康", "Ankang"), ("益民", "Yimin"), ("爱心", "Aixin"),
    ("鹏城", "Pengcheng"), ("深蓝", "Shenlan"), ("莲心", "Lianxin"), ("友善", "Youshan"), ("梧桐", "Wutong"),
    ("木棉", "Mumian"), ("红树林", "Hongshulin"), ("凤凰木", "Fenghuangmu"), ("繁星", "Fanxing"),
    ("朝阳", "Zhaoyang"), ("德润", "Derun"), ("善缘", "Shanyuan"), ("大爱", "Da'ai"), ("厚德", "Houde"),
    ("至善", "Zhishan"), ("共融", "Gongrong"), ("邻里", "Linli"), ("和美", "Hemei"), ("益路", "Yilu"),
    ("点亮", "Dianliang"), ("筑梦", "Zhumeng"), ("圆梦", "Yuanmeng"), ("翔宇", "Xiangyu"), ("星光", "Xingguang"),
    ("心语", "Xinyu"), ("雨露", "Yulu"), ("春雨", "Chunyu"), ("萤火虫", "Yinghuochong"), ("展翅", "Zhanchi"),
    ("乐群", "Lequn"), ("恒星", "Hengxing"), ("慈航", "Cihang"), ("福和", "Fuhe"),
)
GENERIC_SOCIAL_SUFFIX = ("社会工作服务中心", "Social Work Service Center")
# Organisation types (the part after the brand) fitting each main category.
SOCIAL_SUFFIXES: dict[str, tuple[tuple[str, str], ...]] = {
    "elderly_care": (("长者服务中心", "Elderly Services Center"), ("养老服务中心", "Senior Care Center"),
                     GENERIC_SOCIAL_SUFFIX),
    "disability": (("康复服务中心", "Rehabilitation Services Center"), ("助残服务中心", "Disability Support Center"),
                   GENERIC_SOCIAL_SUFFIX),
    "youth": (("青少年发展中心", "Youth Development Center"), ("青少年服务中心", "Youth Services Center")),
    "children_family": (("家庭服务中心", "Family Services Center"), ("儿童发展中心", "Child Development Center"),
                        GENERIC_SOCIAL_SUFFIX),
    "bereaved_families": (("关爱服务中心", "Care Services Center"), GENERIC_SOCIAL_SUFFIX),
    "youth_offender_support": (("青少年帮教服务中心", "Youth Mentoring Center"), GENERIC_SOCIAL_SUFFIX),
    "community_education": (("社区教育服务中心", "Community Education Center"),
                            ("阅读推广中心", "Reading Promotion Center"), ("学习服务中心", "Learning Center")),
    "health": (("健康促进中心", "Health Promotion Center"), ("健康服务中心", "Health Services Center")),
    "mental_health": (("心理咨询服务中心", "Counselling Center"),
                      ("心理健康服务中心", "Mental Health Services Center")),
    "environment": (("环保促进会", "Environmental Protection Association"),
                    ("绿色发展中心", "Green Development Center")),
    "culture_sports": (("文化发展中心", "Cultural Development Center"), ("体育发展中心", "Sports Development Center"),
                       ("艺术团", "Arts Troupe")),
    "legal_aid": (("法律服务中心", "Legal Services Center"), ("人民调解服务中心", "Mediation Services Center")),
    "employment": (("就业服务中心", "Employment Services Center"),
                   ("职业发展服务中心", "Career Development Center")),
    "community_governance": (("社区发展中心", "Community Development Center"),
                             ("社区营造中心", "Placemaking Center"), GENERIC_SOCIAL_SUFFIX),
    "public_safety": (("应急救援服务中心", "Emergency Rescue Services Center"),
                      ("安全服务中心", "Safety Services Center")),
    "volunteering": (("志愿者协会", "Volunteers Association"), ("志愿服务中心", "Volunteer Services Center")),
    "poverty_relief": (("慈善服务中心", "Charity Services Center"), GENERIC_SOCIAL_SUFFIX),
    "migrant_services": (("新市民服务中心", "Newcomer Services Center"), GENERIC_SOCIAL_SUFFIX),
    "facilities_works": (("社区营造中心", "Placemaking Center"), ("空间营造服务中心", "Space Design Center")),
}
# How often each category is an organisation's main field (social organisations).
SOCIAL_MAIN_CATEGORY_WEIGHTS: dict[str, int] = {
    "elderly_care": 18, "disability": 8, "youth": 9, "children_family": 10, "bereaved_families": 2,
    "youth_offender_support": 2, "community_education": 7, "health": 5, "mental_health": 6, "environment": 5,
    "culture_sports": 7, "legal_aid": 3, "employment": 3, "community_governance": 7, "public_safety": 2,
    "volunteering": 5, "poverty_relief": 3, "migrant_services": 3, "facilities_works": 1,
}
# Categories that often go together with a main category (secondary categories are drawn mostly from here).
RELATED_CATEGORIES: dict[str, tuple[str, ...]] = {
    "elderly_care": ("health", "community_education", "volunteering", "mental_health", "bereaved_families"),
    "disability": ("employment", "health", "mental_health", "volunteering"),
    "youth": ("youth_offender_support", "community_education", "mental_health", "culture_sports"),
    "children_family": ("youth", "community_education", "mental_health", "poverty_relief"),
    "bereaved_families": ("elderly_care", "mental_health", "health"),
    "youth_offender_support": ("youth", "legal_aid", "mental_health", "employment"),
    "community_education": ("culture_sports", "elderly_care", "children_family", "youth"),
    "health": ("elderly_care", "mental_health", "disability"),
    "mental_health": ("health", "youth", "children_family", "bereaved_families"),
    "environment": ("volunteering", "community_governance", "community_education"),
    "culture_sports": ("community_education", "youth", "volunteering"),
    "legal_aid": ("community_governance", "migrant_services", "poverty_relief"),
    "employment": ("migrant_services", "disability", "poverty_relief"),
    "community_governance": ("volunteering", "public_safety", "environment", "facilities_works"),
    "public_safety": ("community_governance", "volunteering", "health"),
    "volunteering": ("community_governance", "elderly_care", "environment"),
    "poverty_relief": ("elderly_care", "children_family", "employment"),
    "migrant_services": ("children_family", "employment", "legal_aid"),
    "facilities_works": ("community_governance", "environment", "elderly_care"),
}

# Two-character company and foundation brands are built from these (Chinese, pinyin).
BRAND_FIRST: tuple[tuple[str, str], ...] = (
    ("华", "Hua"), ("鹏", "Peng"), ("中", "Zhong"), ("新", "Xin"), ("金", "Jin"), ("嘉", "Jia"), ("恒", "Heng"),
    ("盛", "Sheng"), ("泰", "Tai"), ("宏", "Hong"), ("安", "An"), ("联", "Lian"), ("达", "Da"), ("越", "Yue"),
    ("远", "Yuan"), ("科", "Ke"), ("深", "Shen"), ("海", "Hai"), ("天", "Tian"), ("瑞", "Rui"), ("永", "Yong"),
    ("博", "Bo"),
)
BRAND_SECOND: tuple[tuple[str, str], ...] = (
    ("创", "chuang"), ("信", "xin"), ("达", "da"), ("泰", "tai"), ("业", "ye"), ("兴", "xing"), ("源", "yuan"),
    ("诚", "cheng"), ("通", "tong"), ("瑞", "rui"), ("辉", "hui"), ("和", "he"), ("邦", "bang"), ("峰", "feng"),
    ("拓", "tuo"), ("德", "de"), ("隆", "long"), ("茂", "mao"),
)

# Foundation types: (Chinese suffix, English suffix, weight, categories it leans to or ()).
FOUNDATION_TYPES: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("公益基金会", "Charity Foundation", 42, ()),
    ("慈善基金会", "Charitable Foundation", 22, ()),
    ("教育基金会", "Education Foundation", 10, ("community_education", "youth", "children_family")),
    ("关爱基金会", "Care Foundation", 10, ("elderly_care", "disability", "bereaved_families", "poverty_relief")),
    ("青少年发展基金会", "Youth Development Foundation", 6, ("youth", "children_family", "youth_offender_support")),
    ("环保基金会", "Environmental Foundation", 4, ("environment", "volunteering")),
)
COMMUNITY_FOUNDATION = ("社区基金会", "Community Foundation")
COMMUNITY_FOUNDATION_COUNT = 18
# The first two also suit community foundations.
FOUNDATION_SCOPES: tuple[tuple[str, str], ...] = (
    ("是在深圳市民政局登记的非公募基金会", "is a private foundation registered in Shenzhen"),
    ("是具有公开募捐资格的慈善组织", "is a charity licensed to raise funds from the public"),
    ("是由深圳本地企业家发起设立的基金会", "was set up by local Shenzhen entrepreneurs"),
    ("是由企业捐资设立的企业基金会", "is a corporate foundation endowed by a company"),
)

# Enterprise industries: (Chinese, English, short Chinese, categories it supplies as a provider, capability).
ENTERPRISE_INDUSTRIES: tuple[tuple[str, str, str, tuple[str, ...], tuple[str, str] | None], ...] = (
    ("科技有限公司", "Technology Co., Ltd.", "科技", (), None),
    ("实业有限公司", "Industrial Co., Ltd.", "实业", (), None),
    ("投资发展有限公司", "Investment & Development Co., Ltd.", "投资", (), None),
    ("信息技术有限公司", "Information Technology Co., Ltd.", "信息", (), None),
    ("电子有限公司", "Electronics Co., Ltd.", "电子", (), None),
    ("供应链管理有限公司", "Supply Chain Management Co., Ltd.", "供应链", (), None),
    ("置业有限公司", "Real Estate Co., Ltd.", "置业", (), None),
    ("建设工程有限公司", "Construction Engineering Co., Ltd.", "建设", ("facilities_works", "public_safety"),
     ("具备建筑工程施工总承包资质，承接社区公共设施建设和老旧小区改造工程",
      "holds a general construction contractor licence and builds community facilities and renews older estates")),
    ("装饰工程有限公司", "Decoration Engineering Co., Ltd.", "装饰", ("facilities_works", "elderly_care"),
     ("具备建筑装修装饰工程专业承包资质，擅长长者饭堂、社区用房装修和居家适老化改造",
      "holds a building-decoration contractor licence and fits out seniors' canteens, community rooms and "
      "age-friendly homes")),
    ("物业管理有限公司", "Property Management Co., Ltd.", "物业", ("facilities_works", "environment", "community_governance"),
     ("为住宅小区和公共建筑提供物业管理、设施维护和垃圾分类服务",
      "manages residential estates and public buildings, maintains facilities and runs waste sorting")),
    ("环保科技有限公司", "Environmental Technology Co., Ltd.", "环保", ("environment",),
     ("提供厨余垃圾处理设备、社区绿化和环境监测服务",
      "supplies food-waste processing equipment, community greening and environmental monitoring")),
    ("医疗器械有限公司", "Medical Devices Co., Ltd.", "医疗", ("health", "disability"),
     ("供应社区健康小屋设备、康复器材和家用医疗器械",
      "supplies community health kiosks, rehabilitation equipment and home medical devices")),
    ("康复辅具有限公司", "Rehabilitation Aids Co., Ltd.", "康复", ("disability", "elderly_care"),
     ("提供轮椅、助行器等康复辅具的适配、租赁和维修",
      "fits, rents out and repairs wheelchairs, walking frames and other assistive devices")),
    ("消防设备有限公司", "Fire Equipment Co., Ltd.", "消防", ("public_safety",),
     ("供应和安装消防器材、烟感报警器和应急照明设备",
      "supplies and installs fire-fighting equipment, smoke alarms and emergency lighting")),
    ("餐饮管理有限公司", "Catering Management Co., Ltd.", "餐饮", ("elderly_care",),
     ("承接长者饭堂和社区助餐点的运营，具备集体用餐配送资质",
      "runs seniors' canteens and community meal points and is licensed for group-meal delivery")),
    ("文化传播有限公司", "Culture & Media Co., Ltd.", "文化", ("culture_sports", "community_education"),
     ("策划执行社区文化活动、节庆演出和公益宣传",
      "plans and stages community cultural events, festival shows and public-interest campaigns")),
    ("体育用品有限公司", "Sporting Goods Co., Ltd.", "体育", ("culture_sports",),
     ("供应和安装户外健身器材、球场设施和文体活动器材",
      "supplies and installs outdoor fitness equipment, sports courts and activity equipment")),
    ("图书有限公司", "Books Co., Ltd.", "图书", ("community_education",),
     ("为社区书屋和学校提供图书采购、编目和配送服务",
      "buys, catalogues and delivers books for community libraries and schools")),
)
#: What a firm of an industry (by its short name) may be contracted for, and the licences it holds;
#: other firms (and every social organisation) supply services only.
ENTERPRISE_OFFER: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "建设": (("works",), ("construction",)),
    "装饰": (("works", "goods"), ("construction",)),
    "物业": (("service", "works"), ("construction",)),
    "环保": (("goods", "service"), ()),
    "医疗": (("goods",), ("medical",)),
    "康复": (("goods", "service"), ()),
    "消防": (("goods", "works"), ("construction",)),
    "餐饮": (("service",), ("food_service",)),
    "文化": (("service",), ()),
    "体育": (("goods", "works"), ()),
    "图书": (("goods", "service"), ()),
}
ENTERPRISE_SUPPLIER_SHARE = 0.35  # share of enterprises drawn from the supplier industries
CSR_PROGRAMMES: tuple[tuple[str, str], ...] = (
    ("温暖社区", "Warm Communities"), ("阳光成长", "Sunshine Growth"), ("绿色家园", "Green Home"),
    ("乐龄相伴", "Happy Ageing"), ("微光", "Little Light"), ("同行", "Walking Together"), ("筑梦", "Building Dreams"),
    ("爱心助学", "Helping Pupils"), ("邻里守望", "Good Neighbours"), ("益起来", "Do Good Together"),
)

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢钟姜崔谭"
            "陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严")
GIVEN_NAME_CHARS = ("伟芳娜敏静丽强磊洋艳勇军杰娟涛明超秀霞平刚桂英华玉兰萍红鹏建国志文博嘉怡慧欣宇浩然子轩梓涵思远"
                    "雅婷晓东海燕佳琪俊杰雨桐一鸣")

# ---------------------------------------------------------------------------
# Bilingual texts per category
# ---------------------------------------------------------------------------

# Lower-case English phrases for running text ("works in elderly care and mental health").
CATEGORY_TEXT_EN: dict[str, str] = {
    "elderly_care": "elderly care", "disability": "disability services", "youth": "youth work",
    "children_family": "children and families", "bereaved_families": "families who have lost their only child",
    "youth_offender_support": "support for young offenders", "community_education": "community education",
    "health": "community health", "mental_health": "mental health", "environment": "the environment",
    "culture_sports": "culture and sports", "legal_aid": "legal aid", "employment": "employment",
    "community_governance": "community governance", "public_safety": "public safety",
    "volunteering": "volunteering", "poverty_relief": "social assistance", "migrant_services": "migrant workers",
    "facilities_works": "community facilities",
}
# Grant-programme names per focus category (used for pool names).
CATEGORY_TITLE_EN: dict[str, str] = {
    "elderly_care": "Elderly Care", "disability": "Disability Inclusion", "youth": "Youth",
    "children_family": "Children and Families", "bereaved_families": "Bereaved Families",
    "youth_offender_support": "Youth Justice", "community_education": "Community Learning",
    "health": "Community Health", "mental_health": "Mental Health", "environment": "Environment",
    "culture_sports": "Culture and Sports", "legal_aid": "Legal Aid", "employment": "Employment",
    "community_governance": "Community Governance", "public_safety": "Safe Communities",
    "volunteering": "Volunteering", "poverty_relief": "Social Assistance", "migrant_services": "Migrant Workers",
    "facilities_works": "Community Facilities",
}

# What an organisation working in a category does: (Chinese clause, English clause).
CAPABILITY_PHRASES: dict[str, tuple[tuple[str, str], ...]] = {
    "elderly_care": (("运营社区长者服务站和长者饭堂", "runs community seniors' service points and canteens"),
                     ("为失能老人提供居家照护和喘息服务", "provides home care and respite for frail elderly people"),
                     ("开展独居老人探访和关爱行动", "organises regular visits to elderly people living alone")),
    "disability": (("开展残疾人康复训练和辅具适配", "offers rehabilitation training and fits assistive devices"),
                   ("为心智障碍人士提供日间照料和就业辅导",
                    "provides day care and job coaching for people with intellectual disabilities"),
                   ("推动无障碍环境建设和社会融合", "promotes accessibility and social inclusion")),
    "youth": (("开展青少年成长小组和生涯规划辅导", "runs growth groups and career-planning coaching for adolescents"),
              ("组织青少年志愿服务和社会实践", "organises volunteering and social-practice projects for young people"),
              ("提供学业辅导和网络素养教育", "offers homework support and media-literacy education")),
    "children_family": (("提供四点半课堂和假期托管服务", "runs after-school and holiday care"),
                        ("开展亲子教育和家庭关系辅导", "offers parenting education and family counselling"),
                        ("为困境儿童提供个案管理", "provides case management for children in difficulty")),
    "bereaved_families": (("为失独家庭提供长期陪伴和心理疏导",
                           "gives long-term companionship and counselling to parents who have lost their only child"),
                          ("组织计生特殊家庭互助小组", "organises mutual-aid groups for bereaved one-child families"),
                          ("提供就医陪诊和节日关怀", "offers hospital escorts and festival visits")),
    "youth_offender_support": (("承接检察机关委托的社会调查和观护帮教",
                                "carries out social investigations and supervised mentoring for the procuratorate"),
                               ("为涉罪未成年人提供复学就业支持", "helps young offenders return to school or work"),
                               ("开展青少年法治教育和犯罪预防", "runs legal education and crime prevention for young people")),
    "community_education": (("开设社区居民终身学习课程", "runs lifelong-learning classes for residents"),
                            ("运营社区书屋并开展阅读推广", "runs community libraries and reading programmes"),
                            ("组织长者学堂和家长课堂", "organises seniors' colleges and parenting classes")),
    "health": (("配合社康中心开展慢病管理和健康宣教",
                "works with community health centres on chronic-disease care and health education"),
               ("组织义诊和健康筛查活动", "organises free clinics and health screenings"),
               ("推广家庭医生签约服务", "promotes enrolment with family doctors")),
    "mental_health": (("提供个体心理咨询和团体辅导", "provides one-to-one counselling and group therapy"),
                      ("开展严重精神障碍患者社区康复", "runs community rehabilitation for people with severe mental illness"),
                      ("为学校和企业提供心理健康培训", "trains schools and employers in mental health")),
    "environment": (("开展垃圾分类督导和绿色社区创建", "coaches waste sorting and helps communities go green"),
                    ("组织社区花园共建和自然教育", "organises community gardens and nature education"),
                    ("开展河道巡护和环境监测", "runs river patrols and environmental monitoring")),
    "culture_sports": (("培育社区文艺团队并组织节庆活动", "coaches community arts groups and organises festivals"),
                       ("提供全民健身指导和体育赛事组织", "provides fitness coaching and organises sports events"),
                       ("推广粤剧、剪纸等非遗项目", "promotes intangible heritage such as Cantonese opera and paper-cutting")),
    "legal_aid": (("派驻律师担任社区法律顾问", "places lawyers as community legal advisers"),
                  ("开展人民调解和矛盾纠纷化解", "mediates neighbourhood disputes"),
                  ("为困难群体提供法律援助", "provides legal aid to people on low incomes")),
    "employment": (("提供职业指导和技能培训", "provides career guidance and skills training"),
                   ("为就业困难人员开展岗位对接", "matches people who find it hard to get work with jobs"),
                   ("开展创业孵化和就业见习服务", "runs start-up incubation and internships")),
    "community_governance": (("协助社区开展居民议事协商", "helps communities hold residents' deliberation forums"),
                             ("运营党群服务中心和社区公共空间", "runs community service centres and shared spaces"),
                             ("推动业委会规范运作和小区治理", "supports owners' committees and estate governance")),
    "public_safety": (("开展消防安全巡查和应急演练", "carries out fire-safety inspections and emergency drills"),
                      ("组织居民应急救护培训", "trains residents in first aid"),
                      ("参与城中村安全网格化管理", "helps run safety grids in urban villages")),
    "volunteering": (("运营社区志愿服务站", "runs community volunteer stations"),
                     ("开展志愿者招募、培训和激励", "recruits, trains and rewards volunteers"),
                     ("建立“时间银行”互助机制", "runs a time bank for mutual help")),
    "poverty_relief": (("开展困难家庭走访和需求评估", "visits and assesses households in hardship"),
                       ("链接慈善资源开展物资救助", "channels charitable donations to people in need"),
                       ("提供社会救助政策咨询和个案帮扶", "advises on social assistance and supports individual cases")),
    "migrant_services": (("为来深建设者提供政策咨询和技能提升", "gives migrant workers advice and skills training"),
                         ("开展流动儿童教育支持", "supports the education of migrant children"),
                         ("组织新市民社区融入活动", "helps newcomers settle into their communities")),
    "facilities_works": (("承担社区公共设施维护和小型改造", "maintains community facilities and carries out small renovations"),
                         ("开展适老化和无障碍改造", "carries out age-friendly and accessibility adaptations"),
                         ("提供社区空间设计与营造服务", "designs and builds community spaces")),
}

# Service projects: (title Chinese, title English, target group Chinese, English, activities Chinese, English).
ServiceTemplate = tuple[str, str, str, str, str, str]
SERVICE_TEMPLATES: dict[str, tuple[ServiceTemplate, ...]] = {
    "elderly_care": (
        ("独居老人助餐与探访服务项目", "Meal delivery and home visits for elderly people living alone",
         "独居、空巢老人", "elderly people living alone",
         "为老人提供每周上门探访、送餐助餐和紧急呼叫跟进，建立一户一档的关爱台账",
         "weekly home visits, meal delivery and follow-up of emergency calls, with a care record for every household"),
        ("长者日间照料中心运营服务", "Running the elderly day-care centre", "社区长者", "older residents",
         "负责日间照料中心的日常运营，提供午餐、康乐活动、健康讲座和短期托养",
         "running the day-care centre with lunches, recreational activities, health talks and short-term respite care"),
        ("失能老人居家照护支持项目", "Home-care support for frail and disabled elderly people",
         "失能、半失能老人及其照护者", "frail and disabled elderly people and their carers",
         "开展居家照护评估、护理技能培训和喘息服务，减轻家庭照护压力",
         "home-care assessments, care-skills training and respite services that relieve family carers"),
        ("长者数字生活课堂", "Digital skills classes for older residents", "60岁以上居民", "residents aged 60 and over",
         "开设智能手机使用、防范电信诈骗和线上预约挂号等小班课程",
         "small classes on using smartphones, avoiding telephone fraud and booking hospital appointments online"),
    ),
    "disability": (
        ("残疾人康复与社区融合服务项目", "Rehabilitation and community inclusion for people with disabilities",
         "持证残疾人及其家庭", "registered people with disabilities and their families",
         "提供康复训练、辅具适配指导和社区融合活动",
         "rehabilitation training, advice on assistive devices and community inclusion activities"),
        ("心智障碍人士日间照料服务", "Day care for people with intellectual disabilities",
         "心智障碍人士", "people with intellectual and developmental disabilities",
         "提供日间照料、生活自理训练和家长支持小组",
         "day care, independent-living skills training and support groups for parents"),
        ("残疾人职业技能培训与就业辅导", "Vocational training and job coaching for people with disabilities",
         "就业年龄段残疾人", "working-age people with disabilities",
         "开展职业技能培训、岗位对接和支持性就业辅导",
         "vocational skills training, job matching and supported-employment coaching"),
    ),
    "youth": (
        ("青少年成长支持服务项目", "Growth support for adolescents", "辖区中小学生", "primary and secondary school students",
         "开展学业辅导、生涯规划和同伴支持小组", "homework support, career-planning workshops and peer-support groups"),
        ("青少年暑期社会实践营", "Summer social-practice camp for young people", "12至18岁青少年",
         "young people aged 12 to 18", "组织社区志愿服务、职业体验和公民教育活动",
         "community volunteering, job-shadowing days and civic-education activities"),
        ("青少年网络素养教育项目", "Online safety and media literacy for teenagers", "在校青少年及家长",
         "teenagers and their parents", "开展网络安全、防沉迷和媒介素养课程",
         "courses on online safety, gaming addiction and media literacy"),
    ),
    "children_family": (
        ("“四点半课堂”托管服务", "After-school care (the 'half-past-four classroom')", "双职工家庭小学生",
         "primary-school children of working parents", "提供放学后托管、作业辅导和兴趣活动",
         "supervised after-school care, homework help and hobby activities"),
        ("家庭综合服务项目", "Integrated family services", "辖区家庭", "local families",
         "提供亲子教育、婚姻家庭辅导和困境儿童个案管理",
         "parenting education, marriage and family counselling and case management for children in difficulty"),
        ("儿童友好社区营造项目", "Building a child-friendly community", "社区儿童及家长", "children and their parents",
         "开展儿童议事会、社区游戏空间共建和亲子自然探索",
         "children's councils, co-designed play spaces and parent-child nature walks"),
    ),
    "bereaved_families": (
        ("失独家庭关爱服务项目", "Care for families who have lost their only child", "失独家庭",
         "parents who have lost their only child", "开展定期探访、节日陪伴、心理疏导和互助小组",
         "regular visits, company on festival days, counselling and mutual-aid groups"),
        ("计生特殊家庭就医陪护服务", "Hospital escorts for bereaved one-child families", "计生特殊家庭成员",
         "members of bereaved one-child families", "提供就医陪诊、住院陪护和健康档案管理",
         "escorts to medical appointments, bedside support in hospital and health-record keeping"),
    ),
    "youth_offender_support": (
        ("涉罪未成年人帮教服务项目", "Support and rehabilitation for young offenders",
         "涉罪及有不良行为的未成年人", "young offenders and adolescents at risk",
         "开展社会调查、观护帮教、家庭教育指导和复学就业支持",
         "social investigation reports, supervised mentoring, parenting guidance and help returning to school or work"),
        ("社区青少年违法犯罪预防项目", "Preventing youth crime in the community", "社区闲散青少年",
         "out-of-school young people", "开展法治教育、外展服务和职业技能体验",
         "legal-education sessions, street outreach and vocational taster courses"),
    ),
    "community_education": (
        ("社区居民终身学习课堂", "Lifelong-learning classes for residents", "社区居民", "residents",
         "开设书法、摄影、健康养生和家庭理财等系列课程",
         "classes on calligraphy, photography, healthy living and household finance"),
        ("社区书屋阅读推广服务", "Reading promotion at the community library", "社区居民及儿童", "residents and children",
         "运营社区书屋，开展亲子共读、读书会和阅读推广人培训",
         "running the community library with parent-child reading, book clubs and training for reading volunteers"),
        ("长者学堂课程服务", "Courses at the seniors' college", "社区长者", "older residents",
         "开设国学、声乐、智能手机和防诈骗课程", "courses on Chinese classics, singing, smartphones and fraud prevention"),
    ),
    "health": (
        ("社区慢性病健康管理服务", "Chronic-disease management in the community", "高血压、糖尿病患者",
         "residents with high blood pressure or diabetes", "开展健康筛查、用药指导和健康生活方式小组",
         "health screenings, medication guidance and healthy-lifestyle groups"),
        ("家庭医生签约推广与健康宣教项目", "Family-doctor enrolment and health education", "社区居民", "residents",
         "配合社康中心开展家庭医生签约宣传、健康讲座和义诊",
         "family-doctor enrolment drives, health talks and free clinics with the community health centre"),
    ),
    "mental_health": (
        ("社区心理健康服务项目", "Community mental-health services", "社区居民", "residents",
         "提供心理咨询热线、个体咨询和心理健康讲座", "a counselling hotline, one-to-one counselling and mental-health talks"),
        ("严重精神障碍患者社区康复服务", "Community rehabilitation for people with severe mental illness",
         "严重精神障碍患者及家属", "people with severe mental illness and their families",
         "开展康复训练、服药管理和家属支持小组", "rehabilitation training, medication management and family support groups"),
        ("中小学生心理健康促进计划", "Mental-health promotion for school students", "中小学生及教师",
         "school students and teachers", "开展心理筛查、团体辅导和教师心理急救培训",
         "screenings, group counselling and psychological first-aid training for teachers"),
    ),
    "environment": (
        ("垃圾分类宣传督导服务", "Waste-sorting education and monitoring", "社区居民及物业", "residents and property managers",
         "开展垃圾分类桶边督导、入户宣传和绿色积分兑换",
         "coaching at collection points, door-to-door campaigns and green-points rewards"),
        ("社区花园共建项目", "Community garden co-creation", "社区居民及志愿者", "residents and volunteers",
         "组织居民共建共管社区花园，开展自然教育和堆肥课程",
         "residents build and tend a community garden, with nature-education and composting workshops"),
        ("河道保护与环境教育项目", "River protection and environmental education", "辖区中小学生及居民",
         "students and residents", "开展河道巡护、水质监测和环保主题课堂",
         "river patrols, water-quality monitoring and environmental lessons"),
    ),
    "culture_sports": (
        ("社区文化艺术活动服务", "Community arts and culture programme", "社区居民", "residents",
         "培育社区文艺团队，组织节庆文化活动和艺术工作坊",
         "coaching community arts groups, festival events and art workshops"),
        ("全民健身指导服务项目", "Fitness coaching for all residents", "社区居民", "residents",
         "提供社会体育指导员驻点服务、健身课程和社区运动会",
         "resident fitness instructors, exercise classes and a community sports day"),
        ("非遗文化进社区项目", "Intangible cultural heritage in the community", "社区居民及学生", "residents and students",
         "开展粤剧、剪纸和醒狮等非遗体验课程", "taster courses in Cantonese opera, paper-cutting and lion dance"),
    ),
    "legal_aid": (
        ("社区法律顾问服务项目", "Community legal-adviser service", "社区居民", "residents",
         "律师定期驻点，提供法律咨询、人民调解和普法讲座",
         "lawyers hold regular office hours for legal advice, mediation and legal-education talks"),
        ("困难群体法律援助服务", "Legal aid for vulnerable groups", "低收入居民、老人和外来务工人员",
         "low-income residents, older people and migrant workers", "提供法律咨询、文书代写和诉讼代理",
         "legal advice, help with documents and representation in court"),
    ),
    "employment": (
        ("社区就业援助服务项目", "Employment assistance in the community", "就业困难人员",
         "people who find it hard to get work", "提供就业登记、职业指导、技能培训和岗位推荐",
         "job registration, career guidance, skills training and job referrals"),
        ("高校毕业生就业创业指导", "Job-search and start-up coaching for graduates", "未就业高校毕业生",
         "unemployed university graduates", "开展简历指导、模拟面试和创业辅导",
         "CV coaching, mock interviews and start-up mentoring"),
    ),
    "community_governance": (
        ("社区议事协商能力建设项目", "Capacity building for community deliberation", "居委会、业委会及居民骨干",
         "residents' committees, owners' committees and active residents", "开展议事规则培训、协商议事会和居民提案孵化",
         "training in meeting rules, deliberation forums and support for residents' proposals"),
        ("社区党群服务中心运营服务", "Running the community service centre", "社区居民", "residents",
         "负责党群服务中心日常运营、活动策划和志愿者管理",
         "day-to-day running of the community service centre, activity planning and volunteer management"),
        ("住宅小区治理提升项目", "Better governance of residential estates", "住宅小区业主及物业服务企业",
         "flat owners and property-management companies", "推动业委会规范运作、调解物业纠纷和制定小区公约",
         "helping owners' committees work well, mediating property disputes and drafting estate charters"),
    ),
    "public_safety": (
        ("社区应急安全宣传与演练项目", "Emergency preparedness education and drills", "社区居民及商户",
         "residents and shopkeepers", "开展消防、防台风和急救知识培训及应急疏散演练",
         "training on fire safety, typhoons and first aid, with evacuation drills"),
        ("城中村消防安全网格服务", "Fire-safety grid service in urban villages", "城中村出租屋及小经营场所",
         "rented rooms and small shops in urban villages", "开展消防隐患巡查、租户安全宣传和隐患整改跟踪",
         "fire-risk inspections, safety briefings for tenants and follow-up of repairs"),
    ),
    "volunteering": (
        ("社区志愿服务站运营项目", "Running the community volunteer station", "社区志愿者及居民", "volunteers and residents",
         "负责志愿者招募培训、服务项目设计和服务时数记录",
         "recruiting and training volunteers, designing volunteer activities and logging hours"),
        ("“时间银行”互助养老志愿项目", "Time-bank volunteering for older people", "低龄老人及志愿者",
         "younger retirees and volunteers", "建立时间银行，组织低龄老人服务高龄老人并存储服务时间",
         "a time bank in which younger retirees help the oldest residents and bank the hours"),
    ),
    "poverty_relief": (
        ("困难群众救助帮扶服务项目", "Support for residents in hardship", "低保、低边及困难家庭",
         "households on or near minimum-income support", "开展困难家庭走访评估、政策链接和个案帮扶",
         "home visits and needs assessments, linking families to benefits and case support"),
        ("临时救助对象关爱服务", "Care for recipients of emergency assistance", "临时遇困居民",
         "residents in sudden hardship", "提供物资援助、资源转介和心理支持", "material help, referrals and emotional support"),
    ),
    "migrant_services": (
        ("来深建设者关爱服务项目", "Support for migrant workers", "来深务工人员及其家庭",
         "migrant workers and their families", "开展政策咨询、技能提升、子女教育支持和节日关怀",
         "advice on local rules and benefits, skills courses, help with children's schooling and festival activities"),
        ("新市民融入社区项目", "Helping newcomers settle into the community", "新市民家庭", "newcomer families",
         "开展社区迎新、邻里互助和城市生活指导", "welcome events, neighbour support and practical guides to city life"),
    ),
    "facilities_works": (
        ("社区公共设施巡查维护服务", "Inspection and upkeep of community facilities", "社区居民", "residents",
         "定期巡查社区公共设施并及时完成小修小补", "regular inspections of community facilities and prompt small repairs"),
    ),
}

# Goods and works: (type, category, title Chinese, title English, scope Chinese, scope English).
GoodsWorksTemplate = tuple[str, str, str, str, str, str]
GOODS_WORKS_TEMPLATES: tuple[GoodsWorksTemplate, ...] = (
    ("works", "facilities_works", "无障碍设施改造工程", "Step-free access works",
     "对社区道路、出入口和公共卫生间进行无障碍改造", "making pavements, entrances and public toilets step-free"),
    ("works", "facilities_works", "老旧小区公共空间微改造工程", "Small-scale renewal of public space in an older estate",
     "改造小区公共空间、休憩设施和夜间照明", "renewing shared spaces, seating and night lighting in the estate"),
    ("works", "elderly_care", "长者饭堂装修改造工程", "Fitting out the seniors' canteen",
     "完成长者饭堂厨房、餐厅及无障碍通道的装修", "fitting out the kitchen, dining room and step-free access"),
    ("works", "elderly_care", "老年人家庭适老化改造工程", "Age-friendly home adaptations",
     "为高龄、失能老人家庭加装扶手、防滑地面和紧急呼叫设备",
     "installing grab rails, non-slip floors and emergency-call devices in older people's homes"),
    ("works", "culture_sports", "口袋公园健身设施建设工程", "Fitness facilities for a pocket park",
     "建设口袋公园健身步道并安装健身器材", "building a walking path and installing fitness equipment in a pocket park"),
    ("works", "environment", "垃圾分类投放点升级改造工程", "Upgrading waste-sorting collection points",
     "升级垃圾分类投放点，加装洗手池和除臭设备", "upgrading collection points with hand-washing sinks and odour control"),
    ("works", "public_safety", "城中村消防设施提升工程", "Fire-safety upgrades in an urban village",
     "加装独立式烟感报警器、消火栓和应急照明", "installing smoke alarms, fire hydrants and emergency lighting"),
    ("works", "children_family", "儿童游乐场地改造工程", "Renovating a children's playground",
     "改造儿童游乐场地并铺设安全地垫", "renovating the playground and laying safety surfacing"),
    ("goods", "elderly_care", "长者助餐点厨房设备采购", "Kitchen equipment for a seniors' meal point",
     "采购商用厨具、保温送餐箱和消毒设备", "buying catering equipment, insulated delivery boxes and sterilisers"),
    ("goods", "disability", "康复辅具配置采购", "Assistive devices for rehabilitation",
     "采购轮椅、助行器和康复训练器材", "buying wheelchairs, walking frames and rehabilitation equipment"),
    ("goods", "community_education", "社区书屋图书配置采购", "Books for the community library",
     "采购图书、期刊和自助借还设备", "buying books, magazines and a self-service lending machine"),
    ("goods", "public_safety", "社区应急物资储备采购", "Emergency supplies for the community",
     "采购应急包、发电机和救生器材", "buying emergency kits, generators and rescue equipment"),
    ("goods", "health", "社区健康小屋设备采购", "Equipment for a community health kiosk",
     "采购血压计、血糖仪和自助体检设备", "buying blood-pressure monitors, glucose meters and self-service check-up machines"),
    ("goods", "environment", "厨余垃圾就地处理设备采购", "On-site food-waste processing equipment",
     "采购厨余垃圾就地处理设备及配套设施", "buying an on-site food-waste processor and its fittings"),
    ("goods", "culture_sports", "社区文体活动器材采购", "Sports and arts equipment for the community",
     "采购音响、乐器和文体活动器材", "buying sound equipment, musical instruments and sports gear"),
)

# Resident micro-projects (民生微实事): (type, category, title Chinese, title English, content Chinese, English).
# Resident micro-projects (民生微实事): (type, category, title Chinese, title English, content Chinese, English,
# highest plausible budget in yuan).
MicroTemplate = tuple[str, str, str, str, str, str, int]
MICRO_TEMPLATES: tuple[MicroTemplate, ...] = (
    ("works", "facilities_works", "楼道照明改造", "New stairwell lighting",
     "将老旧楼道灯更换为声控节能灯", "replacing old stairwell lights with sound-activated LED lamps", 300_000),
    ("works", "facilities_works", "休闲座椅及遮阳棚安装", "Benches and sunshades for residents",
     "在小区广场安装休闲座椅和遮阳棚", "installing benches and sunshades on the estate square", 400_000),
    ("works", "facilities_works", "无障碍坡道修建", "A wheelchair ramp",
     "在楼栋入口修建无障碍坡道并加装扶手", "building a ramp with handrails at the building entrance", 300_000),
    ("works", "children_family", "儿童游乐设施维修", "Repairing children's play equipment",
     "维修儿童滑梯、秋千并更换安全地垫", "repairing slides and swings and replacing safety mats", 300_000),
    ("works", "public_safety", "电动自行车集中充电棚建设", "A charging shelter for e-bikes",
     "建设带消防设施的电动自行车集中充电棚", "building an e-bike charging shelter with fire protection", 800_000),
    ("works", "environment", "绿化补种与垂直绿化", "Replanting and green walls",
     "补种行道树和花卉，建设垂直绿化墙", "replanting trees and flowers and building a green wall", 1_000_000),
    ("works", "facilities_works", "老旧小区雨污管网修复", "Repairing drains in an older estate",
     "疏通并修复小区雨污管网，解决雨季积水问题", "clearing and repairing the estate's drains so that it no longer floods "
     "in the rainy season", 1_000_000),
    ("goods", "elderly_care", "长者活动室空调及桌椅更换", "New air conditioning and furniture for the seniors' room",
     "为长者活动室更换空调、桌椅和棋牌用品", "replacing the air conditioning, tables, chairs and board games", 200_000),
    ("goods", "culture_sports", "乒乓球台及健身器材更新", "New table-tennis tables and fitness equipment",
     "更换老化的乒乓球台和户外健身器材", "replacing worn table-tennis tables and outdoor fitness equipment", 300_000),
    ("goods", "public_safety", "楼栋消防器材更换", "New fire extinguishers for residential buildings",
     "为老旧楼栋更换灭火器和应急照明灯", "replacing fire extinguishers and emergency lights in older buildings", 200_000),
    ("goods", "community_education", "社区书屋图书及阅读设备更新", "New books and reading equipment for the library",
     "为社区书屋补充图书并更新阅读桌椅", "adding books and new reading tables to the community library", 500_000),
    ("service", "community_governance", "邻里节系列活动", "Neighbourhood festival",
     "举办邻里节、百家宴和楼栋居民见面会", "a neighbourhood festival, a shared dinner and building meet-ups", 150_000),
    ("service", "environment", "垃圾分类积分兑换活动", "Waste-sorting rewards scheme",
     "开展垃圾分类积分兑换和环保手工活动", "a points-for-sorting rewards scheme and recycling crafts", 100_000),
    ("service", "elderly_care", "长者生日会与义剪服务", "Birthday parties and free haircuts for older residents",
     "每月为长者举办集体生日会并提供义剪服务", "monthly birthday parties and free haircuts for older residents", 80_000),
    ("service", "health", "义诊与健康讲座", "Free health checks and talks",
     "邀请社康医生开展义诊和健康讲座", "free check-ups and talks by doctors from the community health centre", 100_000),
    ("service", "children_family", "亲子阅读活动", "Parent-child reading sessions",
     "每周末组织亲子共读和绘本剧表演", "weekend parent-child reading and picture-book theatre", 80_000),
    ("service", "culture_sports", "中秋游园会", "Mid-Autumn community fair",
     "举办中秋游园、猜灯谜和文艺演出", "a Mid-Autumn fair with lantern riddles and performances", 150_000),
    ("service", "legal_aid", "法律咨询进楼栋", "Legal advice in residential buildings",
     "律师定期进楼栋提供法律咨询", "lawyers visit residential buildings to give legal advice", 80_000),
    ("service", "mental_health", "长者心理关爱小组", "Emotional-support groups for older residents",
     "组织长者心理关爱小组和情绪舒缓活动", "emotional-support groups and relaxation sessions for older residents",
     120_000),
)

# Extra sentences closing a project description, by project kind.
GOVERNMENT_NOTES: tuple[tuple[str, str], ...] = (
    ("承接机构须配备持证社工，按季度向采购单位提交服务报告。",
     "The provider must employ licensed social workers and report to the purchasing office every quarter."),
    ("项目实行第三方评估，评估结果与尾款支付挂钩。",
     "An independent evaluation decides the release of the final payment."),
    ("服务须在社区党群服务中心设点，并接受居民监督。",
     "Services are delivered from the community service centre and are open to residents' scrutiny."),
)
PUBLIC_BENEFIT_NOTES: tuple[tuple[str, str], ...] = (
    ("项目资金缺口较大，欢迎基金会和爱心企业共同支持。",
     "The project still has a funding gap and welcomes support from foundations and companies."),
    ("项目已获得社区居委会支持，将动员居民志愿者共同参与。",
     "The residents' committee supports the project, and local volunteers will take part."),
    ("项目成效将通过服务对象满意度调查和第三方评估进行检验。",
     "Results will be checked with a satisfaction survey and an independent evaluation."),
)
