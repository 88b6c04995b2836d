"""Vocabulary and deterministic generators for the demo catalogue (plausible, invented Chinese content)."""

import random
from dataclasses import dataclass
from decimal import Decimal

# (name, slug, WGS-84 centre) of Changchun's districts and development areas.
DISTRICTS = [
    ("南关区", "nanguan", "43.8640", "125.3500"),
    ("宽城区", "kuancheng", "43.9430", "125.3260"),
    ("朝阳区", "chaoyang", "43.8340", "125.2880"),
    ("二道区", "erdao", "43.8650", "125.3740"),
    ("绿园区", "lvyuan", "43.8800", "125.2560"),
    ("双阳区", "shuangyang", "43.5250", "125.6640"),
    ("九台区", "jiutai", "44.1510", "125.8390"),
    ("榆树市", "yushu", "44.8400", "126.5330"),
    ("德惠市", "dehui", "44.5220", "125.7050"),
    ("公主岭市", "gongzhuling", "43.5050", "124.8230"),
    ("农安县", "nongan", "44.4320", "125.1850"),
    ("长春新区", "xinqu", "43.9900", "125.4300"),
    ("净月高新区", "jingyue", "43.7800", "125.4400"),
    ("经开区", "jingkai", "43.8500", "125.4000"),
    ("汽开区", "qikai", "43.8500", "125.2000"),
]

BOOK_TOPICS = [
    "中国共产党简史", "延安精神", "长征精神", "抗联精神", "东北抗日联军", "红旗渠精神", "改革开放", "脱贫攻坚",
    "新时代党的建设", "四个自信", "中国梦", "党史学习教育", "三会一课", "两学一做", "不忘初心牢记使命", "红色基因",
    "井冈山精神", "西柏坡精神", "焦裕禄精神", "雷锋精神", "大庆精神", "抗美援朝精神", "伟大建党精神", "白山黑水",
    "社会主义核心价值观", "全面从严治党", "乡村振兴", "共同富裕", "中华优秀传统文化", "新中国史", "社会主义发展史",
    "基层党组织建设", "党员先锋模范作用", "东北振兴", "吉林红色故事", "长春解放", "一汽创业史", "杨靖宇", "李兆麟",
    "赵尚志",
]
BOOK_FORMS = [
    "读本", "学习纲要", "百问百答", "故事选编", "通俗读本", "十讲", "画传", "图说", "学习辅导", "讲义", "文献选编",
    "口述史", "人物谱", "知识问答", "干部读本", "青少年读本", "大事记", "论述摘编", "专题研究", "案例选编", "诗词选",
    "纪实", "简明教程", "手册", "史话", "回忆录", "年谱", "导读", "评传", "影像志", "学习笔记", "家书选", "精神谱系",
    "述评", "思想研究",
]
PUBLISHERS = [
    "人民出版社", "中共党史出版社", "党建读物出版社", "中央文献出版社", "学习出版社", "红旗出版社",
    "吉林人民出版社", "吉林文史出版社", "研究出版社", "人民日报出版社", "中国方正出版社", "东北师范大学出版社",
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "建国 卫东 红梅 志强 秀英 国华 晓明 丽华 海燕 振华 立新 淑珍 永生 春生 玉兰 德胜 凤英 树林 桂芝 文革 爱民 新民 学军 向阳 长征 延安 抗美 援朝 东升 秀兰 明辉 志远 立群 思源 晓东 振国 继红 红军 永红 宏伟".split()

PERIODICAL_PREFIXES = [
    "吉林", "长春", "东北", "白山", "松花江", "新时代", "红色", "前进", "先锋", "支部", "党员", "基层",
    "北国", "黑土地", "关东", "长白山", "春城", "北疆", "燎原", "红旗", "旗帜", "火炬", "灯塔",
]
PERIODICAL_KINDS = ["党建", "支部生活", "党员之友", "党史纵览", "理论学习", "组工", "宣传", "文摘", "社区", "老干部", "学习", "党风"]
FREQUENCIES = ["月刊", "月刊", "半月刊", "双月刊", "季刊", "旬刊"]

SERIES_FORMS = ["专题讲座", "系列微课", "学习课堂", "大讲堂", "故事会", "纪录片", "访谈录", "公开课", "精品课程", "宣讲"]
EPISODE_TOPICS = [
    "历史背景", "艰苦创业", "英雄人物", "光辉历程", "重要会议", "精神内涵", "时代价值", "基层实践", "群众路线",
    "先锋模范", "红色足迹", "传承弘扬", "学习体会", "理论要点", "典型案例", "奋斗故事", "初心使命", "回顾与展望",
]

SITE_KINDS = ["革命遗址", "纪念馆", "爱国主义教育基地", "党群服务中心", "烈士陵园", "红色教育基地"]
SITE_NAMES = {
    "革命遗址": ["抗联密营遗址", "地下党联络站旧址", "农民协会旧址", "东北抗日救国会旧址", "铁路工人罢工旧址"],
    "纪念馆": ["革命烈士纪念馆", "抗联英雄纪念馆", "解放纪念馆", "党史陈列馆", "英模事迹展馆"],
    "爱国主义教育基地": ["爱国主义教育基地", "国防教育基地", "青少年爱国主义教育基地"],
    "党群服务中心": ["街道党群服务中心", "社区党群服务中心", "新时代文明实践站"],
    "烈士陵园": ["烈士陵园", "革命烈士纪念碑"],
    "红色教育基地": ["红色教育基地", "党性教育基地", "廉政教育基地"],
}
ROADS = ["人民大街", "解放大路", "自由大路", "亚泰大街", "卫星路", "东盛大街", "南湖大路", "红旗街", "西安大路", "长春大街", "东风大街", "延安大路"]

NEWS_ACTIONS = [
    "开展党史学习教育专题宣讲", "举办“三会一课”示范观摩活动", "组织老党员重温入党誓词", "召开两学一做推进会",
    "举行红色故事分享会", "开展“四个自信”主题读书活动", "组织党员走进红色教育基地", "举办中国梦主题演讲比赛",
    "开展学习强国知识竞赛", "组织离退休党员集中学习", "开展“不忘初心”主题党日", "举办党史知识讲座",
]


@dataclass(frozen=True)
class Scale:
    ebooks: int
    periodicals: int
    issues_per_periodical: tuple[int, int]
    series: int
    episodes: int
    sites: int
    news: int
    covers: int


SCALES = {
    "tiny": Scale(ebooks=6, periodicals=3, issues_per_periodical=(2, 3), series=3, episodes=8, sites=6, news=4, covers=6),
    "seed": Scale(ebooks=1400, periodicals=275, issues_per_periodical=(4, 12), series=753, episodes=6488, sites=320, news=240, covers=48),
}


def isbn13(serial: int) -> str:
    """A valid ISBN-13 in China's 978-7 range, hyphenated."""
    body = f"9787{serial % 100000000:08d}"
    total = sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body))
    check = (10 - total % 10) % 10
    return f"978-7-{body[4:7]}-{body[7:12]}-{check}"


def issn(serial: int) -> str:
    """A valid ISSN (check digit per ISO 3297)."""
    digits = f"{1000000 + serial % 9000000:07d}"
    total = sum(int(d) * (8 - i) for i, d in enumerate(digits))
    check = (11 - total % 11) % 11
    return f"{digits[:4]}-{digits[4:]}{'X' if check == 10 else check}"


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def people(rng: random.Random, low: int = 1, high: int = 3) -> str:
    return "、".join(person(rng) for _ in range(rng.randint(low, high)))


def summary(rng: random.Random, topic: str) -> str:
    openings = [f"本书以{topic}为主线，", f"围绕{topic}这一主题，", f"本资料系统梳理了{topic}的发展脉络，"]
    middles = [
        "结合大量珍贵史料和生动事例，", "用通俗易懂的语言，", "以图文并茂的形式，", "从理论和实践两个方面，",
    ]
    endings = [
        "帮助广大党员坚定理想信念、传承红色基因。", "适合社区党员和离退休老同志学习使用。",
        "是开展党史学习教育的重要参考读物。", "展现了中国共产党人的初心使命和精神风貌。",
    ]
    return rng.choice(openings) + rng.choice(middles) + rng.choice(endings)


def jitter(rng: random.Random, centre: str, spread: float = 0.06) -> Decimal:
    return (Decimal(centre) + Decimal(str(round(rng.uniform(-spread, spread), 6)))).quantize(Decimal("0.000001"))


def split_evenly(total: int, parts: int, rng: random.Random) -> list[int]:
    """`parts` positive counts summing to `total`, varied but deterministic."""
    base = [1] * parts
    for _ in range(total - parts):
        base[rng.randrange(parts)] += 1
    return base
