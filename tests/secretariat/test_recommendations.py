"""The register of adopted recommendations across periods, and ``review recommendations`` end to end."""

from __future__ import annotations

import openpyxl
import pytest

from review.model import status as st
from review.pipeline.build import load
from review.cli.main import main
from review.model.periods import Period
from review.recommend.register import build_register
from review.secretariat.recommendations import history_rows, register_as_of, register_table

from tests.conftest import audit

P = Period.parse
HEADER = "id,text,sector_id,owner_entity,due_period,status,note\n"

#: Three workshops: R1–R3 adopted in Q1, updated in Q2 (R3 dropped, R4 adopted), updated in Q3.
THREE_PERIODS = {
    "2024-Q1": {"indicators.csv": "indicator_id,value\nH1,66\n",
                "recommendations.csv": HEADER + "R1,رفع نسبة التحصين,health,MOH,2024-Q2,,\n"
                                                "R2,صيانة الشبكات,water,MOW,2024-Q3,,\n"
                                                "R3,حملة توعية,health,MOH,2024-Q2,,\n"},
    "2024-Q2": {"indicators.csv": "indicator_id,value\nH1,70\n",
                "recommendations.csv": HEADER + "R1,,,,,in_progress,بدأ التنفيذ\n"
                                                "R2,,,,,in_progress,\n"
                                                "R3,,,,,dropped,استُعيض عنها ببرنامج آخر\n"
                                                "R4,تحديث السجل,health,MOH,2024-Q3,,\n"},
    "2024-Q3": {"indicators.csv": "indicator_id,value\nH1,74\n",
                "recommendations.csv": HEADER + "R1,,,,,in_progress,تأخر التمويل\n"
                                                "R2,,,,,done,اكتملت الصيانة\n"},
}


@pytest.fixture
def three(make_plan):
    folder = make_plan(data=THREE_PERIODS)
    return folder, load(folder).data


def summary(items):
    return [(i.id, i.status, i.overdue, i.note) for i in items]


def test_pack_register_lists_earlier_adoptions_with_their_latest_status(three):
    _, data = three
    q3 = build_register(data.periods, P("2024-Q3"))
    assert summary(q3) == [
        ("R1", "in_progress", True, "تأخر التمويل"),      # due Q2, still open → overdue
        ("R2", "done", False, "اكتملت الصيانة"),          # done in Q3, its due quarter
        ("R3", "dropped", False, "استُعيض عنها ببرنامج آخر"),  # due passed, but dropped
        ("R4", "not_started", False, ""),                 # adopted in Q2, due Q3: not yet overdue
    ]
    assert [(str(c.period), c.status, c.note) for c in q3[0].history] == [
        ("2024-Q2", "in_progress", "بدأ التنفيذ"), ("2024-Q3", "in_progress", "تأخر التمويل")]


def test_register_as_of_an_earlier_period_ignores_later_updates(three):
    _, data = three
    q2 = build_register(data.periods, P("2024-Q2"))
    assert summary(q2) == [("R1", "in_progress", False, "بدأ التنفيذ"), ("R2", "in_progress", False, ""),
                           ("R3", "dropped", False, "استُعيض عنها ببرنامج آخر")]
    assert build_register(data.periods, P("2024-Q1")) == []
    # A quarter without a folder yet: R1 and R4 are overdue, the rest closed.
    q4 = build_register(data.periods, P("2024-Q4"))
    assert [i.id for i in q4 if i.overdue] == ["R1", "R4"]


def test_secretariat_register_includes_the_periods_own_adoptions(three):
    _, data = three
    q2 = register_as_of(data, P("2024-Q2"))
    assert [(i.id, str(i.adopted), i.overdue) for i in q2] == [
        ("R1", "2024-Q1", False), ("R2", "2024-Q1", False), ("R3", "2024-Q1", False), ("R4", "2024-Q2", False)]
    q3 = register_as_of(data, P("2024-Q3"))
    assert summary(q3) == summary(build_register(data.periods, P("2024-Q3")))


def test_history_rows_give_every_adoption_and_update_with_its_source(three):
    folder, data = three
    items = register_as_of(data, P("2024-Q3"))
    rows = history_rows(data, items, P("2024-Q3"), folder)
    assert [(r[0], str(r[1]), r[2], r[3], r[4]) for r in rows if r[0] in ("R1", "R3")] == [
        ("R1", "2024-Q1", "adopted", "", "data/2024-Q1/recommendations.csv (row 2)"),
        ("R1", "2024-Q2", "in_progress", "بدأ التنفيذ", "data/2024-Q2/recommendations.csv (row 2)"),
        ("R1", "2024-Q3", "in_progress", "تأخر التمويل", "data/2024-Q3/recommendations.csv (row 2)"),
        ("R3", "2024-Q1", "adopted", "", "data/2024-Q1/recommendations.csv (row 4)"),
        ("R3", "2024-Q2", "dropped", "استُعيض عنها ببرنامج آخر", "data/2024-Q2/recommendations.csv (row 4)"),
    ]


def test_register_table_counts(three):
    folder, data = three
    text = register_table(load(folder).plan, register_as_of(data, P("2024-Q3")), P("2024-Q3"))
    assert "R1  health  MOH" in text and "OVERDUE" in text
    assert text.splitlines()[-1] == "2 open, 1 done, 1 dropped; 1 overdue."


def test_recommendations_command_writes_the_register_workbook(three, tmp_path, capsys):
    folder, _ = three
    out = tmp_path / "out"
    period_dir = out / "mini" / "2024-Q3"
    period_dir.mkdir(parents=True)
    (period_dir / "health.docx").write_bytes(b"an earlier build")
    assert main(["recommendations", str(folder), "--period", "2024-Q3", "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr()
    assert "2 open, 1 done, 1 dropped; 1 overdue." in printed.out and printed.err == ""
    # Only recommendations.xlsx is written; the build's files stay.
    assert sorted(p.name for p in period_dir.iterdir()) == ["health.docx", "recommendations.xlsx"]
    assert (period_dir / "health.docx").read_bytes() == b"an earlier build"
    workbook = openpyxl.load_workbook(period_dir / "recommendations.xlsx")
    register, history = workbook.worksheets
    assert register.title == "سجل التوصيات" and register.sheet_view.rightToLeft
    assert [c.value for c in register[1]][:3] == ["رقم التوصية", "نص التوصية", "القطاع"]
    assert [c.value for c in register[2]][:8] == ["R1", "رفع نسبة التحصين", "الصحة", "وزارة الصحة", "ر1 2024",
                                                  "ر2 2024", "قيد التنفيذ", "متأخرة"]
    assert register.cell(2, 8).fill.fgColor.rgb.endswith(st.colour(st.DELAYED))  # overdue: past its date
    assert register.cell(3, 7).fill.fgColor.rgb.endswith(st.colour(st.COMPLETED))  # R2 done
    assert history.max_row == 1 + 9  # 4 adoptions + 5 updates


def test_recommendations_command_is_deterministic_and_audit_clean(sample, tmp_path, capsys, monkeypatch):
    plan_dir = sample("services-1444")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert main(["recommendations", str(plan_dir), "--period", "1444-Q4", "--out", str(tmp_path / "a"), "-q"]) == 0
    printed = capsys.readouterr().out
    assert "R1444-1-01" in printed and "OVERDUE" in printed
    assert printed.splitlines()[-1].startswith("Wrote ")
    first = tmp_path / "a/services-1444/1444-Q4/recommendations.xlsx"
    assert audit(first) == ""
    monkeypatch.chdir(tmp_path)
    assert main(["recommendations", str(plan_dir), "--period", "1444-Q4", "--out", "b", "-q"]) == 0
    assert (tmp_path / "b/services-1444/1444-Q4/recommendations.xlsx").read_bytes() == first.read_bytes()
    # The date is the quarter's last day (Dhu al-Hijjah 1444 ends on 18 July 2023), or SOURCE_DATE_EPOCH's.
    assert openpyxl.load_workbook(first).properties.created.date().isoformat() == "2023-07-18"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert main(["recommendations", str(plan_dir), "--period", "1444-Q4", "--out", "c", "-q"]) == 0
    stamped = openpyxl.load_workbook(tmp_path / "c/services-1444/1444-Q4/recommendations.xlsx")
    assert stamped.properties.created.date().isoformat() == "2023-11-14"


def test_recommendations_command_without_the_periods_folder_writes_nothing(three, tmp_path, capsys):
    folder, _ = three
    assert main(["recommendations", str(folder), "--period", "2024-Q4", "--out", str(tmp_path / "out")]) == 2
    assert "no data folder for 2024-Q4" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_recommendation_text_like_a_formula_or_an_error_stays_text(make_plan, tmp_path, capsys):
    # A recommendation or note sent in as "=HYPERLINK(…)" must not become a live formula,
    # nor "#N/A" an error value.
    formula = '=HYPERLINK("http://example.com","اضغط")'
    folder = make_plan(data={"2024-Q1": {
        "indicators.csv": "indicator_id,value\nH1,66\n",
        "recommendations.csv": HEADER + f'R1,"{formula.replace(chr(34), chr(34) * 2)}",health,MOH,2024-Q2,,'
                                        '"=1+1"\nR2,#N/A,water,MOW,2024-Q2,,#DIV/0!\n'}})
    out = tmp_path / "out"
    assert main(["recommendations", str(folder), "--period", "2024-Q1", "--out", str(out), "-q"]) == 0
    path = out / "mini" / "2024-Q1" / "recommendations.xlsx"
    texts = {cell.value: cell.data_type for sheet in openpyxl.load_workbook(path).worksheets
             for row in sheet.iter_rows(min_row=2) for cell in row
             if isinstance(cell.value, str) and cell.value[:1] in "=#"}
    assert texts == {formula: "s", "=1+1": "s", "#N/A": "s", "#DIV/0!": "s"}
    assert audit(path) == ""
