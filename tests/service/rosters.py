"""Rosters as secretariats really keep them, made in code: an HR-style workbook with a merged
title row, notes, 序号 and 备注 columns, Excel and text dates, job titles, full-width digits,
+86 phones, blank rows and a footer; and a GBK CSV of another university's layout. Each
carries exactly five truly bad rows, named in `BAD_ROWS`."""

from __future__ import annotations

import io
from datetime import datetime

from openpyxl import Workbook

HR_TITLE = "某某大学科学技术协会个人会员名册（2026年）"
HR_HEADER = [
    "序号",
    "姓名",
    "性别",
    "出生年月",
    "所在学院（部门）",
    "职称",
    "手机号码",
    "电子邮箱",
    "所属学会",
    "备注",
]


def hr_rows(stem: str = "1390001") -> list[list]:
    """Roster rows; `stem` makes the phones unique to a test. Rows 1-7 are good, 8-12 bad."""
    return [
        [
            1,
            "欧阳·娜娜",
            "女",
            datetime(1978, 5, 1),
            "物理学院",
            "教授",
            _fw(stem) + " ０００１",
            "OuYang.NN@Example.EDU.cn ",
            "中国物理学会",
            "",
        ],
        [
            2,
            "张  伟",
            "男",
            "1978.05",
            "化学学院",
            "副教授",
            f"+86 {stem[:3]}-{stem[3:]}-0002",
            "",
            "",
            "学院推荐",
        ],
        [3, "李晓明", "男", "1985年3月", "计算机学院", "讲师", f"0086 {stem}0003", "", "", ""],
        [4, "王芳", "女", "1982-7", "生命科学学院", "研究员", int(f"{stem}0004"), "", "", ""],
        [5, "赵建国", "男", "78.05", "机械工程学院", "高级工程师", f"{stem}0005", "", "", ""],
        [6, "陈静", "女", 28626, "图书馆", "副研究馆员", f"{stem}0006", "", "", ""],
        [7, "刘洋", "男", "1996.11", "计算机学院", "助教", f"{stem}0007", "", "中国计算机学会", ""],
        [
            8,
            '=HYPERLINK("http://x","点我")',
            "男",
            "1980",
            "物理学院",
            "讲师",
            f"{stem}0008",
            "",
            "",
            "",
        ],
        [9, "孙丽", "女", "1981", "物理学院", "讲师", f"+86 {stem}0001", "", "", "重复"],
        [10, "周强", "男", "1979", "化学学院", "教授", "12345", "", "", ""],
        [11, "吴敏", "女", "1983", "化学学院", "讲师", "", "wumin@", "", ""],
        [12, "", "男", "1984", "化学学院", "讲师", f"{stem}0012", "", "", ""],
    ]


def _fw(digits: str) -> str:
    """Full-width digits, with a space after the third (as typed in a Chinese IME)."""
    wide = "".join(chr(ord(d) + 0xFEE0) for d in digits)
    return wide[:3] + " " + wide[3:]


GOOD_NAMES = ["欧阳·娜娜", "张伟", "李晓明", "王芳", "赵建国", "陈静", "刘洋"]


def hr_xlsx(stem: str = "1390001") -> bytes:
    """Title row 1 (merged across the table), a note in row 2, headings in row 3, a blank
    row inside the table, then a blank row and a footer."""
    book = Workbook()
    sheet = book.active
    sheet.append([HR_TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HR_HEADER))
    sheet.append(
        ["填报单位：科协秘书处", None, None, None, None, None, None, "填报日期：2026年3月1日"]
    )
    sheet.append(HR_HEADER)
    rows = hr_rows(stem)
    for i, row in enumerate(rows):
        if i == 4:
            sheet.append([])  # a blank row inside the table
        sheet.append(row)
    sheet.append([])
    sheet.append(["合计", f"{len(rows)}人"])
    sheet.append(["制表人：王老师", None, None, None, "审核人：李主任"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# The rows of hr_xlsx that are truly bad: formula, duplicate phone, bad phone, bad e-mail,
# missing name (row numbers as Excel shows them: data starts in row 4, a blank row after 4).
HR_BAD_ROWS = {(12, "姓名"), (13, "手机号码"), (14, "手机号码"), (15, "电子邮箱"), (16, "姓名")}


GBK_HEADER = [
    "工号",
    "姓名",
    "性别",
    "出生日期",
    "单位",
    "专业技术职务",
    "联系电话",
    "邮箱",
    "学会任职",
]


def gbk_csv(stem: str = "1370002") -> bytes:
    """Another layout: a heading line, 工号 (the staff number), dates
    as 1975/06/12, full-width digits, titles of the medical and engineering series, a
    formula-like phone with +86, a footer of notes after a blank line."""
    lines = [
        ["附件1：二级学院科协会员信息汇总表"],
        GBK_HEADER,
        [
            "T001",
            "马·阿里木",
            "男",
            "1975/06/12",
            "医学院",
            "主任医师",
            f"+86{stem}0001",
            "",
            "中华医学会",
        ],
        ["T002", "黄蓉", "女", "1988.10", "医学院", "主治医师", _fw(stem) + "０００２", "", ""],
        ["T003", "郭靖", "男", "1986年", "土木学院", "工程师", f"{stem}-0003", "GJ@QQ.COM", ""],
        [],
        [
            "T004",
            "杨过",
            "男",
            "1990-01",
            "土木学院",
            "助理工程师",
            f"{stem}0004",
            "",
            "中国土木工程学会",
        ],
        ["T005", "小龙女", "女", "1991", "医学院", "副主任护师", "+cmd|' /C calc'!A0", "", ""],
        ["T006", "", "女", "1992", "医学院", "护师", f"{stem}0006", "", ""],
        ["T007", "尹志平", "男", "1987", "医学院", "主治医师", f"{stem}0001", "", ""],
        [],
        ["填表说明：1. 出生日期填写到月；2. 联系电话填写手机号码。"],
    ]
    text = "\r\n".join(",".join(cells) for cells in lines) + "\r\n"
    return text.encode("gbk")


# Row numbers as the file shows them (line 1 the heading line, 2 the headings); row 9 has
# two problems (no name, and 护师 is a junior title with no society), found in one pass.
GBK_BAD_ROWS = {(8, "联系电话"), (9, "姓名"), (9, "例外理由"), (10, "联系电话")}
GBK_GOOD_NAMES = ["马·阿里木", "黄蓉", "郭靖", "杨过"]


def csv_of(header: list[str], rows: list[list[str]], encoding: str = "utf-8") -> bytes:
    lines = [",".join(header)] + [",".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


# --- group members ----------------------------------------------------------------------

GROUP_TITLE = "某某大学科协团体会员名单（2026年3月）"
GROUP_HEADER = [
    "序号",
    "团体会员名称",
    "类别",
    "负责人",
    "联系电话",
    "会员人数",
    "入会时间",
    "备注",
]


def groups_xlsx(stem: str = "1380003") -> bytes:
    """A merged title row, headings in row 2, an Excel date and a serial, full-width digits
    in a phone and a count, a kind left out (the name says it), the association's own kind,
    a formula, a duplicate name, a bad phone, a missing name; a blank row and a footer."""
    book = Workbook()
    sheet = book.active
    sheet.append([GROUP_TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(GROUP_HEADER))
    sheet.append(GROUP_HEADER)
    rows = [
        [1, "研究生科协", "研究生科协", "李 明", f"{stem}0001", 320, datetime(2019, 9, 1), ""],
        [2, "大学生科协", "", "王芳", _fw(stem) + "０００２", "１２００", "2018.10", "名称即类别"],
        [3, "计算机学院科协", "院系科协", "赵强", f"+86 {stem}0003", "85人", 43709, ""],
        [4, "离退休教师科协", "", "钱老师", f"{stem}0004", 60, "2020年5月", ""],
        [5, "创新创业联盟", "学生创新联盟", "孙丽", f"{stem}0005", 40, "", "自定类别"],
        [6, '=HYPERLINK("http://x","点我")', "院系科协", "周", f"{stem}0006", 10, "", ""],
        [7, "研究生科协", "研究生科协", "吴敏", f"{stem}0007", 300, "", "重复"],
        [8, "物理学院科协", "院系科协", "郑", "12345", 20, "", ""],
        [9, "", "院系科协", "冯", f"{stem}0009", 20, "", ""],
    ]
    for row in rows:
        sheet.append(row)
    sheet.append([])
    sheet.append(["合计", "9个"])
    sheet.append(["制表人：科协秘书处"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Row numbers as Excel shows them (headings in row 2): formula, duplicate, phone, no name.
GROUP_BAD_ROWS = {(8, "团体会员名称"), (9, "团体会员名称"), (10, "联系电话"), (11, "团体会员名称")}
GROUP_GOOD_NAMES = ["研究生科协", "大学生科协", "计算机学院科协", "离退休教师科协", "创新创业联盟"]


def groups_gbk_csv() -> bytes:
    """Another layout: a heading line, 名称 / 主席 / 电话 / 成员数, no kind column (each
    name says its kind but one), a notes footer after a blank line."""
    lines = [
        ["附件2：团体会员情况汇总"],
        ["名称", "主席", "电话", "成员数"],
        ["青年教师科协", "陈静", "0571-8888 6666", "１５０"],
        ["化学学院科协", "黄蓉", "", "45"],
        ["科普志愿者协会", "郭靖", "", "30"],
        [],
        ["填表说明：名称请写全称。"],
    ]
    text = "\r\n".join(",".join(cells) for cells in lines) + "\r\n"
    return text.encode("gbk")


# --- activities of past years -----------------------------------------------------------

ACTIVITY_TITLE = "某某大学科协2024年度活动台账"
ACTIVITY_HEADER = [
    "序号",
    "主要任务",
    "活动类型",
    "活动名称",
    "开始日期",
    "结束日期",
    "地点",
    "主办单位",
    "场次",
    "参加人数",
    "报告人数",
    "受众人次",
    "备注",
]


def activities_xlsx() -> bytes:
    """A title row, the export's headings with 序号 and 备注, Excel dates, a serial and text
    dates, full-width and "人" counts, the task left out where the type says it, a shortened
    type, a formula, a duplicate, a rule broken (more speakers than participants), an unknown
    type, a missing title; a blank row and a footer."""
    book = Workbook()
    sheet = book.active
    sheet.append([ACTIVITY_TITLE])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ACTIVITY_HEADER))
    sheet.append(ACTIVITY_HEADER)
    rows = [
        [
            1,
            "学术交流",
            "校际学术交流",
            "2024年校际学术论坛",
            datetime(2024, 5, 10),
            datetime(2024, 5, 11),
            "学术交流中心",
            "",
            1,
            120,
            8,
            None,
            "",
        ],
        [
            2,
            "",
            "科普讲座",
            "走进实验室科普讲座",
            "2024.6.1",
            None,
            "物理楼",
            "",
            "３",
            None,
            2,
            "３００人",
            "任务由类型推出",
        ],
        [
            3,
            "学术交流",
            "跨院系交流",
            "跨院系青年学者沙龙",
            45471,
            None,
            "",
            "研究生科协",
            2,
            "60人",
            4,
            None,
            "类型简写",
        ],
        [
            4,
            "科学道德和学风建设宣讲教育",
            "科学道德和学风建设宣讲报告",
            "学风建设报告会",
            "2024年9月20日",
            None,
            "大礼堂",
            "",
            1,
            None,
            1,
            500,
            "",
        ],
        [
            5,
            "学术交流",
            "校际学术交流",
            '=HYPERLINK("http://x","点我")',
            "2024-10-01",
            None,
            "",
            "",
            1,
            50,
            2,
            None,
            "",
        ],
        [
            6,
            "学术交流",
            "校际学术交流",
            "2024年校际学术论坛",
            "2024-05-10",
            None,
            "",
            "",
            1,
            120,
            8,
            None,
            "重复",
        ],
        [
            7,
            "学术交流",
            "校际学术交流",
            "专家报告会",
            "2024-11-02",
            None,
            "",
            "",
            1,
            5,
            9,
            None,
            "报告人多于参加人",
        ],
        [8, "学术交流", "茶话会", "迎新茶话会", "2024-12-01", None, "", "", 1, 40, 0, None, ""],
        [9, "学术交流", "校际学术交流", "", "2024-12-10", None, "", "", 1, 40, 1, None, ""],
    ]
    for i, row in enumerate(rows):
        if i == 4:
            sheet.append([])
        sheet.append(row)
    sheet.append([])
    sheet.append(["合计", "9项"])
    sheet.append(["填表人：科协秘书处", None, None, "审核人：李主任"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# Excel rows (headings in row 2, a blank row after row 6): row 4 names an integrity
# lecture without its speaker and audience group; then formula, duplicate, more speakers
# than participants, unknown type, missing title.
ACTIVITY_BAD_ROWS = {
    (6, "主讲人类别"),
    (6, "受众群体"),
    (8, "活动名称"),
    (9, "活动名称"),
    (10, "参加人数"),
    (11, "活动类型"),
    (12, "活动名称"),
}
ACTIVITY_GOOD_TITLES = ["2024年校际学术论坛", "走进实验室科普讲座", "跨院系青年学者沙龙"]


def activities_gbk_csv() -> bytes:
    """Another layout: 活动主题 / 活动日期 / 活动类型 / 参与人数 / 活动地点, no task column,
    full-width digits, dates as 2023/3/15, a notes footer after a blank line."""
    lines = [
        ["附件3：2023年科协活动情况统计表"],
        ["序号", "活动主题", "活动日期", "活动类型", "参与人数", "报告人数", "活动地点"],
        ["1", "人工智能前沿论坛", "2023/3/15", "校际学术交流", "２００", "6", "图书馆报告厅"],
        ["2", "校企合作对接会", "2023/6/8", "与科研院所、企业交流", "80", "3", "创新园"],
        ["3", "青年科学营", "2023/7/20", "青少年科学营", "150", "", "校园"],
        [],
        ["填表说明：活动日期填写开始日期。"],
    ]
    text = "\r\n".join(",".join(cells) for cells in lines) + "\r\n"
    return text.encode("gbk")
