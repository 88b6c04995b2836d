"""Generated PDF and EPUB books with real party-history text, for the demo, the tests and the bench.

The PDFs embed (a subset of) the project's own font, themes/default/fonts/wqy-microhei-gb2312.ttf, so they read
the same on any machine; fpdf2 writes them, EbookLib the EPUB. The PDFs are byte-for-byte the same for the same arguments.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from django.conf import settings
from ebooklib import epub
from fpdf import FPDF

FONT = Path(settings.BASE_DIR) / "themes/default/fonts/wqy-microhei-gb2312.ttf"
FIXED_DATE = datetime(2021, 7, 1, tzinfo=UTC)

# (chapter title, paragraphs): well-known facts of the Party's history, as a reading book tells them.
PARTY_HISTORY = [
    ("第一章 开天辟地", [
        "1921年7月23日，中国共产党第一次全国代表大会在上海法租界望志路106号开幕。会议最后一天转移到浙江嘉兴南湖的一条游船上举行。",
        "大会通过了党的第一个纲领，选举产生了党的中央领导机构，宣告中国共产党正式成立。中国产生了共产党，这是开天辟地的大事变。",
        "从此，中国人民谋求民族独立、人民解放和国家富强、人民幸福的斗争就有了主心骨，中国人民就从精神上由被动转为主动。",
    ]),
    ("第二章 星火燎原", [
        "1927年8月1日，周恩来、贺龙、叶挺、朱德、刘伯承等领导南昌起义，打响了武装反抗国民党反动派的第一枪。",
        "同年8月7日，中共中央在汉口召开紧急会议，确定了实行土地革命和武装反抗国民党反动派的总方针。毛泽东在会上提出“政权是由枪杆子中取得的”。",
        "秋收起义后，毛泽东率领起义部队向井冈山进军，创建了第一个农村革命根据地，开辟了农村包围城市、武装夺取政权的道路。",
    ]),
    ("第三章 伟大转折", [
        "1934年10月，中央红军被迫实行战略转移，开始长征。1935年1月，中共中央政治局在贵州遵义召开扩大会议。",
        "遵义会议事实上确立了毛泽东在党中央和红军的领导地位，在最危急的关头挽救了党、挽救了红军、挽救了中国革命，是党的历史上一个生死攸关的转折点。",
        "1936年10月，红军三大主力在甘肃会宁和宁夏将台堡会师，长征胜利结束。长征是宣言书，长征是宣传队，长征是播种机。",
    ]),
    ("第四章 延安岁月", [
        "1945年4月至6月，党的第七次全国代表大会在延安召开，确立毛泽东思想为党的指导思想并写入党章。",
        "在延安的十三年里，党领导人民开展大生产运动，形成了以坚定正确的政治方向、解放思想实事求是的思想路线、全心全意为人民服务的根本宗旨、自力更生艰苦奋斗的创业精神为主要内容的延安精神。",
    ]),
    ("第五章 站起来了", [
        "1949年10月1日，中华人民共和国中央人民政府成立典礼在北京天安门广场隆重举行。毛泽东主席向全世界庄严宣告中华人民共和国中央人民政府成立。",
        "中华人民共和国的成立，彻底结束了旧中国半殖民地半封建社会的历史，中国人民从此站起来了，成为国家、社会和自己命运的主人。",
    ]),
    ("第六章 改革开放", [
        "1978年12月，党的十一届三中全会在北京召开，重新确立了解放思想、实事求是的思想路线，作出把党和国家工作中心转移到经济建设上来、实行改革开放的历史性决策。",
        "改革开放是党的一次伟大觉醒，是中国人民和中华民族发展史上一次伟大革命，是决定当代中国命运的关键一招。",
    ]),
    ("第七章 新时代", [
        "2012年11月，党的十八大召开，中国特色社会主义进入新时代。党以伟大的自我革命引领伟大的社会革命，全面从严治党取得历史性、开创性成就。",
        "2021年7月1日，庆祝中国共产党成立100周年大会在北京天安门广场隆重举行，庄严宣告我们实现了第一个百年奋斗目标，在中华大地上全面建成了小康社会。",
    ]),
]

NORTHEAST_RESISTANCE = [
    ("第一章 白山黑水", [
        "1931年9月18日，日本关东军制造九一八事变，东北三省在短短几个月内相继沦陷，三千多万同胞沦为亡国奴。",
        "中国共产党最早举起武装抗日的旗帜，派出杨靖宇、周保中、赵尚志、李兆麟等优秀干部到东北各地组织抗日武装。",
    ]),
    ("第二章 东北抗日联军", [
        "1936年起，东北各地的抗日武装陆续改编为东北抗日联军，在白山黑水间与数十倍于己的日伪军浴血奋战，坚持抗战十四年。",
        "冰天雪地，抗联战士以树皮草根充饥，在密营中坚持斗争，用生命谱写了“火烤胸前暖，风吹背后寒”的壮烈篇章。",
    ]),
    ("第三章 杨靖宇将军", [
        "杨靖宇，原名马尚德，河南确山人，东北抗日联军的主要创建者和领导人之一。",
        "1940年2月23日，杨靖宇在吉林蒙江县三道崴子孤身与敌人周旋，壮烈牺牲，年仅35岁。敌人剖开他的遗体，发现胃里只有枯草、树皮和棉絮，没有一粒粮食。",
        "为纪念杨靖宇将军，蒙江县改名为靖宇县。他的精神永远激励着白山黑水间的后来人。",
    ]),
    ("第四章 长春解放", [
        "1948年，东北人民解放军对长春实行长期围困。同年10月，守敌一部起义，其余放下武器，长春于10月19日解放。",
        "长春解放后，人民政府迅速恢复生产、救济群众，这座饱经战火的城市获得新生，后来成为新中国汽车工业的摇篮。",
    ]),
]

PARTY_BRANCH_LIFE = [
    ("坚持“三会一课”制度", [
        "“三会一课”是党的组织生活的基本制度，即定期召开支部党员大会、支部委员会、党小组会，按时上好党课。",
        "支部党员大会一般每季度召开一次，支部委员会一般每月召开一次，党小组会一般每月召开一次，党课一般每季度至少一次。",
    ]),
    ("学党章党规 学系列讲话 做合格党员", [
        "“两学一做”学习教育，基础在学，关键在做。要把学习成果转化为服务群众、推动发展的实际行动。",
        "社区党支部要关心离退休老党员，为行动不便的老同志送学上门，让每一名党员都不掉队。",
    ]),
    ("老党员讲党史", [
        "南关区某社区组织老党员走进红色教育基地，重温入党誓词，讲述亲身经历的红色故事。",
        "老党员们表示，要以史为鉴、开创未来，把党的光荣传统和优良作风传给下一代。",
    ]),
]

YANAN_SPIRIT = [
    ("第一章 宝塔山下", ["1935年10月，中央红军到达陕北。1937年1月，中共中央进驻延安，延安成为中国革命的圣地。",
                      "在延安的十三年，党中央领导全党全军全国人民，夺取了抗日战争的胜利，为解放战争的胜利奠定了基础。"]),
    ("第二章 南泥湾", ["1941年春，王震率领八路军第三五九旅开进南泥湾，一手拿枪，一手拿镐，开展大生产运动。",
                    "昔日荆棘遍野的南泥湾变成了“陕北的好江南”，“自己动手，丰衣足食”成为那个年代的口号。"]),
    ("第三章 为人民服务", ["1944年9月8日，毛泽东在张思德追悼会上发表《为人民服务》的讲演。",
                        "全心全意为人民服务是党的根本宗旨，也是延安精神的核心。"]),
]


def _missing_glyphs(texts: list[str]) -> set[str]:
    from fontTools.ttLib import TTFont

    cmap = TTFont(str(FONT), lazy=True).getBestCmap()
    return {char for text in texts for char in text if not char.isspace() and ord(char) not in cmap}


def book_pdf(title: str, chapters: list[tuple[str, list[str]]], pages: int) -> bytes:
    """An A5 book of exactly `pages` pages: a title page, then the chapters in big type, repeated to fill.

    Each page carries the book title in its header and its number in the footer, so a rendered page is
    recognisably that page of that book.
    """
    missing = _missing_glyphs([title] + [line for name, paragraphs in chapters for line in [name, *paragraphs]])
    if missing:
        raise ValueError(f"the project's font (GB2312 subset) has no glyph for: {''.join(sorted(missing))}")
    pdf = FPDF(format=(148, 210))  # A5 in mm
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_auto_page_break(False)
    pdf.add_font("wqy", fname=str(FONT))
    pdf.set_margins(16, 18, 16)

    def new_page(number: int) -> None:
        pdf.add_page()
        pdf.set_font("wqy", size=9)
        pdf.set_text_color(120, 30, 30)
        pdf.cell(0, 6, title, align="C")
        pdf.set_xy(16, 196)
        pdf.cell(0, 6, f"— {number} —", align="C")
        pdf.set_text_color(20, 20, 20)
        pdf.set_xy(16, 30)

    new_page(1)
    pdf.set_font("wqy", size=24)
    pdf.set_y(70)
    pdf.multi_cell(0, 14, title, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("wqy", size=12)
    pdf.multi_cell(0, 8, "党史学习资源库 演示读本", align="C", new_x="LMARGIN", new_y="NEXT")
    flow = [entry for name, lines in chapters for entry in [(name, True), *((line, False) for line in lines)]]
    index = 0
    for number in range(2, pages + 1):
        new_page(number)
        while pdf.get_y() < 160:
            text, heading = flow[index % len(flow)]
            index += 1
            pdf.set_font("wqy", size=16 if heading else 12.5)
            pdf.multi_cell(0, 10 if heading else 8, text if heading else "　　" + text, wrapmode="CHAR",
                           new_x="LMARGIN", new_y="NEXT")
            pdf.ln(2)
    return bytes(pdf.output())


def book_epub(title: str, author: str, chapters: list[tuple[str, list[str]]], identifier: str) -> bytes:
    """An EPUB 3 book with one XHTML file per chapter and a table of contents."""
    book = epub.EpubBook()
    book.set_identifier(identifier)
    book.set_title(title)
    book.set_language("zh")
    book.add_author(author)
    items = []
    for number, (name, paragraphs) in enumerate(chapters, start=1):
        item = epub.EpubHtml(title=name, file_name=f"chapter-{number:02d}.xhtml", lang="zh")
        body = "".join(f"<p>{line}</p>" for line in paragraphs)
        item.content = f"<html><head><title>{name}</title></head><body><h1>{name}</h1>{body}</body></html>"
        book.add_item(item)
        items.append(item)
    book.toc = items
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *items]
    buffer = io.BytesIO()
    epub.write_epub(buffer, book)
    return buffer.getvalue()
