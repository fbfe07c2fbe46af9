"""``review receive``: a returned file checked alone, filed under its canonical name, logged."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import subprocess
import zipfile
from pathlib import Path

import pytest

from review.cli.main import main
from review.errors import UsageError
from review.intake.data import read_data, read_period
from review.intake.plan import load_plan
from review.intake.receipts import RECEIPT_COLUMNS, read_receipts
from review.model.data import ACCEPTED, REFUSED, Receipt
from review.model.periods import Period
from review.pause import PAUSE_ENV
from review.secretariat.forms import write_forms
from review.secretariat.receive import append_receipt, canonical_name, receive

from tests.conftest import audit, tool
from tests.secretariat.test_forms import fill

Q2 = Period(2024, 2)
MOH = "indicator_id,value\nH1,75\nH2,70\n"
AT = dt.datetime(2024, 7, 10, 9, 30, tzinfo=dt.timezone.utc)


def clock(moment: dt.datetime = AT):
    return lambda: moment


def sent(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def log_lines(plan_dir: Path) -> list[str]:
    return (plan_dir / "data" / "2024-Q2" / "receipts.csv").read_text(encoding="utf-8").splitlines()


def test_a_valid_file_is_filed_under_its_canonical_name_and_logged(make_plan, tmp_path):
    plan_dir = make_plan()
    source = sent(tmp_path / "inbox", "indicators-from-mail.csv", MOH)
    report, accepted = receive(plan_dir, Q2, [source], now=clock())
    assert accepted
    filed = plan_dir / "data" / "2024-Q2" / "indicators-MOH.csv"
    assert filed.read_bytes() == source.read_bytes() and source.is_file()  # copied, the original kept
    assert "accepted: " in report and "(MOH) → " in report and "indicators-MOH.csv, 2 row(s)" in report
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert log_lines(plan_dir) == [",".join(RECEIPT_COLUMNS),
                                   f"2024-07-10T09:30:00Z,MOH,indicators-MOH.csv,{digest},2,accepted,"]
    receipts, problems = read_receipts(plan_dir / "data" / "2024-Q2")
    assert problems == [] and receipts == [Receipt(AT, "MOH", "indicators-MOH.csv", digest, 2, ACCEPTED, "")]


def test_an_invalid_file_is_refused_listed_logged_and_not_filed(make_plan, tmp_path, monkeypatch):
    plan_dir = make_plan()
    monkeypatch.chdir(tmp_path)
    source = sent(tmp_path, "indicators-MOH.csv", "indicator_id,value\nH1,abc\nZZ9,4\n")
    report, accepted = receive(plan_dir, Q2, [Path("indicators-MOH.csv")], reply_dir=tmp_path / "replies", now=clock())
    assert not accepted
    assert report.splitlines()[:3] == [
        "refused: indicators-MOH.csv: 2 problem(s); not filed",
        "  indicators-MOH.csv: row 2: column 'value': indicator H1 (sector health): expected a number such as "
        "75, 75.5, ٧٥٫٥, 1,250 or 80%, got 'abc'",
        "  indicators-MOH.csv: row 3: column 'indicator_id': unknown indicator id 'ZZ9' (expected one of the "
        "plan's indicator ids, e.g. H1, H2, W1)"]
    assert not (plan_dir / "data" / "2024-Q2" / "indicators-MOH.csv").exists()
    (receipt,), _ = read_receipts(plan_dir / "data" / "2024-Q2")
    assert (receipt.entity, receipt.file, receipt.rows, receipt.result) == ("", "indicators-MOH.csv", 0, REFUSED)
    assert receipt.reason.startswith("2 problem(s): indicator H1 (sector health): expected a number")
    assert receipt.sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    # The reply tells the focal point, in Arabic, where and what.
    document = zipfile.ZipFile(tmp_path / "replies" / "indicators-MOH.csv.reply.docx").read("word/document.xml").decode()
    for text in ("الصف 2", "القيمة ليست رقماً مقروءاً", "رمز مؤشر غير موجود في الخطة: 'ZZ9'",
                 "نرجو تصحيح الملاحظات"):
        assert text in document, text


def test_a_value_contradicting_a_file_in_force_is_refused(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {"indicators.csv": "indicator_id,value\nH1,80\n"}})
    report, accepted = receive(plan_dir, Q2, [sent(tmp_path, "indicators-MOH.csv", MOH)], now=clock())
    assert not accepted
    assert "reported twice for 2024-Q2 with different values: 80 in " in report
    assert sorted(p.name for p in (plan_dir / "data" / "2024-Q2").iterdir()) == [".receipts.lock", "indicators.csv",
                                                                                 "receipts.csv"]


def test_a_resubmission_supersedes_without_loss(make_plan, tmp_path):
    plan_dir = make_plan()
    folder = plan_dir / "data" / "2024-Q2"
    first = sent(tmp_path / "a", "indicators-MOH.csv", MOH).read_bytes()
    receive(plan_dir, Q2, [tmp_path / "a" / "indicators-MOH.csv"], now=clock())
    second = sent(tmp_path / "b", "indicators-MOH.csv", "indicator_id,value\nH1,76\nH2,70\n").read_bytes()
    report, _ = receive(plan_dir, Q2, [tmp_path / "b" / "indicators-MOH.csv"], now=clock(AT + dt.timedelta(days=1)))
    assert "replaces the earlier file, kept as superseded/indicators-MOH.csv.1" in report
    third = sent(tmp_path / "c", "indicators-MOH.csv", "indicator_id,value\nH1,77\nH2,70\n").read_bytes()
    receive(plan_dir, Q2, [tmp_path / "c" / "indicators-MOH.csv"], now=clock(AT + dt.timedelta(days=2)))
    assert (folder / "indicators-MOH.csv").read_bytes() == third
    assert (folder / "superseded" / "indicators-MOH.csv.1").read_bytes() == first
    assert (folder / "superseded" / "indicators-MOH.csv.2").read_bytes() == second
    # The data readers see the file in force only: no conflict, no warning about the log or superseded/.
    data = read_data(load_plan(plan_dir), plan_dir)
    assert data.get(Q2).indicators["H1"].value == 77 and data.warnings == []
    assert [p.name for p in data.get(Q2).files] == ["indicators-MOH.csv"]
    assert [r.received.day for r in data.get(Q2).receipts] == [10, 11, 12]


def test_the_same_bytes_again_are_logged_not_superseded(make_plan, tmp_path):
    plan_dir = make_plan()
    source = sent(tmp_path, "indicators-MOH.csv", MOH)
    receive(plan_dir, Q2, [source], now=clock())
    report, accepted = receive(plan_dir, Q2, [source], now=clock())
    assert accepted and "the same bytes as the file in force" in report
    assert not (plan_dir / "data" / "2024-Q2" / "superseded").exists()


def test_a_filled_form_is_filed_as_the_entity_form(make_plan, tmp_path):
    plan_dir = make_plan()
    forms = write_forms(plan_dir, Q2, ["MOH"], tmp_path / "out")
    filled = fill(forms[0], tmp_path / "mail" / "نموذج الصحة.xlsx", {(4, 9): "٧٥"}, {(4, 7): 50})
    report, accepted = receive(plan_dir, Q2, [filled], now=clock())
    assert accepted, report
    assert "→ " in report and "form-MOH.xlsx, 2 row(s)" in report
    data, problems = read_period(load_plan(plan_dir), Q2, plan_dir / "data" / "2024-Q2")
    assert data.indicators["H1"].value == 75 and data.projects["P1"].progress == 50
    assert not [p for p in problems if p.is_error]


def test_a_form_for_another_period_is_refused(make_plan, tmp_path):
    plan_dir = make_plan()
    form = write_forms(plan_dir, Period(2024, 1), ["MOH"], tmp_path / "out")[0]
    report, accepted = receive(plan_dir, Q2, [form], now=clock())
    assert not accepted and "expected period 2024-Q2 (the folder's), got '2024-Q1'" in report


@pytest.mark.parametrize("kinds, entity, suffix, form, name", [
    (["indicators"], "MOH", ".csv", False, "indicators-MOH.csv"),
    (["challenges"], "", ".csv", False, "challenges.csv"),
    (["indicators", "projects"], "MOW", ".xlsx", False, "form-MOW.xlsx"),
    (["indicators"], "MOH", ".xlsx", True, "form-MOH.xlsx"),
])
def test_canonical_names(kinds, entity, suffix, form, name):
    assert canonical_name(kinds, entity, suffix, form) == name


def test_a_line_cut_short_is_ignored_and_the_next_starts_fresh(make_plan, tmp_path):
    plan_dir = make_plan()
    folder = plan_dir / "data" / "2024-Q2"
    receive(plan_dir, Q2, [sent(tmp_path, "indicators-MOH.csv", MOH)], now=clock())
    with open(folder / "receipts.csv", "ab") as log:  # what a write stopped halfway leaves
        log.write(b"2024-07-10T09:31:00Z,MOW,indicators-MO")
    receipts, problems = read_receipts(folder)
    assert len(receipts) == 1
    assert [(p.file, p.where.row, p.message, p.is_error) for p in problems] == [
        (folder / "receipts.csv", 3, "ignored: the last line is incomplete (a receipt cut short while being "
                                     "written); the next receipt starts on a new line", False)]
    append_receipt(folder, Receipt(AT, "MOW", "indicators-MOW.csv", "0" * 64, 1, ACCEPTED))
    receipts, problems = read_receipts(folder)
    assert [r.entity for r in receipts] == ["MOH", "MOW"]
    assert [p.where.row for p in problems] == [3]  # the torn line stays, reported, never read


def test_the_log_survives_a_kill_while_a_receipt_is_written(make_plan, tmp_path):
    plan_dir = make_plan()
    folder = plan_dir / "data" / "2024-Q2"
    receive(plan_dir, Q2, [sent(tmp_path, "indicators-MOH.csv", MOH)], now=clock())
    before = (folder / "receipts.csv").read_bytes()
    source = sent(tmp_path, "indicators-MOW.csv", "indicator_id,value\nW1,90\n")
    process = subprocess.Popen([str(tool("review")), "receive", str(plan_dir), "--period", "2024-Q2", str(source)],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, encoding="utf-8",
                               env=dict(os.environ, **{PAUSE_ENV: "receipt"}))
    assert process.stderr is not None
    assert any("paused at receipt" in line for line in process.stderr)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    # Filed before its receipt: the file counts as placed by hand; the log is whole and unchanged.
    assert (folder / "indicators-MOW.csv").is_file() and (folder / "receipts.csv").read_bytes() == before
    assert [p for p in folder.iterdir() if p.name.startswith(".incoming-")]  # left by the kill, unread
    data = read_data(load_plan(plan_dir), plan_dir)
    assert data.warnings == [] and data.get(Q2).indicators["W1"].value == 90
    # The next receive takes the lock the dead process held and logs normally.
    report, accepted = receive(plan_dir, Q2, [source], now=clock())
    assert accepted and "the same bytes as the file in force" in report
    assert [r.entity for r in read_receipts(folder)[0]] == ["MOH", "MOW"]
    assert not [p for p in folder.iterdir() if p.name.startswith(".incoming-")]


def test_two_receives_at_once_keep_the_log_whole(make_plan, tmp_path):
    plan_dir = make_plan()
    batches = []
    for n in range(2):
        files = [sent(tmp_path / f"p{n}-{i}", "indicators-MOH.csv", f"indicator_id,value\nH1,{70 + n * 10 + i}\n")
                 for i in range(6)]
        batches.append([str(tool("review")), "receive", str(plan_dir), "--period", "2024-Q2", *map(str, files)])
    processes = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                  encoding="utf-8") for command in batches]
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, out + err
    folder = plan_dir / "data" / "2024-Q2"
    receipts, problems = read_receipts(folder)
    assert problems == [] and len(receipts) == 12 and {r.result for r in receipts} == {ACCEPTED}
    lines = (folder / "receipts.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == ",".join(RECEIPT_COLUMNS) and len(lines) == 13
    # Eleven files were superseded, none lost: every sent version is in force or kept.
    kept = {p.read_bytes() for p in (folder / "superseded").iterdir()} | {(folder / "indicators-MOH.csv").read_bytes()}
    assert len(kept) == 12


def test_cli_exit_codes_and_usage_errors(make_plan, tmp_path, capsys):
    plan_dir = make_plan()
    good = sent(tmp_path, "indicators-MOH.csv", MOH)
    bad = sent(tmp_path / "x", "indicators-MOW.csv", "indicator_id,value\nW1,-\n")
    assert main(["receive", str(plan_dir), "--period", "2024-Q2", str(good)]) == 0
    assert main(["receive", str(plan_dir), "--period", "2024-Q2", str(good), str(bad), "--reply",
                 str(tmp_path / "r")]) == 2
    out = capsys.readouterr().out
    assert "refused: " in out and "accepted: " in out
    assert sorted(p.name for p in (tmp_path / "r").iterdir()) == ["indicators-MOH.csv.reply.docx",
                                                                  "indicators-MOW.csv.reply.docx"]
    assert audit(tmp_path / "r") == ""
    assert main(["receive", str(plan_dir), "--period", "2024-Q2", str(tmp_path / "missing.csv")]) == 2
    assert "missing.csv: no such file (expected a returned form or data file)" in capsys.readouterr().err
    with pytest.raises(UsageError, match="expected a .csv or .xlsx file, got '.txt'"):
        receive(plan_dir, Q2, [sent(tmp_path, "notes.txt", "x")])


def test_received_at_records_when_the_file_came(make_plan, tmp_path, capsys):
    plan_dir = make_plan()
    source = sent(tmp_path, "indicators-MOH.csv", MOH)
    report, accepted = receive(plan_dir, Q2, [source], now=clock(), received_at=AT - dt.timedelta(days=2))
    (receipt,), _ = read_receipts(plan_dir / "data" / "2024-Q2")
    assert receipt.received == dt.datetime(2024, 7, 8, 9, 30, tzinfo=dt.timezone.utc)
    assert receipt.reason == "received time given with --received-at; filed 2024-07-10T09:30:00Z"
    with pytest.raises(UsageError, match="is in the future"):
        receive(plan_dir, Q2, [source], now=clock(), received_at=AT + dt.timedelta(minutes=1))
    with pytest.raises(SystemExit) as stopped:
        main(["receive", str(plan_dir), "--period", "2024-Q2", str(source), "--received-at", "07/08/2024"])
    assert stopped.value.code == 2
    assert "expected a time like 2024-10-15T09:30 (UTC), got '07/08/2024'" in capsys.readouterr().err


def test_records_that_are_not_regular_files_are_reported_not_followed(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {"indicators-MOH.csv": MOH}})
    folder = plan_dir / "data" / "2024-Q2"
    (folder / "receipts.csv").mkdir()
    (folder / "deadline.txt").symlink_to(tmp_path / "elsewhere.txt")
    (tmp_path / "elsewhere.txt").write_text("2024-07-15")
    data, problems = read_period(load_plan(plan_dir), Q2, folder)
    assert data.receipts == [] and data.deadline is None
    messages = [(p.file.name, p.message, p.is_error) for p in problems]
    assert ("receipts.csv", "receipt log not read: not a regular file (expected the file 'review receive' "
                            "writes)", False) in messages
    assert ("deadline.txt", "not a regular file (expected the date 'review forms --deadline' writes, "
                            "e.g. 2024-10-15)", True) in messages
