"""Deterministic demo data: a fictional community's roster and months of door-knocking history.

``generate`` is pure: the same arguments always give the same dict (``random.Random(seed)``, no
clock, no I/O), so the committed ``demo_data.json`` can be checked against it in tests and
regenerated at will. ``main`` writes the file. The shape is documented in ``docs/demo-data.md``.

Everything is invented: names, phone numbers and ID numbers are random (ID numbers only carry a
valid checksum so that validators accept them), and the compounds and addresses are made up.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import functools
import json
import math
import random
import sys
from collections import Counter, defaultdict

from gridtui import model

FORMAT = "gridtui-roster/1"
TZ = dt.timezone(dt.timedelta(hours=8))

COMMUNITY = {"id": "C01", "name": "幸福里社区", "street": "新华街道", "district": "江岸区", "city": "武汉市"}

# (name, address, style): "walkup" = 老旧小区 of 5–7 floors without lifts, "highrise" = 商品房.
COMPOUND_POOL: tuple[tuple[str, str, str], ...] = (
    ("幸福里小区", "新华路88号", "walkup"),
    ("新华苑", "新华路126号", "highrise"),
    ("铁路新村", "黄浦大街217号", "walkup"),
    ("江畔花园", "沿江大道306号", "highrise"),
    ("建设里", "兴业路19号", "walkup"),
    ("育才小区", "育才路45号", "walkup"),
    ("金桥名都", "金桥大道532号", "highrise"),
    ("和平苑", "和平街道口23号", "walkup"),
)

# Workers stay the same whatever the seed, so training material can refer to them by name.
WORKER_NAMES: tuple[str, ...] = ("李秀英", "王志刚", "陈晓燕", "刘海涛", "张丽萍", "杨俊", "赵春燕", "周文斌")

_CN_DIGITS = "零一二三四五六七八九"

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢"
    "姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
# The big five surnames cover about a third of China; the weights follow that long tail.
SURNAME_WEIGHTS = tuple(8 if i < 5 else 4 if i < 10 else 2 if i < 30 else 1 for i in range(len(SURNAMES)))

# Given names by birth cohort and sex: a 1940s 秀英 and a 1990s 欣怡 should not swap generations.
GIVEN_NAMES: dict[tuple[str, bool], tuple[str, ...]] = {
    ("old", True): (
        "建国", "建华", "国强", "志强", "德明", "国庆", "卫东", "建军", "振华", "福生", "长林", "水生",
        "金生", "立新", "文华", "家福", "永明", "树林", "宝山", "德胜", "和平", "春生", "国华", "学文",
        "伟", "军", "明", "华", "平", "强", "忠", "清",
    ),
    ("old", False): (
        "秀英", "桂英", "秀兰", "桂兰", "玉兰", "凤英", "淑珍", "秀珍", "玉珍", "桂芳", "秀芳", "金凤",
        "兰英", "素芬", "爱华", "红梅", "冬梅", "淑华", "玉梅", "美华", "翠英", "月娥", "芳", "琴", "英",
        "萍", "珍",
    ),
    ("mid", True): (
        "海波", "晓东", "建平", "志刚", "永刚", "红兵", "卫国", "俊", "涛", "斌", "磊", "鹏", "勇", "波",
        "军", "强", "伟", "刚", "明亮", "文斌", "海涛", "国栋", "小平", "学军", "春雷", "晓峰", "志勇",
        "建新", "利民", "家明",
    ),
    ("mid", False): (
        "丽", "静", "敏", "燕", "艳", "娟", "霞", "红", "玲", "丽娟", "晓燕", "海燕", "春燕", "丽萍",
        "雪梅", "晓红", "慧", "莉", "秀梅", "小红", "卫红", "丽华", "凤霞", "亚萍", "红霞",
    ),
    ("young", True): (
        "浩", "磊", "鹏", "杰", "超", "宇", "帅", "旭", "晨", "浩然", "子豪", "俊杰", "宇航", "文博",
        "家豪", "明轩", "天宇", "志远", "嘉伟", "思远", "博文", "一鸣", "凯", "亮", "阳", "锐", "子健",
    ),
    ("young", False): (
        "婷", "雪", "琳", "倩", "颖", "佳", "欣", "悦", "晶", "婷婷", "雨欣", "思琪", "梦瑶", "佳怡",
        "雅琪", "欣怡", "诗涵", "文静", "晓雯", "佳琪", "梦婷", "丹丹", "璐", "薇", "雨桐",
    ),
}

PHONE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "170", "173", "176", "177", "180", "181", "182", "183", "185", "186",
    "187", "188", "189", "191", "199",
)

# Local 区 codes for people registered in Wuhan, other 县/市 for those who moved in (often tenants).
LOCAL_REGIONS = ("420102", "420102", "420102", "420103", "420104", "420106", "420111", "420116", "420117")
MIGRANT_REGIONS = (
    "420116", "420117", "421102", "421181", "420984", "429004", "421003", "421281", "420621",
    "430102", "411502", "360102", "421087", "420281",
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

TAG_ORDER = tuple(model.TAGS)
CARE_TAGS = frozenset(t.code for t in model.TAGS.values() if t.care)

ROLE_WEIGHTS = {
    "safety": 28, "service": 22, "publicity": 18, "info": 12, "data": 10, "supervision": 8, "mediation": 5,
}

CATEGORY_WEIGHTS: dict[str, dict[str, int]] = {
    "data": {"people": 35, "phone": 30, "moved_in": 15, "moved_out": 8, "other": 12},
    "info": {"health": 30, "hardship": 20, "employment": 20, "rental": 18, "other": 12},
    "publicity": {
        "pension": 22, "medical_insurance": 22, "housing_fund": 8, "anti_fraud": 26, "garbage_sorting": 14,
        "other": 8,
    },
    "service": {"micro_wish": 24, "elderly_care": 24, "repair": 32, "paperwork": 23, "other": 12},
    "mediation": {"neighbour": 45, "tenant_landlord": 20, "labour": 12, "family": 15, "other": 8},
    "supervision": {"property": 40, "public_works": 20, "contractor": 15, "sanitation": 18, "other": 7},
    "safety": {
        "ebike_charging": 34, "extinguisher": 14, "gas": 16, "stairwell_light": 14, "blocked_exit": 14,
        "other": 8,
    },
}

# Who lives in a household changes what they ask for: tenants argue with landlords, the old need care.
CATEGORY_BOOSTS: dict[str, dict[tuple[str, str], int]] = {
    "elderly_alone": {("service", "elderly_care"): 3, ("service", "micro_wish"): 2, ("info", "health"): 3,
                      ("publicity", "anti_fraud"): 2},
    "empty_nest": {("service", "elderly_care"): 3, ("info", "health"): 2, ("publicity", "pension"): 2},
    "disability": {("service", "paperwork"): 2, ("info", "health"): 2, ("service", "micro_wish"): 3},
    "left_behind_child": {("service", "micro_wish"): 3, ("mediation", "family"): 2},
    "low_income": {("info", "hardship"): 5, ("service", "micro_wish"): 3, ("info", "employment"): 2},
    "rental": {("mediation", "tenant_landlord"): 5, ("info", "rental"): 5, ("data", "moved_in"): 3},
}

TRIAGE_WEIGHTS: dict[tuple[str, str | None], tuple[int, int, int]] = {
    ("safety", "gas"): (55, 25, 20),
    ("safety", "blocked_exit"): (55, 35, 10),
    ("publicity", None): (93, 6, 1),
    ("publicity", "anti_fraud"): (75, 15, 10),
    ("data", None): (95, 5, 0),
    ("info", "hardship"): (50, 45, 5),
    ("mediation", None): (45, 50, 5),
    ("supervision", None): (45, 48, 7),
    ("service", "elderly_care"): (60, 35, 5),
}
DEFAULT_TRIAGE_WEIGHTS = (76, 20, 4)

# (诉求 asked, 措施 action on the spot, note when it is later resolved[, forced triage]).
TEMPLATES: dict[str, dict[str, tuple[tuple[str, ...], ...]]] = {
    "safety": {
        "ebike_charging": (
            ("楼道内电动车飞线充电", "当场劝导拆除飞线，告知小区集中充电桩位置", "复查飞线已拆除，未再发现"),
            ("{floor}楼楼道停放电动车并充电，堵塞通道", "劝导住户将电动车移至楼下车棚，讲解电动车起火案例",
             "电动车已移走，楼道恢复畅通"),
            ("住户把电动车电池拎回家中充电", "讲解电池入户充电的危险，建议使用小区换电柜",
             "住户承诺不再把电池带回家充电"),
            ("单元门口私拉电线给电动车充电", "拍照留存，联系物业拆除私拉电线", "物业已拆除私拉电线并张贴提示"),
            ("反映小区充电桩不够用，晚上要排队", "记录诉求，向物业反映增设充电口", "物业新增充电口，已告知住户"),
        ),
        "extinguisher": (
            ("楼道灭火器已过期", "登记灭火器位置和过期时间，通知物业更换", "物业已更换新灭火器"),
            ("{floor}楼消火栓箱内水带缺失", "拍照记录，反馈物业补齐消防器材", "水带已补齐，复查无误"),
            ("老人不会使用灭火器", "现场演示灭火器使用方法，张贴操作图示", "老人已掌握基本使用方法"),
            ("灭火器压力表指针在红区", "告知该灭火器已失效，联系物业检测更换", "已更换合格灭火器"),
        ),
        "gas": (
            ("家中燃气软管老化开裂", "关闭燃气总阀，联系燃气公司上门更换", "燃气公司已更换为金属波纹管"),
            ("进门闻到轻微燃气味", "立即开窗通风、关闭阀门，请住户到室外等候，通知燃气公司抢修",
             "燃气公司检测为阀门松动，已维修", "urgent"),
            ("老人做饭时常忘记关火", "建议安装燃气报警器和熄火保护灶，叮嘱子女多提醒", "子女已为老人加装燃气报警器"),
            ("燃气灶使用已超过十年", "讲解燃气具报废年限，建议尽快更换", "住户已更换新灶具"),
            ("燃气热水器装在浴室内", "告知一氧化碳中毒隐患，建议联系燃气公司移装", "热水器已移至阳台"),
        ),
        "stairwell_light": (
            ("{unit}单元{floor}楼楼道灯不亮", "记录位置，报物业维修", "物业已更换灯泡"),
            ("楼道声控灯不灵敏，老人夜里上下楼看不清", "反馈物业检修声控开关", "已更换为人体感应灯"),
            ("单元门口照明灯坏了好几天", "拍照上传，催促物业维修", "照明已恢复"),
        ),
        "blocked_exit": (
            ("楼道堆放纸箱、旧家具等杂物", "劝导住户清理，讲解堵塞疏散通道的危害", "杂物已清理完毕"),
            ("安全出口被上锁", "要求物业立即打开，张贴疏散通道禁止锁闭的告示", "已打开并改为推闩门锁", "urgent"),
            ("消防车通道被私家车长期占用", "联系车主挪车，报物业设置禁停标识", "已施划禁停标线"),
            ("楼顶天台被住户搭建杂物间", "劝导拆除，告知违章搭建的消防隐患", "杂物间已拆除"),
            ("一楼住户在楼梯间堆放废品", "劝导清运，讲解废品堆放的火灾风险", "废品已清运"),
        ),
        "other": (
            ("阳台外挂空调支架锈蚀松动", "提醒住户尽快加固，楼下暂设警示", "住户已请师傅加固支架"),
            ("家中插线板串接使用，电线老化", "讲解用电安全，建议更换合格插线板", "住户已更换插线板"),
            ("小区围墙有一段开裂倾斜", "拉设警示带，上报街道安全办", "围墙已拆除重砌"),
            ("窗户没有防护栏，家中有小孩", "提醒家长注意儿童防坠落，建议加装防护栏", "住户已加装隐形防护网"),
        ),
    },
    "service": {
        "elderly_care": (
            ("老人行动不便，希望有人上门送餐", "登记助餐需求，联系社区老年食堂", "已开通送餐服务，每天中午送到"),
            ("老人想申请居家养老上门服务", "讲解申请条件，代为填写申请表", "居家养老服务已开通"),
            ("子女在外地，老人希望定期有人来看看", "纳入重点关注名单，安排志愿者结对", "志愿者已结对，每周上门一次"),
            ("老人想办理高龄津贴", "核对年龄，告知所需材料，协助提交申请", "高龄津贴已审核通过"),
            ("老人血压偏高，希望有医生上门", "联系社区卫生服务中心家庭医生上门随访", "家庭医生已上门测量血压"),
            ("老人洗澡不方便，想请人帮忙", "登记需求，对接助浴服务机构", "助浴服务已上门一次"),
        ),
        "repair": (
            ("厨房水龙头漏水，自己修不了", "联系社区志愿服务队上门维修", "已更换水龙头"),
            ("家中电灯开关坏了", "联系志愿者电工上门查看", "开关已更换"),
            ("卫生间下水道堵塞", "联系物业维修人员疏通", "下水道已疏通"),
            ("入户门锁损坏，锁不上门", "联系开锁换锁师傅，提醒暂时加装插销", "门锁已更换"),
            ("窗户玻璃破损，冬天漏风", "登记尺寸，联系物业安排更换", "玻璃已更换"),
        ),
        "paperwork": (
            ("想办理居住证，不清楚流程", "告知所需材料和办理地点，可在网上预约", "住户已办好居住证"),
            ("老人身份证过期，行动不便去不了派出所", "联系派出所预约上门办证服务", "派出所已上门采集信息"),
            ("需要开具居住证明", "告知携带材料到社区党群服务中心开具", "证明已开具"),
            ("咨询残疾证换证手续", "讲解换证流程，预约评残医院", "残疾证已换领"),
            ("孩子入学需要社区开具证明", "告知所需材料，协助准备", "证明已开具"),
        ),
        "other": (
            ("想参加社区老年大学书法班", "登记报名信息，告知开课时间", "已安排入班"),
            ("希望社区组织一次义诊", "记录建议，报社区统筹安排", "社区已联系医院开展义诊"),
            ("想预约社区免费体检", "帮助预约体检时间", "已完成体检"),
            ("希望能有人教用智能手机", "登记需求，告知社区智能手机课堂时间", "已参加手机课堂"),
        ),
    },
    "publicity": {
        "pension": (
            ("咨询城乡居民养老保险缴费档次", "讲解缴费档次和政府补贴标准，建议结合家庭情况选择", "住户已完成缴费"),
            ("不会在手机上做养老金资格认证", "演示手机APP人脸认证流程，协助完成认证", "已完成资格认证"),
            ("灵活就业人员咨询养老保险补缴", "告知补缴政策和办理渠道", "住户已到社保中心办理"),
            ("咨询养老金调整后什么时候到账", "解答调整政策，告知查询方式", "住户已查到到账记录"),
        ),
        "medical_insurance": (
            ("咨询城乡居民医保明年缴费时间", "告知缴费时间和微信、支付宝缴费方式", "住户已缴费"),
            ("咨询门诊慢特病怎么申请", "讲解申请条件和需要的材料", "慢特病待遇已申请"),
            ("要去外地看病，不知道怎么备案", "指导在国家医保服务平台APP上办理异地就医备案", "已完成备案"),
            ("新生儿怎么参加医保", "讲解新生儿参保流程", "孩子已参保"),
        ),
        "housing_fund": (
            ("咨询能否提取公积金交房租", "讲解租房提取条件和线上办理流程", "住户已线上提取"),
            ("咨询公积金贷款额度怎么算", "解答额度计算方法，告知公积金中心咨询电话", "住户已了解"),
            ("灵活就业人员能不能缴公积金", "讲解灵活就业人员自愿缴存政策", "住户已开户缴存"),
        ),
        "anti_fraud": (
            ("老人接到自称公检法的电话，要求转账", "当即提醒是诈骗，不要转账，协助拉黑号码并报派出所",
             "派出所民警已上门回访", "urgent"),
            ("手机还没装国家反诈中心APP", "协助下载安装并完成注册", "已安装"),
            ("老人参加保健品讲座，被推销高价产品", "讲解常见养老诈骗手法，提醒子女多关注", "老人已退掉产品"),
            ("收到冒充快递理赔的短信", "讲解理赔诈骗的特征，提醒不点陌生链接", "住户已删除短信"),
            ("年轻住户咨询网上刷单兼职", "明确告知刷单就是诈骗，发放反诈宣传单", "住户表示不会参与"),
        ),
        "garbage_sorting": (
            ("不清楚厨余垃圾和其他垃圾怎么分", "发放垃圾分类指南，现场讲解", "住户已能正确分类投放"),
            ("反映垃圾投放点撤桶时间太早", "记录诉求，反馈物业调整撤桶时间", "物业已延长投放时间"),
            ("大件垃圾不知道怎么处理", "告知大件垃圾预约清运方式", "已预约清运"),
        ),
        "other": (
            ("咨询征兵报名条件", "讲解征兵政策，告知报名网址", "家中适龄青年已报名"),
            ("咨询冬季用电用气安全", "发放冬季安全宣传资料", "住户已了解"),
            ("咨询社区疫苗接种安排", "告知社区卫生服务中心接种时间", "已预约接种"),
        ),
    },
    "info": {
        "health": (
            ("老人近期摔倒一次，腿部受伤", "记录健康状况，提醒子女陪同就医，纳入重点关注", "老人已康复"),
            ("住户刚做完手术在家休养", "登记情况，告知可申请家庭医生上门", "家庭医生已随访"),
            ("家中有精神障碍患者，近期情绪不稳定", "报社区卫生服务中心精防医生，加强随访", "精防医生已上门随访",
             "coordinate"),
            ("老人患糖尿病多年，需要长期用药", "登记慢病信息，告知慢病用药报销政策", "已纳入慢病管理"),
        ),
        "hardship": (
            ("家里主要劳动力生病住院，收入中断", "了解家庭经济状况，告知临时救助申请条件", "临时救助已审批发放"),
            ("低保家庭今年医疗支出较大", "登记情况，报街道民政办评估", "已纳入医疗救助"),
            ("单亲妈妈独自抚养两个孩子，生活困难", "告知困境儿童帮扶政策，协助申请", "帮扶申请已通过"),
            ("老人退休金低，冬季取暖负担重", "登记情况，了解临时救助和慰问政策", "已纳入冬季慰问名单"),
        ),
        "employment": (
            ("住户失业半年，希望找工作", "推荐社区就业服务站岗位信息，登记求职意向", "已推荐到附近超市上岗"),
            ("孩子大学毕业尚未就业", "告知高校毕业生就业见习政策", "已参加就业见习"),
            ("想参加免费技能培训", "登记培训意向，告知街道育婴员、电工培训班报名时间", "已报名培训班"),
            ("灵活就业人员咨询社保补贴", "讲解补贴条件和申请材料", "补贴已申请"),
        ),
        "rental": (
            ("新入住租户未登记", "登记租户信息，提醒房东办理出租屋备案", "租户信息已登记"),
            ("一套房内住了八名务工人员，疑似群租", "登记情况，报派出所和街道核查", "已整改为合规出租", "coordinate"),
            ("出租房屋未办理备案", "告知房东备案流程", "房东已备案"),
            ("租户合同快到期，准备搬走", "记录预计搬离时间", "已核实"),
        ),
        "other": (
            ("反映附近新开的棋牌室晚上人员复杂", "记录情况，反馈派出所关注", "派出所已检查"),
            ("家中饲养大型犬", "登记犬只信息，提醒办证和文明养犬", "已办理犬证"),
            ("住户反映楼下有人长期摆摊", "记录情况，反馈城管", "已劝离"),
        ),
    },
    "data": {
        "other": (
            ("户籍地址与实际居住地址不一致", "核实情况，登记实际居住信息", "信息已更正"),
            ("登记的身份证号码有误", "现场核对身份证，更正信息", "信息已更正"),
            ("房屋产权人已变更", "核实新产权人信息", "信息已更新"),
        ),
    },
    "mediation": {
        "neighbour": (
            ("楼上漏水与邻居发生纠纷", "上门查看漏水情况，约双方协商，联系物业确认漏点", "楼上已做防水，双方达成赔偿协议"),
            ("邻居晚上噪音大影响休息", "分别与双方沟通，劝导注意作息", "双方互相谅解"),
            ("邻居在公共楼道堆物引发矛盾", "协调双方，明确公共区域使用规则", "杂物已清理，矛盾化解"),
            ("楼上空调外机滴水到楼下阳台", "协调楼上住户加装接水管", "已加装接水管"),
            ("邻居家狗经常在楼道吠叫", "与养犬住户沟通，提醒文明养犬", "情况已改善"),
        ),
        "tenant_landlord": (
            ("租户与房东因押金退还产生纠纷", "约双方到社区调解室协商", "房东退还押金，双方签字确认"),
            ("房东要求提前解约，租户不同意", "讲解合同约定，组织双方协商", "双方协商一致，房东给予补偿"),
            ("租户拖欠房租两个月", "联系双方了解情况，协商分期支付", "租户已补交房租"),
        ),
        "labour": (
            ("住户在工地打工被拖欠工资", "登记欠薪情况，引导到街道劳动保障所投诉", "工资已结清"),
            ("住户被公司辞退，没有拿到经济补偿", "讲解劳动法相关规定，告知劳动仲裁渠道", "已申请劳动仲裁"),
        ),
        "family": (
            ("老人与儿子因赡养问题发生争执", "分别谈心，组织家庭会议调解", "子女承诺按月支付赡养费并定期探望"),
            ("夫妻经常争吵，邻居听到摔东西的声音", "上门了解情况，进行劝解，提醒如遇家暴及时报警", "家庭关系缓和"),
            ("兄弟姐妹因老人房产分配产生矛盾", "讲解继承相关法律，组织协商", "已达成书面协议"),
        ),
        "other": (
            ("住户与物业因停车费产生纠纷", "约物业和住户当面沟通", "双方达成一致"),
            ("业主与装修公司因工期拖延发生争执", "讲解合同维权途径，组织协商", "装修公司已复工"),
        ),
    },
    "supervision": {
        "property": (
            ("交了物业费，小区绿化长期没人打理", "记录情况，督促物业整改", "物业已安排修剪"),
            ("{unit}单元电梯经常故障停运", "联系物业和维保单位检修，跟踪整改", "电梯已维修并通过检测"),
            ("物业维修基金使用情况不公开", "向物业反映，督促公示", "物业已在公告栏公示"),
            ("小区门禁损坏，外来人员随意进出", "督促物业维修门禁", "门禁已修复"),
        ),
        "public_works": (
            ("老旧小区改造施工进度缓慢", "向街道城建办反映，跟踪施工进度", "施工已按计划推进"),
            ("小区门口路面塌陷", "现场设置警示，报街道城建办", "路面已修复", "urgent"),
            ("雨污管网改造后路面未恢复", "拍照上报，督促施工方恢复", "路面已恢复"),
            ("加装电梯工程停工多日", "了解停工原因，向街道反映", "工程已复工"),
        ),
        "contractor": (
            ("施工单位夜间施工噪音扰民", "联系施工单位负责人，要求遵守施工时间", "已停止夜间施工"),
            ("装修垃圾堆在小区空地没有清运", "督促施工方限期清运", "装修垃圾已清运"),
            ("外墙施工时有碎块掉落", "要求施工方设置防护网和警示区", "防护网已搭设"),
        ),
        "sanitation": (
            ("垃圾清运不及时，垃圾桶满溢", "联系环卫所增加清运频次", "已调整清运时间"),
            ("化粪池外溢，气味很大", "上报环卫所安排抽排", "已抽排清理"),
            ("公共区域卫生死角长期无人清扫", "督促保洁人员清理", "已清理干净"),
        ),
        "other": (
            ("小区公共收益使用情况不透明", "向业委会和物业反映，督促公示", "已公示收支明细"),
            ("社区健身器材损坏无人维修", "拍照上报，督促维修", "器材已修复"),
        ),
    },
}

# Data findings that propose a change to the roster: (asked, action, done, fact, delta).
DATA_TEMPLATES: dict[str, tuple[tuple, ...]] = {
    "people": (
        ("家中新添一口人，常住人口由{old}人变为{new}人", "核实后登记人口变更", "人口信息已更新", "people", 1),
        ("子女搬出另住，常住人口由{old}人变为{new}人", "核实后登记人口变更", "人口信息已更新", "people", -1),
        ("父母搬来同住，现常住{new}人", "登记新增人员信息，了解健康状况", "人口信息已更新", "people", 1),
        ("家中一人外出务工，常住人口变为{new}人", "登记外出人员去向和联系方式", "人口信息已更新", "people", -1),
    ),
    "phone": (
        ("住户更换了手机号码，原号码已停用", "核实新号码并登记", "联系电话已更新", "phone", 0),
        ("登记的是子女电话，老人希望留自己的手机号", "登记老人本人号码", "联系电话已更新", "phone", 0),
        ("登记电话为空号", "现场获取新号码", "联系电话已更新", "phone", 0),
        ("住户不愿提供新的手机号码", "做好解释，留下网格员联系卡", "已解释，住户表示以后主动告知", None, 0),
    ),
    "moved_in": (
        ("新搬入{k}名租户", "登记租户身份信息", "已录入租户信息", "people", 2),
        ("儿子一家从外地回来居住", "登记新增人员信息", "人口信息已更新", "people", 3),
        ("新生儿出生，尚未登记", "登记新生儿信息，告知疫苗接种和参保", "人口信息已更新", "people", 1),
    ),
    "moved_out": (
        ("住户表示月底搬走，房子准备出售", "记录预计搬离时间，待搬离后注销", "", "moved_out", 0),
        ("住户准备搬去子女家住，房屋将空置", "记录搬离计划，留存子女联系方式", "", "moved_out", 0),
    ),
}

MICRO_WISHES: tuple[tuple[str, str], ...] = (
    ("老人说看药盒上的字很吃力，想要一副老花镜", "想要一副老花镜"),
    ("厨房水龙头一直滴水，希望有人帮忙修理", "希望有人帮忙修理漏水的水龙头"),
    ("孩子喜欢看书，想要一套课外书", "孩子想要一套课外书"),
    ("老人耳朵背，想要一台助听器", "想要一台助听器"),
    ("老人想去医院复查，希望有人陪同", "希望有人陪同去医院复查"),
    ("孩子的书包坏了，想要一个新书包", "孩子想要一个新书包"),
    ("老人喜欢听戏，想要一台收音机", "想要一台收音机"),
    ("冬天快到了，想要一床厚棉被", "想要一床厚棉被"),
    ("老人腿脚不好，想要一个助行器", "想要一个助行器"),
    ("孩子喜欢画画，想要一套绘画工具", "孩子想要一套绘画工具"),
    ("家里没有取暖设备，想要一台小电暖器", "想要一台电暖器"),
    ("老人想学用智能手机和孙子视频", "希望有人教老人用智能手机视频通话"),
    ("老人想要一件过冬的棉衣", "想要一件过冬的棉衣"),
    ("孩子想要一个台灯写作业", "孩子想要一盏护眼台灯"),
    ("老人想要一个血压计，自己在家量血压", "想要一个电子血压计"),
)
MICRO_WISH_ACTIONS = (
    "登记微心愿，报社区微心愿墙发布",
    "记录心愿，发布到社区微心愿认领平台",
    "登记心愿并拍照留存，报社区统一发布",
)
WISH_CLAIMERS = (
    "辖区共建单位 某某银行江岸支行",
    "共建单位 新华街道卫生院党支部",
    "爱心企业 幸福里连锁超市",
    "志愿者 陈晓明",
    "社区党员 刘建国",
    "江岸区某中学团委",
    "爱心商户 老刘家电维修部",
    "辖区共建单位 某某物业公司党支部",
    "巾帼志愿服务队",
    "退休党员志愿服务队",
)
WISH_CLAIM_NOTES = ("心愿已被认领", "已对接认领单位", "")
WISH_FULFIL_NOTES = ("心愿物品已送到住户手中", "认领人已上门完成心愿", "已陪同完成，住户很感谢")

REFER_TO: dict[tuple[str, str | None], tuple[str, ...]] = {
    ("safety", "ebike_charging"): ("物业公司", "街道城管中队"),
    ("safety", "extinguisher"): ("物业公司",),
    ("safety", "gas"): ("燃气公司",),
    ("safety", "stairwell_light"): ("物业公司",),
    ("safety", "blocked_exit"): ("物业公司", "街道城管中队", "辖区消防救援站"),
    ("safety", None): ("街道安全生产办", "物业公司"),
    ("service", "elderly_care"): ("社区卫生服务中心", "街道养老服务中心"),
    ("service", "repair"): ("物业公司", "社区志愿服务队"),
    ("service", "paperwork"): ("派出所", "街道政务服务中心"),
    ("service", None): ("社区党群服务中心",),
    ("publicity", "pension"): ("街道社保中心",),
    ("publicity", "medical_insurance"): ("街道医保服务站",),
    ("publicity", "housing_fund"): ("区公积金管理中心",),
    ("publicity", "anti_fraud"): ("派出所",),
    ("publicity", None): ("物业公司", "街道社保中心"),
    ("info", "health"): ("社区卫生服务中心",),
    ("info", "hardship"): ("街道民政办",),
    ("info", "employment"): ("街道劳动保障所",),
    ("info", None): ("派出所",),
    ("data", None): ("派出所",),
    ("mediation", "labour"): ("街道劳动保障所",),
    ("mediation", "tenant_landlord"): ("社区人民调解委员会", "派出所"),
    ("mediation", None): ("社区人民调解委员会", "街道司法所"),
    ("supervision", "property"): ("物业公司", "街道房管所"),
    ("supervision", "sanitation"): ("街道环卫所",),
    ("supervision", "contractor"): ("街道城建办", "街道城管中队"),
    ("supervision", None): ("街道城建办",),
}
# Share of findings handed to another unit, by role: supervision is mostly about others' work.
REFER_SHARE = {"safety": 0.35, "service": 0.3, "publicity": 0.05, "info": 0.2, "data": 0.0,
               "mediation": 0.3, "supervision": 0.6}
# Share answered on the spot (a policy question needs no follow-up).
ON_SPOT_SHARE = {"safety": 0.25, "service": 0.1, "publicity": 0.7, "info": 0.4, "data": 0.0,
                 "mediation": 0.1, "supervision": 0.05}

# Triage that needs other units is handed over more often.
REFER_EXTRA = {"routine": 0.0, "coordinate": 0.3, "urgent": 0.4}

REFERRED_NOTES = ("已转{to}处理", "联系{to}，对方答复近期上门处理", "已上报{to}，等待处理结果", "与{to}对接，已派单")
REFERRAL_DONE_NOTES = ("{to}反馈已处理完毕", "{to}已上门处理，住户确认", "{to}处理完毕，网格员复查无误")
ON_SPOT_NOTES = ("当场解答，住户表示明白了", "现场处理完毕", "当场解决，住户认可")
CLOSED_NOTES = {
    "satisfied": ("电话回访，住户对处理结果满意", "回访确认，予以办结", "住户表示认可，办结"),
    "basically": ("回访住户，表示基本满意", "住户认为处理稍慢，基本认可，办结"),
    "dissatisfied": ("住户对处理时长不满意，已做解释，办结", "住户仍有意见，已解释政策，办结"),
}
DIRECT_CLOSE_NOTES = ("诉求超出社区职责范围，已解释说明，办结", "住户表示问题已自行解决，办结")

VISIT_NOTES: dict[str, tuple[str, ...]] = {
    "elderly": (
        "老人身体状况良好，叮嘱注意保暖", "老人精神不错，提醒按时服药", "查看燃气阀门和电器，提醒用完关阀",
        "老人说最近睡眠不太好，提醒注意休息", "陪老人聊了一会儿，情绪稳定", "老人血压稳定，家中常用药充足",
        "帮老人测试了烟感报警器，工作正常", "老人女儿周末回来过，家中食物充足", "老人腿脚不便，叮嘱上下楼扶好扶手",
        "测量血压正常，老人状态不错", "老人独自在家看电视，一切正常", "帮老人把垃圾带下楼，老人状况良好",
    ),
    "care": (
        "家中一切正常，了解近期生活情况", "住户身体状况稳定，无特殊需求", "了解家庭近况，留下联系卡",
        "老两口身体还好，子女每周打电话", "了解残疾人补贴发放情况，已按时到账", "家庭生活基本稳定",
        "住户精神状态良好，提醒有事随时联系",
    ),
    "child": (
        "孩子在家写作业，奶奶照看，情况良好", "了解孩子在校情况，学习正常", "孩子父母在外务工，爷爷奶奶照看",
        "提醒监护人注意孩子用电和防溺水安全",
    ),
    "rental": (
        "租户在家，核对租住信息", "租户刚下夜班，简单了解情况", "核对租住人数，与登记一致",
        "租户表示住得还行，留下联系卡", "提醒租户注意用电用气安全",
    ),
    "veteran": (
        "看望退役军人，了解近期生活情况", "了解优待政策落实情况，无特殊困难", "老兵身体硬朗，聊了聊近况",
    ),
    "ordinary": (
        "入户核实人口信息，无异常", "住户在家，宣传反诈知识", "了解家庭基本情况，留下联系卡",
        "核对住户信息，与登记一致", "住户在家，简单交流，无特殊情况", "发放宣传资料，住户配合",
    ),
}
SEASON_NOTES = {
    "hot": ("天气炎热，提醒老人开空调防暑", "叮嘱老人多喝水，中午少出门"),
    "cold": ("天气转凉，叮嘱老人注意保暖", "提醒老人换季注意预防感冒"),
}
NO_ANSWER_NOTES = (
    "敲门无人应答，已在门上留联系卡", "家中无人，邻居说白天上班", "无人应门，择日再访",
    "敲门无人应答，电话未接通", "家中无人，门口有快递，应是晚归",
)
REFUSED_NOTES = ("住户隔门表示不需要，未入户", "住户称正忙，不愿交谈", "住户不愿透露家庭信息")
VACANT_NOTES = (
    "房屋空置，邻居说住户已搬走", "门口堆满广告单，疑似长期无人居住", "房门紧锁，物业确认已空置",
    "电表不走，房屋空置",
)
PHONE_MET_NOTES = ("电话联系，住户说一切都好", "电话回访，住户近况正常", "电话询问近况，无特殊情况", "电话了解家庭近况")
PHONE_NO_ANSWER_NOTES = ("电话无人接听", "电话占线，稍后再联系", "电话已关机")
OTHER_MODE_NOTES = (
    "在社区活动中心遇到住户，了解近况", "住户到社区党群服务中心办事时面谈", "微信视频联系，住户在外地",
    "在小区广场遇到，聊了几句",
)
FOLLOW_UP_NOTES = (
    "上门未遇，电话联系，老人在女儿家暂住", "上门未遇，电话确认老人去医院复查了",
    "上门未遇，电话联系，老人在楼下散步", "上门无人，联系家属确认老人外出买菜",
)

# Words in a text that only make sense for some households, and the test a household must pass.
# Keeps 老人 requests in old people's homes, 孩子 wishes where children live, 租户 where there are tenants.
FIT_RULES: tuple[tuple[tuple[str, ...], str], ...] = (
    (("老人", "老年", "老两口", "老兵", "退休金", "高龄"), "old"),
    (("老两口",), "couple"),
    (("孩子", "小孩", "新生儿", "适龄", "入学", "毕业", "书包", "课外书", "作业"), "child"),
    (("年轻",), "young"),
    (("租户", "房东", "出租", "群租", "租住", "租房"), "rental"),
    (("残疾",), "disability"),
    (("低保",), "low_income"),
    (("单亲妈妈",), "single_mother"),
    (("失业", "灵活就业", "打工", "辞退", "工地", "找工作"), "working_age"),
    (("夫妻",), "not_alone"),
    (("子女", "儿子"), "has_grown_children"),
)

SATISFACTION_WEIGHTS = (80, 15, 5)
MODE_RANK = {"door": 0, "other": 1, "phone": 2}


# --- small helpers ---------------------------------------------------------------------------


def _cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 12 → 十二, 21 → 二十一 (enough for grid names)."""
    if n < 10:
        return _CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    head = "" if tens == 1 else _CN_DIGITS[tens]
    return head + "十" + (_CN_DIGITS[ones] if ones else "")


def _ident(prefix: str, n: int, width: int) -> str:
    return f"{prefix}{n:0{width}d}"


def _width(default: int, count: int) -> int:
    return max(default, len(str(count)))


def _apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Split ``total`` into integer shares proportional to ``weights`` (largest remainder)."""
    k = len(weights)
    if k == 0:
        return []
    minimum = min(minimum, total // k)
    rest = total - minimum * k
    s = sum(weights) or 1.0
    raw = [rest * w / s for w in weights]
    shares = [math.floor(r) for r in raw]
    order = sorted(range(k), key=lambda i: (-(raw[i] - shares[i]), i))
    for i in order[: rest - sum(shares)]:
        shares[i] += 1
    return [minimum + x for x in shares]


def _weighted(rng: random.Random, weights: dict) -> object:
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def id_checksum(first17: str) -> str:
    """Check character of a mainland resident ID (GB 11643)."""
    return "10X98765432"[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def _months_before(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return dt.date(y, m + 1, min(d.day, calendar.monthrange(y, m + 1)[1]))


def _is_day_off(d: dt.date) -> bool:
    # Sundays and the National Day week; Saturdays are half-worked and decided by the caller.
    return d.weekday() == 6 or (d.month == 10 and d.day <= 7)


def _workday(d: dt.date, lo: dt.date, hi: dt.date, rng: random.Random) -> dt.date:
    """Move a planned date onto a day a grid worker is out knocking, within [lo, hi]."""
    one = dt.timedelta(days=1)
    if d.weekday() == 5 and rng.random() >= 0.25:
        d -= one
    if _is_day_off(d) and d.weekday() != 6:
        # A holiday visit is made up over the following days, not all on the first one back.
        d = dt.date(d.year, 10, 8) + dt.timedelta(days=rng.randint(0, 9))
    for _ in range(14):
        if d >= lo and not _is_day_off(d):
            break
        d += one
    for _ in range(14):
        if d <= hi and not _is_day_off(d):
            break
        d -= one
    return min(max(d, lo), hi)


def _household_traits(hh: dict) -> set[str]:
    """Facts about a household that decide which texts fit it (see FIT_RULES)."""
    born = int(hh["id_number"][6:10])
    male = int(hh["id_number"][16]) % 2 == 1
    tags, people = set(hh["tags"]), hh["people"]
    lone_elder = bool(tags & {"elderly_alone", "empty_nest"})
    traits = set(tags)
    if born <= 1962 or lone_elder or "left_behind_child" in tags:
        traits.add("old")
    if born <= 1972:
        traits.add("has_grown_children")
    if people == 2:
        traits.add("couple")
    if "left_behind_child" in tags or (people >= 3 and not lone_elder):
        traits.add("child")
    if born >= 1975 or "child" in traits:
        traits.add("young")
    if not male and people == 3:
        traits.add("single_mother")
    if 1961 <= born <= 2003 and not lone_elder:
        traits.add("working_age")
    if people >= 2:
        traits.add("not_alone")
    return traits


def _fits(text: str, traits: set[str]) -> bool:
    return _needs(text) <= traits


@functools.lru_cache(maxsize=None)  # a few hundred templates, asked about for every household
def _needs(text: str) -> frozenset[str]:
    return frozenset(need for words, need in FIT_RULES if any(w in text for w in words))


def _texts_for(role: str, category: str, traits: set[str]) -> list[tuple]:
    """The templates of a category that fit a household with these traits."""
    if role == "service" and category == "micro_wish":
        if not traits & CARE_TAGS:
            return []  # 微心愿 are collected from 关爱对象, not from every household
        pool: tuple = MICRO_WISHES
    elif role == "data" and category in DATA_TEMPLATES:
        pool = DATA_TEMPLATES[category]
    else:
        pool = TEMPLATES[role][category]
    return [t for t in pool if _fits(t[0], traits)]


def _at(d: dt.date, minutes: int) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=TZ) + dt.timedelta(minutes=minutes)


def _iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds")


# --- the generator ---------------------------------------------------------------------------


class _Generator:
    """One run of ``generate``: holds the rng and the pieces built so far."""

    def __init__(self, seed: int, as_of: dt.date, months: int) -> None:
        self.rng = random.Random(seed)
        self.as_of = as_of
        self.start = _months_before(as_of, months)
        self.phones: set[str] = set()
        self.id_numbers: set[str] = set()

    # --- people ---

    def name(self, birth_year: int, male: bool) -> str:
        cohort = "old" if birth_year < 1962 else "mid" if birth_year < 1986 else "young"
        surname = self.rng.choices(SURNAMES, SURNAME_WEIGHTS)[0]
        return surname + self.rng.choice(GIVEN_NAMES[(cohort, male)])

    def phone(self) -> str:
        while True:
            p = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if p not in self.phones:
                self.phones.add(p)
                return p

    def id_number(self, birth_year: int, male: bool, migrant: bool) -> str:
        region = self.rng.choice(MIGRANT_REGIONS if migrant else LOCAL_REGIONS)
        while True:
            born = dt.date(birth_year, 1, 1) + dt.timedelta(days=self.rng.randrange(365))
            seq = self.rng.randrange(50) * 2 * 10 + self.rng.randrange(5) * 2 + (1 if male else 0)
            first17 = f"{region}{born:%Y%m%d}{seq:03d}"
            idn = first17 + id_checksum(first17)
            if idn not in self.id_numbers:
                self.id_numbers.add(idn)
                return idn

    # --- places ---

    def compounds(self, n_buildings: int) -> list[tuple[dict, str, int]]:
        """Compounds with their style and how many buildings each has."""
        n = max(1, min(self.rng.randint(3, 5), n_buildings))
        picked = [COMPOUND_POOL[0], *self.rng.sample(COMPOUND_POOL[1:], n - 1)]
        sizes = _apportion(n_buildings, [self.rng.uniform(0.6, 1.4) for _ in picked], minimum=1)
        return [
            ({"id": _ident("X", i + 1, 2), "name": name, "address": address}, style, size)
            for i, ((name, address, style), size) in enumerate(zip(picked, sizes))
        ]

    def building_shape(self, style: str, target: int) -> tuple[int, int, int]:
        """(units, floors, doors per floor) big enough for ``target`` households at ~90% occupancy."""
        rng = self.rng
        if style == "walkup":
            floors = rng.choice((5, 6, 6, 7))
            units = max(1, math.ceil(target / (floors * 2 * 0.9)))
            if units <= 4:
                return units, floors, 2
        # Too many households for a walk-up: it's a tower.
        per_floor = max(2, math.ceil(target / (rng.choice((11, 18, 26, 33)) * 0.9)))
        units = math.ceil(per_floor / 4)
        while True:
            doors = min(4, max(2, math.ceil(per_floor / units)))
            floors = max(7, math.ceil(target / (units * doors * 0.9)))
            if floors <= 33:
                return units, floors, doors
            units += 1

    def buildings(self, n_buildings: int, n_grids: int, n_households: int):
        """Compounds, buildings and the rooms (unit, floor, door) occupied in each building."""
        compounds = self.compounds(n_buildings)
        targets = _apportion(n_households, [self.rng.uniform(0.75, 1.25) for _ in range(n_buildings)])
        width = _width(2, n_buildings)
        buildings, rooms = [], []
        i = 0
        for compound, style, size in compounds:
            for k in range(size):
                units, floors, doors = self.building_shape(style, targets[i])
                slots = [(u, f, d) for u in range(1, units + 1) for f in range(1, floors + 1)
                         for d in range(1, doors + 1)]
                rooms.append(sorted(self.rng.sample(slots, targets[i])))
                buildings.append({
                    "id": _ident("B", i + 1, width),
                    "compound": compound["id"],
                    "name": f"{k + 1}栋",
                    # Contiguous blocks of buildings per grid: a grid is a walkable patch.
                    "grid": _ident("G", i * n_grids // n_buildings + 1, 2),
                    "units": units,
                    "floors": floors,
                })
                i += 1
        return [c for c, _, _ in compounds], buildings, rooms

    # --- households ---

    def tags(self) -> tuple[list[str], bool]:
        """(tags, moved_out) in roughly the proportions a real roster shows."""
        rng = self.rng
        if rng.random() < 0.02:
            return [], True
        tags: set[str] = set()
        r = rng.random()
        if r < 0.06:
            tags.add("elderly_alone")
        elif r < 0.145:
            tags.add("empty_nest")
        elderly = bool(tags)
        if rng.random() < 0.03:
            tags.add("disability")
        if not elderly and rng.random() < 0.024:
            tags.add("left_behind_child")
        if rng.random() < 0.04:
            tags.add("low_income")
        if "left_behind_child" not in tags and rng.random() < 0.04:
            tags.add("veteran")
        if not elderly and "veteran" not in tags and rng.random() < 0.185:
            tags.add("rental")
        return [t for t in TAG_ORDER if t in tags], False

    def head_profile(self, tags: list[str]) -> tuple[int, bool]:
        """(birth year, male) of the household head, fitting its tags."""
        rng = self.rng
        if "elderly_alone" in tags:
            return rng.randint(1934, 1952), rng.random() < 0.35  # mostly widows
        if "empty_nest" in tags:
            return rng.randint(1942, 1963), rng.random() < 0.55
        if "veteran" in tags:
            return rng.randint(1946, 1984), rng.random() < 0.92
        if "left_behind_child" in tags:
            return rng.randint(1950, 1967), rng.random() < 0.45  # a grandparent looks after the child
        if "rental" in tags:
            return rng.randint(1976, 2003), rng.random() < 0.55
        return rng.randint(1945, 1998), rng.random() < 0.6

    def people(self, tags: list[str]) -> int:
        rng = self.rng
        if "elderly_alone" in tags:
            return 1
        if "empty_nest" in tags:
            return rng.choices((1, 2), (25, 75))[0]
        if "left_behind_child" in tags:
            return rng.choices((2, 3, 4), (40, 40, 20))[0]
        if "rental" in tags:
            return rng.choices((1, 2, 3, 4), (35, 30, 25, 10))[0]
        return rng.choices((1, 2, 3, 4, 5, 6), (10, 25, 35, 18, 8, 4))[0]

    def household(self, hid: str, building: dict, unit: int, floor: int, door: int) -> dict:
        tags, moved_out = self.tags()
        year, male = self.head_profile(tags)
        return {
            "id": hid,
            "building": building["id"],
            "unit": unit,
            "floor": floor,
            "room": str(floor * 100 + door),
            "head": self.name(year, male),
            "phone": self.phone(),
            "id_number": self.id_number(year, male, migrant="rental" in tags and self.rng.random() < 0.7),
            "people": self.people(tags),
            "tags": tags,
            "moved_out": moved_out,
        }

    # --- visit schedule ---

    def visit_dates(self, hh: dict) -> list[dt.date]:
        rng, lo, hi = self.rng, self.start, self.as_of
        span = (hi - lo).days
        interval = model.visit_interval(hh["tags"])
        if hh["moved_out"]:
            planned = [lo + dt.timedelta(days=rng.randint(0, span)) for _ in range(rng.choice((1, 1, 2)))]
        elif interval < model.DEFAULT_INTERVAL_DAYS:
            planned = self.periodic_dates(interval)
        else:
            count = rng.choices((0, 1, 2), (33, 45, 22))[0]
            planned = [lo + dt.timedelta(days=rng.randint(0, span)) for _ in range(count)]
        return sorted({_workday(d, lo, hi, rng) for d in planned})

    def periodic_dates(self, interval: int) -> list[dt.date]:
        rng = self.rng
        jitter = max(1, interval // 7)
        # Some care households slip through the net: visits stop weeks before as_of, so they show
        # as overdue — exactly what a worker must learn to spot.
        neglected = rng.random() < 0.12
        end = self.as_of
        if neglected:
            end -= dt.timedelta(days=rng.randint(interval + 5, interval * 2 + 14))
        d = self.start + dt.timedelta(days=rng.randint(0, interval - 1))
        dates = []
        while d <= end:
            if rng.random() >= 0.08:  # an occasional lapse: the worker was busy elsewhere
                dates.append(d)
            d += dt.timedelta(days=interval + rng.randint(-jitter, jitter))
        return dates

    def visit_drafts(self, hh: dict, worker: str) -> list[dict]:
        drafts = []
        for d in self.visit_dates(hh):
            draft = self.visit_draft(hh, worker, d)
            drafts.append(draft)
            if self.needs_follow_up_call(hh, draft):
                drafts.append({**draft, "mode": "phone", "outcome": "met",
                               "note": self.rng.choice(FOLLOW_UP_NOTES)})
        return drafts

    def needs_follow_up_call(self, hh: dict, draft: dict) -> bool:
        care = {"elderly_alone", "disability", "empty_nest"}.intersection(hh["tags"])
        return bool(care) and draft["outcome"] == "no_answer" and draft["mode"] == "door" \
            and self.rng.random() < 0.6

    def visit_draft(self, hh: dict, worker: str, d: dt.date) -> dict:
        rng = self.rng
        tags = hh["tags"]
        if hh["moved_out"]:
            mode, outcome = "door", "vacant"
        else:
            weights = (80, 17, 3) if "elderly_alone" in tags else (85, 10, 5)
            mode = rng.choices(("door", "phone", "other"), weights)[0]
            outcome = self.outcome(mode, tags)
        return {"household": hh["id"], "worker": worker, "date": d, "mode": mode, "outcome": outcome,
                "note": self.visit_note(hh, mode, outcome, d)}

    def outcome(self, mode: str, tags: list[str]) -> str:
        rng = self.rng
        if mode == "other":
            return "met"
        if mode == "phone":
            return rng.choices(("met", "no_answer"), (88, 12))[0]
        if "rental" in tags:
            return rng.choices(("met", "no_answer", "refused"), (64, 30, 6))[0]
        if "elderly_alone" in tags:
            return rng.choices(("met", "no_answer"), (91, 9))[0]
        return rng.choices(("met", "no_answer", "refused"), (82, 15, 3))[0]

    def visit_note(self, hh: dict, mode: str, outcome: str, d: dt.date) -> str:
        rng = self.rng
        if outcome == "vacant":
            return rng.choice(VACANT_NOTES)
        if outcome == "refused":
            return rng.choice(REFUSED_NOTES)
        if mode == "phone":
            return rng.choice(PHONE_MET_NOTES if outcome == "met" else PHONE_NO_ANSWER_NOTES)
        if outcome == "no_answer":
            return rng.choice(NO_ANSWER_NOTES)
        if mode == "other":
            return rng.choice(OTHER_MODE_NOTES)
        group = self.note_group(hh["tags"])
        pool = VISIT_NOTES[group]
        if group == "elderly":
            pool = pool + SEASON_NOTES["hot" if d.month <= 9 else "cold"]
        traits = _household_traits(hh)
        return rng.choice([n for n in pool if _fits(n, traits)] or VISIT_NOTES["ordinary"])

    @staticmethod
    def note_group(tags: list[str]) -> str:
        if "elderly_alone" in tags:
            return "elderly"
        if "left_behind_child" in tags:
            return "child"
        if {"empty_nest", "disability", "low_income"}.intersection(tags):
            return "care"
        if "veteran" in tags:
            return "veteran"
        if "rental" in tags:
            return "rental"
        return "ordinary"

    def assign_times(self, drafts: list[dict], walk_order: dict[str, int]) -> None:
        """Give every draft a time: door knocks along the building in the morning and afternoon,
        phone calls after them."""
        days: dict[tuple[str, dt.date], list[dict]] = defaultdict(list)
        for d in drafts:
            days[(d["worker"], d["date"])].append(d)
        for (_, day), batch in sorted(days.items(), key=lambda kv: (kv[0][1], kv[0][0])):
            batch.sort(key=lambda d: (MODE_RANK[d["mode"]], walk_order[d["household"]]))
            for d, minutes in zip(batch, self.day_minutes(len(batch))):
                d["at"] = _at(day, minutes)

    def day_minutes(self, n: int) -> list[int]:
        rng = self.rng
        if n > 24:
            # More visits than one person manages; only the benchmark asks for this, keep it valid.
            return [510 + i * 720 // n for i in range(n)]
        # Some days start after lunch: mornings go to meetings and paperwork at the office.
        t = 540 + rng.randint(0, 25) if rng.random() < 0.7 else 870 + rng.randint(0, 20)
        out = []
        longest = 35 if n <= 10 else 20  # busy days mean shorter chats
        for _ in range(n):
            out.append(t)
            t += rng.randint(10, longest)
            if 705 <= t < 870:  # lunch break 11:45–14:30
                t = 870 + rng.randint(0, 15)
        return out

    # --- findings ---

    def finding_specs(self, visits: list[dict], households: dict[str, dict]) -> list[dict]:
        specs = []
        for vi, v in enumerate(visits):
            if v["outcome"] != "met":
                continue
            n = self.rng.choices((0, 1, 2), (60, 36, 4))[0]
            roles: list[str] = []
            weights = dict(ROLE_WEIGHTS)
            if v["mode"] == "phone":
                weights["safety"] = 0  # hazards are seen on the landing, not heard on the phone
            for _ in range(n):
                for r in roles:
                    weights[r] = 0
                role = _weighted(self.rng, weights)
                roles.append(role)
                hh = households[v["household"]]
                specs.append({"visit": vi, "role": role, "category": self.category(role, hh)})
        return specs

    def category(self, role: str, hh: dict) -> str:
        traits = _household_traits(hh)
        weights = {c: w for c, w in CATEGORY_WEIGHTS[role].items() if _texts_for(role, c, traits)}
        for tag in hh["tags"]:
            for (r, c), factor in CATEGORY_BOOSTS.get(tag, {}).items():
                if r == role and c in weights:
                    weights[c] *= factor
        return _weighted(self.rng, weights)

    def ensure_roles_per_grid(self, specs: list[dict], visits: list[dict], households: dict[str, dict],
                              grid_of: dict[str, str]) -> None:
        """Every grid shows all seven roles: recast a finding of its most common role if one is missing."""
        by_grid: dict[str, list[dict]] = defaultdict(list)
        for s in specs:
            by_grid[grid_of[visits[s["visit"]]["household"]]].append(s)
        for grid in sorted(by_grid):
            grid_specs = by_grid[grid]
            for role in model.ROLES:
                counts = Counter(s["role"] for s in grid_specs)
                if counts[role]:
                    continue
                common = max(model.ROLES, key=lambda r: (counts[r], r))
                if counts[common] < 2:
                    continue
                victim = [s for s in grid_specs if s["role"] == common][-1]
                victim["role"] = role
                victim["category"] = self.category(role, households[visits[victim["visit"]]["household"]])

    def triage(self, role: str, category: str, forced: str | None) -> str:
        if forced:
            return forced
        weights = TRIAGE_WEIGHTS.get((role, category)) or TRIAGE_WEIGHTS.get((role, None)) \
            or DEFAULT_TRIAGE_WEIGHTS
        return self.rng.choices(model.TRIAGE, weights)[0]

    def due_days(self, triage: str) -> int | None:
        rng = self.rng
        if triage == "urgent":
            return rng.randint(1, 3)
        if triage == "coordinate":
            return rng.randint(7, 21) if rng.random() < 0.85 else None
        return rng.randint(7, 30) if rng.random() < 0.25 else None

    def render_finding(self, spec: dict, visit: dict, hh: dict) -> tuple[dict, dict | None]:
        """The finding dict and, for data findings, the roster change it proposes."""
        role, category = spec["role"], spec["category"]
        traits = _household_traits(hh)
        if role == "data" and category in DATA_TEMPLATES:
            category, text, proposal = self.data_text(category, hh, visit, traits)
            forced = None
        elif role == "service" and category == "micro_wish":
            asked, title = self.rng.choice(_texts_for(role, category, traits))
            text = (asked, self.rng.choice(MICRO_WISH_ACTIONS), "", title)
            proposal, forced = None, "routine"
        else:
            tpl = self.rng.choice(_texts_for(role, category, traits))
            text, proposal = tpl[:3], None
            forced = tpl[3] if len(tpl) > 3 else None
        ctx = {"floor": hh["floor"], "unit": hh["unit"], "k": 2}
        if proposal and "people" in proposal:
            ctx.update(old=hh["people"], new=proposal["people"], k=proposal["people"] - hh["people"])
        triage = self.triage(role, category, forced)
        days = None if len(text) > 3 else self.due_days(triage)
        finding = {
            "role": role,
            "category": category,
            "asked": text[0].format(**ctx),
            "action": text[1].format(**ctx),
            "triage": triage,
            "due": (visit["at"].date() + dt.timedelta(days=days)).isoformat() if days else None,
        }
        if proposal:
            finding["proposed"] = proposal
        finding["_done"] = text[2].format(**ctx)
        if len(text) > 3:
            finding["_wish_title"] = text[3]
        return finding, proposal

    def data_text(self, category: str, hh: dict, visit: dict, traits: set[str]):
        """(category, texts, proposal) for a data finding; the category may change to one that fits."""
        tags = hh["tags"]
        # A one-person or two-person care household changing size would contradict its tag.
        if category in ("people", "moved_in") and {"elderly_alone", "empty_nest"}.intersection(tags):
            category = "phone"
        # Moving out is only announced near the end; earlier it would contradict later visits.
        if category == "moved_out" and (self.as_of - visit["at"].date()).days > 30:
            category = "phone"
        choices = [t for t in DATA_TEMPLATES[category]
                   if _fits(t[0], traits) and self.size_change_fits(t, hh)]
        if not choices:
            category = "phone"
            choices = [t for t in DATA_TEMPLATES[category] if _fits(t[0], traits)]
        asked, action, done, fact, delta = self.rng.choice(choices)
        if fact == "people":
            proposal = {"people": hh["people"] + delta}
        elif fact == "phone":
            proposal = {"phone": self.phone()}
        elif fact == "moved_out":
            proposal = {"moved_out": True}
        else:
            proposal = None
        return category, (asked, action, done), proposal

    @staticmethod
    def size_change_fits(template: tuple, hh: dict) -> bool:
        fact, delta = template[3], template[4]
        return fact != "people" or 1 <= hh["people"] + delta <= 6

    # --- what happened after the visit ---

    def history(self, finding: dict, visit: dict, worker: str) -> list[dict]:
        """Status changes after the visit, none later than as_of."""
        rng = self.rng
        role, category = finding["role"], finding["category"]
        if category == "moved_out" and role == "data":
            return []  # waits for the household to actually leave
        created = visit["at"]
        due = finding["due"]
        due_days = (dt.date.fromisoformat(due) - created.date()).days if due else None
        # Some cases stall (the unit never reports back): they become the overdue ones to chase.
        stuck = rng.random() < (0.15 if finding["triage"] == "coordinate" or role == "data" else 0.08)
        events: list[tuple[int, dict]] = []
        refer = rng.random() < REFER_SHARE[role] + REFER_EXTRA[finding["triage"]]
        to = rng.choice(REFER_TO.get((role, category)) or REFER_TO[(role, None)])
        if refer:
            note = rng.choice(REFERRED_NOTES).format(to=to)
            referred = {"status": "referred", "by": worker, "note": note, "to": to}
            events.append((rng.choice((0, 0, 1, 2)), referred))
        if not stuck:
            events.extend(self.resolution(finding, worker, refer, to, due_days, events))
        return self.timestamp(events, created)

    def resolution(self, finding: dict, worker: str, referred: bool, to: str, due_days: int | None,
                   before: list) -> list[tuple[int, dict]]:
        rng = self.rng
        role, triage = finding["role"], finding["triage"]
        start = before[-1][0] if before else 0
        if rng.random() < 0.03:  # nothing to fix: explained and closed, rarely to applause
            sat = rng.choices(("basically", "dissatisfied"), (70, 30))[0]
            note = rng.choice(DIRECT_CLOSE_NOTES)
            closed = {"status": "closed", "by": "office", "note": note, "satisfaction": sat}
            return [(start + rng.randint(1, 10), closed)]
        on_spot = not referred and rng.random() < ON_SPOT_SHARE[role]
        if on_spot:
            ttr, note, by = 0, rng.choice(ON_SPOT_NOTES), worker
        else:
            ttr = start + self.days_to_resolve(triage, due_days)
            if referred and rng.random() < 0.6:
                note, by = rng.choice(REFERRAL_DONE_NOTES).format(to=to), "office"
            else:
                note = finding["_done"] or rng.choice(ON_SPOT_NOTES)
                by = "office" if role == "data" else worker  # the office edits the roster
        resolved = {"status": "resolved", "by": by, "note": note}
        if on_spot or rng.random() < 0.5:
            resolved["satisfaction"] = self.satisfaction()
        events = [(ttr, resolved)]
        if rng.random() < 0.6:  # the office rings back (回访) and closes the case
            sat = self.satisfaction()
            note = rng.choice(CLOSED_NOTES[sat])
            closed = {"status": "closed", "by": "office", "note": note, "satisfaction": sat}
            events.append((ttr + rng.randint(2, 10), closed))
        return events

    def days_to_resolve(self, triage: str, due_days: int | None) -> int:
        rng = self.rng
        if due_days is not None:
            # Most are done by the due date, some run late.
            return rng.randint(1, due_days) if rng.random() < 0.85 else due_days + rng.randint(1, 14)
        if triage == "urgent":
            return rng.randint(0, 3)
        if triage == "coordinate":
            return rng.randint(3, 30)
        return rng.randint(1, 21)

    def satisfaction(self) -> str:
        return self.rng.choices(model.SATISFACTION, SATISFACTION_WEIGHTS)[0]

    def timestamp(self, events: list[tuple[int, dict]], created: dt.datetime) -> list[dict]:
        """Turn (days after the visit, entry) into dated entries in order, dropping any after as_of."""
        out, prev = [], created
        for days, entry in events:
            if days == 0:
                t = prev + dt.timedelta(minutes=self.rng.randint(5, 90))
            else:
                t = _at(created.date() + dt.timedelta(days=days), self.rng.randint(540, 1050))
            if t <= prev:
                t = prev + dt.timedelta(minutes=self.rng.randint(5, 60))
            if t.date() > self.as_of:
                break
            out.append({"at": _iso(t), **entry})
            prev = t
        return out

    # --- micro-wishes ---

    def wish_history(self, created: dt.datetime, worker: str) -> list[dict]:
        rng = self.rng
        # Popular wishes go within days; some wait weeks for a claimer.
        wait = rng.choices(((2, 10), (10, 40), (30, 90)), (45, 35, 20))[0]
        claimed = created.date() + dt.timedelta(days=rng.randint(*wait))
        fulfilled = claimed + dt.timedelta(days=rng.randint(4, 35))
        claimer = rng.choice(WISH_CLAIMERS)
        out = []
        if claimed <= self.as_of:
            at = _iso(_at(claimed, rng.randint(540, 1050)))
            out.append({"at": at, "state": "claimed", "by": "office", "claimed_by": claimer,
                        "note": rng.choice(WISH_CLAIM_NOTES)})
        if fulfilled <= self.as_of:
            at = _iso(_at(fulfilled, rng.randint(540, 1050)))
            out.append({"at": at, "state": "fulfilled", "by": rng.choice((worker, "office")),
                        "note": rng.choice(WISH_FULFIL_NOTES)})
        return out

    def ensure_wish_states(self, wishes: list[dict], created: list[dt.datetime],
                           workers: list[str]) -> None:
        """Every wish state shows up at least once (given three or more wishes): a wish from the
        most common state is moved to a missing one."""
        if len(wishes) < 3:
            return
        for target in model.WISH_STATES:
            states = [_wish_state(w) for w in wishes]
            if target in states:
                continue
            donor_state = max(model.WISH_STATES, key=lambda s: (states.count(s), s))
            # The newest wish stays unclaimed, the oldest gets fulfilled: keeps dates plausible.
            pick = [i for i, s in enumerate(states) if s == donor_state]
            i = pick[-1] if target == "wish" else pick[0] if target == "fulfilled" else pick[len(pick) // 2]
            wishes[i]["history"] = self.restated_wish_history(target, created[i], workers[i])

    def restated_wish_history(self, target: str, created: dt.datetime, worker: str) -> list[dict]:
        out: list[dict] = []
        if target == "wish":
            return out
        t = self.later_within_as_of(created, 2)
        claimer = self.rng.choice(WISH_CLAIMERS)
        out.append({"at": _iso(t), "state": "claimed", "by": "office", "claimed_by": claimer,
                    "note": WISH_CLAIM_NOTES[0]})
        if target == "fulfilled":
            out.append({"at": _iso(self.later_within_as_of(t, 3)), "state": "fulfilled", "by": worker,
                        "note": WISH_FULFIL_NOTES[0]})
        return out

    def later_within_as_of(self, t: dt.datetime, days: int) -> dt.datetime:
        """``days`` later at a working hour, or an hour later if that would pass as_of."""
        later = _at(t.date() + dt.timedelta(days=days), 600)
        return later if later.date() <= self.as_of else t + dt.timedelta(hours=1)

    # --- guarantees for training scenarios ---

    def ensure_overdue_and_resolved(self, findings: list[dict], grid_of_finding: list[str],
                                    created: list[dt.datetime], worker_of: dict[str, str]) -> None:
        """Each grid gets at least one overdue open finding and one resolved one."""
        for grid in sorted(set(grid_of_finding)):
            idx = [i for i, g in enumerate(grid_of_finding) if g == grid
                   and findings[i]["role"] != "data" and findings[i]["category"] != "micro_wish"]
            if not idx:
                continue
            if not any(self.overdue(findings[i]) for i in idx):
                self.make_overdue(findings, created, idx)
            if not any(self.is_done(findings[i]) for i in idx):
                i = min(idx, key=lambda j: created[j])
                history = findings[i]["history"]
                t = created[i] + dt.timedelta(days=1)
                if history:
                    t = max(t, dt.datetime.fromisoformat(history[-1]["at"]) + dt.timedelta(hours=1))
                if t.date() <= self.as_of:
                    history.append({"at": _iso(t), "status": "resolved", "by": worker_of[grid],
                                    "note": ON_SPOT_NOTES[1], "satisfaction": "satisfied"})

    def make_overdue(self, findings: list[dict], created: list[dt.datetime], idx: list[int]) -> None:
        lo, hi = self.as_of - dt.timedelta(days=60), self.as_of - dt.timedelta(days=10)
        pool = [i for i in idx if lo <= created[i].date() <= hi] or \
            [i for i in idx if created[i].date() < self.as_of]
        if not pool:
            return
        i = pool[len(pool) // 2]
        f = findings[i]
        due = min(created[i].date() + dt.timedelta(days=7), self.as_of - dt.timedelta(days=1))
        f["due"] = due.isoformat()
        f["history"] = [h for h in f["history"] if h["status"] == "referred"]

    def overdue(self, f: dict) -> bool:
        status = f["history"][-1]["status"] if f["history"] else "open"
        return status in model.OPEN_STATUSES and bool(f["due"]) and f["due"] < self.as_of.isoformat()

    @staticmethod
    def is_done(f: dict) -> bool:
        return bool(f["history"]) and f["history"][-1]["status"] in ("resolved", "closed")


def generate(*, seed: int = 2026, as_of: str = "2026-11-20", grids: int = 4, buildings: int = 24,
             households: int = 640, months: int = 3) -> dict:
    """A fictional community's roster and door-knock history ending at ``as_of``; pure and deterministic."""
    if grids < 1 or buildings < grids or households < 0 or months < 1:
        raise ValueError("need grids ≥ 1, buildings ≥ grids, households ≥ 0, months ≥ 1")
    g = _Generator(seed, dt.date.fromisoformat(as_of), months)
    workers, grid_list = _workers_and_grids(grids)
    compounds, building_list, rooms = g.buildings(buildings, grids, households)
    hh_list = _households(g, building_list, rooms)
    visits = _visits(g, hh_list, building_list)
    findings_by_visit, wishes = _findings(g, visits, hh_list, building_list)
    return {
        "format": FORMAT,
        "as_of": as_of,
        "community": dict(COMMUNITY),
        "compounds": compounds,
        "grids": grid_list,
        "workers": workers,
        "buildings": building_list,
        "households": hh_list,
        "visits": [_visit_record(v, findings_by_visit.get(i, [])) for i, v in enumerate(visits)],
        "wishes": wishes,
    }


def _workers_and_grids(n: int) -> tuple[list[dict], list[dict]]:
    workers, grids = [], []
    for i in range(1, n + 1):
        wrng = random.Random(1000 + i)  # independent of the seed: W01 is always the same person
        name = WORKER_NAMES[i - 1] if i <= len(WORKER_NAMES) else \
            wrng.choice(SURNAMES[:30]) + wrng.choice(GIVEN_NAMES[("mid", wrng.random() < 0.5)])
        gid, wid = _ident("G", i, 2), _ident("W", i, 2)
        phone = wrng.choice(("139", "137", "186", "135")) + f"{wrng.randrange(10**8):08d}"
        workers.append({"id": wid, "name": name, "grid": gid, "phone": phone})
        grids.append({"id": gid, "name": f"第{_cn_number(i)}网格", "worker": wid})
    return workers, grids


def _households(g: _Generator, buildings: list[dict], rooms: list[list[tuple[int, int, int]]]
                ) -> list[dict]:
    width = _width(4, sum(len(r) for r in rooms))
    out = []
    for b, occupied in zip(buildings, rooms):
        for unit, floor, door in occupied:
            out.append(g.household(_ident("H", len(out) + 1, width), b, unit, floor, door))
    return out


def _visits(g: _Generator, households: list[dict], buildings: list[dict]) -> list[dict]:
    grid_of_building = {b["id"]: b["grid"] for b in buildings}
    drafts = []
    for hh in households:
        worker = "W" + grid_of_building[hh["building"]][1:]
        drafts.extend(g.visit_drafts(hh, worker))
    g.assign_times(drafts, {hh["id"]: i for i, hh in enumerate(households)})
    drafts.sort(key=lambda d: (d["at"], d["worker"], MODE_RANK[d["mode"]], d["household"]))
    width = _width(6, len(drafts))
    for i, d in enumerate(drafts):
        d["id"] = _ident("V", i + 1, width)
    return drafts


def _findings(g: _Generator, visits: list[dict], households: list[dict], buildings: list[dict]):
    """Findings grouped by visit index, and the micro-wishes they raised."""
    by_id = {hh["id"]: hh for hh in households}
    grid_of_building = {b["id"]: b["grid"] for b in buildings}
    grid_of = {hh["id"]: grid_of_building[hh["building"]] for hh in households}
    specs = g.finding_specs(visits, by_id)
    g.ensure_roles_per_grid(specs, visits, by_id, grid_of)

    findings, owners, created = [], [], []
    wish_findings: list[int] = []
    for spec in specs:
        v = visits[spec["visit"]]
        hh = by_id[v["household"]]
        f, proposal = g.render_finding(spec, v, hh)
        f["history"] = [] if "_wish_title" in f else g.history(f, v, v["worker"])
        if proposal and g.is_done(f):
            hh.update(proposal)  # the office applied it, so the roster already shows the new value
        if "_wish_title" in f:
            wish_findings.append(len(findings))
        findings.append(f)
        owners.append(spec["visit"])
        created.append(v["at"])

    fwidth = _width(6, len(findings))
    for i, f in enumerate(findings):
        f["id"] = _ident("F", i + 1, fwidth)
    wishes = _wishes(g, findings, wish_findings, visits, owners, created)

    grid_of_finding = [grid_of[visits[o]["household"]] for o in owners]
    worker_of = {grid: "W" + grid[1:] for grid in set(grid_of.values())}
    g.ensure_overdue_and_resolved(findings, grid_of_finding, created, worker_of)

    by_visit: dict[int, list[dict]] = defaultdict(list)
    for f, o in zip(findings, owners):
        by_visit[o].append(_finding_record(f))
    return by_visit, wishes


def _wishes(g: _Generator, findings: list[dict], wish_findings: list[int], visits: list[dict],
            owners: list[int], created: list[dt.datetime]) -> list[dict]:
    width = _width(3, len(wish_findings))
    wishes = []
    for n, i in enumerate(wish_findings):
        v = visits[owners[i]]
        wishes.append({
            "id": _ident("M", n + 1, width),
            "household": v["household"],
            "finding": findings[i]["id"],
            "title": findings[i]["_wish_title"],
            "state": "wish",
            "claimed_by": None,
            "history": g.wish_history(created[i], v["worker"]),
        })
    g.ensure_wish_states(wishes, [created[i] for i in wish_findings],
                         [visits[owners[i]]["worker"] for i in wish_findings])
    for w, i in zip(wishes, wish_findings):
        _settle_wish(w)
        findings[i]["history"] = _wish_finding_history(g, w, visits[owners[i]]["worker"])
    return wishes


def _settle_wish(w: dict) -> None:
    """State and claimer follow from the history; empty notes are dropped."""
    for h in w["history"]:
        if not h.get("note"):
            h.pop("note", None)
        if h["state"] == "claimed":
            w["claimed_by"] = h["claimed_by"]
    w["state"] = _wish_state(w)


def _wish_state(w: dict) -> str:
    return w["history"][-1]["state"] if w["history"] else "wish"


def _wish_finding_history(g: _Generator, w: dict, worker: str) -> list[dict]:
    """A micro-wish finding is resolved when its wish is fulfilled."""
    done = [h for h in w["history"] if h["state"] == "fulfilled"]
    if not done:
        return []
    return [{"at": done[0]["at"], "status": "resolved", "by": worker, "note": "微心愿已实现",
             "satisfaction": g.rng.choices(model.SATISFACTION, (92, 8, 0))[0]}]


def _finding_record(f: dict) -> dict:
    out = {"id": f["id"]}
    out.update({k: v for k, v in f.items() if not k.startswith("_") and k not in ("id", "history")})
    out["history"] = f["history"]
    return out


def _visit_record(v: dict, findings: list[dict]) -> dict:
    return {
        "id": v["id"],
        "household": v["household"],
        "worker": v["worker"],
        "at": _iso(v["at"]),
        "mode": v["mode"],
        "outcome": v["outcome"],
        "note": v["note"],
        "findings": findings,
    }


# --- writing ---------------------------------------------------------------------------------


def dumps(data: dict) -> str:
    """JSON with one top-level key per line and one record per line inside lists: small diffs,
    small file."""

    def one(value: object) -> str:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))

    lines = ["{"]
    keys = list(data)
    for n, key in enumerate(keys):
        value = data[key]
        comma = "," if n < len(keys) - 1 else ""
        if isinstance(value, list) and value:
            lines.append(f"{one(key)}:[")
            lines.extend(one(item) + ("," if i < len(value) - 1 else "") for i, item in enumerate(value))
            lines.append("]" + comma)
        else:
            lines.append(f"{one(key)}:{one(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m gridtui.demogen", description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="demo_data.json", help="file to write (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default: %(default)s)")
    args = parser.parse_args(argv)
    data = generate(seed=args.seed)
    with open(args.out, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(dumps(data))
    print(f"wrote {args.out}: {len(data['households'])} households, {len(data['visits'])} visits",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
