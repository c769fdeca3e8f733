"""The association's work and its suggestions, through the running service: what a page
wrote is there on the next page, for the clerk and for the federation (the request's unit of
work committed it), and a refused form keeps nothing."""

from __future__ import annotations

import re
import secrets

from tests.factories import PDF_BYTES
from tests.live.conftest import LiveService

# The list filtered to the days of the activity recorded here (the demo has many others).
THOSE_DAYS = "/activities/?task=academic&subtype=international&from=2025-10-20&to=2025-10-22"


def _recorded_activity(admin, title: str) -> str:
    """Record a held, public academic exchange through its form; the detail page's path."""
    form = admin.get("/activities/new/academic")
    recorded = admin.post(
        "/activities/new/academic",
        {
            "csrf_token": form.csrf(),
            "subtype": "international",
            "title": title,
            "starts_on": "2025-10-20",
            "ends_on": "2025-10-22",
            "place": "紫金港校区",
            "organiser_group_id": "",
            "visibility": "public",
            "status": "held",
            "events": "1",
            "participants": "260",
            "speakers": "30",
            "papers": "48",
            "foreign_participants": "35",
            "countries": "美国、德国",
        },
    )
    assert "活动已登记" in recorded.text, recorded.text[-800:]
    assert re.search(r"/activities/\d+$", recorded.url), recorded.url
    return recorded.url.removeprefix(admin.base)


def test_an_activity_with_its_evidence_is_kept_and_the_federation_sees_it(live: LiveService):
    admin = live.browser("zju-admin")
    title = f"国际学术研讨会 {secrets.token_hex(3)}"
    detail = _recorded_activity(admin, title)

    page = admin.get(detail)
    kept = admin.post(
        detail + "/evidence",
        {"csrf_token": page.csrf()},
        files={"file": ("签到表.pdf", PDF_BYTES, "application/pdf")},
    )
    assert "文件已保存到该活动" in kept.text
    assert "签到表.pdf" in admin.get(detail).text

    officer = live.browser("zj-officer")
    assert title in officer.get(THOSE_DAYS).text

    # A refused form keeps nothing: the same title with the end before the start.
    form = admin.get("/activities/new/academic")
    refused = admin.post(
        "/activities/new/academic",
        {
            "csrf_token": form.csrf(),
            "subtype": "international",
            "title": title + " 重复",
            "starts_on": "2025-10-20",
            "ends_on": "2025-10-01",
            "visibility": "public",
            "status": "planned",
            "events": "1",
        },
    )
    assert refused.status == 400
    assert title + " 重复" not in admin.get(THOSE_DAYS).text
    assert live.failures() == []


def test_an_anonymous_suggestion_is_answered_escalated_and_replied_to(live: LiveService):
    member = live.browser("zju-member")
    title = f"希望延长实验室开放时间 {secrets.token_hex(3)}"
    form = member.get("/suggestions/new")
    received = member.post(
        "/suggestions/new",
        {
            "csrf_token": form.csrf(),
            "kind": "suggestion",
            "theme": "working_conditions",
            "title": title,
            "body": "晚间实验室关闭过早，影响课题进度。",
            "anonymous": "y",
        },
    )
    code = re.search(r'id="receipt-code">([^<]+)<', received.text)
    assert code, received.text[-800:]

    admin = live.browser("zju-admin")
    inbox = admin.get("/suggestions/").text
    found = re.search(rf'href="(/suggestions/\d+)">{re.escape(title)}<', inbox)
    assert found, "the association's inbox does not list the suggestion"
    item = found.group(1)
    page = admin.get(item)
    answered = admin.post(
        item + "/handle",
        {"csrf_token": page.csrf(), "action": "answer", "answer": "已协调延长至晚十点。"},
    )
    assert "事项状态已变为：已答复" in answered.text
    admin.post(item + "/escalate", {"csrf_token": page.csrf(), "note": "涉及全省共性问题"})

    officer = live.browser("zj-officer")
    assert title in officer.get("/suggestions/escalated/").text
    escalated = "/suggestions/escalated/" + item.rsplit("/", 1)[1]
    reply_page = officer.get(escalated)
    officer.post(escalated + "/reply", {"csrf_token": reply_page.csrf(), "reply": "已转省教育厅。"})
    assert "已转省教育厅。" in officer.get(escalated).text

    mine = member.get("/suggestions/mine")
    answer = member.post("/suggestions/receipt", {"csrf_token": mine.csrf(), "code": code.group(1)})
    assert "已协调延长至晚十点。" in answer.text
    assert live.failures() == []
