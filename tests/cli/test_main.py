"""End to end: the ``review`` command on the samples and on bad input (exit codes, messages, files)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from review.cli.main import main
from review.evaluate import ratio_achievement

from tests.conftest import tool


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool("review")), *args], capture_output=True, text=True, encoding="utf-8",
                          cwd=cwd, timeout=300)


def built_folder(result: subprocess.CompletedProcess) -> Path:
    """Return the folder a successful ``review build`` reports on its last line."""
    line = result.stdout.strip().splitlines()[-1]
    assert line.startswith("Built "), result.stdout
    return Path(line[len("Built "):])


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


@pytest.mark.parametrize("name, period", [("services-1444", "1444-Q4"), ("diversification-2024", "2025-Q2")])
def test_samples_validate_and_build(sample, tmp_path, name, period):
    plan_dir = sample(name)
    checked = run("validate", str(plan_dir))
    assert checked.returncode == 0, checked.stderr
    assert "valid —" in checked.stdout and f"Data completeness for {period}" in checked.stdout
    out = tmp_path / "out"
    built = run("build", str(plan_dir), "--period", period, "--out", str(out), "--issue-date", "2025-01-01")
    assert built.returncode == 0, built.stderr
    folder = built_folder(built)
    assert folder.is_relative_to(out / name / period)
    assert (folder / "results.json").is_file() and (folder / "results.xlsx").is_file()
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert list(results) == ["plan", "period", "plan_score", "sectors", "objectives", "indicators",
                             "projects", "entities"]
    assert results["plan"] == name and results["period"] == period
    assert set(results["indicators"][0]) == {"id", "sector", "objective", "entity", "target", "actual",
                                             "achievement", "score", "status", "trend"}
    assert set(results["projects"][0]) == {"id", "sector", "entity", "planned", "actual", "achievement",
                                           "status", "budget_execution"}


def test_services_results_match_an_independent_computation(sample, tmp_path):
    """Recompute a few indicators straight from plan.yaml and the CSVs, by hand."""
    import csv
    import yaml
    plan_dir = sample("services-1444")
    built = run("build", str(plan_dir), "--period", "1444-Q3", "--out", str(tmp_path / "o"), "-q", "--sector", "health")
    assert built.returncode == 0, built.stderr
    results = json.loads((built_folder(built) / "results.json").read_text(encoding="utf-8"))
    got = {i["id"]: i for i in results["indicators"]}
    plan = yaml.safe_load((plan_dir / "plan.yaml").read_text(encoding="utf-8"))
    indicators = {i["id"]: i for s in plan["sectors"] for o in s["objectives"] for i in o["indicators"]}

    def value(ident: str, quarter: int) -> float | None:
        digits = str.maketrans("٠١٢٣٤٥٦٧٨٩", "0123456789")
        for path in (plan_dir / "data" / f"1444-Q{quarter}").glob("indicators*.csv"):
            rows = list(csv.reader(path.read_text(encoding="utf-8-sig").splitlines()))
            for row in rows[1:]:
                if row and row[0].strip() == ident and row[1].strip():
                    text = row[1].translate(digits).replace("٫", ".").replace("٬", "").replace(",", "")
                    return float(text.rstrip("%٪"))
        return None

    checked = 0
    for ident, ind in indicators.items():
        if ind.get("quarterly_targets") or ind.get("method") or 1444 not in ind["targets"]:
            continue
        annual = ind["targets"][1444]
        if ind.get("measure") == "cumulative":
            target = annual * 3 / 4
            if value(ident, 3) is None:
                continue
            actual = sum(v for q in (1, 2, 3) if (v := value(ident, q)) is not None)
        else:
            start = ind["targets"].get(1443, ind.get("baseline", annual))
            target = start + (annual - start) * 3 / 4
            actual = value(ident, 3)
            if actual is None:
                continue
        expected = ratio_achievement(ind.get("direction", "up"), target, actual)
        assert got[ident]["target"] == pytest.approx(target), ident
        assert got[ident]["actual"] == pytest.approx(actual), ident
        assert got[ident]["achievement"] == pytest.approx(expected), ident
        checked += 1
    assert checked >= 10


def test_build_is_deterministic(sample, tmp_path):
    plan_dir = sample("diversification-2024")
    outputs = []
    for name in ("a", "b"):
        built = run("build", str(plan_dir), "--period", "2024-Q4", "--out", str(tmp_path / name),
                    "--issue-date", "2025-01-15", "-q")
        assert built.returncode == 0, built.stderr
        folder = built_folder(built)
        outputs.append({p.relative_to(folder).as_posix(): p.read_bytes() for p in files_under(folder)
                        if p.name != "manifest.json"})
    assert outputs[0].keys() == outputs[1].keys()
    assert outputs[0] == outputs[1]


def test_invalid_plan_exits_2_lists_problems_and_writes_nothing(make_plan, plan_dict, tmp_path):
    plan_dict["sectors"][0]["objectives"][0]["indicators"][0]["direction"] = "upward"
    plan_dict["entities"][1]["id"] = "MOH"
    folder = make_plan(plan_dict, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,1\n"}})
    out = tmp_path / "out"
    result = run("build", str(folder), "--period", "2024-Q1", "--out", str(out))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "plan.yaml: line" in result.stderr and "direction: indicator H1: expected 'up' or 'down', got 'upward'" in result.stderr
    assert files_under(out) == []


def test_invalid_data_keeps_the_earlier_build_untouched(make_plan, tmp_path):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    out = tmp_path / "out"
    assert run("build", str(folder), "--period", "2024-Q1", "--out", str(out), "-q").returncode == 0
    before = {p: p.read_bytes() for p in files_under(out)}
    (folder / "data/2024-Q1/indicators.csv").write_text("indicator_id,value\nH1,سبعون\nZZ,1\n", encoding="utf-8")
    result = run("build", str(folder), "--period", "2024-Q1", "--out", str(out))
    assert result.returncode == 2
    assert "indicators.csv: row 2: column 'value': indicator H1 (sector health): expected a number" in result.stderr
    assert "indicators.csv: row 3: column 'indicator_id': unknown indicator id 'ZZ'" in result.stderr
    assert "Stopped: 2 problems in 1 file." in result.stderr
    assert {p: p.read_bytes() for p in files_under(out)} == before
    # No staging folder left behind (the chart cache and the lock file are not builds).
    assert [p.name for p in out.rglob(".*") if p.name not in (".cache", ".lock") and ".cache" not in p.parts] == []


def test_validate_reports_missing_submissions_but_exits_0(make_plan):
    folder = make_plan(None, {"2024-Q1": {"indicators-MOH.csv": "indicator_id,value\nH1,70\nH2,80\n"}})
    result = run("validate", str(folder), "--period", "2024-Q1")
    assert result.returncode == 0, result.stderr
    assert "Incomplete: MOW, MOH" in result.stdout


def test_usage_errors_exit_2_without_traceback(make_plan, tmp_path):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    cases = [
        (["build", str(folder), "--period", "2024-Q5"], "expected a period like '2024-Q3'"),
        (["build", str(folder), "--period", "2024-Q3"], "no data folder for 2024-Q3 (periods with data: 2024-Q1)"),
        (["build", str(folder), "--period", "2024-Q1", "--sector", "roads"], "unknown sector id 'roads'"),
        (["validate", str(tmp_path / "nowhere")], "no plan here"),
    ]
    for args, message in cases:
        result = run(*args, "--out", str(tmp_path / "o")) if args[0] == "build" else run(*args)
        assert result.returncode == 2, (args, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr


def test_help_lists_every_command(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("validate", "build", "forms", "receive", "status", "export"):
        assert command in out


def test_internal_error_is_one_line_unless_verbose(make_plan, tmp_path, monkeypatch, capsys):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}})

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("review.pipeline.results.results_json", broken)
    assert main(["build", str(folder), "--period", "2024-Q1", "--out", str(tmp_path / "o"), "-q"]) == 1
    err = capsys.readouterr().err
    assert "internal error: RuntimeError: boom (rerun with --verbose" in err and "Traceback" not in err
    assert main(["build", str(folder), "--period", "2024-Q1", "--out", str(tmp_path / "o"), "-q", "--verbose"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_arabic_folder_names_work(make_plan, tmp_path):
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}}, name="خطة تجريبية")
    out = tmp_path / "مخرجات"
    result = run("build", str(folder), "--period", "2024-Q1", "--out", str(out), "-q")
    assert result.returncode == 0, result.stderr
    assert (built_folder(result) / "results.json").is_file()
    assert built_folder(result).is_relative_to(out / "mini" / "2024-Q1")


def test_python_dash_m_review_is_the_command_line():
    import subprocess
    import sys
    done = subprocess.run([sys.executable, "-m", "review", "--version"], capture_output=True, text=True,
                          encoding="utf-8", timeout=120)
    assert done.returncode == 0
    from review import __version__
    assert __version__ in done.stdout


def test_build_no_deck_skips_the_workshop_deck(make_plan, tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["build", "--help"])
    assert "--no-deck" in capsys.readouterr().out
    folder = make_plan(None, {"2024-Q1": {"indicators.csv": "indicator_id,value\nH1,70\n"}})
    assert main(["build", str(folder), "--period", "2024-Q1", "--out", str(tmp_path / "a"), "-q"]) == 0
    assert main(["build", str(folder), "--period", "2024-Q1", "--out", str(tmp_path / "b"), "-q", "--no-deck"]) == 0
    assert [p.name for p in (tmp_path / "a").rglob("deck.pptx")] == ["deck.pptx"]
    assert list((tmp_path / "b").rglob("deck.pptx")) == []
