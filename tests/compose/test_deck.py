"""The workshop deck read back from real builds: its slides, words, numbers, direction and layout."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import docx
import pytest
from lxml import etree
from pptx import Presentation

from review.compose.deck import FIXED_SLIDES, SECTOR_SLIDES
from review.compose.facts import decisions
from review.language.formats import format_percent
from review.language.phrases import load_phrases
from review.model.periods import Period
from review.pipeline.build import BuildOptions, build

from tests.conftest import PLANS, Memory, audit

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
C = "{http://schemas.openxmlformats.org/drawingml/2006/chart}"
AR = load_phrases(lang="ar")


@pytest.fixture(scope="module")
def builds(tmp_path_factory) -> dict[str, Path]:
    """Build both samples once (Arabic); return their revision folders."""
    out = tmp_path_factory.mktemp("deck")
    return {
        "services": build(BuildOptions(PLANS / "services-1444", Period.parse("1444-Q4"), out,
                                       issue_date=dt.date(2023, 8, 1))),
        "diversification": build(BuildOptions(PLANS / "diversification-2024", Period.parse("2025-Q2"), out,
                                              issue_date=dt.date(2025, 7, 20))),
    }


def results_of(folder: Path) -> dict:
    return json.loads((folder / "results.json").read_text(encoding="utf-8"))


def slide_title(slide) -> str:
    """Return a slide's title: the text of its first shape (the organisation on the title slide)."""
    first = slide.shapes[0]
    return first.text_frame.text if first.has_text_frame else ""


def titles(folder: Path) -> list[str]:
    return [slide_title(s) for s in Presentation(str(folder / "deck.pptx")).slides]


def sector_names(folder: Path) -> list[str]:
    import yaml
    plan = yaml.safe_load((folder / "snapshot" / "plan.yaml").read_text(encoding="utf-8"))
    return [s["name"]["ar"] for s in plan["sectors"]]


def sector_ids(folder: Path) -> list[str]:
    import yaml
    plan = yaml.safe_load((folder / "snapshot" / "plan.yaml").read_text(encoding="utf-8"))
    return [s["id"] for s in plan["sectors"]]


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_deck_is_in_the_revision_and_its_manifest(builds, key):
    folder = builds[key]
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    listed = {entry["path"] for entry in manifest["outputs"]}
    assert "deck.pptx" in listed and manifest["options"]["deck"] is True


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_deck_passes_the_strict_audit(builds, key):
    assert audit(builds[key] / "deck.pptx") == ""


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_slides_are_the_fixed_ones_and_two_per_sector(builds, key):
    folder = builds[key]
    found = titles(folder)
    names = sector_names(folder)
    continued = [t for t in found if t.endswith("(تابع)")]
    assert len(found) == FIXED_SLIDES + SECTOR_SLIDES * len(names) + len(continued)
    assert found[1:3] == [AR("deck.agenda"), AR("deck.glance")]
    sectors = found[3:3 + 2 * len(names)]
    assert sectors == [title for name in names
                       for title in (AR("deck.sector", sector=name), AR("deck.sector_attention", sector=name))]
    rest = found[3 + 2 * len(names):]
    decisions, follow_up = AR("decisions.title"), AR("pack.follow_up")
    assert rest[0] == decisions and follow_up in rest
    split = rest.index(follow_up)
    assert all(t == AR("deck.continued", title=decisions) for t in rest[1:split])
    assert all(t == AR("deck.continued", title=follow_up) for t in rest[split + 1:])


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_every_slide_has_speaker_notes(builds, key):
    for number, slide in enumerate(Presentation(str(builds[key] / "deck.pptx")).slides, start=1):
        assert slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip(), number


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_every_paragraph_is_right_to_left(builds, key):
    with zipfile.ZipFile(builds[key] / "deck.pptx") as package:
        names = [n for n in package.namelist() if re.fullmatch(r"ppt/(slides/slide|notesSlides/notesSlide)\d+\.xml", n)]
        assert names
        for name in names:
            root = etree.fromstring(package.read(name))
            for paragraph in root.iter(f"{A}p"):
                properties = paragraph.find(f"{A}pPr")
                assert properties is not None and properties.get("rtl") == "1", name
                for run in paragraph.iter(f"{A}rPr"):
                    assert run.find(f"{A}cs") is not None, name
            for table in root.iter(f"{A}tbl"):
                # Mirrored in the order of its columns (Impress ignores tblPr@rtl): none is marked
                # right to left, which PowerPoint would mirror back.
                assert table.find(f"{A}tblPr").get("rtl") is None, name


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_the_tables_first_column_is_at_the_right(builds, key):
    """The indicator and project lists end each row with the item's name: the rightmost column."""
    names = {load_phrases(lang="ar")("column.indicator"), load_phrases(lang="ar")("column.project")}
    seen = 0
    with zipfile.ZipFile(builds[key] / "deck.pptx") as package:
        for name in package.namelist():
            if re.fullmatch(r"ppt/slides/slide\d+\.xml", name):
                for table in etree.fromstring(package.read(name)).iter(f"{A}tbl"):
                    header = ["".join(cell.itertext()) for cell in next(table.iter(f"{A}tr")).iter(f"{A}tc")]
                    if names & set(header):
                        assert header[-1] in names, (name, header)
                        seen += 1
    assert seen


@pytest.mark.parametrize("key", ["services", "diversification"])
def test_nothing_leaves_its_slide(builds, key):
    presentation = Presentation(str(builds[key] / "deck.pptx"))
    width, height = presentation.slide_width, presentation.slide_height
    assert width * 9 == height * 16
    for number, slide in enumerate(presentation.slides, start=1):
        for shape in slide.shapes:
            bottom = shape.top + (sum(row.height for row in shape.table.rows) if shape.has_table else shape.height)
            assert 0 <= shape.left and shape.left + shape.width <= width, (number, shape.name)
            assert 0 <= shape.top and bottom <= height, (number, shape.name)


def test_sector_scores_chart_is_native_with_the_results_in_its_workbook(builds):
    from openpyxl import load_workbook
    folder = builds["services"]
    results = results_of(folder)
    slide = Presentation(str(folder / "deck.pptx")).slides[2]
    charts = [shape.chart for shape in slide.shapes if shape.has_chart]
    bars = next(c for c in charts if c.chart_type is not None and "BAR" in c.chart_type.name)
    assert list(bars.plots[0].categories) == sector_names(folder)
    book = load_workbook(io.BytesIO(bars.part.chart_workbook.xlsx_part.blob)).active
    scores = [row[1].value for row in book.iter_rows(min_row=2)]
    assert scores == pytest.approx([s["score"] for s in results["sectors"]])
    colours = [point.format.fill.fore_color.rgb for point in bars.plots[0].series[0].points][:len(scores)]
    from review.model.status import colour
    assert [str(c) for c in colours] == [colour(s["status"]) for s in results["sectors"]]
    # Right to left: categories from the top, bars from the right.
    plot_area = bars._chartSpace.find(f".//{C}plotArea")
    assert plot_area.find(f"{C}catAx/{C}scaling/{C}orientation").get("val") == "maxMin"
    assert plot_area.find(f"{C}valAx/{C}scaling/{C}orientation").get("val") == "maxMin"
    trend = next(c for c in charts if "LINE" in c.chart_type.name)
    assert trend._chartSpace.find(f".//{C}catAx/{C}scaling/{C}orientation").get("val") == "maxMin"


def slide_texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        elif shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


def test_plan_digits_on_the_slides_and_in_the_chart_formats(builds):
    folder = builds["diversification"]
    results = results_of(folder)
    presentation = Presentation(str(folder / "deck.pptx"))
    glance = slide_texts(presentation.slides[2])
    assert format_percent(results["plan_score"], 1, "ar", "arabic") in glance
    assert not re.search("[0-9]", glance)  # no Western digit where the plan asks for Arabic-Indic ones
    codes = {m for shape in presentation.slides[2].shapes if shape.has_chart
             for m in re.findall(r'formatCode="([^"]*)"', etree.tostring(shape.chart._chartSpace).decode())}
    assert codes and all(code.startswith("[$-2000401]") for code in codes)
    services = Presentation(str(builds["services"] / "deck.pptx"))
    assert format_percent(results_of(builds["services"])["plan_score"], 1, "ar", "latin") in slide_texts(services.slides[2])


def test_title_slide_has_the_quarter_in_both_calendars_and_the_issue_date(builds):
    text = slide_texts(Presentation(str(builds["services"] / "deck.pptx")).slides[0])
    assert "الربع الرابع من العام 1444هـ" in text  # Hijri
    assert "من 21 أبريل 2023 إلى 18 يوليو 2023" in text  # its Gregorian dates
    assert "تاريخ الإصدار: 1 أغسطس 2023" in text
    assert AR("pack.workshop") in text


def key_messages_of_pack(document) -> list[str]:
    """Return the bullets under a pack's «الرسائل الرئيسية» heading."""
    paragraphs = document.paragraphs
    start = next(n for n, p in enumerate(paragraphs)
                 if p.style.name.startswith("Heading") and p.text == AR("pack.key_messages"))
    found = []
    for paragraph in paragraphs[start + 1:]:
        if paragraph.style.name.startswith("Heading"):
            break
        if paragraph.text:
            found.append(paragraph.text)
    return found


def table_of_pack(document, headers: list[str]) -> list[list[str]]:
    """Return the rows (cell texts) of the pack's tables whose header row is ``headers``."""
    rows = []
    for table in document.tables:
        if [c.text for c in table.rows[0].cells] == headers:
            rows += [[c.text for c in r.cells] for r in table.rows[1:]]
    return rows


def decisions_of_pack(document) -> list[list[str]]:
    """Return the executive pack's decisions sheet: number, decision, sector, owner, due, evidence, covers."""
    return table_of_pack(document, [AR("pack.number"), AR("decisions.decision"), AR("column.sector"), AR("pack.owner"),
                                    AR("decisions.due"), AR("pack.evidence"), AR("decisions.covers")])


def slide_tables(slide) -> list[list[list[str]]]:
    """Return each table of a slide as rows of cell texts in reading order (a right-to-left deck
    writes its columns as they are seen: the first at the right, last in the row), header row first."""
    return [[[c.text for c in r.cells][::-1] for r in shape.table.rows] for shape in slide.shapes if shape.has_table]


def notes_of(slide) -> list[str]:
    return slide.notes_slide.notes_text_frame.text.split("\n")


def test_sector_slides_say_what_the_packs_say(builds):
    folder = builds["services"]
    presentation = Presentation(str(folder / "deck.pptx"))
    health = docx.Document(str(folder / "health.docx"))
    executive = docx.Document(str(folder / "executive.docx"))
    overview, attention = presentation.slides[3], presentation.slides[4]
    # The pack's key messages (up to five), word for word and in order, in the notes and on the slide.
    messages = key_messages_of_pack(health)
    assert 4 <= len(messages) <= 5 and notes_of(overview) == messages
    assert all(message in slide_texts(overview) for message in messages)
    # The off-track and stalled indicators of the chair's list, in its order, with the cause it prints.
    name = sector_names(folder)[0]
    assert slide_title(overview) == AR("deck.sector", sector=name)
    chair = [row for row in table_of_pack(executive, [
        AR("column.sector"), AR("column.indicator"), AR("column.entity"), AR("column.unit"), AR("column.target"),
        AR("column.actual"), AR("column.achievement"), AR("column.status"), AR("column.trend"), AR("facts.reported")])
        if row[0] == name]
    tables = slide_tables(attention)
    lagging = tables[0][1:]
    assert chair and [(r[0], r[1], r[2], r[3]) for r in lagging] == [(r[1], r[2], r[6], r[7]) for r in chair]
    for row, listed in zip(lagging, chair):
        reported = listed[9].split("\n")
        cause = AR("facts.cause", text=row[4])
        assert cause in reported or row[4] == reported[0] == AR("facts.no_reasons")
        # The notes carry everything the chair's list reports about it.
        notes = notes_of(attention)
        assert all(line in notes for line in reported)
    # The projects behind plan as the chair's list orders them (furthest behind first).
    behind = [row for row in table_of_pack(executive, [
        AR("column.sector"), AR("column.project"), AR("column.entity"), AR("column.planned"), AR("column.progress"),
        AR("facts.gap"), AR("column.status"), AR("column.budget_execution"), AR("facts.reported")]) if row[0] == name]
    assert behind and [r[0] for r in tables[1][1:]] == [r[1] for r in behind]
    assert [r[4] for r in tables[1][1:]] == [r[5] for r in behind]
    # The sector's proposals with the decisions sheet's plan-wide numbers and words.
    sheet = [row for row in decisions_of_pack(executive) if row[2] == name]
    text = slide_texts(attention)
    assert sheet and all(f"{number}. {words}" in text for number, words, *_ in sheet[:3])
    # Each note is a sentence or a cell the packs print.
    pack_text = "\n".join([p.text for p in health.paragraphs] + [p.text for p in executive.paragraphs]
                          + [c.text for t in executive.tables for r in t.rows for c in r.cells])
    for line in notes_of(attention):
        label, _, value = line.partition(": ")
        number, _, words = line.partition(". ")
        assert (line in pack_text or (value and label in pack_text and value in pack_text)
                or (number.isdigit() and words in pack_text)), line


def test_decisions_carry_the_packs_numbers_and_words(builds):
    for folder in builds.values():
        presentation = Presentation(str(folder / "deck.pptx"))
        decided, notes = [], []
        for slide in presentation.slides:
            if slide_title(slide).startswith(AR("decisions.title")):
                table = slide_tables(slide)[0]
                assert table[0] == [AR("pack.number"), AR("decisions.decision"), AR("column.sector"),
                                    AR("pack.owner"), AR("decisions.due")]
                decided += table[1:]
                notes += notes_of(slide)
        sheet = decisions_of_pack(docx.Document(str(folder / "executive.docx")))
        assert decided and decided == [row[:5] for row in sheet]
        # What does not fit on the slide is in its notes: the evidence and the items covered.
        for row in sheet:
            assert all(AR("pack.count_line", label=AR("pack.evidence"), count=e) in notes for e in row[5].split("\n"))
            if row[6] != "—":
                assert AR("pack.count_line", label=AR("decisions.covers"), count="، ".join(row[6].split("\n"))) in notes
        # The sector slides number their proposals as the sheet does.
        suffix = AR("deck.sector_attention", sector="\0").split("\0")[1]
        attention = [s for s in presentation.slides if slide_title(s).endswith(suffix)]
        assert len(attention) == len(sector_names(folder))
        numbered = {line.split(". ", 1)[0] for s in attention for line in notes_of(s) if re.match(r"^[0-9٠-٩]+\. ", line)}
        assert numbered == {row[0] for row in sheet}
        words = {row[0]: row[1] for row in sheet}
        shown = [line.split(". ", 1) for s in attention for line in slide_texts(s).split("\n")
                 if re.match(r"^[0-9٠-٩]+\. ", line)]
        assert shown and all(words[number] == text for number, text in shown)


def test_deck_renders_in_impress(builds, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed: the render test needs `soffice` on PATH (libreoffice-impress-nogui)")
    path = builds["diversification"] / "deck.pptx"
    result = subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/profile", "--headless",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(path)],
                            capture_output=True, text=True, timeout=300)
    pdf = tmp_path / "deck.pdf"
    assert pdf.is_file(), result.stderr
    pages = len(re.findall(rb"/Type\s*/Page[^s]", pdf.read_bytes()))
    assert pages == len(Presentation(str(path)).slides)


def test_no_deck_skips_it_and_says_so_in_the_manifest(make_plan, tmp_path):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nW1,50\n"}})
    with_deck = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "a", issue_date=dt.date(2024, 5, 1)))
    without = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "b", issue_date=dt.date(2024, 5, 1),
                                 deck=False))
    assert (with_deck / "deck.pptx").is_file() and not (without / "deck.pptx").exists()
    manifest = json.loads((without / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["deck"] is False
    assert "deck.pptx" not in {entry["path"] for entry in manifest["outputs"]}
    # A full build after a --no-deck one is not "up to date": the deck is part of what it makes.
    again = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "b", issue_date=dt.date(2024, 5, 1)))
    assert again != without and (again / "deck.pptx").is_file()


def test_english_deck_reads_left_to_right(make_plan, tmp_path):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nW1,50\n"}})
    built = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "o", lang="en", issue_date=dt.date(2024, 5, 1)))
    with zipfile.ZipFile(built / "deck.pptx") as package:
        slide = etree.fromstring(package.read("ppt/slides/slide2.xml"))
    assert {p.get("rtl") for p in slide.iter(f"{A}pPr")} == {"0"}
    assert titles(built)[1] == load_phrases(lang="en")("deck.agenda")
    assert audit(built / "deck.pptx") == ""


@pytest.mark.parametrize("heights, room, expected", [
    ([3, 3, 3], 10, [[0, 1, 2]]),
    ([4, 4, 4], 10, [[0, 1], [2]]),
    ([12, 1], 10, [[0], [1]]),  # a row taller than a page gets one of its own
    ([], 10, [[]]),
])
def test_split_pages(heights, room, expected):
    from review.compose.deck import split_pages
    assert split_pages(heights, room) == expected


def test_a_sector_with_nothing_behind_says_so_in_its_notes(builds):
    folder = builds["diversification"]
    presentation = Presentation(str(folder / "deck.pptx"))
    overview, attention = presentation.slides[3], presentation.slides[4]
    assert slide_title(attention) == AR("deck.sector_attention", sector=sector_names(folder)[0])
    pack = docx.Document(str(folder / f"{sector_ids(folder)[0]}.docx"))
    pack_text = "\n".join(p.text for p in pack.paragraphs)
    messages = key_messages_of_pack(pack)
    notes = notes_of(attention)
    # The sector's own key messages on indicators and projects (nothing off track or stalled, every
    # project fine), and the pack's line for no proposals: on the slide and in its notes.
    assert notes == [messages[1], messages[2], AR("pack.no_proposals")]
    assert notes_of(overview)[1:3] == notes[:2]  # the same sentences as on the sector's first slide
    assert AR("pack.no_proposals") in pack_text
    assert all(line in slide_texts(attention) for line in notes)
    assert not slide_tables(attention)


def test_two_builds_give_the_same_deck_bytes(make_plan, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1714521600")
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nW1,50\n"}})
    first = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "a", issue_date=dt.date(2024, 5, 1)))
    second = build(BuildOptions(folder, Period.parse("2024-Q1"), tmp_path / "b", issue_date=dt.date(2024, 5, 1)))
    assert (first / "deck.pptx").read_bytes() == (second / "deck.pptx").read_bytes()


def test_sector_packs_number_their_proposals_as_the_decisions_sheet(builds):
    # One number per decision across the plan: a chair can say "recommendation 7" and every
    # sector pack, the executive pack and the deck mean the same one.
    for folder in builds.values():
        sheet = decisions_of_pack(docx.Document(str(folder / "executive.docx")))
        by_sector: dict[str, list[list[str]]] = {}
        for row in sheet:
            by_sector.setdefault(row[2], []).append([row[0], row[1], row[5]])
        names = dict(zip(sector_ids(folder), sector_names(folder)))
        seen = 0
        for sector_id, name in names.items():
            pack = docx.Document(str(folder / f"{sector_id}.docx"))
            rows = table_of_pack(pack, [AR("pack.number"), AR("pack.recommendation"), AR("pack.evidence")])
            assert rows == by_sector.get(name, []), (folder.name, sector_id)
            seen += len(rows)
        assert seen and seen == sum(len(r) for r in by_sector.values() if r) - len(by_sector.get(AR("decisions.plan_wide"), []))


# -- each sector's slides remembered by what they show; python-pptx kept linear (issue 20) --------

def deck_context(plan_dir: Path, period: str):
    from review.compose.context import PackContext
    from review.evaluate import evaluate_history
    from review.pipeline.build import load
    from review.recommend.proposals import load_rules, propose
    from review.recommend.register import build_register
    loaded, until = load(plan_dir), Period.parse(period)
    ctx = PackContext(loaded.plan, loaded.data, evaluate_history(loaded.plan, loaded.data, until), AR,
                      dt.date(2025, 7, 20), register=build_register(loaded.data.periods, until))
    ctx.proposals = propose(ctx.plan, ctx.data, ctx.history, ctx.register, load_rules(), ctx.lang, ctx.digits, AR)
    return ctx


def test_sector_slides_from_the_memory_are_the_slides_made_afresh(monkeypatch):
    from review.archive.canonical import digest
    from review.compose.deck import write_deck
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    plan_dir = PLANS / "diversification-2024"
    fresh = write_deck(deck_context(plan_dir, "2025-Q2"))
    remember = Memory(lambda key: key[0])
    computed = remember.computed

    decks = []
    for _ in range(2):  # computed and remembered, then every sector's slides from the memory
        ctx = deck_context(plan_dir, "2025-Q2")
        ctx.remember, ctx.digest = remember, digest
        decks.append(write_deck(ctx))
    assert decks == [fresh, fresh]
    # Computed once each, in the first deck: every sector's slides, the decisions' rows by sector,
    # the compressed parts in runs.
    ctx = deck_context(plan_dir, "2025-Q2")
    runs = -(-len(zipfile.ZipFile(io.BytesIO(fresh)).namelist()) // 48)
    assert computed == (["deck-sector"] * len(ctx.plan.sectors)
                        + ["deck-rows"] * len({d.sector_id for d in decisions(ctx)}) + ["zip-entries"] * runs)
    assert Presentation(io.BytesIO(decks[1])).slides[FIXED_SLIDES].shapes  # the slides hold their shapes


def test_part_names_found_without_walking_the_package_are_python_pptxs(monkeypatch):
    from review.compose.deck import write_deck
    from review.office import pptx as writer
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    ctx = deck_context(PLANS / "diversification-2024", "2025-Q2")
    linear = write_deck(ctx)
    monkeypatch.setattr(writer, "_linear_growth", lambda presentation: None)
    assert write_deck(ctx) == linear
    names = zipfile.ZipFile(io.BytesIO(linear)).namelist()
    assert "ppt/charts/chart2.xml" in names and "ppt/embeddings/Microsoft_Excel_Sheet2.xlsx" in names


def test_one_figure_changed_the_deck_from_the_memory_is_the_deck_made_afresh(tmp_path, monkeypatch):
    """One value of one sector changes: the deck made with the earlier build's memory is byte for
    byte the deck made without any (``remember=None``); only that sector's slides are made again,
    the other sectors' slides and decision rows come from the memory."""
    from review.archive.canonical import digest
    from review.compose.deck import write_deck
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    plan_dir = tmp_path / "plan"
    shutil.copytree(PLANS / "diversification-2024", plan_dir)
    remember = Memory()
    computed = remember.computed

    def deck(memory_on: bool) -> bytes:
        ctx = deck_context(plan_dir, "2025-Q2")
        if memory_on:
            ctx.remember, ctx.digest = remember, digest
        return write_deck(ctx)

    assert deck(True) == deck(False)
    before, keys_before = len(computed), sector_digests(deck_context(plan_dir, "2025-Q2"))
    data = plan_dir / "data/2025-Q2/indicators-MEM.csv"
    data.write_text(data.read_text(encoding="utf-8").replace("N02,١٢٫٩,", "N02,١٢٫٨,"), encoding="utf-8")
    keys_after = sector_digests(deck_context(plan_dir, "2025-Q2"))
    changed = {keys_after[s] for s in keys_after if keys_after[s] != keys_before[s]}
    assert 1 <= len(changed) < len(keys_after)
    fresh = deck(False)
    assert deck(True) == fresh
    made = computed[before:]
    assert {key[2] for key in made if key[0] == "deck-sector"} == changed  # the others from the memory
    assert {key[0] for key in made} <= {"deck-sector", "deck-rows", "zip-entries"}
    assert len([key for key in made if key[0] == "deck-rows"]) <= len(changed)


def sector_digests(ctx) -> dict[str, str]:
    from review.archive.canonical import digest
    from review.compose.sections import sector_key
    return {sector.id: digest(sector_key(ctx, sector)) for sector in ctx.plan.sectors}
