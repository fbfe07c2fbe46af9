"""The packs of tests/fixtures/declines read back against hand-computed facts: lower-is-better
indicators, a sector falling 97 → 94 → 92 → 91, several stalled indicators in one sector, causes
reported for some items only, replies, Arabic-Indic digits everywhere."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import pytest
from docx.oxml.ns import qn

from review.model.periods import Period
from review.pipeline.build import BuildOptions, build

from tests.conftest import ROOT, audit

FIXTURE = ROOT / "tests" / "fixtures" / "declines"


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("declines")
    return build(BuildOptions(FIXTURE, Period.parse("2024-Q4"), out, issue_date=dt.date(2025, 1, 15)))


def text_of(path: Path) -> tuple[str, list]:
    document = docx.Document(str(path))
    cells = [[[c.text for c in row.cells] for row in t.rows] for t in document.tables]
    return "\n".join(p.text for p in document.paragraphs), cells


def test_a_fall_of_three_quarters_is_not_no_change(folder):
    text, _ = text_of(folder / "water.docx")
    # 97 → 94 → 92 → 91: the last step (−1.0) is inside the dead band, the run is not.
    assert "بانخفاض ١٫٠ نقطة مئوية عن الربع السابق، في تراجع للربع الثالث على التوالي" in text
    assert "دون تغير يُذكر" not in text
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert next(s for s in results["sectors"] if s["id"] == "water")["score"] == pytest.approx(91.0)


def test_sector_messages_count_and_name_the_worst(folder):
    text, _ = text_of(folder / "health.docx")
    # H1 150 vs 100 (66.7), H2 38 vs 25 (65.8), H3 15 vs 10 (66.7), H5 4 vs 15 (26.7): four lagging.
    assert ("المؤشرات المتأخرة أو المتعثرة: ٤ مؤشرات من أصل ٥ مؤشرات؛ أدناها إنجازاً «عدد المراكز الصحية المؤهلة» "
            "بنسبة ٢٦٫٧٪ (٤ مركز مقابل مستهدف ١٥ مركز)") in text
    # Laboratory: 25 % done of 50 % planned (gap 25) is further behind than the hospital (80 of 100, gap 20).
    assert "مشروعان من أصل مشروعين؛ أبعدها عن الخطة «مختبر الصحة العامة»" in text
    assert "بفارق ٢٥٫٠ نقطة مئوية" in text
    assert "مؤشرات بلغت مستهدفها أو تجاوزته: مؤشر واحد من أصل ٥ مؤشرات." in text  # immunisation 92 vs 90
    assert "R2024-2-01: تسريع توريد أجهزة المختبر" in text  # implemented; the Latin code kept


def test_replies_are_shown_beside_the_challenges(folder):
    _, tables = text_of(folder / "health.docx")
    challenges = next(t for t in tables if t[0][0] == "التحدي")
    assert challenges[0][4] == "الرد التوضيحي"
    # The third row holds only a reply (no description, no item).
    assert challenges[3][0] == "—" and challenges[3][4] == "بخصوص توصية خطة خفض وفيات الأمهات: أُعدّت الخطة وتنتظر الاعتماد"
    assert challenges[4][0] == "مرتبط بـ: متوسط مدة انتظار العمليات"
    _, tables = text_of(folder / "water.docx")
    assert not any(t[0][0] == "التحدي" for t in tables)  # no challenges, no table


def test_chair_pack_names_every_lagging_item_with_its_cause_or_none(folder):
    text, tables = text_of(folder / "executive.docx")
    lagging = next(t for t in tables if t[0][-1] == "ما أفادت به الجهة" and t[0][1] == "المؤشر")
    rows = {row[1]: row for row in lagging[1:]}
    assert list(rows) == ["عدد المراكز الصحية المؤهلة", "متوسط مدة انتظار العمليات",
                          "وفيات الأمهات لكل ١٠٠ ألف ولادة", "نسبة سوء التغذية لدى الأطفال دون ٥ سنوات"]
    assert [rows[name][4:7] for name in rows] == [["١٥", "٤", "٢٦٫٧٪"], ["٢٥", "٣٨", "٦٥٫٨٪"],
                                                  ["١٠٠", "١٥٠", "٦٦٫٧٪"], ["١٠", "١٥", "٦٦٫٧٪"]]
    assert rows["عدد المراكز الصحية المؤهلة"][9] == "لم تُقدَّم أسباب"
    assert "نقص القابلات المؤهلات في ١٢ مديرية" in rows["وفيات الأمهات لكل ١٠٠ ألف ولادة"][9]
    assert "رد الجهة: أُعيد توزيع غرف العمليات" in rows["متوسط مدة انتظار العمليات"][9]
    assert "«عدد المراكز الصحية المؤهلة» (الصحة، وزارة الصحة) بنسبة ٢٦٫٧٪" in text
    assert "قطاعات تراجع أداؤها ربعين متتاليين أو أكثر: الصحة (للربع الثاني على التوالي)، المياه (للربع الثالث على التوالي)." in text


def test_dashboard_opens_the_chair_pack(folder):
    _, tables = text_of(folder / "executive.docx")
    dashboard = tables[0]
    assert dashboard[0][0] == "القطاع" and [row[0] for row in dashboard[1:]] == ["الصحة", "المياه", "الخطة ككل"]
    assert [row[4] for row in dashboard[1:]] == ["٤", "٠", "٤"]
    assert dashboard[2][6] == "تراجع الأداء للربع الثالث على التوالي"


def test_page_numbers_and_annex_in_arabic_indic_digits(folder):
    document = docx.Document(str(folder / "executive.docx"))
    footer = document.sections[0].footer.paragraphs[0]
    # The page fields' cached results are Arabic-Indic (the reader's numeral setting shows the live ones).
    assert footer.text == "صفحة ١ من ١"
    assert [i.text.strip() for i in footer._p.iter(qn("w:instrText"))] == ["PAGE", "NUMPAGES"]
    text, _ = text_of(folder / "health.docx")
    annex = text[text.index("منهجية التقييم", text.index("الملاحق")):]
    assert "بين ٠ و١٠٠٪" in annex and "0" not in annex.split("مصادر البيانات")[0]


def test_packs_are_audit_clean(folder):
    assert audit(folder) == ""


def test_english_packs_follow_the_same_facts(tmp_path):
    folder = build(BuildOptions(FIXTURE, Period.parse("2024-Q4"), tmp_path, lang="en", issue_date=dt.date(2025, 1, 15)))
    water, _ = text_of(folder / "water.docx")
    assert "down 1.0 pp on the previous quarter, the third quarter of decline in a row" in water
    health, _ = text_of(folder / "health.docx")
    assert ("Off-track or stalled indicators: 4 indicators of 5 indicators; the lowest is “Health centres upgraded” "
            "at 26.7% (4 centres against a target of 15 centres).") in health
    executive, tables = text_of(folder / "executive.docx")
    assert "Off-track or stalled indicators across the plan: 4 indicators of 9 indicators, stalled among them: 3 indicators." in executive
    assert [row[0] for row in tables[0][1:]] == ["Health", "Water", "Whole plan"]
