"""The national forms: the exports, the print page and the roll-up are laid out as the paper
forms clerks fill in (表1 组织建设 ... 表11, the MoE's 科技交流情况表 and 技术转让与知识产权情况表),
with the header block the platform operator sets per reporting year."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from service.audit.models import PlatformAuditEvent
from service.auth.roles import Role
from service.reporting import indicators, national_forms
from service.reporting.models import AnnualReport, FederationRollup, FormHeader
from tenants.db import db
from tenants.scope import system_scope
from tests.snapshots import row_counts

YEAR = 2025  # the world's reporting period
CAST_TITLES = [
    "表1 组织建设",
    "表3 学术交流活动",
    "表5 科学技术普及活动",
    "表6 青少年科技教育",
    "表9 科技开放与交流",
    "表10 科技服务",
    "表11 为科技工作者服务",
]
MOE_TITLES = ["科技交流情况表", "技术转让与知识产权情况表"]
ORG_HEADER = {
    "form_number": "科协统1表",
    "issuer": "中国科学技术协会",
    "approval_number": "国统制〔2025〕1号",
    "valid_until": "2027-12-31",
}


def _operator(app, world):
    return app.test_client().login_as(world.operator)


def _set_header(app, world, year: int, table: str, values: dict):
    return _operator(app, world).post(f"/reporting/form-headers/{year}/{table}", data=values)


def _sheet(response, title: str) -> list[list]:
    assert response.status_code == 200, response.status_code
    book = load_workbook(BytesIO(response.data))
    return [list(row) for row in book[title].iter_rows(values_only=True)]


def _value_after(rows: list[list], label: str) -> object:
    """The cell to the right of a label, wherever on the sheet it is."""
    for row in rows:
        for index, cell in enumerate(row[:-1]):
            if cell == label:
                return row[index + 1]
    raise AssertionError(f"no {label} on the sheet")


def _form_rows(rows: list[list]) -> dict[str, tuple]:
    """The form's rows by their 代码 (乙): (指标名称, 计量单位, 数值)."""
    return {r[1]: (r[0], r[2], r[3]) for r in rows if isinstance(r[1], str) and r[1].isdigit()}


def _report(report_id: int) -> AnnualReport:
    with system_scope("test: read the report"):
        return db.session.get(AnnualReport, report_id)


# --- the mapping ----------------------------------------------------------------------------


def test_every_indicator_is_on_the_forms_its_catalogue_entry_names():
    for indicator in indicators.CATALOGUE:
        placed = {p.form.code for p in national_forms.placements(indicator.code)}
        assert placed == set(indicator.tables), indicator.code
    for form in national_forms.FORMS:
        codes = [row.code for row in form.rows]
        assert len(codes) == len(set(codes)) and set(codes) <= set(indicators.BY_CODE)
        assert len(form.title) <= 31  # an Excel sheet name
    assert {f.code for f in national_forms.FORMS} == {t.code for t in indicators.TABLES}


def test_the_forms_are_numbered_and_named_as_the_national_ones():
    titles = [f.title for f in national_forms.FORMS]
    assert titles[: len(CAST_TITLES)] == CAST_TITLES
    cast = [f for f in national_forms.FORMS if f.series is national_forms.CAST]
    assert len(cast) == len(CAST_TITLES)
    moe = {f.code: f.title for f in national_forms.FORMS if f.series is national_forms.MOE}
    assert moe == {"MOE-EXCH": "科技交流情况表", "MOE-TRANSFER": "技术转让与知识产权情况表"}
    assert [(p.form.title, p.row) for p in national_forms.placements("ACA07")] == [
        ("表10 科技服务", 4),
        ("技术转让与知识产权情况表", 2),
    ]


# --- the report's export and print page --------------------------------------------------


def test_the_export_is_laid_out_as_the_forms_with_the_operators_header(app, world, client):
    assert _set_header(app, world, YEAR, "CAST-ORG", ORG_HEADER).status_code == 302
    # Another year's header is that year's only.
    _set_header(app, world, YEAR + 1, "CAST-ORG", {**ORG_HEADER, "form_number": "科协统1表-新"})
    report = _report(world.a.first.reports[0])
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    response = client.get(f"/reporting/reports/{report.id}/export.xlsx")

    book = load_workbook(BytesIO(response.data))
    for title in [*CAST_TITLES, *MOE_TITLES]:
        assert title in book.sheetnames
    rows = _sheet(response, "表1 组织建设")
    assert rows[0][0] == "表1 组织建设"
    assert rows[1][0] == "中国科协综合统计"
    assert _value_after(rows, "表号：") == "科协统1表"
    assert _value_after(rows, "制定机关：") == "中国科学技术协会"
    assert _value_after(rows, "批准文号：") == "国统制〔2025〕1号"
    assert _value_after(rows, "有效期至：") == "2027年12月31日"
    assert _value_after(rows, "填报单位（盖章）：") == world.a.first.association.name
    assert _value_after(rows, "统计年度：") == f"{YEAR}年"
    assert _value_after(rows, "计量单位：") == "见丙栏"  # the rows' units differ
    assert ["指标名称", "代码", "计量单位", "数值"] in rows and ["甲", "乙", "丙", "1"] in rows
    # The figures in their rows (行次), under the form's wording and units.
    figures = _form_rows(rows)
    assert figures["01"] == ("高校科协数", "个", report.figures["ORG01"])
    assert figures["02"] == ("个人会员数", "人", report.figures["ORG02"])
    assert figures["10"] == ("会员（代表）大会代表数", "人", report.figures["ORG04"])
    assert len(figures) == 15
    # The footer: signatures and phone left for the hand, the day it was filed filled in.
    for label in ("单位负责人：", "统计负责人：", "填表人：", "联系电话："):
        assert _value_after(rows, label) is None
    assert _value_after(rows, "报出日期：") == national_forms.format_date(report.decided_at.date())

    # A form the operator did not set prints the defaults: its series' issuing body.
    moe = _sheet(response, "科技交流情况表")
    assert moe[0][0] == "科技交流情况表" and moe[1][0] == "全国普通高等学校科技统计"
    assert _value_after(moe, "制定机关：") == "中华人民共和国教育部"
    assert _value_after(moe, "表号：") is None and _value_after(moe, "有效期至：") is None
    assert _value_after(moe, "计量单位：") == "见丙栏"
    youth = _sheet(response, "表9 科技开放与交流")
    assert _form_rows(youth)["01"] == ("国际学术交流活动次数", "次", report.figures["ACA012"])
    assert _value_after(youth, "计量单位：") == "次"  # one unit for every row


def test_the_print_page_shows_the_same_forms(app, world, client):
    _set_header(app, world, YEAR, "CAST-ORG", ORG_HEADER)
    report = _report(world.a.first.reports[0])
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    page = client.get(f"/reporting/reports/{report.id}/print").get_data(as_text=True)
    for title in [*CAST_TITLES, *MOE_TITLES]:
        assert f"<h1>{title}</h1>" in page
    org = page[page.index('id="CAST-ORG"') : page.index('id="CAST-ACAD"')]
    assert "<dt>表号：</dt><dd>科协统1表</dd>" in org
    assert "<dd>国统制〔2025〕1号</dd>" in org and "<dd>2027年12月31日</dd>" in org
    assert f"填报单位（盖章）：{world.a.first.association.name}" in org
    assert f"统计年度：{YEAR}年" in org
    assert "<th>甲</th><th>乙</th><th>丙</th><th>1</th>" in org
    members = report.figures["ORG02"]
    assert (
        f'<td>个人会员数</td><td class="code">02</td><td class="code">人</td>'
        f'<td class="num">{members}</td>' in org
    )
    assert "统计负责人：" in org and national_forms.format_date(report.decided_at.date()) in org
    moe = page[page.index('id="MOE-EXCH"') :]
    assert "<dd>中华人民共和国教育部</dd>" in moe


# --- the roll-up -----------------------------------------------------------------------------


def test_the_rollup_export_and_page_follow_the_forms(app, world, client):
    _set_header(app, world, YEAR, "CAST-SERV", {"form_number": "科协统11表"})
    rollup_id = world.a.reporting["rollup_id"]
    with system_scope("test: the roll-up"):
        rollup = db.session.get(FederationRollup, rollup_id)
        figures, locked_at = dict(rollup.figures), rollup.locked_at
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    response = client.get(f"/reporting/rollups/{rollup_id}/export.xlsx")

    rows = _sheet(response, "表11 为科技工作者服务")
    assert _value_after(rows, "表号：") == "科协统11表"
    assert _value_after(rows, "制定机关：") == "中国科学技术协会"
    assert _value_after(rows, "填报单位（盖章）：") == world.a.federation.name
    assert _value_after(rows, "报出日期：") == national_forms.format_date(locked_at.date())
    assert _form_rows(rows)["10"] == ("收到科技工作者意见建议数", "件", figures["SRV01"])
    org = _form_rows(_sheet(response, "表1 组织建设"))
    assert org["01"] == ("高校科协数", "个", figures["ORG01"])
    assert org["02"] == ("个人会员数", "人", figures["ORG02"])

    page = client.get(f"/reporting/periods/{world.a.reporting['period_id']}/rollup")
    text = page.get_data(as_text=True)
    assert (
        "中国科协综合统计 表1 组织建设" in text
        and "全国普通高等学校科技统计 科技交流情况表" in text
    )
    members = figures["ORG02"]
    assert f'<td>个人会员数</td><td>02</td><td>人</td><td class="num">{members}</td>' in text


# --- the operator's page ---------------------------------------------------------------------


def _saved(year: int, table: str) -> FormHeader | None:
    with system_scope("test: read the header"):
        return db.session.scalar(
            sa.select(FormHeader).where(FormHeader.year == year, FormHeader.table_code == table)
        )


def test_the_operator_sees_defaults_then_saves_and_the_change_is_audited(app, world, client):
    operator = _operator(app, world)
    page = operator.get(f"/reporting/form-headers?year={YEAR}").get_data(as_text=True)
    assert "表1 组织建设" in page and "技术转让与知识产权情况表" in page
    assert page.count("中国科学技术协会") == len(CAST_TITLES)
    assert "中华人民共和国教育部" in page and "默认值" in page
    form = operator.get(f"/reporting/form-headers/{YEAR}/CAST-ORG").get_data(as_text=True)
    assert 'placeholder="中国科学技术协会"' in form

    saved = operator.post(f"/reporting/form-headers/{YEAR}/CAST-ORG", data=ORG_HEADER)
    assert saved.status_code == 302
    row = _saved(YEAR, "CAST-ORG")
    assert (row.form_number, row.valid_until) == ("科协统1表", date(2027, 12, 31))
    assert row.updated_by.endswith(world.operator.username)
    page = operator.get(f"/reporting/form-headers?year={YEAR}").get_data(as_text=True)
    assert "科协统1表" in page and "国统制〔2025〕1号" in page
    with system_scope("test: the audit log"):
        events = db.session.scalars(
            sa.select(PlatformAuditEvent).where(
                PlatformAuditEvent.entity == "statistical_form_header"
            )
        ).all()
    assert [e.action for e in events] == ["create"]
    assert events[0].changes["form_number"] == "科协统1表"
    assert "科协统1表" in operator.get("/audit/").get_data(as_text=True)

    # Every field emptied: the defaults again, and the row goes.
    emptied = dict.fromkeys(ORG_HEADER, "")
    cleared = operator.post(f"/reporting/form-headers/{YEAR}/CAST-ORG", data=emptied)
    assert cleared.status_code == 302 and _saved(YEAR, "CAST-ORG") is None


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"valid_until": "2024-12-31"}, "有效期不能早于 2025 年"),
        ({"valid_until": "2025-13-40"}, "valid_until"),
        ({"form_number": "表" * 51}, "form_number"),
        ({"approval_number": "国统制\n〔2025〕1号"}, "请写在一行内"),
    ],
    ids=["expired", "not a date", "too long", "two lines"],
)
def test_the_operator_page_refuses_bad_values_and_writes_nothing(app, world, values, message):
    before = row_counts()
    response = _set_header(app, world, YEAR, "CAST-ORG", {**ORG_HEADER, **values})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert message in page and 'aria-invalid="true"' in page
    assert row_counts() == before


def test_unknown_forms_and_years_are_404(app, world):
    operator = _operator(app, world)
    assert operator.get(f"/reporting/form-headers/{YEAR}/CAST-NONE").status_code == 404
    assert operator.get("/reporting/form-headers/1999/CAST-ORG").status_code == 404
    assert operator.get("/reporting/form-headers?year=1999").status_code == 404
    assert operator.get("/reporting/form-headers?year=abc").status_code == 404


@pytest.mark.parametrize(
    "role",
    [
        Role.FEDERATION_OFFICER,
        Role.EDUCATION_SUPERVISOR,
        Role.ASSOCIATION_ADMIN,
        Role.ASSOCIATION_STAFF,
        Role.MEMBER,
    ],
)
def test_only_the_operator_sets_the_headers(app, world, role):
    user = world.a.users[role] if role.name.startswith(("FED", "EDU")) else None
    client = app.test_client().login_as(user or world.a.first.users[role])
    before = row_counts()
    assert client.get(f"/reporting/form-headers?year={YEAR}").status_code == 403
    assert (
        client.post(f"/reporting/form-headers/{YEAR}/CAST-ORG", data=ORG_HEADER).status_code == 403
    )
    assert row_counts() == before
    assert app.test_client().get("/reporting/form-headers").status_code == 302  # to sign in


# --- formulas ------------------------------------------------------------------------------


def test_text_from_users_cannot_run_as_a_formula(app, world, client):
    from service.reporting import exports

    formula = '=HYPERLINK("http://x","y")'
    _set_header(app, world, YEAR, "CAST-ORG", {"form_number": formula})
    filing = exports.Filing(formula, YEAR, 1, None, None, {**national_forms.default_headers()})
    book = load_workbook(BytesIO(exports.to_xlsx(filing, {})))
    cells = [c for row in book["表1 组织建设"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    assert "'" + formula in [c.value for c in cells]

    # The operator's header, through the page.
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    response = client.get(f"/reporting/reports/{world.a.first.reports[0]}/export.xlsx")
    assert _value_after(_sheet(response, "表1 组织建设"), "表号：") == "'" + formula

    # The federation's dashboards: an association's name.
    with system_scope("test: a hostile name"):
        from tenants.models import Association

        db.session.get(Association, world.a.first.association.id).name = formula
        db.session.commit()
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    book = load_workbook(BytesIO(client.get("/federation/export/associations.xlsx").data))
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row]
    assert "'" + formula in [c.value for c in cells]
    assert all(c.data_type != "f" for c in cells)


# --- the catalogue ---------------------------------------------------------------------------


def test_the_catalogue_page_documents_the_forms_and_rows(world, client):
    client.login_as(world.a.first.users[Role.ASSOCIATION_STAFF])
    page = client.get("/reporting/indicators").get_data(as_text=True)
    aca07 = page[page.index('<tr id="ACA07">') :]
    aca07 = aca07[: aca07.index("</tr>")]
    assert "技术转移合同金额" in aca07 and "万元" in aca07
    assert "中国科协综合统计 表10 科技服务 · 第 04 行" in aca07
    assert "全国普通高等学校科技统计 技术转让与知识产权情况表 · 第 02 行" in aca07
    assert "表9 科技开放与交流" in page


def test_the_catalogue_api_gives_each_indicators_forms_and_rows(world, client):
    response = client.get(
        "/api/v1/national/indicators?page_size=100",
        headers={"Authorization": f"Bearer {world.national_a[1]}"},
    )
    assert response.status_code == 200
    listed = {i["code"]: i for i in response.get_json()}
    assert listed["ORG02"]["forms"] == [
        {
            "table": "CAST-ORG",
            "series": "中国科协综合统计",
            "number": "表1",
            "name": "组织建设",
            "row": 2,
        }
    ]
    assert [(f["number"], f["name"], f["row"]) for f in listed["ACA012"]["forms"]] == [
        ("表3", "学术交流活动", 3),
        ("表9", "科技开放与交流", 1),
        (None, "科技交流情况表", 3),
    ]
