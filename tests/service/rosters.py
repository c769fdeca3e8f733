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
    """Another layout: a heading line, 工号 (a column the members have no field for), dates
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
