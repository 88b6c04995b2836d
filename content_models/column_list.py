"""The seven first-level columns (栏目) of the seed document: (name, stable slug, description).

Plain data so the data migration and the workspace set-up can both use it.
"""

SEVEN_COLUMNS = [
    ("时政要闻", "shizheng-yaowen", "党和国家的最新时事与政策解读。"),
    ("领袖思想", "lingxiu-sixiang", "学习领袖的重要论述和思想。"),
    ("辉煌历程", "huihuang-licheng", "中国共产党百年奋斗的光辉历程。"),
    ("强国之路", "qiangguo-zhilu", "新时代建设社会主义现代化强国的道路。"),
    ("四个自信", "sige-zixin", "道路自信、理论自信、制度自信、文化自信。"),
    ("四史学习", "sishi-xuexi", "党史、新中国史、改革开放史、社会主义发展史。"),
    ("中国梦", "zhongguo-meng", "实现中华民族伟大复兴的中国梦。"),
]


def ensure_columns(column_model) -> None:
    """Create any missing column; never overwrite an editor's changes to an existing one."""
    for order, (name, slug, description) in enumerate(SEVEN_COLUMNS, start=1):
        column_model.objects.get_or_create(slug=slug, defaults={"name": name, "order": order, "description": description})
