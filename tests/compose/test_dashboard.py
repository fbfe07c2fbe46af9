"""The data dashboards read back as HTML: self-contained, right to left, escaped, every number
equal to results.json, the same bytes from the same inputs; the page across the quarters; and
``--no-dashboard``."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import lxml.html
import pytest

from review.archive import revisions as archive
from review.cli.main import main
from review.compose.context import PackContext
from review.compose.dashboard import dashboard_page, raw, render_dashboard
from review.evaluate import evaluate_history
from review.language.formats import format_percent
from review.language.phrases import load_phrases
from review.model.periods import Period
from review.pipeline.build import BuildOptions, build, load, render_snapshot
from review.recommend.register import build_register

from tests.conftest import PLANS

SERVICES, DIVERSIFICATION = PLANS / "services-1444", PLANS / "diversification-2024"


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    """Build services 1444-Q3 and 1444-Q4 and diversification 2025-Q2 into one output folder."""
    root = tmp_path_factory.mktemp("dashboards")
    for plan, period, day in ((SERVICES, "1444-Q3", dt.date(2023, 5, 1)), (SERVICES, "1444-Q4", dt.date(2023, 8, 1)),
                              (DIVERSIFICATION, "2025-Q2", dt.date(2025, 7, 20))):
        build(BuildOptions(plan, Period.parse(period), root, issue_date=day))
    return root


def revision(out: Path, plan: str, period: str) -> Path:
    return out / plan / period / "r1"


def page_of(path: Path):
    return lxml.html.fromstring(path.read_bytes())


def results(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("plan, period", [("services-1444", "1444-Q4"), ("diversification-2024", "2025-Q2")])
def test_the_page_is_self_contained_and_right_to_left(out, plan, period):
    path = revision(out, plan, period) / "dashboard.html"
    html = page_of(path)
    assert html.get("lang") == "ar" and html.get("dir") == "rtl"
    assert "default-src 'none'" in html.xpath("//meta[@http-equiv='Content-Security-Policy']/@content")[0]
    assert not html.xpath("//link|//iframe|//object|//embed|//script[@src]|//img[not(starts-with(@src, 'data:'))]")
    references = [v for v in html.xpath("//@href|//@src|//@action") if not v.startswith("#")]
    assert references == []
    text = path.read_text(encoding="utf-8")
    assert "http://" not in text.replace("http://www.w3.org/2000/svg", "")  # the SVG namespace is a name
    assert "https://" not in text and "@import" not in text and "url(" not in text
    manifest = archive.read_manifest(revision(out, plan, period))
    assert "dashboard.html" in {e["path"] for e in manifest["outputs"]}
    assert manifest["options"]["dashboard"] is True


@pytest.mark.parametrize("plan, period, digits", [("services-1444", "1444-Q4", "latin"),
                                                  ("diversification-2024", "2025-Q2", "arabic")])
def test_every_number_equals_results_json(out, plan, period, digits):
    folder = revision(out, plan, period)
    document, html = results(folder), page_of(folder / "dashboard.html")
    percent = lambda v: format_percent(v, 1, "ar", digits)  # noqa: E731 — the packs' percentages
    score = html.get_element_by_id("plan-score")
    assert score.get("data-v") == raw(document["plan_score"]) and score.text_content() == percent(document["plan_score"])
    overview = html.get_element_by_id("overview")
    counts = Counter(i["status"] for i in document["indicators"])
    shown = {p.get("data-count-status"): int(p.get("data-count"))
             for p in overview.xpath(".//div[@class='counts'][1]/p")}
    assert shown == {k: counts[k] for k in ("on_track", "at_risk", "off_track", "stalled", "no_data")}
    rows = overview.xpath(".//table[@id='t-sectors']/tbody/tr")
    assert [r.get("data-sector") for r in rows] == [s["id"] for s in document["sectors"]]
    for row, sector in zip(rows, document["sectors"]):
        cell = row.xpath("./td[contains(@class, 'score')]")[0]
        assert float(cell.get("data-v")) == sector["score"]
        assert cell.text_content().strip() == percent(sector["score"])
        assert row.get("data-status") == sector["status"]
    for indicator in document["indicators"]:
        row = html.xpath(f"//tr[@class='row'][@data-id='{indicator['id']}']")[0]
        assert row.get("data-status") == indicator["status"]
        values = [td.get("data-v") for td in row.xpath("./td[contains(@class, 'n')]")]
        # target, actual, variance, achievement, trend: each unrounded, or absent for null
        assert values[0] == (raw(indicator["target"]) or None) and values[1] == (raw(indicator["actual"]) or None)
        assert values[3] == (raw(indicator["achievement"]) or None) and values[4] == (raw(indicator["trend"]) or None)
        assert row.xpath("./td/span[contains(@class, 'st ')]")[0].get("class") == f"st st-{indicator['status']}"
    for project in document["projects"]:
        row = html.xpath(f"//tr[@class='row'][@data-id='{project['id']}']")[0]
        assert row.get("data-status") == project["status"]
        assert [td.get("data-v") for td in row.xpath("./td[contains(@class, 'n')]")] == \
            [raw(project[k]) or None for k in ("planned", "actual", "achievement", "budget_execution")]
    entities = html.xpath("//table[@id='t-completeness']/tbody/tr")
    assert [(r.get("data-id"), r.xpath("./td[4]")[0].get("data-v")) for r in entities] == \
        [(e["id"], raw(e["completeness"]) or None) for e in document["entities"]]


def test_arabic_indic_digits_when_the_plan_says_so(out):
    html = page_of(revision(out, "diversification-2024", "2025-Q2") / "dashboard.html")
    shown = [td.text_content() for td in html.xpath("//td[contains(@class, 'n')]")]
    assert shown and not any(ch.isascii() and ch.isdigit() for text in shown for ch in text)
    series = json.loads(html.get_element_by_id("series-data").text)
    assert all("٪" in h[2] or h[2] == "—" for s in series["series"].values() for h in s["h"])


def test_status_label_always_beside_its_colour(out):
    html = page_of(revision(out, "services-1444", "1444-Q4") / "dashboard.html")
    chips = html.xpath("//span[starts-with(@class, 'st ')]")
    assert chips and all(chip.text_content().strip() for chip in chips)


def test_each_sector_has_its_view_with_filters_and_sortable_columns(out):
    folder = revision(out, "services-1444", "1444-Q4")
    html, document = page_of(folder / "dashboard.html"), results(folder)
    for sector in document["sectors"]:
        view = html.get_element_by_id(f"s-{sector['id']}")
        assert view.xpath(f".//div[@data-table='t-{sector['id']}']//input[@type='search']")
        assert {o.get("value") for o in view.xpath(".//select[@data-filter='status']/option")} == \
            {"", "on_track", "at_risk", "off_track", "stalled", "no_data"}
        table = view.xpath(f".//table[@id='t-{sector['id']}']")[0]
        assert table.xpath("./caption") and table.xpath(".//th[@scope='col']/button[@class='sort']")
        ids = [r.get("data-id") for r in table.xpath("./tbody/tr[@class='row']")]
        assert ids == [i["id"] for i in document["indicators"] if i["sector"] == sector["id"]]
        # every indicator row opens its own detail row
        for row in table.xpath("./tbody/tr[@class='row']"):
            target = row.xpath(".//button[@class='more']")[0].get("aria-controls")
            assert html.get_element_by_id(target).get("hidden") is not None


def test_series_of_an_indicator_hold_every_quarter(out):
    folder = revision(out, "services-1444", "1444-Q4")
    series = json.loads(page_of(folder / "dashboard.html").get_element_by_id("series-data").text)
    periods = sorted(p.name for p in (SERVICES / "data").iterdir() if p.is_dir() and p.name <= "1444-Q4")
    assert len(series["periods"]) == len(periods) == len(series["frame"]["x"])
    last = {i["id"]: i for i in results(folder)["indicators"]}
    for ident, entry in series["series"].items():
        assert len(entry["h"]) == len(periods)
        assert entry["h"][-1][3] == last[ident]["status"]  # the status history ends with this quarter's


def test_register_shows_overdue_recommendations(out):
    html = page_of(revision(out, "services-1444", "1444-Q4") / "dashboard.html")
    rows = html.xpath("//table[@id='t-register']/tbody/tr")
    overdue = [r for r in rows if r.get("data-overdue")]
    line = html.xpath("//p[@class='overdue-line']")[0]
    assert int(line.get("data-overdue")) == len(overdue) > 0
    assert all(r.xpath(".//span[@class='st st-off_track']") for r in overdue)


def test_the_same_inputs_give_the_same_bytes(out, tmp_path):
    again = build(BuildOptions(SERVICES, Period.parse("1444-Q4"), tmp_path, issue_date=dt.date(2023, 8, 1)))
    first = revision(out, "services-1444", "1444-Q4")
    assert (again / "dashboard.html").read_bytes() == (first / "dashboard.html").read_bytes()


def test_a_revision_renders_its_dashboard_again_from_its_snapshot(out):
    folder = revision(out, "services-1444", "1444-Q4")
    manifest = archive.read_manifest(folder)
    rendered = render_snapshot(folder, manifest, manifest["draft_mark"])
    assert rendered["dashboard.html"] == (folder / "dashboard.html").read_bytes()


def test_sizes_stay_small(out):
    for path in out.glob("*/*/r1/dashboard.html"):
        assert path.stat().st_size < 400_000, path  # the budget is 2 MB at national scale (BENCHMARKS.md)


def context_of(plan_dir: Path, period: str) -> PackContext:
    loaded = load(plan_dir)
    until = Period.parse(period)
    return PackContext(loaded.plan, loaded.data, evaluate_history(loaded.plan, loaded.data, until),
                       load_phrases(lang="ar"), dt.date(2024, 1, 1),
                       register=build_register(loaded.data.periods, until))


def test_hostile_text_is_escaped_everywhere(make_plan):
    from tests.conftest import base_plan
    plan = base_plan()
    nasty = '</script><script>alert("x")</script><img src=x onerror=alert(1)> & "quoted"'
    plan["sectors"][0]["name"]["ar"] = nasty
    plan["sectors"][0]["objectives"][0]["indicators"][0]["name"]["ar"] = nasty
    plan["entities"][0]["name"]["ar"] = nasty
    challenges = f'sector_id,description,cause,remedy\nhealth,"{nasty.replace(chr(34), chr(34) * 2)}",سبب,"{nasty.replace(chr(34), chr(34) * 2)}"\n'
    folder = make_plan(plan, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nH2,80\n",
                                          "challenges.csv": challenges}})
    ctx = context_of(folder, "2024-Q1")
    from review.pipeline.results import results_document
    text = render_dashboard(ctx, json.loads(json.dumps(results_document("mini", ctx.result)))).decode("utf-8")
    assert "<script>alert" not in text and "<img src=x" not in text and "</script><script>" not in text
    assert text.count("<script") == 2  # the data island and the page's own script, nothing else
    html = lxml.html.fromstring(text)
    assert nasty in html.get_element_by_id("s-health").xpath(".//h2")[0].text_content()
    assert nasty in html.xpath("//tr[@data-id='H1']//button")[0].text_content()


def test_timeliness_is_shown_when_results_carry_it(make_plan):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    ctx = context_of(folder, "2024-Q1")
    from review.pipeline.results import results_document
    document = json.loads(json.dumps(results_document("mini", ctx.result)))
    assert not dashboard_page(ctx, document)["completeness"]["timely"]
    document["entities"][0].update(received="2024-04-09", days_late=3)
    html = lxml.html.fromstring(render_dashboard(ctx, document))
    row = html.xpath("//table[@id='t-completeness']/tbody/tr")[0]
    assert [td.text_content() for td in row.xpath("./td")][-2:] == ["2024-04-09", "3"]
    assert row.xpath("./td")[-1].get("data-v") == "3.0"


def test_the_plan_page_shows_every_period_from_the_archive(out):
    page = out / "services-1444" / "dashboard.html"
    html = page_of(page)
    assert html.get("dir") == "rtl"
    rows = html.xpath("//table[@id='t-periods']/tbody/tr")
    assert [r.get("data-period") for r in rows] == ["1444-Q3", "1444-Q4"]
    for row in rows:
        document = results(revision(out, "services-1444", row.get("data-period")))
        assert row.xpath("./td[@data-v]")[0].get("data-v") == raw(document["plan_score"])
        counts = Counter(i["status"] for i in document["indicators"])
        assert {s.get("data-count-status"): int(s.get("data-count")) for s in row.xpath(".//span[@data-count]")} \
            == {k: v for k, v in counts.items() if v}
    sectors = html.xpath("//table[@id='t-sectors']/tbody/tr")
    q4 = results(revision(out, "services-1444", "1444-Q4"))
    assert [r.xpath("./td")[-1].get("data-v") for r in sectors] == [raw(s["score"]) for s in q4["sectors"]]
    assert (out / "diversification-2024" / "dashboard.html").is_file()


def test_the_plan_page_takes_each_periods_latest_revision_and_keeps_the_archive_verifiable(tmp_path):
    for day in (dt.date(2023, 5, 1), dt.date(2023, 5, 2)):  # two revisions of one period
        build(BuildOptions(SERVICES, Period.parse("1444-Q3"), tmp_path, issue_date=day))
    html = page_of(tmp_path / "services-1444" / "dashboard.html")
    assert [r.xpath("./td")[0].text_content() for r in html.xpath("//table[@id='t-periods']/tbody/tr")] == ["r2"]
    assert main(["archive", "verify", "--out", str(tmp_path), "-q"]) == 0


def test_the_plan_page_made_beside_the_revision_is_the_page_made_from_the_archive_after_it(tmp_path):
    # The build makes the page while its workers render (this revision's results in hand, the
    # other periods' from the archive) and writes it once the revision is written.
    from review.pipeline.dashboards import write_plan_dashboard
    from review.intake.plan import load_plan
    build(BuildOptions(SERVICES, Period.parse("1444-Q4"), tmp_path, issue_date=dt.date(2023, 8, 1)))
    for day in (dt.date(2023, 5, 1), dt.date(2023, 5, 2)):  # an earlier period, twice: its r2 is shown
        build(BuildOptions(SERVICES, Period.parse("1444-Q3"), tmp_path, issue_date=day))
    page = tmp_path / "services-1444" / "dashboard.html"
    written = page.read_bytes()
    page.unlink()
    assert write_plan_dashboard(tmp_path, load_plan(SERVICES)) == page
    assert page.read_bytes() == written
    periods = page_of(page).xpath("//table[@id='t-periods']/tbody/tr")
    assert [(r.get("data-period"), r.xpath("./td")[0].text_content()) for r in periods] == [("1444-Q3", "r2"), ("1444-Q4", "r1")]


def test_no_dashboard_writes_none(tmp_path):
    code = main(["build", str(SERVICES), "--period", "1444-Q4", "--out", str(tmp_path), "--no-dashboard", "-q"])
    assert code == 0
    folder = revision(tmp_path, "services-1444", "1444-Q4")
    assert not (folder / "dashboard.html").exists() and not (tmp_path / "services-1444" / "dashboard.html").exists()
    manifest = archive.read_manifest(folder)
    assert manifest["options"]["dashboard"] is False
    assert "dashboard.html" not in {e["path"] for e in manifest["outputs"]}
    # a build with the dashboard is not "up to date" with one without
    assert main(["build", str(SERVICES), "--period", "1444-Q4", "--out", str(tmp_path), "-q"]) == 0
    assert (revision(tmp_path, "services-1444", "1444-Q4").parent / "r2" / "dashboard.html").is_file()


def test_help_names_the_option(capsys):
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "--no-dashboard" in capsys.readouterr().out


# -- each sector's section remembered by what it shows (issue 20) ---------------------------------

def test_sections_come_from_the_memory_only_while_what_they_show_is_unchanged(make_plan):
    from review.pipeline.results import results_document
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nH2,80\nW1,120\n"}})
    ctx = context_of(folder, "2024-Q1")
    document = json.loads(json.dumps(results_document("mini", ctx.result)))
    fresh = render_dashboard(ctx, document)
    memory: dict = {}
    computed = []

    def remember(key, compute):
        if key not in [k for k, _ in memory.values()]:
            computed.append(key[0])
            memory[len(memory)] = (key, compute())
        return next(value for k, value in memory.values() if k == key)

    ctx.remember = remember
    assert render_dashboard(ctx, document) == fresh  # computed and remembered
    assert render_dashboard(ctx, document) == fresh  # every section from the memory
    assert computed == ["dashboard-sector"] * len(ctx.plan.sectors)

    # One figure of the health sector changes: only its section is computed again.
    (folder / "data/2024-Q1/indicators.csv").write_text("indicator_id,value\nH1,71\nH2,80\nW1,120\n", encoding="utf-8")
    changed = context_of(folder, "2024-Q1")
    changed.remember = remember
    changed_document = json.loads(json.dumps(results_document("mini", changed.result)))
    remembered = render_dashboard(changed, changed_document)
    assert len(computed) == len(ctx.plan.sectors) + 1
    changed.remember = None
    assert remembered == render_dashboard(changed, changed_document) != fresh
