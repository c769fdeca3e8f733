"""Each role's main journeys, walked in the browser on a desktop (1366 px) and on a phone
(390 px): what the user sees after every step (the flash, the status word, the row in the
list), on the phone a page that never scrolls sideways under a header of at most 64 px,
axe-core's audit of every step's page (the confirmations included), and a screenshot of
every step.

A journey changes the data (it submits, locks, erases), so each test has a server and a
database of its own: a copy of the demo, seeded once for the module, with the reports that
wait for the federation (tests/browser/journey_data.py). On the phone the sidebar is behind
the menu button, and the journeys go through it as a phone user would.

Screenshots: `$SCREENSHOT_DIR` (default artifacts/screenshots/), one PNG a step, named
`<role>-<journey>-<width>-<nn>-<step>.png`; CI keeps them as artefacts."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.conftest import ROOT, SCREENSHOTS, seed_demo, server_env, serving
from tests.browser.journey_data import RETURN_COMMENT
from tests.browser.test_accessibility import _audit
from tests.browser.test_activity_record import _png
from tests.browser.test_layout import OVERFLOW
from tests.browser.test_profile_page import DEMO_PASSWORD

pytestmark = pytest.mark.browser

VIEWPORTS = {1366: {"width": 1366, "height": 800}, 390: {"width": 390, "height": 844}}
YEAR = date.today().year - 1  # the demo's open reporting period


@pytest.fixture(scope="module")
def journey_database(tmp_path_factory) -> Path:
    """The demo with the reports waiting for the federation, seeded once for the module."""
    database = tmp_path_factory.mktemp("journeys") / "demo.sqlite3"
    env = server_env(database)
    seed_demo(env)
    subprocess.run(
        [sys.executable, "-m", "tests.browser.journey_data"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    return database


@pytest.fixture
def service(journey_database, tmp_path) -> str:
    """A server of this test's own, on its own copy of the database."""
    database = tmp_path / "journey.sqlite3"
    shutil.copyfile(journey_database, database)
    with serving(server_env(database)) as url:
        yield url


@pytest.fixture(params=sorted(VIEWPORTS, reverse=True), ids=lambda width: f"{width}px")
def width(request) -> int:
    return request.param


class Walk:
    """One user's walk through the service at one width: navigation as that user would do
    it, and after each step the check that the page fits and a screenshot."""

    def __init__(self, page: Page, url: str, role: str, journey: str, width: int):
        self.page, self.url, self.width = page, url, width
        self.prefix = f"{role}-{journey}-{width}"
        self.steps = 0

    @property
    def on_phone(self) -> bool:
        return self.width < 700

    def sign_in(self, username: str) -> None:
        self.page.goto(self.url + "/login")
        self.page.get_by_label("用户名").fill(username)
        self.page.get_by_label("密码").fill(DEMO_PASSWORD)
        self.page.get_by_role("button", name="登录", exact=True).click()
        self.page.wait_for_load_state()
        assert "/login" not in self.page.url, f"{username} could not sign in"

    def open(self, label: str) -> None:
        """Follow a link of the sidebar; on a phone, through the menu button first."""
        sidebar = self.page.locator("#sidebar")
        if self.on_phone:
            assert not sidebar.is_visible(), "the sidebar covers the page before the menu opens"
            self.page.get_by_role("button", name="菜单").click()
        expect(sidebar).to_be_visible()
        sidebar.get_by_role("link", name=label, exact=True).click()
        self.page.wait_for_load_state()

    def click(self, role: str, name: str, *, within=None) -> None:
        """Click a link or button of the page's content (not of the sidebar)."""
        target = (within or self.page.locator("main")).get_by_role(role, name=name, exact=True)
        self.reach(target).click()
        self.page.wait_for_load_state()

    def field(self, label: str) -> Locator:
        """The form control of the page's content with this label, where the user finds it."""
        return self.reach(self.page.locator("main").get_by_label(label))

    def reach(self, target: Locator) -> Locator:
        """On a phone, a control the user needs is within the window's width as the page
        opens: not off to the right in a box one would have to scroll sideways to find
        (Playwright would scroll there by itself and hide the problem)."""
        if self.on_phone:
            left, right = target.evaluate(
                "el => { const r = el.getBoundingClientRect(); return [r.left, r.right]; }"
            )
            assert left >= 0 and right <= self.width, f"{target} is at {left:.0f}-{right:.0f}px"
        return target

    def confirm(self) -> None:
        """Press the action's button on its confirmation page."""
        self.reach(self.page.locator(".confirm-form button[type=submit]")).click()
        self.page.wait_for_load_state()

    def main(self) -> str:
        return self.page.locator("main").inner_text()

    def flash(self) -> str:
        return " ".join(self.page.locator("main .flash").all_inner_texts())

    def heading(self) -> str:
        return self.page.get_by_role("heading", level=1).inner_text()

    def row(self, table: str, text: str):
        """The one row of `table` (a selector) that mentions `text`."""
        row = self.page.locator(f"{table} tbody tr").filter(has_text=text)
        expect(row).to_have_count(1)
        return row

    def step(self, name: str) -> None:
        """The page as the user sees it now: it fits a phone under a header of at most
        64 px, axe-core finds nothing serious on it, and it is photographed."""
        self.steps += 1
        if self.on_phone:
            over, widest = self.page.evaluate(OVERFLOW)
            assert over <= 0, f"step {self.steps} ({name}) scrolls sideways by {over}px: {widest}"
            assert self.page.evaluate(
                "document.documentElement.scrollWidth <= window.innerWidth"
            ), name
            header = self.page.locator("header.site-header").bounding_box()
            assert header["height"] <= 64, f"step {self.steps} ({name}): {header['height']}px"
        assert _audit(self.page, f"{self.prefix} step {self.steps} ({name})") == []
        self.photograph(name)

    def photograph(self, name: str) -> None:
        # From the top: the sticky header and sidebar are drawn where the window is scrolled
        # to, which in a full-page picture would put them half-way down.
        self.page.evaluate("window.scrollTo(0, 0)")
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.prefix}-{self.steps:02d}-{name}.png"
        self.page.screenshot(path=str(path), full_page=True)


@pytest.fixture
def walk(browser, service, width, request):
    """Start the test's walk: `walk(role, journey)`, in a browser context of its own."""
    walks: list[Walk] = []
    failed_before = request.session.testsfailed

    def start(role: str, journey: str) -> Walk:
        phone = width < 700
        context = browser.new_context(
            locale="zh-CN", viewport=VIEWPORTS[width], is_mobile=phone, has_touch=phone
        )
        walks.append(Walk(context.new_page(), service, role, journey, width))
        return walks[-1]

    yield start
    # The test's outcome is counted before its fixtures are torn down: a walk that failed
    # leaves a picture of the page it stopped on beside its steps.
    failed = request.session.testsfailed > failed_before
    for w in walks:
        if failed:
            w.steps += 1
            w.photograph("failed")
        w.page.context.close()


# --- the association -----------------------------------------------------------------------


def test_association_records_an_activity_with_evidence(walk, tmp_path):
    w = walk("association", "activity")
    w.sign_in("zju-staff")
    w.open("活动")
    assert w.heading() == "活动"
    w.step("activities")

    w.click("link", "科学普及")
    held = date.today() - timedelta(days=12)
    title = "“走进实验室”科普开放日"
    w.field("活动类型").select_option("science_week")
    w.field("标题").fill(title)
    w.field("开始日期").fill(held.isoformat())
    w.field("结束日期").fill(held.isoformat())
    w.field("地点").fill("紫金港校区")
    w.field("状态").select_option("held")
    w.field("活动场次").fill("2")
    w.field("受众人次").fill("640")
    w.field("公开范围").select_option("public")
    w.step("form")
    w.click("button", "保存")
    assert w.heading() == title
    assert "活动已登记" in w.flash()
    assert "已举办" in w.page.locator(".meta").inner_text() and "640" in w.main()
    w.step("recorded")

    photo = tmp_path / "开放日现场.png"
    photo.write_bytes(_png())
    w.field("佐证文件或照片").set_input_files(str(photo))
    w.click("button", "上传")
    assert "开放日现场.png" in w.page.locator("#evidence").inner_text()
    w.step("evidence")

    w.click("button", "标记为“已上报”")
    assert "已上报的活动即为最终状态" in w.main()
    w.step("confirm")
    w.click("button", "确认标记为已上报")
    assert "已上报" in w.page.locator(".meta").inner_text()
    w.step("reported")

    w.open("活动")
    w.field("活动类型").select_option("science_week")
    w.field("状态").select_option("reported")
    w.click("button", "筛选")
    row = w.row("table", title)
    assert "已上报" in row.inner_text() and "640" in row.inner_text()
    w.step("listed")


# The secretariat's own roster, as kept in Excel: a title row, its own headings, a running
# number and a remarks column that are no member field, and job titles rather than levels.
ROSTER = [
    "浙江大学科协2026年新入会会员名单",
    "序号,姓名,性别,所在院系,专业技术职称,手机号码,备注",
    "1,沈如意,女,化学系,副教授,13911115501,",
    "2,韩知远,男,物理学院,教授,13911115502,青年科学家",
    "3,蒋明澈,男,机械工程学院,讲师,13911115503,",
]


def test_association_imports_members(walk, tmp_path):
    roster = tmp_path / "新入会会员名单.csv"
    roster.write_bytes(("\r\n".join(ROSTER) + "\r\n").encode("gbk"))
    w = walk("association", "import")
    w.sign_in("zju-admin")
    w.open("个人会员")
    assert w.heading() == "个人会员"
    w.step("members")

    w.click("link", "从表格导入")
    w.field("会员文件").set_input_files(str(roster))
    w.step("upload")
    w.click("button", "上传并检查")
    result = w.page.locator("#import-result")
    expect(result).to_contain_text("检查完毕", timeout=30_000)
    assert "序号、备注" in w.page.locator("#import-unmapped").inner_text()
    grid = w.page.locator("#import-grid tbody tr")
    expect(grid).to_have_count(3)
    assert grid.filter(has_text="新会员").count() == 3
    assert "讲师 → 中级" in grid.filter(has_text="蒋明澈").inner_text()
    w.step("review")

    w.click("button", "导入")
    expect(result).to_contain_text("已导入 3 名会员", timeout=30_000)
    w.step("imported")

    w.open("个人会员")
    w.field("搜索").fill("13911115502")
    w.click("button", "筛选")
    row = w.row("table", "韩知远")
    assert "物理学院" in row.inner_text() and "正高级" in row.inner_text()
    w.step("listed")


def test_association_compiles_explains_and_submits_its_report(walk):
    w = walk("association", "report")
    w.sign_in("zju-admin")
    w.open("年度统计")
    period = w.row("#periods", str(YEAR))
    assert "退回修改 · 第 2 版" in period.inner_text()
    w.step("periods")

    w.click("link", "查看", within=period)
    status = w.page.locator("#report-status")
    assert status.inner_text().startswith("退回修改")
    # The federation's comment once, in the summary at the top, and the row points to it.
    assert RETURN_COMMENT in w.page.locator("#review-comments").inner_text()
    assert RETURN_COMMENT not in w.page.locator("#figure-POP01").inner_text()
    expect(
        w.page.locator("#figure-POP01").get_by_role("link", name="查看联合会意见")
    ).to_be_visible()
    w.step("returned")

    w.click("button", "根据记录重新生成")
    expect(status).to_contain_text("已生成", timeout=30_000)
    w.step("compiled")

    line = w.page.locator("#figure-POP01")
    explanation = "年底补录两场科普开放日，次数以活动记录为准。"
    w.reach(line.get_by_role("textbox")).fill(explanation)
    w.click("button", "保存说明", within=line)  # saved in place, the page stays
    expect(line.locator(".save-state")).to_have_text("已保存")
    assert line.get_by_role("textbox").input_value() == explanation
    w.step("explained")

    w.click("button", "报送联合会")
    assert "提交" in w.heading()
    w.step("confirm")
    w.confirm()
    assert "已报送联合会" in w.flash()
    assert status.inner_text().startswith("已提交")
    w.step("submitted")


# --- the federation ------------------------------------------------------------------------


def open_period(w: Walk) -> None:
    """The federation's page of last year's reports, from the sidebar."""
    w.open("年度统计")
    w.click("link", "查看", within=w.row("#periods", str(YEAR)))
    assert w.heading() == f"{YEAR} 年度填报期"


def test_federation_officer_reviews_reports_and_locks_the_rollup(walk):
    w = walk("federation", "review")
    w.sign_in("zj-officer")
    open_period(w)
    submitted = w.row("#association-reports", "杭州职业技术学院")
    assert "已提交" in submitted.inner_text()
    w.step("period")

    w.click("link", "杭州职业技术学院科学技术协会", within=submitted)
    w.field("对 POP01 的意见").fill("科普活动次数与活动记录不一致，请核对。")
    w.step("review")
    w.click("button", "填写意见并退回")
    assert "已连同意见退回" in w.flash()
    assert w.page.locator("#report-status").inner_text().startswith("退回修改")
    w.step("returned")

    open_period(w)
    w.click("link", "宁波大学科学技术协会")
    w.click("button", "审核通过并锁定")
    w.step("confirm-approval")
    w.confirm()
    assert "审核通过并锁定" in w.flash()
    assert w.page.locator("#report-status").inner_text().startswith("已批准")
    w.step("approved")

    open_period(w)
    assert "杭州职业技术学院" in w.page.locator("#missing").inner_text()
    w.click("link", "汇总表")
    w.click("button", "根据已审核报表汇总")
    assert "已根据审核通过的报表完成汇总" in w.flash()
    draft = w.page.locator("section.card").first
    assert "草稿" in draft.inner_text() and "杭州职业技术学院" in draft.inner_text()
    w.reach(draft.locator("td.num").first)  # the figures, not only their names
    w.step("rollup")

    w.click("button", "锁定汇总表", within=draft)
    w.step("confirm-lock")
    w.confirm()
    assert "汇总表已锁定" in w.flash()
    assert "已锁定" in w.page.locator("section.card h2").first.inner_text()
    w.step("locked")


def test_federation_officer_sends_guidance_to_a_category(walk):
    w = walk("federation", "guidance")
    w.sign_in("zj-officer")
    w.open("指导意见")
    assert w.heading() == "指导意见"
    w.step("guidance")

    w.click("link", "发布指导意见")
    title = "关于高职院校科协开展科普志愿服务的通知"
    w.field("标题").fill(title)
    w.field("正文").fill("请各高职院校科协于年底前组织一次进社区科普志愿服务。")
    w.field("发送对象").select_option(label="指定类型的高校科协")
    w.field("分类").select_option(label="高职院校")
    w.step("form")
    w.click("button", "发送")
    assert "指导意见已发送" in w.flash()
    assert w.heading() == title
    body = w.main()
    for college in ("金华职业技术大学", "浙江机电职业技术大学", "杭州职业技术学院"):
        assert college in body
    assert "浙江大学科学技术协会" not in body
    w.step("sent")

    w.open("指导意见")
    row = w.row("table", title)
    assert row.locator("td").nth(2).inner_text() == "3"
    w.step("listed")


# --- the education supervisor --------------------------------------------------------------


def test_education_supervisor_reads_a_report_and_comments(walk):
    w = walk("supervisor", "comment")
    w.sign_in("zj-edu")
    open_period(w)
    assert "已批准" in w.row("#association-reports", "浙江工业大学").inner_text()
    w.step("period")

    w.click("link", "浙江工业大学科学技术协会")
    assert "浙江工业大学科学技术协会" in w.heading()
    assert w.page.locator("#report-status").inner_text().startswith("已批准")
    assert w.page.locator("#figures tbody tr").count() > 10
    w.step("report")

    note = "学术交流活动较多，建议加强科普工作。"
    w.field("您的意见").fill(note)
    w.click("button", "添加意见")
    assert "意见已添加" in w.flash()
    comments = w.page.locator("#supervisor-comments").inner_text()
    assert note in comments and "浙江省教育厅 高处长" in comments
    w.step("commented")


# --- the member ----------------------------------------------------------------------------


def test_member_views_the_record_suggests_and_erases_it(walk):
    w = walk("member", "record")
    w.sign_in("zju-member")
    w.open("我的会员信息")
    body = w.main()
    assert "钱学明" in body and "在册" in body
    w.step("record")

    w.open("我的建议")
    w.click("link", "提建议")
    title = "建议延长实验室开放时间"
    w.field("类型").select_option(index=1)
    w.field("主题").select_option(index=1)
    w.field("标题").fill(title)
    w.field("建议内容").fill("希望周末也能开放公共实验平台，方便青年教师开展实验。")
    w.step("suggestion")
    w.click("button", "提交")
    assert "已收到" in w.heading()
    w.step("received")
    w.click("link", "我的建议")
    mine = w.page.locator("main section.card").filter(has_text=title)
    assert "已收到，待办理" in mine.inner_text()
    w.step("my-suggestions")

    w.open("我的会员信息")
    w.click("button", "删除我的个人信息")
    assert w.heading() == "确认删除您的个人信息？"
    w.field("请输入“删除”以确认").fill("删除")
    w.step("confirm-erasure")
    w.click("button", "确认永久删除我的个人信息")
    assert "/login" in w.page.url
    assert "您的个人信息已删除，账号已注销。" in w.flash()
    w.step("erased")

    w.field("用户名").fill("zju-member")
    w.field("密码").fill(DEMO_PASSWORD)
    w.click("button", "登录")
    assert "/login" in w.page.url and "用户名或密码错误" in w.main()
    w.step("closed")
