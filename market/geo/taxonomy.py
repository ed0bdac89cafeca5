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

# Words residents and officials use for each category (Chinese, then English): the seed from which
# category suggestions start, before any proposal or project of the category exists.
CATEGORY_KEYWORDS: dict[str, str] = {
    "elderly_care": "爷爷 奶奶 阿公 阿婆 大爷 大妈 老年 老人之家 喝茶 腿脚不好 买菜做饭 吃饭难 养老院 长者食堂 老人 老年人 长者 老伙伴 独居老人 空巢老人 高龄 失能 养老 敬老 助餐 长者饭堂 送餐 上门 探访 陪伴 聊天 "
                    "日间照料 居家养老 适老化 老年活动室 长者活动中心 下棋 打牌 护理 喘息服务 长者生日会 "
                    "elderly older senior old folk pensioner aged care meal lunch visit living alone",
    "disability": "中风 瘫痪 半身不遂 康复师 残联 手工坊 庇护工场 精神残疾 残疾人 残障 残障人士 轮椅 康复 康复训练 辅具 助残 盲人 视障 盲道 听障 聋哑 手语 智障 自闭症 孤独症 "
                  "心智障碍 特殊孩子 特殊儿童 托养 残疾 肢体 就业辅导 disabled disability wheelchair rehabilitation "
                  "blind deaf sign language autism special needs",
    "youth": "网吧 自习室 拓展 户外拓展 学生 初三 高三 中考 高考 青少年 中学生 初中生 高中生 少年 年轻人 社团 兴趣小组 成长 辅导 生涯规划 职业规划 暑期 假期 社会实践 网瘾 "
             "打游戏 青春期 teenager teen youth adolescent young people club",
    "children_family": "幼儿园 小学生 沙池 儿童乐园 看孩子 带孩子 妈妈 爸爸 儿童 孩子 小朋友 娃 宝宝 婴幼儿 托管 四点半课堂 课后 放学 作业辅导 亲子 家庭 家长 父母 育儿 早教 "
                       "游乐场 滑梯 秋千 儿童乐园 绘本 双职工 二孩 child children kid kids family parent playground "
                       "after-school toddler",
    "bereaved_families": "儿子走了 女儿走了 车祸 病逝 没有子女 无人签字 老来丧子 失独 失独家庭 独生子女 去世 计生特殊家庭 特扶 丧亲 老两口 哀伤 陪伴 互助 节假日 慰问 "
                         "bereaved only child lost child grief",
    "youth_offender_support": "少管所 拘留 打架 斗殴 劳教 刑满 释放 管教 融入社会 问题少年 涉罪 未成年人 帮教 社区矫正 矫正 缓刑 犯罪 违法 派出所 偷 盗窃 辍学 不良行为 闲散 "
                              "预防犯罪 再犯 心理矫治 offender probation juvenile crime delinquency",
    "community_education": "兴趣课 画画 围棋 象棋 手工课 插花 烘焙课 知识讲座 学堂 教育 学习 课堂 课程 培训班 讲座 书法 绘画 英语 电脑 智能手机 摄影 老年大学 长者大学 读书会 阅读 "
                           "图书 书屋 图书室 学 班 class course lesson learning library reading book adult education",
    "health": "急救 心肺复苏 AED 心脏病 中风预防 坐诊 家庭医生 测血糖 医院 健康 医生 义诊 体检 量血压 血压 血糖 高血压 糖尿病 慢病 慢性病 看病 买药 药 社康 健康小屋 疫苗 流感 "
              "急救 保健 健康讲座 health doctor clinic check-up blood pressure diabetes medicine vaccine",
    "mental_health": "孤僻 想不开 发脾气 喝酒 团体辅导 心理专家 心理健康讲座 心理 心理咨询 心理疏导 心理辅导 情绪 抑郁 焦虑 压力 睡不着 失眠 心情 开导 倾诉 减压 支持小组 "
                     "心理健康 mental health counselling counselor depression anxiety stress emotional",
    "environment": "蚊子 苍蝇 异味 垃圾站 菜园 种菜 肥料 噪音 环境 环保 垃圾 垃圾分类 垃圾桶 厨余 堆肥 回收 绿化 种树 花草 绿植 花园 垂直绿化 清洁 卫生 臭 "
                   "乱倒 河道 污染 低碳 节能 environment waste recycling rubbish bins compost green trees garden clean",
    "culture_sports": "合唱团 排练 乐器 运动会 拔河 跳绳 比赛 舞蹈队 戏曲 粤剧 文化 体育 文体 广场舞 跳舞 音响 篮球 篮球场 乒乓球 羽毛球 足球 健身 健身器材 锻炼 运动 "
                      "春晚 文艺演出 节目 晚会 猜灯谜 春联 中秋 游园 书画展 合唱 非遗 culture sports dance "
                      "basketball fitness gym exercise festival music performance",
    "legal_aid": "欠薪 拖欠工资 仲裁 劳动仲裁 拆迁 补偿 赔偿 政策咨询 法律 法律援助 律师 法律咨询 法律顾问 维权 打官司 起诉 纠纷 合同 押金 房东 租房 离婚 遗产 继承 "
                 "调解 普法 欠薪 被骗 legal law lawyer advice dispute tenant deposit contract",
    "employment": "工作岗位 推荐工作 电工 证书 技能 收入 上岗 就业 再就业 失业 下岗 找工作 招聘 招聘会 求职 简历 面试 技能培训 职业培训 家政 育婴师 创业 "
                  "岗位 全职妈妈 毕业生 job jobs employment unemployed work training recruitment career",
    "community_governance": "养狗 养犬 文明公约 快递柜 居民意见 坐下来 开会 投票 社区治理 居民议事 议事会 议事 居民自治 自治 业主 业委会 物业 楼栋长 楼长 商量 规矩 公约 "
                            "停车 杂物 邻里 邻里节 百家宴 微信群 协商 居委会 governance residents meeting "
                            "neighbours committee self-management parking",
    "public_safety": "门禁 陌生人 进出 燃气 天然气 煤气 爆炸 漏气 偷盗 小偷 安全 消防 灭火器 火灾 着火 消防通道 消防演练 电动车 充电 充电棚 隐患 监控 摄像头 路灯 治安 "
                     "防盗 抢劫 红绿灯 减速带 交通 过马路 防诈骗 诈骗 反诈 应急 应急灯 safety fire extinguisher "
                     "e-bike charging cctv camera scam fraud drill emergency traffic",
    "volunteering": "义工 余热 退休党员 大学生志愿者 统一安排 服务队 志愿者 志愿服务 义工 志愿队 时间银行 积分 热心人 党员 公益 互助 帮忙 志愿 "
                    "volunteer volunteers volunteering",
    "poverty_relief": "救济 没收入 房租 买不起 书包 文具 困难户 重病 困难 困难家庭 困难群众 低保 低收入 贫困 救助 帮扶 特困 捐赠 捐款 物资 棉被 米油 交不起 "
                      "生活困难 临时救助 poverty poor low income hardship donation food bank relief",
    "migrant_services": "外来工 新深圳人 老家 留守儿童 夏令营 租房户 流动人口 来深建设者 外来务工人员 务工人员 打工 外地人 新市民 农民工 城中村 老乡 居住证 社保 积分入户 "
                        "随迁子女 工友 务工人员之家 migrant worker workers newcomer residence permit",
    "facilities_works": "台阶 门口 推车 台风 损坏 坏了 破损 晾衣 设施 工程 维修 修 改造 翻新 楼道 楼道灯 照明 灯 感应灯 电梯 扶手 坡道 无障碍 路面 道路 坑 "
                        "下水道 排水 积水 管道 漏水 座椅 遮阳棚 雨棚 围墙 外墙 屋顶 repair lights lighting lamp "
                        "stairwell ramp handrail lift pavement drain road bench shelter",
}
