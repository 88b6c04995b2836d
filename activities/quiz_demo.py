"""The demo's question bank: twelve party-history questions with explanations, several pointing at the tiny demo
catalogue's items (by slug; an item the catalogue lacks leaves the source empty). Run again, it changes nothing."""

from __future__ import annotations

from content_models.models import LibraryItemPage

from .models import Question, QuestionBank

BANK_NAME = "党史知识每日一练"
S, M, T = Question.SINGLE, Question.MULTIPLE, Question.TRUE_FALSE

# (kind, question, choices, answer, explanation, source slug)
QUESTIONS = [
    (S, "中国共产党第一次全国代表大会于哪一年召开？", "1919年\n1921年\n1927年\n1949年", "B",
     "1921年7月23日，中国共产党第一次全国代表大会在上海开幕，宣告了中国共产党的成立。", "ebook-0001"),
    (S, "中共一大最后一天的会议转移到哪里继续举行？", "上海石库门\n浙江嘉兴南湖的一条游船上\n江西南昌\n湖南长沙", "B",
     "因遭法租界巡捕搜查，一大最后一天的会议转移到浙江嘉兴南湖的一条游船上举行，这条船后来被称为“红船”。", "ebook-0001"),
    (S, "伟大建党精神是在什么场合首次提出的？", "党的十九大报告\n庆祝中国共产党成立100周年大会上的讲话\n党的二十大报告\n中共一大会址纪念馆开馆仪式", "B",
     "2021年7月1日，习近平总书记在庆祝中国共产党成立100周年大会上首次提出伟大建党精神：坚持真理、坚守理想，践行初心、担当使命，"
     "不怕牺牲、英勇斗争，对党忠诚、不负人民。", "ebook-0001"),
    (S, "遵义会议是在哪一年召开的？", "1934年\n1935年\n1936年\n1937年", "B",
     "1935年1月，中共中央政治局在贵州遵义召开扩大会议，确立了毛泽东同志在红军和党中央的领导地位，是党的历史上一个生死攸关的转折点。",
     "ebook-0003"),
    (T, "中央红军长征历时一年，行程约二万五千里。", "", "A",
     "中央红军1934年10月从江西瑞金等地出发，1935年10月到达陕北吴起镇，历时一年，行程约二万五千里。", "ebook-0003"),
    (S, "党中央在延安和陕北战斗、生活了多少年？", "8年\n10年\n13年\n15年", "C",
     "从1935年10月到1948年3月，党中央在延安和陕北战斗、生活了13年，培育了延安精神。", "ebook-0002"),
    (M, "下列哪些人是东北抗日联军的著名将领？", "杨靖宇\n赵尚志\n李兆麟\n刘志丹", "ABC",
     "杨靖宇、赵尚志、李兆麟都是东北抗日联军的著名将领；刘志丹是陕甘边革命根据地的主要创建人。", "ebook-0005"),
    (T, "杨靖宇将军1940年2月在吉林濛江（今靖宇县）壮烈牺牲。", "", "A",
     "1940年2月23日，杨靖宇在濛江县三道崴子与日伪军激战，壮烈牺牲，年仅35岁。濛江县后改名为靖宇县以示纪念。", "ebook-0004"),
    (T, "“三会一课”中的“三会”是指支部党员大会、支部委员会和党小组会。", "", "A",
     "“三会一课”是指定期召开支部党员大会、支部委员会、党小组会，按时上好党课，是党的组织生活的基本制度。", "news-0002"),
    (M, "“四个自信”是指哪四个方面的自信？", "道路自信\n理论自信\n制度自信\n文化自信\n历史自信", "ABCD",
     "“四个自信”即中国特色社会主义道路自信、理论自信、制度自信、文化自信。", ""),
    (S, "我国脱贫攻坚战取得全面胜利，是在哪一年的全国脱贫攻坚总结表彰大会上宣告的？", "2019年\n2020年\n2021年\n2022年", "C",
     "2021年2月25日，全国脱贫攻坚总结表彰大会宣告：我国脱贫攻坚战取得了全面胜利，现行标准下9899万农村贫困人口全部脱贫。",
     "series-0002"),
    (S, "红旗渠是哪里的人民在太行山上修建的“人工天河”？", "河北涉县\n河南林县（今林州市）\n山西平顺\n山东沂蒙", "B",
     "20世纪60年代，河南林县人民在太行山腰修建了红旗渠，孕育了“自力更生、艰苦创业、团结协作、无私奉献”的红旗渠精神。",
     "ebook-0006"),
]


def seed_quiz_bank() -> QuestionBank:
    """The city's daily bank with the demo questions (those already there by text are left as they are)."""
    bank, _ = QuestionBank.objects.get_or_create(
        name=BANK_NAME, district=None, defaults={"daily": True, "description": "全市党员每日答题，每天 5 道。"}
    )
    slugs = {slug for *_rest, slug in QUESTIONS if slug}
    sources = dict(LibraryItemPage.objects.filter(slug__in=slugs).values_list("slug", "pk"))
    for kind, text, choices, answer, explanation, slug in QUESTIONS:
        Question.objects.get_or_create(bank=bank, text=text, defaults={
            "kind": kind, "choices": choices, "answer": answer, "explanation": explanation, "source_id": sources.get(slug),
        })
    return bank
