"""The command line against a hostile environment (issue 14, item 4): an output closed by its
reader, a broken pipe that is not the output's, and ``status --xlsx`` given a path it cannot write.

Each case asserts the exit code, the message naming the path, no traceback, and that nothing was
written where a file was asked for.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from review.cli.main import EXIT_CLOSED_OUTPUT, main

ROOT = Path(__file__).resolve().parents[2]
DATA = {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nH2,50\nW1,120\n"}}


def run_with_closed(stream: str, args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run ``python -m review ARGS`` whose ``stream`` ("stdout" or "stderr") is a pipe closed
    before it writes a byte (the reader, like ``head``, has gone); return what the other stream got."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "REVIEW_WORKERS": "1"}
    process = subprocess.Popen([sys.executable, "-m", "review", *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    closed, other = (process.stdout, process.stderr) if stream == "stdout" else (process.stderr, process.stdout)
    with process:
        closed.close()  # before the interpreter has even started: every write finds no reader
        try:
            remaining = other.read()
            process.wait(timeout=300)
        finally:
            process.kill()
    return subprocess.CompletedProcess(process.args, process.returncode,
                                       *((remaining, b"") if stream == "stderr" else (b"", remaining)))


@pytest.mark.parametrize("args", [
    ["validate", "{plan}"],
    ["validate", "{plan}", "--period", "1444-Q2"],
    ["status", "{plan}", "--period", "1444-Q4"],
    ["recommendations", "{plan}", "--period", "1444-Q4", "--out", "{tmp}/out"],
])
def test_a_closed_output_ends_the_command_quietly(args, sample, tmp_path):
    """``review validate plans/services-1444 | head -1``: no traceback, no "Exception ignored"."""
    plan = sample("services-1444")
    done = run_with_closed("stdout", [a.format(plan=plan, tmp=tmp_path) for a in args], tmp_path)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == EXIT_CLOSED_OUTPUT, err
    assert "Traceback" not in err and "Exception ignored" not in err and "BrokenPipe" not in err
    assert "internal error" not in err


@pytest.mark.parametrize("args", [["--help"], ["build", "--help"], ["--version"]])
def test_help_into_a_closed_output_ends_quietly(args, tmp_path):
    """argparse prints and exits itself (0, having swallowed the error); nothing may follow on stderr."""
    done = run_with_closed("stdout", args, tmp_path)
    assert done.returncode in (0, EXIT_CLOSED_OUTPUT) and done.stderr == b""


def test_a_closed_progress_stream_stops_a_build_without_a_half_written_revision(make_plan, tmp_path):
    """``review build … 2>&1 | head -1``: the first progress line meets no reader."""
    plan = make_plan(None, DATA)
    out = tmp_path / "out"
    done = run_with_closed("stderr", ["build", str(plan), "--period", "2024-Q1", "--out", str(out)], tmp_path)
    assert done.returncode == EXIT_CLOSED_OUTPUT, done.stdout
    assert b"Traceback" not in done.stdout and done.stdout == b""
    left = [p for p in out.rglob("*") if p.is_file() and ".cache" not in p.relative_to(out).parts
            and p.name != ".lock"] if out.exists() else []
    assert left == []


def test_a_broken_pipe_that_is_not_the_output_is_an_internal_error(monkeypatch, make_plan, capsys):
    """A worker process's pipe breaking is a fault of the tool, not of the reader: exit 1."""
    def broken(args):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(sys.modules["review.cli.main"], "run_validate", broken)
    assert main(["validate", str(make_plan(None, DATA))]) == 1
    err = capsys.readouterr().err
    assert "review: internal error: BrokenPipeError" in err and "Traceback" not in err


@pytest.mark.parametrize("target, message", [
    ("folder", "folder: --xlsx: is a folder (expected the name of the .xlsx file to write, e.g. folder/status.xlsx)"),
    ("file.txt/status.xlsx", "file.txt/status.xlsx: --xlsx: file.txt is not a folder (expected the name of the .xlsx "
                             "file to write)"),
])
def test_status_xlsx_that_cannot_be_written_exits_2_naming_it(target, message, make_plan, tmp_path, monkeypatch, capsys):
    plan = make_plan(None, DATA)
    (tmp_path / "folder").mkdir()
    (tmp_path / "file.txt").write_text("not a folder", encoding="utf-8")
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    monkeypatch.chdir(tmp_path)
    assert main(["status", str(plan), "--period", "2024-Q1", "--xlsx", target]) == 2
    captured = capsys.readouterr()
    assert message in captured.err, captured.err
    assert "Traceback" not in captured.err and captured.out == ""
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_status_xlsx_in_a_folder_without_write_permission_exits_2(make_plan, tmp_path, capsys):
    plan = make_plan(None, DATA)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        assert main(["status", str(plan), "--period", "2024-Q1", "--xlsx", str(locked / "status.xlsx")]) == 2
    finally:
        locked.chmod(0o700)
    err = capsys.readouterr().err
    assert "status.xlsx: --xlsx: cannot be written: Permission denied" in err and "Traceback" not in err
    assert list(locked.iterdir()) == []


@pytest.mark.parametrize("command", ["forms", "recommendations"])
def test_out_that_is_a_file_is_a_located_usage_error(make_plan, tmp_path, capsys, command):
    from review.cli.main import main
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    assert main([command, str(folder), "--period", "2024-Q1", "--out", str(blocker / "sub"), "-q"]) == 2
    err = capsys.readouterr().err
    assert "not-a-folder" in err and "Traceback" not in err and "internal error" not in err
    assert blocker.read_text(encoding="utf-8") == "x"
