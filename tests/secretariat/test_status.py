"""``review status``: who has sent what for a period, as text and as ``status.xlsx``."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook

from review.cli.main import main
from review.errors import UsageError
from review.secretariat.forms import write_forms
from review.intake.data import read_period
from review.model.periods import Period
from review.intake.plan import load_plan
from review.secretariat.status import COMPLETE, NOTHING, PARTIAL, collect_submissions, submission_report

from tests.conftest import tool

Q2 = Period(2024, 2)
MOH_CSV = {"indicators-MOH.csv": "indicator_id,value\nH1,75\n",
           "projects-MOH.csv": "project_id,progress\nP1,50\n",
           "challenges.csv": "sector_id,description,entity_id\nhealth,نقص الكوادر,MOH\n"}


def test_entities_that_sent_nothing_come_first(make_plan, monkeypatch):
    plan_dir = make_plan(data={"2024-Q2": MOH_CSV})
    monkeypatch.chdir(plan_dir)
    report = submission_report(Path("."), Q2)
    lines = report.splitlines()
    assert lines[0].startswith("Submissions for 2024-Q2 (Second quarter 2024 (April – June)) — data/2024-Q2")
    assert lines[2].split()[:6] == ["MOW", "sent", "nothing", "0/1", "0/0", "0"]
    assert lines[3].split()[:5] == ["MOH", "partial", "1/2", "1/1", "1"]
    assert "وزارة الصحة — أ. سالم" in lines[3] and "وزارة المياه — no focal point" in lines[2]
    assert lines[4].split() == ["files:", "challenges.csv,", "indicators-MOH.csv,", "projects-MOH.csv"]
    assert lines[5] == "0 of 2 entities complete, 1 partial, 1 sent nothing."


def test_collect_counts_expected_received_and_files(make_plan):
    plan_dir = make_plan(data={"2024-Q2": {**MOH_CSV, "indicators-MOH.csv": "indicator_id,value\nH1,75\nH2,70\n"}})
    plan = load_plan(plan_dir)
    data, problems = read_period(plan, Q2, plan_dir / "data" / "2024-Q2")
    assert problems == []
    rows = {r.entity.id: r for r in collect_submissions(plan, data)}
    moh, mow = rows["MOH"], rows["MOW"]
    assert (moh.state, moh.indicators_received, moh.indicators_expected, moh.projects_received,
            moh.projects_expected, moh.challenges) == (COMPLETE, 2, 2, 1, 1, 1)
    assert [p.name for p in moh.files] == ["challenges.csv", "indicators-MOH.csv", "projects-MOH.csv"]
    assert (mow.state, mow.indicators_expected, mow.files) == (NOTHING, 1, [])
    assert [r.entity.id for r in collect_submissions(plan, data)] == ["MOW", "MOH"]
    assert PARTIAL not in {r.state for r in rows.values()}


def test_missing_data_folder_means_everyone_sent_nothing(make_plan, monkeypatch):
    plan_dir = make_plan()
    monkeypatch.chdir(plan_dir)
    report = submission_report(Path("."), Q2)
    assert "data/2024-Q2 (no folder yet)" in report.splitlines()[0]
    assert report.splitlines()[-1] == "0 of 2 entities complete, 0 partial, 2 sent nothing."


def test_a_returned_form_is_named_as_the_source(make_plan, tmp_path):
    plan_dir = make_plan()
    form = write_forms(plan_dir, Q2, ["MOW"], tmp_path / "out")[0]
    workbook = load_workbook(form)
    workbook["المؤشرات"].cell(4, 9, "١٢٠")
    (plan_dir / "data" / "2024-Q2").mkdir(parents=True)
    workbook.save(plan_dir / "data" / "2024-Q2" / "MOW.xlsx")
    report = submission_report(plan_dir, Q2)
    assert "files: MOW.xlsx" in report
    assert report.splitlines()[-1] == "1 of 2 entities complete, 0 partial, 1 sent nothing."


def test_problems_are_listed_under_the_table(make_plan, monkeypatch):
    plan_dir = make_plan(data={"2024-Q2": {**MOH_CSV, "indicators-late.csv": "indicator_id,value\nH1,80\n"}})
    monkeypatch.chdir(plan_dir)
    report = submission_report(Path("."), Q2)
    tail = report.splitlines()[-2:]
    assert tail == ["Problems in the submissions (1 error(s); their rows are not counted above):",
                    "data/2024-Q2/indicators-late.csv: row 2: column 'value': indicator H1 (sector health): reported twice for "
                    "2024-Q2 with different values: 75 in data/2024-Q2/indicators-MOH.csv (row 2) and 80 here"]


def test_status_xlsx_is_written_atomically_and_passes_the_audit(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": MOH_CSV})
    target = tmp_path / "reports" / "status.xlsx"
    report = submission_report(plan_dir, Q2, target)
    assert report.endswith("status.xlsx")
    assert sorted(p.name for p in target.parent.iterdir()) == ["status.xlsx"]
    sheet = load_workbook(target).worksheets[0]
    assert sheet.sheet_view.rightToLeft
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:4] == ("رمز الجهة", "الجهة", "نقطة الاتصال", "الحالة")
    assert rows[1][:4] == ("MOW", "وزارة المياه", None, "لم يرسل شيئاً")
    assert rows[2][3:10] == ("ناقص", 1, 2, 1, 1, 1, "challenges.csv، indicators-MOH.csv، projects-MOH.csv")
    audit = subprocess.run([str(tool("openxml-audit")), "--policy", "strict", str(target)],
                           capture_output=True, text=True, timeout=300)
    assert audit.returncode == 0, audit.stdout
    before = target.read_bytes()
    submission_report(plan_dir, Q2, target)
    assert target.read_bytes() == before


def test_bad_year_is_a_usage_error(make_plan):
    with pytest.raises(UsageError, match=r"^--period 1444-Q1: expected a gregorian year"):
        submission_report(make_plan(), Period(1444, 1))


def test_status_command_end_to_end(make_plan, capsys):
    plan_dir = make_plan(data={"2024-Q2": MOH_CSV})
    assert main(["status", str(plan_dir), "--period", "2024-Q2"]) == 0
    out = capsys.readouterr().out
    assert "MOW  sent nothing" in out and out.rstrip().endswith("1 sent nothing.")
    assert main(["status", str(plan_dir), "--period", "1444-Q2"]) == 2
    assert "review: --period 1444-Q2: expected a gregorian year" in capsys.readouterr().err


# -- timeliness (issue 17) ------------------------------------------------------------------------

RECEIPTS = ("received_at,entity_id,file,sha256,rows,result,reason\n"
            "2024-07-18T06:30:00Z,MOH,indicators-MOH.csv,y,1,accepted,\n")


def test_status_shows_timeliness_judged_at_a_fixed_time(make_plan, monkeypatch):
    import datetime as dt
    plan_dir = make_plan(data={"2024-Q2": {"indicators-MOH.csv": "indicator_id,value\nH1,75\n",
                                           "deadline.txt": "2024-07-15\n", "receipts.csv": RECEIPTS}})
    monkeypatch.chdir(plan_dir)
    now = dt.datetime(2024, 7, 25, 12, 0, tzinfo=dt.timezone.utc)
    lines = submission_report(Path("."), Q2, now=now).splitlines()
    mow = lines.index(next(line for line in lines if line.strip().startswith("MOW")))
    # MOW sent nothing: 25 July is 10 days after 15 July.
    assert lines[mow + 1].strip() == "not received, 10 day(s) past the deadline"
    moh = lines.index(next(line for line in lines if line.strip().startswith("MOH")))
    assert lines[moh + 2].strip() == "received 2024-07-18 06:30 UTC, 3 day(s) late"
    assert lines[-1] == ("Deadline 2024-07-15 (from data/2024-Q2/deadline.txt): 1 late (MOH), "
                         "1 not received (MOW).")


def test_status_xlsx_has_the_timeliness_columns(make_plan, tmp_path):
    import datetime as dt
    plan_dir = make_plan(data={"2024-Q2": {"indicators-MOH.csv": "indicator_id,value\nH1,75\n",
                                           "deadline.txt": "2024-07-15\n", "receipts.csv": RECEIPTS}})
    submission_report(plan_dir, Q2, tmp_path / "s.xlsx", now=dt.datetime(2024, 7, 25, tzinfo=dt.timezone.utc))
    sheet = load_workbook(tmp_path / "s.xlsx").worksheets[0]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["رمز الجهة"][-2:] == ("التسليم", "وقت الاستلام")
    assert rows["MOH"][-2:] == ("متأخر — أيام التأخير: 3", "2024-07-18 06:30 UTC")
    assert rows["MOW"][-2:] == ("لم يصل", None)
