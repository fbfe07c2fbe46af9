"""``review status … --reminders DIR``: a letter to each late or incomplete entity's focal point."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from review.cli.main import main
from review.model.periods import Period
from review.secretariat.status import submission_report

from tests.conftest import audit
from tests.test_evaluate_timeliness import hijri_plan

Q2 = Period(2024, 2)
NOW = dt.datetime(2024, 7, 25, 12, 0, tzinfo=dt.timezone.utc)


def text_of(path: Path) -> str:
    return zipfile.ZipFile(path).read("word/document.xml").decode("utf-8")


def test_a_letter_per_entity_not_complete_listing_what_is_missing(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {"indicators-MOH.csv": "indicator_id,value\nH1,75\n",
                                           "deadline.txt": "2024-07-15\n"}})
    report = submission_report(plan_dir, Q2, reminders_dir=tmp_path / "letters", now=NOW)
    assert sorted(p.name for p in (tmp_path / "letters").iterdir()) == ["reminder-MOH.docx", "reminder-MOW.docx"]
    assert "Wrote 2 reminder letter(s) to " in report and "reminder-MOW.docx, reminder-MOH.docx (nothing was sent)" in report
    moh = text_of(tmp_path / "letters" / "reminder-MOH.docx")
    # MOH sent H1 only: H2 and project P1 are missing; addressed to its focal point.
    assert "إلى: أ. سالم — وزارة الصحة" in moh and "غير مكتملة" in moh
    assert "H2" in moh and "P1" in moh and ">H1<" not in moh
    assert "الموعد النهائي للتسليم كان 15 يوليو 2024، وقد مضى عليه من الأيام: 10." in moh
    mow = text_of(tmp_path / "letters" / "reminder-MOW.docx")
    assert "لم تصل إلى الأمانة حتى تاريخه" in mow and "W1" in mow
    assert "إلى: نقطة الاتصال — وزارة المياه" in mow  # no focal point in the plan
    assert audit(tmp_path / "letters") == ""


def test_before_the_deadline_the_letter_gives_it_and_a_hijri_plan_shows_both_dates(make_plan, tmp_path):
    plan_dir = make_plan(hijri_plan())
    submission_report(plan_dir, Period(1444, 4), reminders_dir=tmp_path / "r",
                      now=dt.datetime(2023, 7, 30, tzinfo=dt.timezone.utc))
    letter = text_of(tmp_path / "r" / "reminder-MOH.docx")
    assert "الموعد النهائي للتسليم: 15 محرم 1445هـ (2 أغسطس 2023)." in letter


def test_no_letter_when_everyone_is_complete(make_plan, tmp_path, capsys):
    plan_dir = make_plan(data={"2024-Q2": {"indicators.csv": "indicator_id,value\nH1,75\nH2,50\nW1,10\n",
                                           "projects.csv": "project_id,progress\nP1,20\n"}})
    assert main(["status", str(plan_dir), "--period", "2024-Q2", "--reminders", str(tmp_path / "r")]) == 0
    assert "No reminder needed: every entity sent all its figures." in capsys.readouterr().out
    assert not (tmp_path / "r").exists()
    (tmp_path / "file").write_text("x")
    assert main(["status", str(plan_dir), "--period", "2024-Q2", "--reminders", str(tmp_path / "file")]) == 2
    assert "--reminders: not a folder" in capsys.readouterr().err
