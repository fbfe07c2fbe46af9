"""Every sentence true (SPEC §5.6): generated plans and data, packs composed in memory and read
back; every count, name and percentage a key message prints equals results.json and the pack's
own tables, and no sentence claims "all", "none" or "no change" when that is false."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zlib
from pathlib import Path

import docx
from hypothesis import HealthCheck, given, settings, strategies as hs

from review.compose.context import PackContext
from review.compose.executive import executive_charts, write_executive_pack
from review.compose.sector import sector_charts, write_sector_pack
from review.errors import Location
from review.evaluate import TREND_FLAT, evaluate_history
from review.language.phrases import load_phrases
from review.model.data import DataSet, Origin, PeriodData, ProjectReport, Reported
from review.model.periods import Period
from review.model.plan import Plan
from review.pipeline.results import results_document
from review.recommend.proposals import load_rules, propose

PERIODS = [Period(2024, q) for q in (1, 2, 3, 4)]
ORIGIN = Origin(Path("data.csv"), Location(row=2))
LAGGING, BEHIND = ("off_track", "stalled"), ("delayed", "off_track", "at_risk")
ORDINALS = {2: "الثاني", 3: "الثالث", 4: "الرابع"}


def png() -> bytes:
    """Return a valid 1×1 white PNG (the packs' pictures; the charts are not what is tested here)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\x00\xff\xff\xff")) + chunk(b"IEND", b""))


PNG = png()


@hs.composite
def cases(draw):
    """Draw (plan dict, indicator values, project progress, number of quarters)."""
    quarters = draw(hs.integers(1, 4))
    sectors, values, progress = [], {}, {}
    for s in range(draw(hs.integers(1, 2))):
        indicators = []
        for k in range(draw(hs.integers(1, 5))):
            ident = f"I{s}{k}"
            direction = draw(hs.sampled_from(["up", "down"]))
            targets = {str(p): draw(hs.integers(10, 200)) for p in PERIODS}
            indicators.append({"id": ident, "name": {"ar": f"مؤشر {s}-{k}", "en": f"Indicator {s}-{k}"},
                               "unit": draw(hs.sampled_from(["%", "يوم", "حالة"])), "entity": "E1",
                               "direction": direction, "targets": {2024: targets["2024-Q4"]},
                               "quarterly_targets": targets})
            values[ident] = [draw(hs.one_of(hs.none(), hs.integers(0, 250))) for _ in range(quarters)]
        projects = []
        for k in range(draw(hs.integers(0, 3))):
            ident = f"P{s}{k}"
            end = draw(hs.integers(1, 4))
            projects.append({"id": ident, "name": {"ar": f"مشروع {s}-{k}", "en": f"Project {s}-{k}"},
                             "entity": "E2", "budget": 100, "start": "2024-Q1", "end": f"2024-Q{end}"})
            progress[ident] = [draw(hs.one_of(hs.none(), hs.integers(0, 100))) for _ in range(quarters)]
        sectors.append({"id": f"s{s}", "name": {"ar": f"قطاع {s}", "en": f"Sector {s}"},
                        "objectives": [{"id": f"s{s}.o", "name": {"ar": "هدف", "en": "Objective"},
                                        "indicators": indicators}], "projects": projects})
    plan = {"id": "gen", "title": {"ar": "خطة مولدة", "en": "Generated plan"},
            "organization": {"ar": "المكتب", "en": "Office"}, "calendar": "gregorian",
            "digits": draw(hs.sampled_from(["latin", "arabic"])),
            "entities": [{"id": "E1", "name": {"ar": "الجهة الأولى", "en": "Entity one"}},
                         {"id": "E2", "name": {"ar": "الجهة الثانية", "en": "Entity two"}}],
            "sectors": sectors}
    return plan, values, progress, quarters


def compose(plan_dict: dict, values: dict, progress: dict, quarters: int, lang: str = "ar"):
    """Return (results.json document, {sector id: pack text and tables}, executive text, history)."""
    plan = Plan.model_validate(plan_dict)
    periods = {}
    for q, period in enumerate(PERIODS[:quarters]):
        periods[period] = PeriodData(
            period, Path("."),
            indicators={i: Reported(float(v[q]), "", "", ORIGIN) for i, v in values.items() if v[q] is not None},
            projects={p: ProjectReport(float(v[q]), None, "", ORIGIN) for p, v in progress.items() if v[q] is not None})
    data = DataSet(periods)
    history = evaluate_history(plan, data, PERIODS[quarters - 1])
    phrases = load_phrases(lang=lang)
    ctx = PackContext(plan, data, history, phrases, dt.date(2025, 1, 15))
    ctx.proposals = propose(plan, data, history, [], load_rules(), lang, ctx.digits, phrases)
    packs = {}
    for sector in plan.sectors:
        specs = sector_charts(ctx, sector)
        packs[sector.id] = read(write_sector_pack(ctx, sector, specs, {s.name: PNG for s in specs}), ctx.digits)
    specs = executive_charts(ctx)
    executive = read(write_executive_pack(ctx, specs, {s.name: PNG for s in specs}), ctx.digits)
    return results_document(plan.id, history[-1]), packs, executive, history


def read(document: bytes, digits: str = "latin") -> tuple[str, list[list[list[str]]]]:
    """Return a pack's paragraphs as text (Western digits) and its tables as rows of cell texts.

    With Arabic-Indic digits the pack itself holds no Western digit outside Latin codes (the
    generated plan has none) and no «%»."""
    doc = docx.Document(io.BytesIO(document))
    if digits == "arabic":
        raw = "\n".join([p.text for p in doc.paragraphs]
                        + [c.text for t in doc.tables for row in t.rows for c in row.cells])
        stray = re.findall(r"[^\n]*(?:[0-9]|%)[^\n]*", re.sub(r"[A-Za-z][A-Za-z0-9_./-]*", "", raw))
        assert not stray, stray
    western = str.maketrans("٠١٢٣٤٥٦٧٨٩٫٬٪", "0123456789.,%")
    text = "\n".join(p.text for p in doc.paragraphs).translate(western)
    tables = [[[c.text.translate(western) for c in row.cells] for row in t.rows] for t in doc.tables]
    return text, tables


def parse_count(phrase: str) -> int:
    """Return the number a count phrase stands for: «مؤشر واحد» 1, «مؤشران» 2, «7 مؤشرات» 7."""
    phrase = phrase.strip()
    if phrase == "لا يوجد":
        return 0
    if phrase.split()[-1] in ("واحد", "واحدة"):
        return 1
    if phrase.endswith(("ان", "ين")) and " " not in phrase:
        return 2
    return int(phrase.split()[0].replace(",", ""))


def percent(value: float) -> str:
    return f"{value:,.1f}%"


def steps_of(history, sector_id):
    scores = [r.sector(sector_id).score for r in history]
    return [b - a for a, b in zip(scores, scores[1:]) if a is not None and b is not None]


def check_sector(sector_id: str, results: dict, text: str, tables, history, lang: str) -> None:
    indicators = [i for i in results["indicators"] if i["sector"] == sector_id]
    projects = [p for p in results["projects"] if p["sector"] == sector_id]
    roll = next(s for s in results["sectors"] if s["id"] == sector_id)
    names = {i["id"]: f"مؤشر {i['id'][1]}-{i['id'][2:]}" for i in indicators}
    project_names = {p["id"]: f"مشروع {p['id'][1]}-{p['id'][2:]}" for p in projects}
    lagging = sorted((i for i in indicators if i["status"] in LAGGING), key=lambda i: i["achievement"])
    # The indicator table says the same as results.json: one row per indicator, same statuses.
    table = next(t for t in tables if t[0][1] == "المؤشر" and len(t[0]) == 11)
    phrases = load_phrases(lang="ar")
    statuses = {phrases(f"status.{key}"): key for key in LAGGING}
    assert sum(row[9] in statuses for row in table[1:]) == len(lagging)

    found = re.search(r"المؤشرات المتأخرة أو المتعثرة: (.+?) من أصل (.+?)[؛،] (?:أدناها إنجازاً |هو )«(.+?)» بنسبة (?:إنجاز )?([\d.,]+%)", text)
    if lagging:
        assert found, text
        assert parse_count(found.group(1)) == len(lagging)
        assert parse_count(found.group(2)) == len(indicators)
        assert found.group(3) == names[lagging[0]["id"]]
        assert found.group(4) == percent(lagging[0]["achievement"])
    else:
        assert not found
    if "لا توجد مؤشرات متأخرة أو متعثرة" in text:
        assert not lagging
    if "جميع مشاريع القطاع" in text:
        assert projects and all(p["status"] in ("on_track", "completed") for p in projects)

    behind = [p for p in projects if p["status"] in BEHIND]
    found = re.search(r"المشاريع المتأخرة أو التي تحتاج متابعة: (.+?) من أصل (.+?)[؛،] (?:أبعدها عن الخطة |هو )«(.+?)» .*?بفارق ([\d.,]+) نقطة", text)
    if behind:
        assert found, text
        assert parse_count(found.group(1)) == len(behind)
        assert parse_count(found.group(2)) == len(projects)
        gap = max(p["planned"] - p["actual"] for p in behind)
        furthest = [p for p in behind if p["planned"] - p["actual"] == gap]
        assert found.group(3) in {project_names[p["id"]] for p in furthest}
        assert found.group(4) == f"{gap:,.1f}"
    else:
        assert not found

    # The score's movement: sign and size from results.json, streaks from the whole history.
    steps = steps_of(history, sector_id)
    if "دون تغير يُذكر" in text:
        assert steps and all(abs(s) <= TREND_FLAT for s in steps)
    moved = re.search(r"(بارتفاع|بانخفاض) ([\d.,]+) نقطة مئوية عن الربع السابق(?:، في (تحسّن|تراجع) للربع (\S+) على التوالي)?", text)
    if moved:
        assert roll["trend"] is not None
        assert (moved.group(1) == "بارتفاع") == (roll["trend"] > 0)
        assert moved.group(2) == f"{abs(roll['trend']):,.1f}"
        if moved.group(4):
            sign = 1 if roll["trend"] > 0 else -1
            streak = 0
            for step in reversed(steps):
                if round(step, 1) * sign <= 0:
                    break
                streak += 1
            assert moved.group(4) == ORDINALS.get(streak, str(streak))
    else:
        assert roll["trend"] is None or all(abs(s) <= TREND_FLAT for s in steps) or round(roll["trend"], 1) == 0
    # Counts never print with decimals.
    assert not re.search(r"\d\.0 (مؤشر|مشروع|توصي)", text)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cases())
def test_every_sentence_is_true_to_results_and_tables(case):
    plan, values, progress, quarters = case
    results, packs, executive, history = compose(plan, values, progress, quarters)
    for sector_id, (text, tables) in packs.items():
        check_sector(sector_id, results, text, tables, history, "ar")
    executive_text = executive[0] + "\n" + "\n".join(c for t in executive[1] for row in t for c in row)
    # The chair's pack names every off-track and stalled indicator and every behind project.
    for item in results["indicators"]:
        if item["status"] in LAGGING:
            assert f"مؤشر {item['id'][1]}-{item['id'][2:]}" in executive_text
    for item in results["projects"]:
        if item["status"] in BEHIND:
            assert f"مشروع {item['id'][1]}-{item['id'][2:]}" in executive_text
    lagging = [i for i in results["indicators"] if i["status"] in LAGGING]
    if lagging:
        worst = min(lagging, key=lambda i: i["achievement"])
        assert f"«مؤشر {worst['id'][1]}-{worst['id'][2:]}»" in executive[0]
        assert percent(worst["achievement"]) in executive[0]
    else:
        assert "لا توجد في الخطة مؤشرات متأخرة أو متعثرة" in executive[0]
