"""Hostile plans (issue 14): every one gets exit 2 with a located message naming the file and the
object, no traceback, nothing written; a plan with hundreds of thousands of problems is refused in
seconds and bounded memory (run in a child process under ``RLIMIT_AS`` and a timeout)."""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from review.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
INDICATORS = "indicator_id,value\nH1,70\nH2,80\nW1,100\n"


def refused(capsys, *args: str) -> str:
    """Return the standard error of a command that must exit 2 without a traceback."""
    code = main(list(args))
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "internal error" not in err
    return err


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _indicator(plan: dict, sector: int = 0, index: int = 0) -> dict:
    return plan["sectors"][sector]["objectives"][0]["indicators"][index]


@pytest.mark.parametrize("change, expected", [
    (lambda p: _indicator(p).__setitem__("targets", {2024: float("nan")}),
     "indicators[0].targets[2024]: indicator H1: expected a finite number, got nan"),
    (lambda p: _indicator(p, 1, 0).__setitem__("baseline", float("-inf")),
     "sectors[1].objectives[0].indicators[0].baseline: indicator W1: expected a finite number, got -inf"),
    (lambda p: p["sectors"][0]["projects"][0].__setitem__("budget", 1e300),
     "sectors[0].projects[0].budget: project P1: expected a number between -1e+15 and 1e+15, got 1e+300"),
    (lambda p: p["evaluation"] if p.__setitem__("evaluation", {"at_risk": float("inf")}) else None,
     "evaluation.at_risk: expected a finite number, got inf"),
    (lambda p: _indicator(p).__setitem__("name", "تحصين\x1b[2J"),
     "indicators[0].name: indicator H1: control character U+001B at character 6 in 'تحصين\\x1b[2J'"),
    (lambda p: p["entities"][0].__setitem__("focal_point", "أ.\x00سالم"),
     "entities[0].focal_point: entity MOH: control character U+0000 at character 3"),
    (lambda p: p["sectors"][1].__setitem__("id", "executive"),
     "sectors[1].id: 'executive' is the name of a file or folder the build writes"),
    (lambda p: p["sectors"][1].__setitem__("id", "Results"),
     "sectors[1].id: 'Results' is the name of a file or folder the build writes"),
    (lambda p: p["sectors"][1].__setitem__("id", "COM0.water"),
     "sectors[1].id: 'COM0.water' is a device name on Windows"),
    (lambda p: p["entities"][1].__setitem__("id", "lpt0"),
     "entities[1].id: 'lpt0' is a device name on Windows"),
    (lambda p: p.__setitem__("id", "NUL"), "plan.yaml: line 1: id: 'NUL' is a device name on Windows"),
    (lambda p: p["sectors"][1].__setitem__("id", "water\n"),
     "sectors[1].id: expected a code of letters, digits, '.', '_' or '-' (at most 64, starting with a "
     "letter or digit, no '..'), got 'water\\n'"),
    (lambda p: _indicator(p, 1, 0).pop("targets"),
     "sectors[1].objectives[0].indicators[0].targets: indicator W1: required field is missing"),
    (lambda p: _indicator(p).__setitem__("unit", "٪" * 40_000),
     "indicators[0].unit: indicator H1: text of 40,000 characters (expected at most 32,767"),
])
def test_a_hostile_plan_is_refused_located_and_builds_nothing(make_plan, plan_dict, tmp_path, capsys,
                                                                change, expected):
    change(plan_dict)
    folder = make_plan(plan_dict, {"2024-Q1": {"indicators.csv": INDICATORS}})
    err = refused(capsys, "validate", str(folder))
    assert expected in err and "mini/plan.yaml: line " in err
    assert err.strip().endswith("Stopped: 1 problem in 1 file.")
    assert len(err) < 1200  # nothing echoed in full
    assert not any(ord(c) < 32 and c != "\n" for c in err)
    out = tmp_path / "out"
    assert expected in refused(capsys, "build", str(folder), "--period", "2024-Q1", "--out", str(out))
    assert not list((out / "mini").rglob("*.docx")) and not list(out.rglob("manifest.json"))


def test_a_sector_named_executive_no_longer_replaces_its_pack(make_plan, plan_dict, tmp_path, capsys):
    plan_dict["sectors"][0]["id"] = "Executive"
    folder = make_plan(plan_dict, {"2024-Q1": {"indicators.csv": INDICATORS}})
    err = refused(capsys, "build", str(folder), "--period", "2024-Q1", "--out", str(tmp_path / "out"))
    assert "sectors[0].id: 'Executive' is the name of a file or folder the build writes" in err


def test_plan_and_data_problems_are_listed_in_the_same_run(make_plan, plan_dict, capsys):
    _indicator(plan_dict)["direction"] = "upward"
    folder = make_plan(plan_dict, {"2024-Q1": {"indicators.csv": INDICATORS,
                                               "projects.xlsx": b"not a zip at all"}})
    err = refused(capsys, "validate", str(folder))
    assert "mini/plan.yaml: line " in err and "direction: indicator H1: expected 'up' or 'down'" in err
    assert "mini/data/2024-Q1/projects.xlsx: " in err
    assert "Stopped: 2 problems in 2 files." in err


def test_data_files_are_checked_even_when_the_plan_is_no_yaml(make_plan, capsys):
    folder = make_plan(yaml_text="id: [unclosed\n", data={"2024-Q1": {"indicators.xlsx": b"PK\x03\x04 cut"}})
    err = refused(capsys, "validate", str(folder))
    assert "mini/plan.yaml: line 2, column 1: YAML syntax error" in err
    assert "mini/data/2024-Q1/indicators.xlsx: " in err and "Stopped: 2 problems in 2 files." in err


def test_a_file_name_with_terminal_controls_is_printed_escaped(make_plan, capsys):
    name = "indicators-\x1b[31m\x07.csv"
    folder = make_plan(None, {"2024-Q1": {name: "indicator_id,value\nZZ,1\n"}})
    err = refused(capsys, "validate", str(folder))
    assert "data/2024-Q1/indicators-\\x1b[31m\\x07.csv: row 2" in err
    assert "\x1b" not in err and "\x07" not in err


def test_a_raw_control_character_in_the_yaml_is_located(make_plan, plan_dict, capsys):
    text = yaml.safe_dump(plan_dict, allow_unicode=True, sort_keys=False).replace("Ministry of Water",
                                                                                  "Ministry\x1b]0;x\x07")
    err = refused(capsys, "validate", str(make_plan(yaml_text=text)))
    assert "mini/plan.yaml: line 18, column 17: character U+001B is not allowed in a YAML file" in err
    assert "\x1b" not in err


def test_a_missing_year_in_targets_is_a_warning_not_an_error(make_plan, capsys):
    folder = make_plan(None, {"2025-Q1": {"indicators.csv": "indicator_id,value\nH1,70\nW1,10\n"}})
    assert main(["validate", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "warning: " in out and "plan.yaml: indicator H1: no target for 2025-Q1" in out


# -- bombs: a child process under a memory and a time limit ---------------------------------------

#: Address space for the child: the whole interpreter with pydantic and PyYAML, and the plan.
MEMORY_LIMIT = 1536 * 1024 * 1024
TIME_LIMIT = 60


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def _run_limited(folder: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "review", "validate", str(folder)], cwd=ROOT,
                          capture_output=True, text=True, timeout=TIME_LIMIT, preexec_fn=_limited)


def _plan_with(make_plan, plan_dict, lines: list[str], after: str) -> Path:
    text = yaml.safe_dump(plan_dict, allow_unicode=True, sort_keys=False).splitlines()
    at = text.index(after) + 1
    return make_plan(yaml_text="\n".join(text[:at] + lines + text[at:]) + "\n")


def test_a_plan_with_hundreds_of_thousands_of_unknown_keys_is_refused_at_the_cap(make_plan, plan_dict):
    # 200,000 unknown keys under a sector (after its id), then a syntax error: the reading stops
    # at key 5,001 (k4999), never reaching the rest (the syntax error is not reported), so the
    # refusal costs what a short plan costs (bench/README.md, "hostile plans").
    lines = [f"  k{i}: {i}" for i in range(200_000)] + ["  broken: 'unterminated"]
    folder = _plan_with(make_plan, plan_dict, lines, "- id: health")
    result = _run_limited(folder)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    first_key = _line_of(folder, "  k0: 0")
    assert result.stderr.splitlines() == [
        f"{_shown(folder)}: line {first_key + 4999}: sectors[0]: sector health: more than 5,000 keys in the mapping "
        f"that starts on line {first_key - 1} (unknown fields? expected those of docs/plan-format.md); refused",
        "Stopped: 1 problem in 1 file."]


def test_unknown_keys_below_the_cap_are_each_listed(make_plan, plan_dict):
    folder = _plan_with(make_plan, plan_dict, [f"  k{i}: {i}" for i in range(4_000)], "- id: health")
    result = _run_limited(folder)
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.splitlines()
    assert len(lines) == 22 and "sectors[0].k0: sector health: unknown field (got 0)" in lines[0]
    assert lines[-2].endswith("plan.yaml: … and 3,980 more")
    assert lines[-1] == "Stopped: 4,000 problems in 1 file."


def test_a_plan_with_many_problems_is_refused_in_seconds(make_plan, plan_dict):
    # 100,000 indicators whose every target is text and whose name holds a control character.
    count = 100_000
    lines = [f"    - {{id: X{i}, name: \"n\\a\", entity: MOH, targets: {{2024: x}}}}" for i in range(count // 2)]
    folder = _plan_with(make_plan, plan_dict, lines, "    indicators:")
    result = _run_limited(folder)
    assert result.returncode == 2, result.stderr[-2000:]
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 22 and "indicators[0].name: indicator X0: control character U+0007" in lines[0]
    assert lines[-2].endswith(f"plan.yaml: … and {count - 20:,} more")
    assert lines[-1] == f"Stopped: {count:,} problems in 1 file."


def _line_of(folder: Path, text: str) -> int:
    return (folder / "plan.yaml").read_text(encoding="utf-8").splitlines().index(text) + 1


def _shown(folder: Path) -> str:
    """Return how the command line prints the plan file's path (relative to where it ran)."""
    import os
    return os.path.relpath(folder / "plan.yaml", ROOT)
