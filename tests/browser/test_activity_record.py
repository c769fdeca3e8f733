"""A secretariat clerk records a Science Week event with its figures and a photo, and finds
it on the association's calendar."""

import struct
import zlib

import pytest

from tests.browser.conftest import screenshot
from tests.browser.test_profile_page import _sign_in

pytestmark = pytest.mark.browser


def _png() -> bytes:
    """A small real PNG (a blue square), as a phone would upload."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    raw = b"".join(b"\x00" + b"\x0b\x5c\xad" * 16 for _ in range(16))
    header = struct.pack(">IIBBBBB", 16, 16, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_a_clerk_records_a_science_week_event(page, live_server, tmp_path):
    _sign_in(page, live_server, "zju-staff")
    page.get_by_role("navigation", name="主导航").get_by_role(
        "link", name="活动", exact=True
    ).click()
    page.wait_for_load_state()
    page.get_by_role("link", name="科学普及").click()
    page.wait_for_load_state()
    assert "受众人次" in page.content() and "境外参会人数" not in page.content()

    page.get_by_label("活动类型").select_option("science_week")
    page.get_by_label("标题").fill("2026 科技活动周 · 走进实验室")
    page.get_by_label("开始日期").fill("2026-05-18")
    page.get_by_label("结束日期").fill("2026-05-20")
    page.get_by_label("地点").fill("紫金港校区")
    page.get_by_label("状态").select_option("held")
    page.get_by_label("活动场次").fill("3")
    page.get_by_label("受众人次").fill("-20")
    page.get_by_label("报告人数").fill("4")
    page.get_by_label("协办高校（每行一个）").fill("杭州师范大学")
    page.get_by_label("公开范围").select_option("public")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    # A negative audience is refused beside its field; the rest of the form is kept.
    assert "请填写 0 或正整数" in page.locator("form.activity-form").inner_text()
    page.get_by_label("受众人次").fill("1800")
    page.get_by_label("志愿者人数").fill("24")
    page.get_by_label("志愿服务时长（小时）").fill("192")
    page.get_by_label("开放场馆数").fill("3")
    page.get_by_label("场馆接待人次").fill("950")
    page.get_by_role("button", name="保存").click()
    page.wait_for_load_state()
    assert page.get_by_role("heading", level=1).inner_text() == "2026 科技活动周 · 走进实验室"
    assert "活动已登记" in page.content()

    photo = tmp_path / "开幕式.png"
    photo.write_bytes(_png())
    page.get_by_label("佐证文件或照片").set_input_files(str(photo))
    page.get_by_role("button", name="上传").click()
    page.wait_for_load_state()
    evidence = page.locator("#evidence").inner_text()
    assert "开幕式.png" in evidence
    page.get_by_role("button", name="标记为“已上报”").click()
    page.wait_for_load_state()
    # 已上报 is final: the confirmation says so, and "返回" would leave it as it was.
    assert "已上报的活动即为最终状态" in page.locator("main").inner_text()
    page.get_by_role("button", name="确认标记为已上报").click()
    page.wait_for_load_state()
    assert "已上报" in page.locator(".meta").inner_text()
    body = page.locator("main").inner_text()
    assert "1800" in body and "杭州师范大学" in body
    path = screenshot(page, "activity-recorded")
    assert path.stat().st_size > 10_000

    page.goto(live_server + "/activities/calendar?month=2026-05")
    assert "2026 科技活动周 · 走进实验室" in page.locator("table.calendar").inner_text()
    screenshot(page, "activity-calendar")
