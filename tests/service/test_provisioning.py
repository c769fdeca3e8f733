"""Bulk provisioning from a spreadsheet: all rows or none, with a report per row."""

from __future__ import annotations

import io
from datetime import date, datetime

import sqlalchemy as sa
from openpyxl import Workbook

from service.associations.models import AssociationProfile
from service.governance.models import Establishment
from tenants.db import db
from tenants.models import Association
from tenants.scope import system_scope

HEADER = [
    "省份代码",
    "高校名称",
    "高校类型",
    "联系人",
    "联系电话",
    "批准日期",
    "批准文号",
    "承认章程日期",
]


def _xlsx(*rows) -> io.BytesIO:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(list(row))
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    return out


def _upload(client, world, stream, filename="浙江省高校科协.xlsx"):
    client.login_as(world.operator)
    return client.post(
        "/establishment/provision",
        data={"workbook": (stream, filename)},
        content_type="multipart/form-data",
    )


def _count() -> int:
    with system_scope("test: count associations"):
        return db.session.scalar(sa.select(sa.func.count(Association.id)))


def test_a_clean_sheet_creates_every_association(client, world):
    code = world.a.federation.code
    response = _upload(
        client,
        world,
        _xlsx(
            (
                code,
                "湖州学院",
                "应用型本科高校",
                "钱敏",
                "13905720001",
                "2024-05-30",
                "浙科协〔2024〕1号",
                "2024-03-01",
            ),
            (code, "丽水学院", "applied", None, None, "2023-09-01", "浙科协〔2023〕7号", None),
        ),
    )
    assert response.status_code == 200
    assert "已创建 2 个高校科协。" in response.get_data(as_text=True)
    assert _count() == 6
    with system_scope("test"):
        record = db.session.scalar(
            sa.select(Establishment)
            .join(Association, Association.id == Establishment.tenant_id)
            .where(Association.name == "湖州学院科学技术协会")
        )
    assert record.document_number == "浙科协〔2024〕1号"
    assert record.approved_by_federation_id == world.a.federation.id


def test_one_bad_row_creates_nothing_and_the_report_names_it(client, world):
    code = world.a.federation.code
    response = _upload(
        client,
        world,
        _xlsx(
            (
                code,
                "湖州学院",
                "应用型本科高校",
                "钱敏",
                "13905720001",
                "2024-05-30",
                "浙科协〔2024〕1号",
                None,
            ),
            ("XX", "丽水学院", "农林院校", None, "12345", "昨天", None, None),
            (
                code,
                "湖州学院",
                "应用型本科高校",
                None,
                None,
                "2024-05-30",
                "浙科协〔2024〕2号",
                None,
            ),
        ),
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "未创建任何高校科协" in page
    for message in (
        "未知的省份代码。",
        "未知的高校类型。",
        "批准日期：应为日期",  # with what was written
        "昨天",
        "该高校在文件中出现了两次。",
    ):
        assert message in page
    assert _count() == 4


def test_a_file_that_is_not_a_workbook_is_refused(client, world):
    response = _upload(client, world, io.BytesIO(b"not a workbook"), "names.xlsx")
    assert response.status_code == 400
    assert "不是 Excel 工作簿" in response.get_data(as_text=True)
    response = _upload(client, world, io.BytesIO(b"a,b"), "names.csv")
    assert response.status_code == 400
    assert _count() == 4


def test_the_sheet_is_read_by_the_import_engine_formulas_and_zip_bombs_refused(client, world):
    """A formula is refused as a formula (never its cached value); a workbook that would
    unpack to an unsafe size is refused before it is parsed."""
    import zipfile

    code = world.a.federation.code
    row = (code, "湖州学院", "应用型本科高校", '=HYPERLINK("http://x","钱敏")', None)
    response = _upload(client, world, _xlsx((*row, "2024-05-30", "浙科协〔2024〕1号", None)))
    assert response.status_code == 400
    assert "联系人：不接受公式" in response.get_data(as_text=True)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (120 * 2**20))
    bomb.seek(0)
    response = _upload(client, world, bomb)
    assert response.status_code == 400
    assert "解压" in response.get_data(as_text=True)
    assert _count() == 4


def test_an_office_s_own_sheet_is_read_as_it_is(client, world):
    """A title row, the office's own headings (the province by name, 联系方式, 成立日期), a
    +86 phone in full-width digits, dates written 2024.5.30 and as Excel dates, a blank
    row and a signed footer: every association is created, the values normalised."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["2026年新建高校科协名单（第一批）"])
    sheet.append(
        [
            "序号",
            "所属省份",
            "学校名称",
            "学校类型",
            "联系人姓名",
            "联系方式",
            "成立日期",
            "文号",
            "备注",
        ]
    )
    sheet.append(
        [
            1,
            world.a.federation.name,
            "湖州学院",
            "应用型本科高校",
            "钱敏",
            "+86 １３９０５７２０００１",
            "2024.5.30",
            "浙科协〔2024〕1号",
            "首批",
        ]
    )
    sheet.append([])
    sheet.append(
        [
            2,
            world.a.federation.code,
            "丽水学院",
            "applied",
            None,
            None,
            datetime(2023, 9, 1),
            "浙科协〔2023〕7号",
            None,
        ]
    )
    sheet.append([])
    sheet.append(["制表人：省科协组织部　2026年3月"])
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    response = _upload(client, world, out)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "已创建 2 个高校科协。" in response.get_data(as_text=True)
    with system_scope("test"):
        created = {
            e.document_number: (e.approved_on, e.approved_by_federation_id)
            for e in db.session.scalars(sa.select(Establishment))
        }
        phone = db.session.scalar(
            sa.select(AssociationProfile.contact_phone).where(
                AssociationProfile.university_name == "湖州学院"
            )
        )
    assert created["浙科协〔2024〕1号"] == (date(2024, 5, 30), world.a.federation.id)
    assert created["浙科协〔2023〕7号"] == (date(2023, 9, 1), world.a.federation.id)
    assert phone == "13905720001"
