"""Data intake: numbers, encodings, headers, Excel, merging and every bad-input class of SPEC §3.3."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings, strategies as hs
from openpyxl import Workbook

from review.errors import InputError
from review.intake.data import read_data
from review.intake.numbers import parse_number
from review.model.periods import Period
from review.intake.plan import load_plan


@pytest.mark.parametrize("text, expected", [
    ("75", 75.0), (" 75.5 ", 75.5), ("٧٥٫٥", 75.5), ("۷۵", 75.0), ("1,250", 1250.0), ("12 500", 12500.0),
    ("١٢٬٥٠٠", 12500.0), ("80%", 80.0), ("٨٠٪", 80.0), ("-3", -3.0), ("\u200f85", 85.0), ("", None),
    ("   ", None), (None, None), (42, 42.0), ("1,250.75", 1250.75), ("\u22123.5", -3.5),
])
def test_parse_number(text, expected):
    assert parse_number(text) == expected


@pytest.mark.parametrize("text", ["سبعون", "1,5", "12,34,567", "7.5.1", "%", "nan", "inf", "1e400", "--1", "1 2"])
def test_parse_number_refuses(text):
    with pytest.raises(ValueError, match="expected a number"):
        parse_number(text)


@settings(max_examples=400, deadline=None)
@given(hs.text())
def test_parse_number_never_fails_otherwise(text):
    """Arbitrary cell text gives a number, None or a ValueError — never another exception."""
    try:
        result = parse_number(text)
    except ValueError as exc:
        assert "expected" in str(exc)
    else:
        assert result is None or isinstance(result, float)


@settings(max_examples=60, deadline=None)
@given(hs.lists(hs.text(alphabet=hs.characters(blacklist_categories=("Cs",)), max_size=30), min_size=1, max_size=4))
def test_arbitrary_cells_never_raise_anything_but_input_error(tmp_path_factory, cells):
    """Any cell text in any column of a data file ends in data or an InputError, never a traceback."""
    from tests.conftest import PlanMaker
    import csv
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["indicator_id", "value", "note", "source"])
    writer.writerow((cells + ["", "", "", ""])[:4])
    writer.writerow(["H1", cells[0], cells[-1], ""])
    folder = PlanMaker(tmp_path_factory.mktemp("prop"))(data={"2024-Q1": {"indicators.csv": buffer.getvalue()}})
    plan = load_plan(folder)
    try:
        read_data(plan, folder)
    except InputError as exc:
        assert exc.problems


def read(make_plan, files: dict, period="2024-Q1", plan=None):
    folder = make_plan(plan, {period: files})
    loaded = load_plan(folder)
    return read_data(loaded, folder).get(Period.parse(period)), folder


def problems_of(make_plan, files: dict, period="2024-Q1", plan=None) -> str:
    with pytest.raises(InputError) as caught:
        read(make_plan, files, period, plan)
    return "\n".join(str(p) for p in caught.value.problems)


def test_several_files_per_kind_are_merged(make_plan):
    data, _ = read(make_plan, {"indicators-MOH.csv": "indicator_id,value\nH1,70\nH2,95\n",
                               "indicators-MOW.csv": "indicator_id,value\nW1,120\n"})
    assert {k: v.value for k, v in data.indicators.items()} == {"H1": 70, "H2": 95, "W1": 120}


def test_arabic_and_bilingual_headers_with_bom_and_title_rows(make_plan):
    csv_text = "\ufeffنموذج بيانات الربع الأول,,\n\nرمز المؤشر,القيمة,ملاحظات\nH1,٧٥٫٥,تقديري\n"
    other = "Indicator_ID / رمز المؤشر ,VALUE / القيمة\nH2,٩٠٪\n"
    data, _ = read(make_plan, {"indicators.csv": csv_text, "indicators-2.csv": other})
    assert data.indicators["H1"].value == 75.5
    assert data.indicators["H1"].note == "تقديري"
    assert data.indicators["H2"].value == 90.0


def test_blank_value_is_not_reported_not_zero(make_plan):
    data, _ = read(make_plan, {"indicators.csv": "indicator_id,value\nH1,\nH2,0\n"})
    assert "H1" not in data.indicators
    assert data.indicators["H2"].value == 0.0


def test_same_value_twice_is_accepted_once(make_plan):
    data, _ = read(make_plan, {"indicators-a.csv": "indicator_id,value\nH1,70\n",
                               "indicators-b.csv": "indicator_id,value\nH1,70.0\n"})
    assert data.indicators["H1"].value == 70


def test_windows_1256_is_read_with_a_warning(make_plan):
    content = "indicator_id,value,note\nH1,70,ملاحظة\n".encode("cp1256")
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": content}})
    dataset = read_data(load_plan(folder), folder)
    assert dataset.get(Period.parse("2024-Q1")).indicators["H1"].note == "ملاحظة"
    assert any("Windows-1256" in str(w) and "indicators.csv" in str(w) for w in dataset.warnings)


def xlsx_bytes(sheets: dict[str, list[list]], percent_cells=()) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets.items():
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        for ref in percent_cells:
            ws[ref].number_format = "0%"
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()


def test_excel_sheets_named_after_kinds_and_percent_cells(make_plan):
    content = xlsx_bytes({"غلاف": [["نموذج"]],
                          "المؤشرات": [["عنوان"], ["indicator_id", "value"], ["H1", 0.85], ["H2", "٩٠"]],
                          "المشاريع": [["رمز المشروع", "نسبة الإنجاز", "المصروف"], ["P1", 40, 250]]},
                         percent_cells=["B3"])
    data, _ = read(make_plan, {"form-MOH.xlsx": content})
    assert data.indicators["H1"].value == pytest.approx(85.0)
    assert data.indicators["H2"].value == 90.0
    assert data.projects["P1"].progress == 40 and data.projects["P1"].spent == 250
    assert str(data.indicators["H1"].origin.where) == "sheet 'المؤشرات', row 3"


def test_excel_by_file_prefix_reads_the_first_sheet(make_plan):
    content = xlsx_bytes({"Sheet1": [["indicator_id", "value"], ["W1", 12]]})
    data, _ = read(make_plan, {"indicators-MOW.xlsx": content})
    assert data.indicators["W1"].value == 12


def test_challenges_and_recommendations(make_plan):
    challenges = ("sector_id,description,entity_id,indicator_id,category,cause,remedy,severity,support_needed\n"
                  "health,نقص اللقاحات,MOH,H1,مالية,تأخر التمويل,جدولة,عالية,تمويل\n")
    recs = "id,text,sector_id,owner_entity,due_period,status\nR1,رفع التغطية,health,MOH,2024-Q3,\nR1,,,,,in_progress\n"
    data, _ = read(make_plan, {"challenges.csv": challenges, "recommendations.csv": recs})
    assert data.challenges[0].category == "financial"
    assert data.challenges[0].severity == "high"
    assert [(r.id, r.status, str(r.due_period)) for r in data.recommendations] == [("R1", "", "2024-Q3"), ("R1", "in_progress", "None")]


def test_entities_replies_ride_on_challenges(make_plan):
    # The optional reply column (الرد التوضيحي): beside a challenge, or alone on its row.
    challenges = ("رمز القطاع,الوصف,رمز الجهة,رمز المؤشر,الرد التوضيحي\n"
                  "health,نقص اللقاحات,MOH,H1,وصلت الشحنة الأولى\n"
                  "health,,MOH,H2,أُعدّت خطة الخفض\n"
                  "health,تأخر التمويل,MOH,,\n")
    data, _ = read(make_plan, {"challenges.csv": challenges})
    assert [(c.description, c.indicator_id, c.reply) for c in data.challenges] == [
        ("نقص اللقاحات", "H1", "وصلت الشحنة الأولى"), ("", "H2", "أُعدّت خطة الخفض"), ("تأخر التمويل", "", "")]


def test_a_challenge_row_needs_a_description_or_a_reply(make_plan):
    text = problems_of(make_plan, {"challenges.csv": "sector_id,description,reply\nhealth,,\n"})
    assert "challenges.csv: row 2: column 'description'" in text and "expected a description of the challenge" in text


# -- bad input: one test per class, each naming the file and the row -------------------------

def test_non_numeric_value(make_plan):
    text = problems_of(make_plan, {"indicators.csv": "indicator_id,value\nH1,سبعون\n"})
    assert "indicators.csv: row 2: column 'value': indicator H1 (sector health): expected a number" in text
    assert "'سبعون'" in text


def test_progress_outside_0_100(make_plan):
    text = problems_of(make_plan, {"projects.csv": "project_id,progress\nP1,140\n"})
    assert "projects.csv: row 2: column 'progress': project P1 (sector health): expected a progress between 0 and 100 %, got '140'" in text


def test_conflicting_values_name_both_places(make_plan):
    text = problems_of(make_plan, {"indicators-a.csv": "indicator_id,value\nH1,70\n",
                                   "indicators-b.csv": "indicator_id,value\n\nH1,71\n"})
    assert "indicators-b.csv: row 3: column 'value': indicator H1 (sector health): reported twice for 2024-Q1 with different values" in text
    assert "indicators-a.csv (row 2)" in text


def test_unknown_ids(make_plan):
    text = problems_of(make_plan, {"indicators.csv": "indicator_id,value\nH9,1\n",
                                   "challenges.csv": "sector_id,description,entity_id\nroads,x,MOX\n"})
    assert "indicators.csv: row 2: column 'indicator_id': unknown indicator id 'H9'" in text
    assert "challenges.csv: row 2: column 'sector_id': unknown sector id 'roads'" in text
    assert "challenges.csv: row 2: column 'entity_id': unknown entity id 'MOX'" in text


def test_bad_enumerations(make_plan):
    text = problems_of(make_plan, {
        "challenges.csv": "sector_id,description,category,severity\nhealth,x,weather,urgent\n",
        "recommendations.csv": "id,status\nR1,finished\n"})
    assert "column 'category': challenge (sector health): expected one of financial" in text and "got 'weather'" in text
    assert "column 'severity': challenge (sector health): expected high, medium or low" in text
    assert "recommendations.csv: row 2: column 'status': recommendation 'R1': expected one of not_started, in_progress, done, dropped, got 'finished'" in text


def test_empty_file(make_plan):
    text = problems_of(make_plan, {"indicators.csv": b""})
    assert "indicators.csv: the file is empty (0 bytes)" in text


def test_wrong_encoding_binary(make_plan):
    text = problems_of(make_plan, {"indicators.csv": bytes(range(256)) * 4})
    assert "indicators.csv: not a text CSV file" in text


def test_xlsx_that_is_not_one(make_plan):
    text = problems_of(make_plan, {"indicators.xlsx": b"PK\x03\x04 this is not a workbook"})
    assert "indicators.xlsx: not an Excel .xlsx workbook" in text


def test_missing_header(make_plan):
    text = problems_of(make_plan, {"indicators.csv": "id,val\nH1,3\n"})
    assert "indicators.csv: no header row with the columns 'indicator_id' (رمز المؤشر), 'value' (القيمة)" in text


def test_every_problem_is_listed_at_once(make_plan):
    rows = "indicator_id,value\n" + "".join(f"H1,x{i}\n" for i in range(30))
    with pytest.raises(InputError) as caught:
        read(make_plan, {"indicators.csv": rows, "projects.csv": "project_id,progress\nP1,-5\n"})
    assert len(caught.value.problems) == 31
    message = str(caught.value)
    assert "indicators.csv: … and 10 more" in message
    assert "projects.csv: row 2" in message
    assert message.endswith("Stopped: 31 problems in 2 files.")


def test_huge_junk_file_is_refused_quickly(make_plan, tmp_path):
    folder = make_plan(None, {"2024-Q1": {}})
    junk = folder / "data" / "2024-Q1" / "indicators.csv"
    with open(junk, "wb") as handle:
        handle.truncate(20 * 1024 * 1024)
    with pytest.raises(InputError) as caught:
        read_data(load_plan(folder), folder)
    assert "file too large" in str(caught.value)


def test_badly_named_folder_is_ignored_with_a_warning(make_plan):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,1\n"},
                              "notes": {"readme.csv": "x\n"}})
    dataset = read_data(load_plan(folder), folder)
    assert any("folder ignored" in str(w) and "'notes'" in str(w) for w in dataset.warnings)


def test_status_update_of_a_recommendation_never_adopted(make_plan):
    text = problems_of(make_plan, {"recommendations.csv": "id,status\nR7,done\n"})
    assert ("recommendations.csv: row 2: column 'id': status update for recommendation 'R7', "
            "which no earlier or same period adopted") in text


def test_unsupported_files_are_named_in_a_warning(make_plan):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,1\n", "old.xls": b"\xd0\xcf"}})
    dataset = read_data(load_plan(folder), folder)
    assert any("old.xls: ignored: an old-format Excel file: save it as .xlsx" in str(w) for w in dataset.warnings)


def test_every_problem_of_a_project_row(make_plan):
    text = problems_of(make_plan, {"projects.csv": "project_id,progress,spent\nP1,140,-5\n"})
    assert "column 'progress': project P1 (sector health): expected a progress between 0 and 100 %" in text
    assert "column 'spent': project P1 (sector health): expected an amount ≥ 0, got '-5'" in text


def test_a_folders_entries_are_sorted_as_their_paths_are(monkeypatch):
    # By name alone (issue 20: comparing thousands of whole paths cost a tenth of a second), in
    # the paths' own order: as is on POSIX, case folded on Windows.
    import ntpath
    import os
    from pathlib import PurePosixPath, PureWindowsPath
    from review.intake.readers import name_order
    names = ["indicators-b.csv", "Indicators-A.csv", "projects.xlsx", "indicators-a2.csv", "_x.csv", "Z.csv", "١.csv"]
    folder = "plan/data/2024-Q2"
    posix = [PurePosixPath(folder, n) for n in names]
    assert sorted(posix, key=name_order) == sorted(posix)
    assert [p.name for p in sorted(posix, key=name_order)][:2] == ["Indicators-A.csv", "Z.csv"]
    monkeypatch.setattr(os.path, "normcase", ntpath.normcase)
    windows = [PureWindowsPath(folder, n) for n in names]
    assert sorted(windows, key=name_order) == sorted(windows)
    assert [p.name for p in sorted(windows, key=name_order)][:2] == ["_x.csv", "Indicators-A.csv"]
