"""Every indicator against a figure counted by hand on a small fixture."""

from __future__ import annotations

from datetime import date
from io import BytesIO

import pytest
import sqlalchemy as sa
from openpyxl import load_workbook

from service.auth.roles import Role
from service.reporting import indicators
from service.reporting.models import AnnualReport, ReportingPeriod
from tenants.db import db
from tenants.scope import Scope, system_scope, use_scope
from tests import factories
from tests.conftest import run_queued_jobs
from tests.service.reporting_fixtures import (
    EXPECTED_FIRST,
    EXPECTED_SECOND,
    YEAR,
    add_other_work,
    add_records,
)


@pytest.fixture
def counted(world):
    with system_scope("test: 2026 records"):
        add_records(world.a.first.association)
        add_other_work(world.a.second.association)
        bare = factories.make_association(world.a.federation).id
        db.session.commit()
    return world, bare


def test_every_indicator_matches_the_hand_count(counted):
    world, _bare = counted
    first, second = world.a.first.association.id, world.a.second.association.id
    with use_scope(Scope.federation(world.a.federation.id)):
        figures = indicators.compute([first, second], YEAR)
    assert set(EXPECTED_FIRST) == {i.code for i in indicators.CATALOGUE}
    assert figures[first] == EXPECTED_FIRST
    assert figures[second] == EXPECTED_SECOND


def test_bodies_an_association_does_not_have_are_not_applicable(counted):
    _world, bare = counted
    with use_scope(Scope.association(bare)):
        figures = indicators.compute([bare], YEAR)[bare]
    assert figures["ORG04"] == figures["ORG05"] == figures["ORG06"] == "-"
    assert figures["ORG02"] == 0  # empty is 0, not blank
    assert {i.code for i in indicators.CATALOGUE if i.may_be_not_applicable} == {
        "ORG04",
        "ORG05",
        "ORG06",
    }


def test_an_association_scope_computes_nothing_of_another(counted):
    world, _bare = counted
    first, other = world.a.first.association.id, world.b.first.association.id
    with use_scope(Scope.association(first)):
        figures = indicators.compute([first, other], YEAR)
    assert figures[other]["ORG02"] == 0 and figures[other]["ORG01"] == 0


def test_totals_skip_not_applicable_and_moves_are_flagged():
    assert indicators.total([{"ORG04": "-"}, {"ORG04": 80}])["ORG04"] == 80
    assert indicators.total([{"ORG04": "-"}, {"ORG04": "-"}])["ORG04"] == "-"
    assert indicators.moved_a_lot(14, 10) and not indicators.moved_a_lot(13, 10)
    assert not indicators.moved_a_lot("-", 10) and not indicators.moved_a_lot(5, None)


def test_every_indicator_feeds_a_known_national_table():
    codes = {t.code for t in indicators.TABLES}
    for indicator in indicators.CATALOGUE:
        assert indicator.tables and set(indicator.tables) <= codes
        assert indicator.name_zh and indicator.name_en and indicator.unit


# Every indicator beyond organisation, as issue 7 lists them, with its family.
ACTIVITY_CODES = {
    "academic": {"ACA01", "ACA011", "ACA012", "ACA02", "ACA03"},
    "consulting": {"ACA04", "ACA05"},
    "tech_transfer": {"ACA06", "ACA07"},
    "popularisation": {"POP01", "POP011", "POP012", "POP02", "POP03", "POP04", "POP05", "POP06"},
    "nominations": {"TAL01", "TAL02"},
    "exemplars": {"TAL03"},
    "talent": {"TAL04"},
    "integrity": {"INT01", "INT02", "INT021", "INT022", "INT023"},
    "student_practice": {"STU01", "STU02", "STU03", "STU04"},
    "suggestions": {"SRV01", "SRV02", "SRV03"},
}


def test_each_activity_family_computes_exactly_its_indicators(counted):
    world, _bare = counted
    first = world.a.first.association.id
    with use_scope(Scope.association(first)):
        for family, codes in ACTIVITY_CODES.items():
            assert set(indicators.FAMILIES[family]([first], YEAR)[first]) == codes
            assert {i.code for i in indicators.CATALOGUE if i.family == family} == codes


def test_activity_indicators_feed_their_national_tables():
    tables = {i.code: set(i.tables) for i in indicators.CATALOGUE}
    for code in ACTIVITY_CODES["academic"] - {"ACA012"}:
        assert tables[code] == {"CAST-ACAD", "MOE-EXCH"}
    assert tables["ACA012"] == {"CAST-ACAD", "MOE-EXCH", "CAST-OPEN"}
    for code in ACTIVITY_CODES["consulting"]:
        assert tables[code] == {"CAST-TECH"}
    for code in ACTIVITY_CODES["tech_transfer"]:
        assert tables[code] == {"CAST-TECH", "MOE-TRANSFER"}
    for code in ACTIVITY_CODES["popularisation"]:
        assert tables[code] == {"CAST-POP", "MOST-POP"}
    for code in ACTIVITY_CODES["student_practice"]:
        assert "CAST-YOUTH" in tables[code]
    assert tables["STU03"] == {"CAST-YOUTH", "MOST-POP"}
    for family in ("nominations", "exemplars", "talent", "integrity", "suggestions"):
        for code in ACTIVITY_CODES[family]:
            assert tables[code] == {"CAST-SERV"}
    assert indicators.BY_CODE["ACA07"].unit == "万元" and "万元" in (
        indicators.BY_CODE["ACA07"].definition
    )


def test_transfer_value_is_rounded_half_up_to_whole_wan_yuan():
    assert [indicators._wan_yuan(v) for v in (0, 4_999, 5_000, 1_279_500, 2_000_000)] == [
        0,
        0,
        1,
        128,
        200,
    ]


def test_activity_figures_agree_with_the_federation_dashboards(counted):
    """The report and the dashboards read the same aggregates, so they cannot disagree."""
    from service.activities import aggregates

    world, _bare = counted
    first = world.a.first.association.id
    with use_scope(Scope.federation(world.a.federation.id)):
        report = indicators.compute([first], YEAR)[first]
        dashboard = aggregates.all_figures([first], YEAR)[first]
    assert report["POP01"] == dashboard["popularisation_events"] == 4
    assert report["INT02"] == dashboard["integrity_audience"] == 420


def _compiled_report(world, client) -> int:
    """world.a.first's report of the year, compiled through the pages."""
    client.login_as(world.a.users[Role.FEDERATION_OFFICER])
    client.post(
        "/reporting/periods", data={"year": YEAR, "deadline": date(YEAR + 1, 3, 31).isoformat()}
    )
    with system_scope("test: find the period"):
        period_id = db.session.scalar(
            sa.select(ReportingPeriod.id).where(
                ReportingPeriod.federation_id == world.a.federation.id,
                ReportingPeriod.year == YEAR,
            )
        )
    client.login_as(world.a.first.users[Role.ASSOCIATION_ADMIN])
    assert client.post(f"/reporting/periods/{period_id}/compile").status_code == 302
    run_queued_jobs()
    with system_scope("test: find the report"):
        return db.session.scalar(
            sa.select(AnnualReport.id).where(
                AnnualReport.period_id == period_id,
                AnnualReport.tenant_id == world.a.first.association.id,
            )
        )


# The national forms the activity indicators fill, by sheet name.
ACTIVITY_SHEETS = {
    "CAST-ACAD": "表3 学术交流活动",
    "CAST-POP": "表5 科学技术普及活动",
    "CAST-YOUTH": "表6 青少年科技教育",
    "CAST-OPEN": "表9 科技开放与交流",
    "CAST-TECH": "表10 科技服务",
    "CAST-SERV": "表11 为科技工作者服务",
    "MOE-EXCH": "科技交流情况表",
    "MOE-TRANSFER": "技术转让与知识产权情况表",
    "MOST-POP": "科普统计调查表",
}


def _form_rows(sheet) -> dict[str, tuple]:
    """A form's rows by their 代码 (行次): (指标名称, 计量单位, 数值)."""
    return {
        row[1]: (row[0], row[2], row[3])
        for row in sheet.iter_rows(values_only=True)
        if isinstance(row[1], str) and row[1].isdigit()
    }


def test_the_exports_carry_the_activity_indicators(counted, client):
    from service.reporting import national_forms

    world, _bare = counted
    report_id = _compiled_report(world, client)

    book = load_workbook(BytesIO(client.get(f"/reporting/reports/{report_id}/export.xlsx").data))
    assert set(ACTIVITY_SHEETS.values()) <= set(book.sheetnames)
    rows = {code: _form_rows(book[sheet]) for code, sheet in ACTIVITY_SHEETS.items()}
    # one record feeds several forms: popularisation events in CAST's and MOST's
    assert rows["CAST-POP"]["01"] == rows["MOST-POP"]["01"] == ("科普活动次数", "次", 4)
    assert rows["MOST-POP"]["09"] == ("承办青少年高校科学营营员数", "人", 60)
    assert rows["CAST-YOUTH"]["03"] == ("承办青少年高校科学营营员数", "人", 60)
    assert rows["CAST-ACAD"]["03"] == ("其中：国际学术交流活动次数", "次", 2)
    assert rows["MOE-EXCH"]["03"] == ("其中：国际学术交流活动次数", "次", 2)
    assert rows["CAST-OPEN"]["01"] == ("国际学术交流活动次数", "次", 2)
    assert rows["MOE-TRANSFER"]["02"][1:] == ("万元", EXPECTED_FIRST["ACA07"])
    assert rows["CAST-SERV"]["08"] == ("其中：研究生", "人次", 150)
    assert rows["CAST-SERV"]["10"] == ("收到科技工作者意见建议数", "件", 5)
    for code in ACTIVITY_SHEETS:
        form = national_forms.BY_CODE[code]
        for line in national_forms.lines(form, EXPECTED_FIRST):
            assert rows[code][line.row_code] == (line.label, line.indicator.unit, line.value)

    csv_text = client.get(f"/reporting/reports/{report_id}/export.csv").data.decode("utf-8-sig")
    assert (
        "POP011,其中：科技活动周活动次数,次,2,表5 科学技术普及活动 第02行; 科普统计调查表 第02行"
        in csv_text.splitlines()
    )
    document = client.get(f"/reporting/reports/{report_id}/export.json").get_json()
    assert document["figures"]["INT02"] == 420 and document["figures"]["TAL03"] == 1
    page = client.get(f"/reporting/reports/{report_id}/print").get_data(as_text=True)
    assert "表6 青少年科技教育" in page and "英才计划培养中学生数" in page


def test_the_national_catalogue_lists_the_activity_indicators(world, client):
    response = client.get(
        "/api/v1/national/indicators?page_size=100",
        headers={"Authorization": f"Bearer {world.national_a[1]}"},
    )
    assert response.status_code == 200
    listed = {i["code"]: i for i in response.get_json()}
    assert listed["ACA07"]["unit"] == "万元" and listed["ACA07"]["tables"] == [
        "CAST-TECH",
        "MOE-TRANSFER",
    ]
    assert set(listed) == {i.code for i in indicators.CATALOGUE}


def test_each_figure_links_to_the_records_behind_it(counted, client):
    world, _bare = counted
    report_id = _compiled_report(world, client)
    page = client.get(f"/reporting/reports/{report_id}").get_data(as_text=True)
    science_week = (
        f"/activities/?task=popularisation&status=counted&subtype=science_week&year={YEAR}"
    )
    popularisation = f"/activities/?task=popularisation&status=counted&year={YEAR}"
    awarded = f"/talent/nominations/?status=awarded&year={YEAR}"
    assert science_week.replace("&", "&amp;") in page and awarded.replace("&", "&amp;") in page

    listed = client.get(science_week).get_data(as_text=True)
    assert f"science_week {YEAR}-05-10" in listed
    assert f"science_week {YEAR - 1}-12-30" not in listed and f"open_lab {YEAR}" not in listed
    # the figure counts held and reported activities; so does its list: not the planned talk
    listed = client.get(popularisation).get_data(as_text=True)
    assert popularisation.replace("&", "&amp;") in page
    assert f"science_week {YEAR}-05-10" in listed and f"talk {YEAR}-12" not in listed
    # this year's two awards (national and city-level); not last year's
    assert client.get(awarded).get_data(as_text=True).count("张华") == 2
