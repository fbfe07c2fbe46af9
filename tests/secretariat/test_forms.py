"""``review forms``: the workbook's shape, the round trip through the intake, refusals of misplaced forms.

The mini plan (``conftest.base_plan``) with one quarter of data stands in for a fixture folder:
MOH reports H1 (level, baseline 60 → 80 in 2024), H2 (down, 100 in 2023 → 60 in 2024) and
project P1 (2024-Q1…Q4); MOW reports W1 (cumulative, 400 in 2024).
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from review.cli.main import main
from review.errors import InputError, UsageError
from review.secretariat.forms import form_workbook, last_value, write_forms
from review.intake.data import _header_map, read_data
from review.model.periods import Period
from review.language.phrases import load_phrases
from review.intake.plan import load_plan

from tests.conftest import tool

Q1, Q2 = Period(2024, 1), Period(2024, 2)
HISTORY = {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,65\nW1,90\n",
                       "projects.csv": "project_id,progress,spent\nP1,20,100\n"}}
FIRST_DATA_ROW = 4  # title, hint, header


@pytest.fixture
def plan_dir(make_plan) -> Path:
    return make_plan(data=HISTORY)


@pytest.fixture
def forms(plan_dir, tmp_path) -> Path:
    """Return the forms folder of 2024-Q2 after writing every entity's form."""
    paths = write_forms(plan_dir, Q2, [], tmp_path / "out")
    return paths[0].parent


def audit(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool("openxml-audit")), "--policy", "strict", str(path)],
                          capture_output=True, text=True, timeout=300)


def rows_of(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


# -- the workbook ---------------------------------------------------------------------------

def test_one_form_per_entity_in_the_period_forms_folder(plan_dir, tmp_path):
    paths = write_forms(plan_dir, Q2, [], tmp_path / "out")
    assert paths == [tmp_path / "out" / "mini" / "2024-Q2" / "forms" / name for name in ("MOH.xlsx", "MOW.xlsx")]
    assert all(p.is_file() for p in paths)


def test_sheets_are_the_kind_names_the_intake_reads_right_to_left_and_protected(forms):
    workbook = load_workbook(forms / "MOH.xlsx")
    assert workbook.sheetnames == ["الغلاف", "المؤشرات", "المشاريع", "التحديات", "القوائم"]
    assert workbook["القوائم"].sheet_state == "hidden"
    for sheet in workbook.worksheets:
        assert sheet.sheet_view.rightToLeft
        assert sheet.protection.sheet and not sheet.protection.password


def test_indicators_sheet_is_prefilled_with_target_and_last_value(forms):
    sheet = load_workbook(forms / "MOH.xlsx")["المؤشرات"]
    rows = rows_of(sheet)
    header = rows[FIRST_DATA_ROW - 2]
    assert _header_map("indicators", header) == {"indicator_id": 0, "value": 8, "note": 9, "source": 10}
    h1, h2 = rows[FIRST_DATA_ROW - 1:]
    # H1 level: 60 + (80 − 60) × 2/4 = 70; last value 65 in 2024-Q1.
    assert h1[0] == "H1" and h1[1] == "نسبة التحصين" and h1[2] == "%"
    assert (h1[5], h1[6], h1[7], h1[8]) == (70, 65, "2024-Q1", None)
    # H2 down: 100 (2023 target) + (60 − 100) × 2/4 = 80; never reported.
    assert (h2[0], h2[5], h2[6], h2[7]) == ("H2", 80, None, None)
    assert "▼" in h2[3]


def test_projects_sheet_carries_planned_and_last_progress(forms):
    rows = rows_of(load_workbook(forms / "MOH.xlsx")["المشاريع"])
    assert _header_map("projects", rows[FIRST_DATA_ROW - 2]) == {"project_id": 0, "progress": 6, "spent": 7, "note": 8}
    # P1 runs 2024-Q1…Q4: planned 2/4 = 50 %; last report 20 % and 100 spent.
    assert rows[FIRST_DATA_ROW - 1] == ("P1", "مستشفى", 1000, 50, 20, 100, None, None, None)


def test_only_fill_in_cells_are_unlocked(forms):
    workbook = load_workbook(forms / "MOH.xlsx")
    unlocked = {sheet.title: sorted({c.column_letter for row in sheet.iter_rows() for c in row
                                     if not c.protection.locked})
                for sheet in workbook.worksheets}
    assert unlocked == {"الغلاف": [], "المؤشرات": ["I", "J", "K"], "المشاريع": ["G", "H", "I"],
                        "التحديات": list("ABCDEFGHIJ"), "القوائم": []}
    rows = {c.row for c in workbook["المؤشرات"]["I"] if not c.protection.locked}
    assert rows == {4, 5}


def test_value_cells_validate_numbers_and_challenges_offer_lists(forms):
    workbook = load_workbook(forms / "MOH.xlsx")
    # "between" is the schema's default operator, which XlsxWriter leaves out and openpyxl reads as None.
    rules = {(str(v.sqref), v.type, v.operator or "between", v.formula1, v.formula2, v.errorStyle)
             for v in workbook["المؤشرات"].data_validations.dataValidation}
    assert rules == {("I4:I5", "decimal", "between", "-1000000000000000", "1000000000000000", "warning")}
    rules = {(str(v.sqref), v.formula1, v.formula2)
             for v in workbook["المشاريع"].data_validations.dataValidation}
    assert rules == {("G4", "0", "100"), ("H4", "0", None)}
    lists = {str(v.sqref): v.formula1 for v in workbook["التحديات"].data_validations.dataValidation}
    assert lists == {"A4:A28": "'القوائم'!$A$2:$A$2", "C4:C28": "'القوائم'!$D$2:$D$3",
                     "D4:D28": "'القوائم'!$E$2:$E$2", "E4:E28": "'القوائم'!$B$2:$B$10",
                     "H4:H28": "'القوائم'!$C$2:$C$4"}
    choices = list(workbook["القوائم"].iter_cols(values_only=True))
    assert choices[0][:2] == ("sector", "health")
    assert choices[1][1:3] == ("مالية", "فنية")
    assert choices[2] == ("severity", "عالية", "متوسطة", "منخفضة") + (None,) * 6


def test_cover_names_entity_focal_point_deadline_and_carries_metadata(plan_dir, tmp_path):
    import datetime as dt
    path = write_forms(plan_dir, Q2, ["MOH"], tmp_path / "out", dt.date(2024, 7, 15))[0]
    rows = rows_of(load_workbook(path)["الغلاف"])
    values = dict(rows)
    assert values["الجهة"] == "وزارة الصحة" and values["نقطة الاتصال"] == "أ. سالم"
    assert values["آخر موعد للتسليم"] == "2024-07-15"
    assert values["الفترة"].startswith("الربع الثاني 2024 (أبريل – يونيو)")
    assert rows[-3:] == [("plan_id / رمز الخطة", "mini"), ("period / الفترة", "2024-Q2"),
                         ("entity_id / رمز الجهة", "MOH")]
    assert any(label == "1." and "الملونة" in text for label, text in rows)


def test_forms_are_byte_identical_across_runs(plan_dir):
    plan = load_plan(plan_dir)
    data = read_data(plan, plan_dir)
    phrases = load_phrases(lang="ar")
    first = form_workbook(plan, data, plan.entity_by_id["MOH"], Q2, None, phrases)
    assert form_workbook(plan, data, plan.entity_by_id["MOH"], Q2, None, phrases) == first
    # No clock inside: 'created' and 'modified' are the fixed time (SOURCE_DATE_EPOCH unset: 1980).
    core = zipfile.ZipFile(io.BytesIO(first)).read("docProps/core.xml").decode()
    assert re.findall(r"<dcterms:(?:created|modified)[^>]*>([^<]+)<", core) == ["1980-01-01T00:00:00Z"] * 2


def test_forms_pass_openxml_audit_strict(forms):
    for path in sorted(forms.glob("*.xlsx")):
        result = audit(path)
        assert result.returncode == 0, result.stdout + result.stderr


def test_sample_plan_forms_via_the_command_line_pass_the_audit(tmp_path):
    plans = Path(__file__).resolve().parents[2] / "plans"
    assert main(["forms", str(plans / "services-1444"), "--period", "1444-Q4", "--out", str(tmp_path), "-q"]) == 0
    paths = sorted((tmp_path / "services-1444" / "1444-Q4" / "forms").glob("*.xlsx"))
    assert len(paths) == 10
    for path in paths:
        result = audit(path)
        assert result.returncode == 0, result.stdout + result.stderr


def test_last_value_is_the_latest_before_the_period(plan_dir):
    data = read_data(load_plan(plan_dir), plan_dir)
    assert last_value(data, "H1", Q2) == (Q1, 65)
    assert last_value(data, "H1", Q1) is None
    assert last_value(data, "H2", Q2) is None


def test_one_entity_keeps_the_other_forms(plan_dir, tmp_path):
    out = tmp_path / "out"
    write_forms(plan_dir, Q2, [], out)
    folder = out / "mini" / "2024-Q2" / "forms"
    before = (folder / "MOW.xlsx").read_bytes()
    assert write_forms(plan_dir, Q2, ["MOH"], out) == [folder / "MOH.xlsx"]
    assert sorted(p.name for p in folder.iterdir()) == ["MOH.xlsx", "MOW.xlsx"]
    assert (folder / "MOW.xlsx").read_bytes() == before


def test_unknown_entity_and_bad_year_are_usage_errors(plan_dir, tmp_path):
    with pytest.raises(UsageError, match=r"^--entity: unknown entity id 'MOX' \(expected one of MOH, MOW\)$"):
        write_forms(plan_dir, Q2, ["MOX"], tmp_path / "out")
    with pytest.raises(UsageError, match=r"^--period 1444-Q2: expected a gregorian year between 1900 and 2100, got 1444"):
        write_forms(plan_dir, Period(1444, 2), [], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_problems_of_the_period_being_collected_do_not_stop_forms(make_plan, tmp_path):
    plan_dir = make_plan(data={**HISTORY, "2024-Q2": {"indicators.csv": "indicator_id,value\nH1,abc\n"}})
    assert len(write_forms(plan_dir, Q2, [], tmp_path / "out")) == 2


# -- the round trip -----------------------------------------------------------------------------

def fill(form: Path, target: Path, indicators: dict[int, object] = {}, projects: dict[int, object] = {},
         challenges: list[tuple[int, object]] = ()) -> Path:
    """Fill a form the way a focal point would (openpyxl as Excel) and save it to ``target``."""
    workbook = load_workbook(form)
    for (row, column), value in indicators.items():
        workbook["المؤشرات"].cell(row, column, value)
    for (row, column), value in projects.items():
        workbook["المشاريع"].cell(row, column, value)
    for column, value in challenges:
        workbook["التحديات"].cell(4, column, value)
    target.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(target)
    return target


def test_filled_form_round_trips_through_build(plan_dir, forms, tmp_path):
    data = plan_dir / "data" / "2024-Q2"
    # H1 typed with Arabic-Indic digits and the Arabic decimal mark; H2 left blank.
    fill(forms / "MOH.xlsx", data / "MOH.xlsx", {(4, 9): "٧٥٫٥", (4, 10): "مسح ميداني"},
         {(4, 7): "٥٠٪", (4, 8): 450},
         [(1, "health"), (2, "تأخر توريد الأجهزة"), (5, "مالية"), (8, "عالية"), (9, "تمويل إضافي"),
          (10, "وصلت الدفعة الأولى")])
    workbook = load_workbook(forms / "MOW.xlsx")
    workbook["المؤشرات"].cell(4, 9, 0.95).number_format = "0%"  # a percent cell: 0.95 means 95
    workbook.save(data / "MOW.xlsx")
    out = tmp_path / "built"
    assert main(["build", str(plan_dir), "--period", "2024-Q2", "--out", str(out), "-q",
                 "--issue-date", "2024-07-01"]) == 0
    results = json.loads((out / "mini" / "2024-Q2" / "r1" / "results.json").read_text(encoding="utf-8"))
    actual = {i["id"]: i["actual"] for i in results["indicators"]}
    assert actual == {"H1": 75.5, "H2": None, "W1": 90 + 95}  # W1 is cumulative: 90 + 95
    assert [(p["id"], p["actual"], p["budget_execution"]) for p in results["projects"]] == [("P1", 50, 45)]
    challenges = read_data(load_plan(plan_dir), plan_dir).get(Q2).challenges
    assert [(c.sector_id, c.entity_id, c.category, c.severity, c.support_needed, c.reply) for c in challenges] == [
        ("health", "MOH", "financial", "high", "تمويل إضافي", "وصلت الدفعة الأولى")]


def test_untouched_form_is_read_as_nothing_reported(plan_dir, forms):
    target = plan_dir / "data" / "2024-Q2" / "MOH.xlsx"
    target.parent.mkdir(parents=True)
    target.write_bytes((forms / "MOH.xlsx").read_bytes())
    data = read_data(load_plan(plan_dir), plan_dir)
    assert data.get(Q2).indicators == {} and data.get(Q2).projects == {} and data.get(Q2).challenges == []


# -- refusals and conflicts ----------------------------------------------------------------------

def messages(plan_dir: Path) -> list[str]:
    with pytest.raises(InputError) as caught:
        read_data(load_plan(plan_dir), plan_dir)
    return [str(p) for p in caught.value.problems if p.is_error]


def test_form_for_another_period_is_refused(plan_dir, forms, monkeypatch):
    monkeypatch.chdir(plan_dir)
    fill(forms / "MOH.xlsx", plan_dir / "data" / "2024-Q3" / "MOH.xlsx", {(4, 9): 75})
    assert messages(plan_dir) == [
        "data/2024-Q3/MOH.xlsx: sheet 'الغلاف', row 23: period / الفترة: expected period 2024-Q3 "
        "(the folder's), got '2024-Q2': a form is read only in the data folder of the period it was written for"]


def test_form_of_another_plan_is_refused(make_plan, plan_dict, forms, monkeypatch, tmp_path):
    plan_dict["id"] = "other"
    other = make_plan(plan_dict, name="other")
    monkeypatch.chdir(other)
    fill(forms / "MOH.xlsx", other / "data" / "2024-Q2" / "MOH.xlsx", {(4, 9): 75})
    assert messages(other) == [
        "data/2024-Q2/MOH.xlsx: sheet 'الغلاف', row 22: plan_id / رمز الخطة: expected plan 'other' "
        "(the folder's), got 'mini': this form belongs to another plan"]


def test_form_carrying_another_entitys_rows_is_refused(plan_dir, forms, monkeypatch):
    monkeypatch.chdir(plan_dir)
    fill(forms / "MOH.xlsx", plan_dir / "data" / "2024-Q2" / "MOH.xlsx", {(4, 9): 75, (5, 1): "W1", (5, 9): 10})
    assert messages(plan_dir) == [
        "data/2024-Q2/MOH.xlsx: sheet 'المؤشرات', row 5: column 'indicator_id / رمز المؤشر': indicator 'W1' "
        "belongs to entity 'MOW', but this is the form of entity 'MOH' (expected only MOH's rows; "
        "MOW reports in its own form)"]


def test_same_indicator_in_two_submissions_names_both_files_and_rows(plan_dir, forms, monkeypatch):
    monkeypatch.chdir(plan_dir)
    folder = plan_dir / "data" / "2024-Q2"
    fill(forms / "MOH.xlsx", folder / "MOH.xlsx", {(4, 9): "٧٥"})
    (folder / "indicators-late.csv").write_text("indicator_id,value\nH1,76\n", encoding="utf-8")
    assert messages(plan_dir) == [
        "data/2024-Q2/indicators-late.csv: row 2: column 'value': indicator H1 (sector health): reported twice for 2024-Q2 "
        "with different values: 75 in data/2024-Q2/MOH.xlsx (sheet 'المؤشرات', row 4) and 76 here"]


def test_same_value_in_form_and_csv_is_accepted_once(plan_dir, forms):
    folder = plan_dir / "data" / "2024-Q2"
    fill(forms / "MOH.xlsx", folder / "MOH.xlsx", {(4, 9): "٧٥"})
    (folder / "indicators-copy.csv").write_text("indicator_id,value\nH1,75\n", encoding="utf-8")
    assert read_data(load_plan(plan_dir), plan_dir).value("H1", Q2) == 75


def test_plan_text_starting_with_an_equals_sign_stays_text_in_the_form(make_plan, tmp_path):
    from tests.conftest import base_plan
    plan = base_plan()
    plan["sectors"][0]["objectives"][0]["indicators"][0]["name"]["ar"] = '=HYPERLINK("http://example.com")'
    plan["entities"][0]["focal_point"] = "=1+1"
    path = write_forms(make_plan(plan, HISTORY), Q2, ["MOH"], tmp_path / "out")[0]
    workbook = load_workbook(path)
    indicator = workbook["المؤشرات"].cell(FIRST_DATA_ROW, 2)
    assert (indicator.value, indicator.data_type) == ('=HYPERLINK("http://example.com")', "s")
    cover = {row[0].value: row[1] for row in workbook["الغلاف"].iter_rows(max_col=2)}
    assert (cover["نقطة الاتصال"].value, cover["نقطة الاتصال"].data_type) == ("=1+1", "s")
    result = audit(path)
    assert result.returncode == 0, result.stdout + result.stderr
