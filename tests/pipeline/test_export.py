"""``review export``: one tidy row per indicator and period, equal to each period's results.json."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from review.cli.main import main
from review.model.periods import Period
from review.pipeline.build import BuildOptions, build
from review.pipeline.export import INDICATOR_COLUMNS, PROJECT_COLUMNS, history

from tests.conftest import audit

DATA = {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nH2,80\nW1,90\n",
                    "projects.csv": "project_id,progress,spent\nP1,20,100\n"},
        "2024-Q2": {"indicators.csv": "indicator_id,value\nH1,75\nW1,95\n"}}


def test_rows_equal_each_periods_results_json(make_plan, tmp_path):
    plan_dir = make_plan(data=DATA)
    indicators, projects = history(plan_dir)
    assert len(indicators) == 2 * 3 and len(projects) == 2
    for period in ("2024-Q1", "2024-Q2"):
        folder = build(BuildOptions(plan_dir, Period.parse(period), tmp_path / "out", issue_date=dt.date(2024, 8, 1)))
        results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
        mine = [dict(zip(INDICATOR_COLUMNS, row)) for row in indicators if row[1] == period]
        assert [{k: r[k] for k in ("indicator", "sector", "objective", "entity", "target", "actual", "achievement",
                                   "score", "status", "trend")} for r in mine] == [
            {"indicator": i["id"], **{k: i[k] for k in ("sector", "objective", "entity", "target", "actual",
                                                        "achievement", "score", "status", "trend")}}
            for i in results["indicators"]]
        assert [(r[3], r[7], r[8], r[9], r[10]) for r in projects if r[1] == period] == [
            (p["id"], p["actual"], p["achievement"], p["status"], p["budget_execution"]) for p in results["projects"]]
    # Hand-checked: H1's Q2 target is halfway from the baseline 60 to the 2024 target 80, so 70, and
    # 75 reported is 75 / 70 = 107.14 % achieved; H2 was not reported in Q2; W1 is cumulative:
    # 90 + 95 = 185 against 400 × 2/4 = 200, 92.5 %.
    q2 = {row[4]: dict(zip(INDICATOR_COLUMNS, row)) for row in indicators if row[1] == "2024-Q2"}
    assert q2["H1"]["target"] == 70 and q2["H1"]["achievement"] == pytest.approx(75 / 70 * 100)
    assert q2["H1"]["actual"] == 75 and q2["H2"]["actual"] is None and q2["W1"]["actual"] == 185
    assert q2["W1"]["target"] == 200 and q2["W1"]["achievement"] == pytest.approx(92.5)
    assert (q2["H1"]["unit"], q2["H1"]["direction"], q2["H2"]["direction"]) == ("%", "up", "down")


def test_csv_round_trips(make_plan, tmp_path):
    plan_dir = make_plan(data=DATA)
    assert main(["export", str(plan_dir), "--out", str(tmp_path / "h.csv"), "-q"]) == 0
    raw = (tmp_path / "h.csv").read_bytes()
    assert raw.startswith("\ufeff".encode())  # Excel reads the Arabic names
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline="")))
    assert tuple(rows[0]) == INDICATOR_COLUMNS
    numeric = {"target", "actual", "achievement", "score", "trend"}

    def value(column: str, cell: str):
        if cell == "":
            return None
        return float(cell) if column in numeric else cell

    expected = history(plan_dir)[0]
    assert [tuple(value(c, cell) for c, cell in zip(INDICATOR_COLUMNS, row)) for row in rows[1:]] == expected


def test_xlsx_round_trips_with_both_sheets(make_plan, tmp_path):
    plan_dir = make_plan(data=DATA)
    assert main(["export", str(plan_dir), "--out", str(tmp_path / "h.xlsx"), "-q"]) == 0
    book = load_workbook(tmp_path / "h.xlsx")
    assert book.sheetnames == ["indicators", "projects"]
    indicators, projects = history(plan_dir)
    for sheet, columns, rows in ((book["indicators"], INDICATOR_COLUMNS, indicators),
                                 (book["projects"], PROJECT_COLUMNS, projects)):
        read = list(sheet.iter_rows(values_only=True))
        # Excel keeps 15–16 significant digits (XlsxWriter writes %.16G): numbers compared to that.
        assert read[0] == columns and read[1:] == [
            tuple(pytest.approx(v, rel=1e-15) if isinstance(v, float) else v for v in row) for row in rows]
    assert audit(tmp_path / "h.xlsx") == ""


def test_stdout_csv_and_usage_errors(make_plan, tmp_path, capsys):
    plan_dir = make_plan(data=DATA)
    done = subprocess.run([sys.executable, "-c", "import sys; from review.cli.main import main; "
                           f"code = main(['export', {str(plan_dir)!r}]); "
                           "assert 'pandas' not in sys.modules, 'pandas imported'; sys.exit(code)"],
                          capture_output=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode("utf-8-sig").splitlines()[0] == ",".join(INDICATOR_COLUMNS)
    assert main(["export", str(plan_dir), "--out", str(tmp_path / "h.json")]) == 2
    assert "expected a file name ending in .csv or .xlsx" in capsys.readouterr().err
