"""The dashboards in a real browser: the Debian ``chromium`` driven by Playwright for Python,
each page opened from disk (file://) as a reader would, by double-click.

Skipped, with the reason, only where Chromium or Playwright is missing (``.ci/run`` installs
Chromium with apt-get).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections import Counter
from pathlib import Path

import pytest

from review.compose.dashboard import raw
from review.language.formats import format_number, format_percent
from review.model.periods import Period
from review.pipeline.build import BuildOptions, build

from tests.conftest import PLANS

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed "
                                                             "(pip install -e '.[test]')")
CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium") or "") if p and Path(p).is_file()), None)
if CHROMIUM is None:
    pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run does it)", allow_module_level=True)

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STATUSES = ("on_track", "at_risk", "off_track", "stalled", "no_data")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("browser")
    for plan, period, day in (("services-1444", "1444-Q3", dt.date(2023, 5, 1)),
                              ("services-1444", "1444-Q4", dt.date(2023, 8, 1)),
                              ("diversification-2024", "2025-Q2", dt.date(2025, 7, 20))):
        build(BuildOptions(PLANS / plan, Period.parse(period), root, issue_date=day))
    return root


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


class Page:
    """A page opened from disk that records console errors, page errors and every request that
    would leave the file (each is refused)."""

    def __init__(self, browser, path: Path, fragment: str = "", **context):
        self.context = browser.new_context(**{"viewport": {"width": 1366, "height": 768}, **context})
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = self.context.new_page()
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.context.route("**/*", self._route)
        self.page.goto(path.resolve().as_uri() + (f"#{fragment}" if fragment else ""))

    def _route(self, route) -> None:
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            self.requests.append(url)
            route.abort()

    def close(self) -> None:
        self.context.close()
        assert self.errors == [] and self.requests == []


@pytest.fixture
def opened(browser):
    pages: list[Page] = []

    def open_page(path: Path, fragment: str = "", **context) -> sync_api.Page:
        pages.append(Page(browser, path, fragment, **context))
        return pages[-1].page

    yield open_page
    for page in pages:
        page.close()  # asserts: no console error, no request leaving the file


def revision(out: Path, plan: str, period: str) -> Path:
    return out / plan / period / "r1"


def results(out: Path, plan: str, period: str) -> dict:
    return json.loads((revision(out, plan, period) / "results.json").read_text(encoding="utf-8"))


def visible_rows(page, table_id: str) -> list[dict]:
    return page.eval_on_selector_all(
        f"#{table_id} > tbody > tr.row",
        "rows => rows.filter(r => !r.hidden && r.offsetParent !== null).map(r => ({id: r.dataset.id, "
        "status: r.dataset.status, entity: r.dataset.entity, name: r.querySelector('th').innerText.trim()}))")


@pytest.mark.parametrize("plan, period, digits", [("services-1444", "1444-Q4", "latin"),
                                                  ("diversification-2024", "2025-Q2", "arabic")])
def test_overview_numbers_equal_results_json_right_to_left(out, opened, plan, period, digits):
    page = opened(revision(out, plan, period) / "dashboard.html")
    document = results(out, plan, period)
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    assert page.evaluate("getComputedStyle(document.querySelector('#t-sectors td')).direction") == "rtl"
    assert page.is_visible("#overview") and not page.is_visible(f"#s-{document['sectors'][0]['id']}")
    assert page.inner_text("#plan-score") == format_percent(document["plan_score"], 1, "ar", digits)
    counts = Counter(i["status"] for i in document["indicators"])
    for key in STATUSES:
        shown = page.inner_text(f"#overview .counts >> nth=0 >> [data-count-status={key}]")
        assert shown.split()[-1] == format_number(counts[key], 0, "ar", digits)
    for sector in document["sectors"]:
        cell = page.locator(f"#t-sectors tr[data-sector='{sector['id']}'] td.score")
        assert cell.get_attribute("data-v") == raw(sector["score"])
        assert cell.inner_text().strip() == format_percent(sector["score"], 1, "ar", digits)


def test_each_sector_view_shows_every_indicator_and_its_score(out, opened):
    document = results(out, "services-1444", "1444-Q4")
    page = opened(revision(out, "services-1444", "1444-Q4") / "dashboard.html")
    for sector in document["sectors"]:
        page.click(f"nav.views a[href='#s-{sector['id']}']")
        assert page.is_visible(f"#s-{sector['id']}") and not page.is_visible("#overview")
        assert page.locator(f"#s-{sector['id']} .card .big").first.get_attribute("data-v") == raw(sector["score"])
        ids = [r["id"] for r in visible_rows(page, f"t-{sector['id']}")]
        assert ids == [i["id"] for i in document["indicators"] if i["sector"] == sector["id"]]


def test_filtering_by_status_and_entity_and_searching_by_name(out, opened):
    document = results(out, "services-1444", "1444-Q4")
    page = opened(revision(out, "services-1444", "1444-Q4") / "dashboard.html", "s-health")
    table = "t-health"
    everything = visible_rows(page, table)
    health = [i for i in document["indicators"] if i["sector"] == "health"]
    assert len(everything) == len(health)
    controls = "#s-health .controls"
    for status in sorted({i["status"] for i in health}):
        page.select_option(f"{controls} select[data-filter=status]", status)
        rows = visible_rows(page, table)
        assert [r["id"] for r in rows] == [i["id"] for i in health if i["status"] == status]
        assert page.inner_text(f"{controls} output") == f"المعروض {len(rows)} من {len(health)}"
    page.select_option(f"{controls} select[data-filter=status]", "")
    entity = health[-1]["entity"]
    page.select_option(f"{controls} select[data-filter=entity]", entity)
    assert [r["id"] for r in visible_rows(page, table)] == [i["id"] for i in health if i["entity"] == entity]
    page.select_option(f"{controls} select[data-filter=entity]", "")
    name = everything[1]["name"]
    word = max(name.split(), key=len)
    page.fill(f"{controls} input[type=search]", word)
    rows = visible_rows(page, table)
    assert everything[1]["id"] in [r["id"] for r in rows]
    assert [r["id"] for r in rows] == [r["id"] for r in everything if word in r["name"]]
    page.fill(f"{controls} input[type=search]", "لا يوجد مؤشر بهذا الاسم")
    assert visible_rows(page, table) == [] and page.is_visible("#s-health p.none")
    page.fill(f"{controls} input[type=search]", "")
    assert len(visible_rows(page, table)) == len(health)


def test_sorting_a_column_both_ways(out, opened):
    document = results(out, "services-1444", "1444-Q4")
    page = opened(revision(out, "services-1444", "1444-Q4") / "dashboard.html", "s-electricity")
    achievements = {i["id"]: i["achievement"] for i in document["indicators"] if i["sector"] == "electricity"}
    header = page.locator("#t-electricity thead th", has_text="نسبة الإنجاز")
    header.locator("button").click()
    ascending = [r["id"] for r in visible_rows(page, "t-electricity")]
    known = sorted((i for i in achievements if achievements[i] is not None), key=achievements.__getitem__)
    assert ascending == known + [i for i in achievements if achievements[i] is None]
    assert header.get_attribute("aria-sort") == "ascending"
    header.locator("button").click()
    assert [r["id"] for r in visible_rows(page, "t-electricity")][:len(known)] == known[::-1]
    assert header.get_attribute("aria-sort") == "descending"


def test_an_indicator_opens_its_series_history_and_challenges(out, opened):
    document = results(out, "services-1444", "1444-Q4")
    page = opened(revision(out, "services-1444", "1444-Q4") / "dashboard.html", "s-electricity")
    first = next(i for i in document["indicators"] if i["sector"] == "electricity")
    button = page.locator(f"#t-electricity tr[data-id='{first['id']}'] button.more")
    assert button.get_attribute("aria-expanded") == "false"
    button.click()
    detail = page.locator(f"#d-{first['id']}")
    assert button.get_attribute("aria-expanded") == "true" and detail.is_visible()
    svg = detail.locator("svg.chart")
    periods = json.loads(page.inner_text("#series-data"))["periods"]
    texts = svg.locator("text").all_text_contents()
    assert all(label in texts for label in periods)  # the quarters as SVG text, not pictures
    assert svg.locator("path").count() == 2
    history = detail.locator("table.history tbody tr")
    assert history.count() == len(periods)
    assert history.last.locator(f".st-{first['status']}").count() == 1
    assert detail.locator(".ch h4").count() == 1
    button.click()
    assert not detail.is_visible()


def test_print_layout_has_no_horizontal_overflow(out, opened):
    page = opened(revision(out, "services-1444", "1444-Q4") / "dashboard.html", "s-electricity",
                  viewport={"width": 718, "height": 1047})  # A4 less 12 mm margins, at 96 px per inch
    page.emulate_media(media="print")
    for fragment in ("overview", "s-electricity", "s-health", "register", "completeness"):
        page.evaluate(f"location.hash = '#{fragment}'")
        page.wait_for_function(f"document.getElementById('{fragment}').classList.contains('active')")
        if fragment.startswith("s-"):
            page.locator(f"#{fragment} button.more").first.evaluate("b => b.click()")
        assert not page.is_visible("nav.views") and not page.locator(f"#{fragment} .controls").is_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, fragment


def test_keyboard_reaches_the_controls(out, opened):
    page = opened(revision(out, "services-1444", "1444-Q4") / "dashboard.html", "s-health")
    reached = set()
    for _ in range(60):
        page.keyboard.press("Tab")
        reached.add(page.evaluate(
            "(() => { const e = document.activeElement; return e.tagName + '.' + (e.className || "
            "e.getAttribute('data-filter') || e.getAttribute('type') || ''); })()"))
    assert {"A.skip", "A.", "BUTTON.print", "INPUT.q", "SELECT.status", "SELECT.entity", "BUTTON.sort",
            "BUTTON.more"} <= reached
    page.focus("nav.views a[href='#register']")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('register').classList.contains('active')")
    assert page.evaluate("document.activeElement.id") == "h-register"


def test_the_plan_page_across_the_quarters(out, opened):
    page = opened(out / "services-1444" / "dashboard.html")
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    rows = page.locator("#t-periods tbody tr")
    assert [rows.nth(i).get_attribute("data-period") for i in range(rows.count())] == ["1444-Q3", "1444-Q4"]
    for index, period in enumerate(("1444-Q3", "1444-Q4")):
        score = results(out, "services-1444", period)["plan_score"]
        assert rows.nth(index).locator("td[data-v]").inner_text() == format_percent(score, 1, "ar", "latin")
    page.click("nav.views a[href='#s-water']")
    assert page.is_visible("#t-water") and len(visible_rows(page, "t-water")) == \
        sum(1 for i in results(out, "services-1444", "1444-Q4")["indicators"] if i["sector"] == "water")
