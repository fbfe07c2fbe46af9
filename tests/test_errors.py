"""How problems print: escaped file names, the per-file cap, and problems counted but not listed."""

from __future__ import annotations

from pathlib import Path

import pytest

from review.errors import (MAX_QUOTED, WARNING, Location, Problem, WHOLE_FILE, display_path, escaped,
                           format_problems, quoted, unlisted)


@pytest.mark.parametrize("name, shown", [
    ("indicators-\x1b[31m.csv", "indicators-\\x1b[31m.csv"),
    ("a\x07b\x00c.csv", "a\\x07b\\x00c.csv"),
    ("line\nbreak.csv", "line\\x0abreak.csv"),
    ("c1-\x9b2J.csv", "c1-\\x9b2J.csv"),
    ("مؤشرات\u200f.csv", "مؤشرات\u200f.csv"),  # direction marks are text, not controls
])
def test_display_path_escapes_terminal_controls(tmp_path, monkeypatch, name, shown):
    monkeypatch.chdir(tmp_path)
    assert display_path(tmp_path / "data" / name) == f"data/{shown}"
    assert display_path(name) == shown


def test_no_control_character_reaches_the_terminal_from_a_problem():
    problem = Problem(Path("in\x1b]0;title\x07.csv"), Location(sheet="s\x1b[2J", row=3), "column '\x1b'",
                      "expected a number, got \x1b[31mred", WARNING)
    text = str(problem)
    assert not any(ord(c) < 32 or 0x7f <= ord(c) <= 0x9f for c in text)
    assert text.startswith("warning: in\\x1b]0;title\\x07.csv: sheet 's\\x1b[2J', row 3: column '\\x1b': ")
    assert escaped("\x1b[0m") == "\\x1b[0m"


def test_unlisted_problems_are_counted_not_printed():
    problems = [Problem("plan.yaml", Location(line=i), "f", "bad") for i in range(1, 4)]
    problems.append(unlisted("plan.yaml", 199_997))
    problems.append(Problem("data.csv", WHOLE_FILE, "", "unreadable"))
    text = format_problems(problems)
    assert text.splitlines() == [
        "plan.yaml: line 1: f: bad", "plan.yaml: line 2: f: bad", "plan.yaml: line 3: f: bad",
        "data.csv: unreadable", "plan.yaml: … and 199,997 more", "Stopped: 200,001 problems in 2 files."]


def test_the_cap_per_file_and_the_unlisted_count_add_up():
    problems = [Problem("plan.yaml", Location(line=i), "", "bad") for i in range(1, 26)] + [unlisted("plan.yaml", 5)]
    text = format_problems(problems)
    assert text.count("plan.yaml: line") == 20
    assert text.endswith("plan.yaml: … and 10 more\nStopped: 30 problems in 1 file.")


def test_quoted_cuts_long_values():
    assert quoted("abc") == "'abc'"
    cut = quoted("x" * 1000)
    assert cut.endswith("… (1,000 characters)") and len(cut) == MAX_QUOTED + len("… (1,000 characters)")
