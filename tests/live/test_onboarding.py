"""New associations through the running service: a university applies on the public page and
the federation officer approves it; the operator provisions a province's associations from a
spreadsheet. Either way the association is on the federation's list with its findings
computed (the recompute job ran after the commit), and an approved association's first
administrator sets a password through the link shown and signs in."""

from __future__ import annotations

import html
import io
import re
import secrets
from urllib.parse import urlsplit

from openpyxl import Workbook

from tests.factories.files import PDF_BYTES
from tests.live.conftest import LiveService, wait_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _governance_cell(officer, name: str) -> str | None:
    """The governance column of the federation's association list ('—' while no finding is
    stored), or None when the association is not listed."""
    page = officer.get("/associations/").text
    row = re.search(rf">{name}</a></td>(.*?)</tr>", page, re.S)
    if row is None:
        return None
    badge = re.search(r'class="badge status-\w+">([^<]+)<', row.group(1))
    return badge.group(1) if badge else "—"


def _with_findings(officer, name: str) -> str | None:
    cell = _governance_cell(officer, name)
    return cell if cell not in (None, "—") else None


def _apply(live: LiveService, university: str, email: str) -> None:
    applicant = live.browser()
    form = applicant.get("/establishment/apply")
    federation = re.search(r'<option value="(\d+)"[^>]*>[^<]*浙江', form.text)
    assert federation, "浙江 is not among the federations on the public form"
    answers = {
        "csrf_token": form.csrf(),
        "federation_id": federation.group(1),
        "university_name": university,
        "category": "applied",
        "charter_accepted": "y",
        "st_workers": "850",
        "host_office": "科研处",
        "proposed_chair": "刘洋",
        "proposed_chair_basis": "副校长",
        "proposed_vice_chairs": "陈晨（长江学者）",
        "proposed_secretary_general": "马丽",
        "contact_name": "马丽",
        "contact_email": email,
    }
    submitted = applicant.post(
        "/establishment/apply",
        answers,
        files={"documents": ("学校同意成立科协的批复.pdf", PDF_BYTES, "application/pdf")},
    )
    assert submitted.status == 200, submitted.text[-1500:]
    # The key rides after `#`, where no server log can see it.
    assert "/establishment/track#" in submitted.text, "no tracking link after applying"


def test_an_approved_application_becomes_an_association_with_its_first_admin(live: LiveService):
    university = f"钱塘科技学院{secrets.token_hex(3)}"
    email = f"mali-{secrets.token_hex(3)}@example.edu.cn"
    _apply(live, university, email)

    officer = live.browser("zj-officer")
    waiting = officer.get("/establishment/").text
    link = re.search(rf'href="(/establishment/\d+)"[^>]*>[^<]*{university}', waiting)
    assert link, f"the application of {university} is not under 成立申请"
    review = officer.get(link.group(1))
    approved = officer.post(
        link.group(1),
        {
            "csrf_token": review.csrf(),
            "decision": "approve",
            "document_number": "浙科协函〔2026〕7号",
        },
    )
    assert "审核意见已记录" in approved.text, approved.text[-1500:]
    welcome = re.search(r"首位管理员的用户名为 (\S+?)。一次性设置密码链接：(\S+?)<", approved.text)
    assert welcome, "the officer is not shown the first administrator's link"
    username, link = html.unescape(welcome.group(1)), urlsplit(html.unescape(welcome.group(2)))
    set_password, token = link.path, link.fragment  # the page posts what follows the `#`

    name = f"{university}科学技术协会"
    found = wait_for(lambda: _with_findings(officer, name), seconds=30)
    assert found, f"{name}: {_governance_cell(officer, name)!r} on the list, no findings computed"

    first_admin = live.browser()
    opening = first_admin.get(set_password)
    form = first_admin.post(set_password, {"csrf_token": opening.csrf(), "token": token})
    assert form.status == 200, form.text[-1000:]
    chosen = "secretariat-2026-first"
    done = first_admin.post(
        set_password,
        {"csrf_token": form.csrf(), "token": token, "new": chosen, "confirm": chosen},
    )
    assert "/login" in done.url, done.text[-1000:]
    login = first_admin.get("/login")
    home = first_admin.post(
        "/login", {"csrf_token": login.csrf(), "username": username, "password": chosen}
    )
    assert "/login" not in home.url, "the first administrator cannot sign in"
    assert f"<h1>{name}</h1>" in home.text
    assert live.failures() == []


def _province_sheet(universities: list[str]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["省份代码", "高校名称", "高校类型", "联系人", "批准日期", "批准文号"])
    for number, university in enumerate(universities, start=1):
        sheet.append(
            ["ZJ", university, "applied", "赵老师", "2026-03-01", f"浙科协函〔2026〕{number}号"]
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_the_operator_provisions_associations_from_a_spreadsheet(live: LiveService):
    stem = secrets.token_hex(3)
    universities = [f"之江学院{stem}", f"湖州学院{stem}"]
    operator = live.browser("operator")
    created = operator.upload(
        "/establishment/provision", "workbook", "浙江省高校科协.xlsx",
        _province_sheet(universities), XLSX,
    )  # fmt: skip
    assert "已创建 2 个高校科协。" in created.text, created.text[-1500:]

    officer = live.browser("zj-officer")
    for university in universities:
        name = f"{university}科学技术协会"
        found = wait_for(lambda name=name: _with_findings(officer, name), seconds=30)
        assert found, f"{name}: {_governance_cell(officer, name)!r} on the list, no findings"

    again = operator.upload(
        "/establishment/provision", "workbook", "浙江省高校科协.xlsx",
        _province_sheet(universities), XLSX,
    )  # fmt: skip
    assert again.status == 400 and again.text.count("该高校已有科协。") == 2, "created twice"
    assert live.failures() == []
