"""The annexes both kinds of pack carry: the sources annex as a table by entity."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import docx

from review.model.periods import Period
from review.pipeline.build import BuildOptions, build

from tests.conftest import Memory

Q2 = Period(2024, 2)


def _receipts(*lines: str) -> str:
    return "received_at,entity_id,file,sha256,rows,result,reason\n" + "".join(line + "\n" for line in lines)


def sources_rows(path: Path) -> list[list[str]]:
    """Return the rows (header first) of the pack's sources table: the one headed «الملفات المرسلة»."""
    tables = [t for t in docx.Document(str(path)).tables if "الملفات المرسلة" in [c.text for c in t.rows[0].cells]]
    assert len(tables) == 1, path.name
    return [[cell.text for cell in row.cells] for row in tables[0].rows]


def test_sources_annex_is_a_table_by_entity_without_paths(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {
        "indicators-MOH.csv": "indicator_id,value\nH1,75\nH2,70\n",
        "indicators-MOW.csv": "indicator_id,value\nW1,10\n",
        # MOH's file came through 'review receive' (logged); MOW's was placed by hand.
        "receipts.csv": _receipts("2024-07-18T06:30:00Z,MOH,indicators-MOH.csv,y,2,accepted,")}})
    folder = build(BuildOptions(plan_dir, Q2, tmp_path / "out", issue_date=dt.date(2024, 8, 1)))
    executive = sources_rows(folder / "executive.docx")
    assert executive[0] == ["الجهة", "الملفات المرسلة", "تاريخ الاستلام", "الصفوف المقروءة"]
    assert executive[1:] == [["وزارة الصحة", "indicators-MOH.csv", "18 يوليو 2024", "2"],
                             ["وزارة المياه", "indicators-MOW.csv", "وقت الاستلام غير معروف", "1"]]
    # A sector pack lists the entities that report its items, and only the files that gave them.
    assert sources_rows(folder / "health.docx")[1:] == [["وزارة الصحة", "indicators-MOH.csv", "18 يوليو 2024", "2"]]
    assert sources_rows(folder / "water.docx")[1:] == [["وزارة المياه", "indicators-MOW.csv",
                                                        "وقت الاستلام غير معروف", "1"]]
    # No folder of the machine that built it, in any cell of the annex.
    text = " ".join(cell for row in executive for cell in row)
    assert "/" not in text and "\\" not in text and str(tmp_path) not in text


def test_sources_annex_lists_an_entity_that_sent_nothing_and_shared_files(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {
        "indicators-MOH.csv": "indicator_id,value\nH1,75\n",
        "challenges.csv": "sector_id,description,entity_id\nhealth,نقص الكوادر,MOH\nhealth,تأخر التوريد,MOH\n"}})
    folder = build(BuildOptions(plan_dir, Q2, tmp_path / "out", issue_date=dt.date(2024, 8, 1)))
    rows = sources_rows(folder / "executive.docx")[1:]
    # MOH: one value and two challenges (3 rows) from two files, in the order read; MOW sent nothing.
    assert rows == [["وزارة الصحة", "challenges.csv\nindicators-MOH.csv", "وقت الاستلام غير معروف", "3"],
                    ["وزارة المياه", "—", "لم يصل", "0"]]


def test_captions_say_what_the_chart_shows_not_its_title(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {"indicators-MOH.csv": "indicator_id,value\nH1,75\nH2,70\n"}})
    folder = build(BuildOptions(plan_dir, Q2, tmp_path / "out", issue_date=dt.date(2024, 8, 1)))
    for name in ("health.docx", "executive.docx"):
        document = docx.Document(str(folder / name))
        captions = [p.text for p in document.paragraphs if p.text.startswith("شكل ")]
        titles = [shape.get("descr", "") for shape in document.element.body.iter()
                  if shape.tag.endswith("}docPr")]
        assert captions and len(captions) == len(titles), name
        for caption, alt in zip(captions, titles):
            title = alt.removeprefix("رسم بياني: ").split(". ")[0]
            assert title and title not in caption, (caption, title)
            assert "الربع الثاني 2024" in caption, caption  # the quarter spelled out
    health = [p.text for p in docx.Document(str(folder / "health.docx")).paragraphs if p.text.startswith("شكل ")]
    assert health[0] == "شكل 1: عدد مؤشرات القطاع في كل حالة من حالات الأداء في الربع الثاني 2024، من أصل مؤشرين."
    assert health[1].endswith("مع حدَّي الحالة: 95% لـ«على المسار» و75% لـ«يحتاج متابعة».")
    # One quarter of data: the trend chart says so rather than "from … to" the same quarter.
    assert health[2] == "شكل 3: الأداء العام للقطاع في الربع الثاني 2024؛ يظهر اتجاهه حين تتوفر بيانات أرباع أخرى."


def test_methodology_wording_is_idiomatic_and_keeps_every_number():
    import re

    from review.language.phrases import load_phrases
    entries = load_phrases(lang="ar").entries
    methodology = {key: entry for key, entry in entries.items() if key.startswith("methodology.")}
    assert len(methodology) == 9
    figures = re.compile(r"\{\w+\}|\d+")
    for key, entry in methodology.items():
        assert "المستوية" not in entry["ar"] and "طريقة التقدم" not in entry["ar"], key
        # The English text was not reworded: the Arabic keeps exactly its figures and thresholds.
        assert sorted(figures.findall(entry["ar"])) == sorted(figures.findall(entry["en"])), key


# -- the sources of every pack, indexed once per build (issue 20) ---------------------------------

def _sources_by_scanning(ctx, sector):
    """The sources annex as defined: every row of the period scanned for each pack."""
    from review.evaluate import UNKNOWN_TIME
    from review.compose.sections import EntitySources
    data, plan = ctx.data.get(ctx.period), ctx.plan
    owner = {i.id: i.entity for _, _, i in plan.indicators()} | {p.id: p.entity for s in plan.sectors for p in s.projects}
    sector_of = {i.id: s.id for s, _, i in plan.indicators()} | {p.id: s.id for s in plan.sectors for p in s.projects}
    rows = ([(owner.get(k, ""), r.origin.file, sector is None or sector_of.get(k) == sector.id) for k, r in data.indicators.items()]
            + [(owner.get(k, ""), r.origin.file, sector is None or sector_of.get(k) == sector.id) for k, r in data.projects.items()]
            + [(c.entity_id, c.origin.file, sector is None or c.sector_id == sector.id) for c in data.challenges]
            + [("", r.origin.file, sector is None) for r in data.recommendations])
    order = {path: n for n, path in enumerate(data.files)}
    involved = None if sector is None else {i.entity for _, i in sector.indicators()} | {p.entity for p in sector.projects}
    table = []
    for entity in ctx.result.entities:
        if involved is not None and entity.id not in involved:
            continue
        files = sorted({path for who, path, wanted in rows if who == entity.id and wanted},
                       key=lambda path: (order.get(path, len(order)), str(path)))
        table.append(EntitySources(entity.id, tuple(Path(p).name for p in files), entity.received_at, entity.timeliness,
                                   sum(1 for who, path, _ in rows if who == entity.id and path in files)))
    if sector is None:
        claimed = {path for who, path, _ in rows if who in plan.entity_by_id}
        others = [path for path in data.files if path not in claimed]
        if others:
            table.append(EntitySources("", tuple(Path(p).name for p in others), None, UNKNOWN_TIME,
                                       sum(1 for _, path, _ in rows if path in others)))
    wanted = {i.id for _, i in sector.indicators()} if sector else set(plan.indicator_index)
    return table, sorted({r.source for ident, r in data.indicators.items() if ident in wanted and r.source})


def test_the_indexed_sources_are_those_of_a_scan_of_every_row():
    from tests.compose.test_dashboard import DIVERSIFICATION, SERVICES, context_of
    from review.compose.sections import pack_sources
    for plan_dir, period in ((SERVICES, "1444-Q4"), (DIVERSIFICATION, "2025-Q2")):
        ctx = context_of(plan_dir, period)
        sources = [pack_sources(ctx, sector) for sector in [None, *ctx.plan.sectors]]
        assert sources == [_sources_by_scanning(ctx, sector) for sector in [None, *ctx.plan.sectors]]
        assert any(table for table, _ in sources[1:]) and any(len(table) > 1 for table, _ in sources)


# -- the executive pack's entity tables kept by their cells (issue 20) ----------------------------

def test_kept_rows_are_made_once_for_the_same_cells_and_again_for_others():
    from types import SimpleNamespace
    from review.compose.sections import kept_rows
    from review.office.word.writer import Cell, PackWriter
    remember = Memory()
    computed = remember.computed

    ctx = SimpleNamespace(remember=remember)
    arabic = PackWriter(lang="ar")
    rows = [["وزارة الصحة", Cell("٨٥٫٠٪", fill="00B050", bold=True, align="center")], ["وزارة المياه", "—"]]
    first = kept_rows(arabic, ctx, rows, 9)
    assert first == kept_rows(arabic, ctx, [list(row) for row in rows], 9) == [arabic.row(row) for row in rows]
    assert len(computed) == 1 and all(9 in row.measures for row in first)  # measured once, kept measured
    kept_rows(arabic, ctx, [rows[0], ["وزارة المياه", "٥٠٫٠٪"]], 9)  # one cell changed
    kept_rows(PackWriter(lang="en"), ctx, rows, 9)  # another language
    kept_rows(arabic, ctx, rows, 8.5)  # another size
    assert len(computed) == 4
    assert kept_rows(arabic, SimpleNamespace(remember=None), rows, 9) is rows  # no cache: as they are


# -- each sector's share of the plan-wide lists, grouped once (issue 20) -------------------------

def test_a_sectors_challenges_and_results_are_those_a_scan_of_every_row_finds():
    from types import SimpleNamespace
    from review.compose.facts import by_sector
    from review.compose.sections import _challenges_of

    def challenge(n, sector=None, indicator=None, project=None):
        return SimpleNamespace(n=n, sector_id=sector, indicator_id=indicator, project_id=project)
    challenges = [challenge(0, "health", "H1"), challenge(1, "water", "W1"), challenge(2, None, "H2"),
                  challenge(3, "water", None, "P-health"), challenge(4, "health"), challenge(5, "water", "H1"),
                  challenge(6)]
    data = SimpleNamespace(challenges=challenges)
    ctx = SimpleNamespace(facts_memo={}, period="2024-Q2", data=SimpleNamespace(get=lambda period: data),
                          history=[], proposals=[], register=[], decision_numbers={}, plan=None, phrases=None)
    health = {"H1", "H2", "P-health"}
    # Its own, and the other sectors' that name its indicators or projects; in order, each once.
    assert [c.n for c in _challenges_of(ctx, "health", health)] == [0, 2, 3, 4, 5]
    assert [c.n for c in _challenges_of(ctx, "water", {"W1"})] == [1, 3, 5]
    assert _challenges_of(ctx, "energy", set()) == []
    for sector, items in (("health", health), ("water", {"W1"})):
        assert _challenges_of(ctx, sector, items) == [
            c for c in challenges if c.sector_id == sector or c.indicator_id in items or c.project_id in items]

    results = [SimpleNamespace(id=i, sector=s) for i, s in (("H1", "health"), ("W1", "water"), ("H2", "health"))]
    grouped = by_sector(ctx, "indicators", results)
    assert {s: [r.id for r in rows] for s, rows in grouped.items()} == {"health": ["H1", "H2"], "water": ["W1"]}
    assert by_sector(ctx, "indicators", []) is grouped  # grouped once per context, by name
