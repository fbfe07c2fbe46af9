"""The archive of revisions (issue 5): revisions, manifests, snapshots, verify, finalize, rebuild,
crash safety, the period lock and PDF/A copies."""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import signal
import stat
import subprocess
import time
import zipfile
from pathlib import Path

import pytest

from review.archive import revisions as archive
from review.pipeline.build import BuildOptions, build
from review.cli.main import main
from review.pause import PAUSE_ENV
from review.errors import UsageError
from review.model.periods import Period

from tests.conftest import tool

PERIOD = "2024-Q1"
DATA = {PERIOD: {"indicators.csv": "indicator_id,value\nH1,70\nH2,80\nW1,100\n",
                 "projects.csv": "project_id,progress\nP1,20\n"}}
DRAFT = "مسودة للمراجعة"


@pytest.fixture
def plan_dir(make_plan) -> Path:
    return make_plan(data=DATA)


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "out"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def build_cli(capsys, plan_dir: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "build", str(plan_dir), "--period", PERIOD, "--out", str(out),
               "--issue-date", "2024-05-01", *extra)


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(tool("review")), *args], capture_output=True, text=True, encoding="utf-8",
                          timeout=300, env=env)


def period_dir(out: Path) -> Path:
    return out / "mini" / PERIOD


def revisions(out: Path) -> list[str]:
    folder = period_dir(out)
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")) \
        if folder.is_dir() else []


def hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): archive.sha256(p.read_bytes())
            for p in sorted(folder.rglob("*")) if p.is_file()}


def document_text(docx: Path) -> str:
    with zipfile.ZipFile(docx) as package:
        return "".join(package.read(n).decode("utf-8") for n in package.namelist()
                       if n.startswith("word/") and n.endswith(".xml"))


def make_writable(folder: Path) -> None:
    """Give back the write permission finalising took from a revision's files and folders."""
    for path in [folder, *folder.rglob("*")]:
        if path.is_dir():
            os.chmod(path, stat.S_IMODE(path.stat().st_mode) | stat.S_IWUSR)
        elif path.is_file():
            os.chmod(path, stat.S_IREAD | stat.S_IWRITE)


# -- a build writes a self-contained revision -----------------------------------------------------

def test_build_writes_a_revision_with_manifest_snapshot_and_index(capsys, plan_dir, out):
    code, stdout, err = build_cli(capsys, plan_dir, out)
    assert code == 0, err
    r1 = period_dir(out) / "r1"
    assert stdout.strip() == f"Built {r1}"
    assert (r1 / "health.docx").is_file() and (r1 / "results.json").is_file()
    manifest = json.loads((r1 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["plan"] == "mini" and manifest["period"] == PERIOD and manifest["revision"] == 1
    assert manifest["issue_date"] == "2024-05-01" and manifest["version"]
    assert manifest["command"][:3] == ["review", "build", str(plan_dir)]
    assert str(out) not in manifest["command"] and "--out" not in manifest["command"]
    assert manifest["partial"] is False and "source_date_epoch" in manifest
    assert manifest["draft_mark"] == "مسودة للمراجعة — المراجعة 1"
    assert "final" not in manifest and manifest["amends"] is None and manifest["reason"] is None
    inputs = {e["path"] for e in manifest["inputs"]}
    assert {"snapshot/plan.yaml", f"snapshot/data/{PERIOD}/indicators.csv", f"snapshot/data/{PERIOD}/projects.csv",
            "snapshot/word/briefing.docx", "snapshot/templates/phrases.yaml"} <= inputs
    assert (r1 / "snapshot/plan.yaml").read_bytes() == (plan_dir / "plan.yaml").read_bytes()
    outputs = {e["path"]: e for e in manifest["outputs"]}
    assert "health.docx" in outputs and any(name.startswith("charts/") for name in outputs)
    assert outputs["health.docx"]["size"] == (r1 / "health.docx").stat().st_size
    assert outputs["health.docx"]["sha256"] == archive.sha256((r1 / "health.docx").read_bytes())
    # Until finalised, every page of every pack says it is a draft, with the revision number.
    assert "مسودة للمراجعة — المراجعة 1" in document_text(r1 / "health.docx")
    index = json.loads((period_dir(out) / "index.json").read_text(encoding="utf-8"))
    assert index["latest"] == 1 and index["final"] is None
    assert [r["folder"] for r in index["revisions"]] == ["r1"]


def test_build_returns_the_revision_folder(plan_dir, out):
    folder = build(BuildOptions(plan_dir, Period.parse(PERIOD), out, issue_date=None))
    assert folder == archive.period_folder(out, "mini", PERIOD) / "r1"


def test_unchanged_inputs_create_nothing_and_changes_make_a_new_revision(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    before = hashes(period_dir(out))
    code, stdout, err = build_cli(capsys, plan_dir, out)
    assert code == 0
    assert "mini 2024-Q1 is up to date (r1)" in err and "nothing built" in err
    assert stdout.strip().endswith("r1")
    assert hashes(period_dir(out)) == before
    # A changed figure is a new revision; the earlier one is untouched.
    (plan_dir / "data" / PERIOD / "indicators.csv").write_text("indicator_id,value\nH1,75\nH2,80\nW1,100\n",
                                                                encoding="utf-8")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert revisions(out) == ["r1", "r2"]
    # (r1 keeps whole what r2 shares with it, the rest as recipes: the same bytes.)
    assert {name: archive.sha256(data) for name, data in archive.revision_files(period_dir(out) / "r1").items()} \
        == {k[3:]: v for k, v in before.items() if k.startswith("r1/")}
    assert "المراجعة 2" in document_text(period_dir(out) / "r2" / "health.docx")
    # Another issue date is another build too.
    assert build_cli(capsys, plan_dir, out, "--issue-date", "2024-06-01")[0] == 0
    assert revisions(out) == ["r1", "r2", "r3"]
    index = json.loads((period_dir(out) / "index.json").read_text(encoding="utf-8"))
    assert index["latest"] == 3 and [r["revision"] for r in index["revisions"]] == [1, 2, 3]


# -- verify -----------------------------------------------------------------------------------------

def test_verify_names_changed_missing_and_extra_files(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    code, stdout, _ = cli(capsys, "archive", "verify", "--out", str(out))
    assert code == 0 and "Verified 1 revision(s) in 1 period(s)" in stdout
    r1 = period_dir(out) / "r1"
    with open(r1 / "health.docx", "ab") as handle:
        handle.write(b"tampered")
    (r1 / "results.json").unlink()
    (r1 / "charts" / "notes.txt").write_text("added", encoding="utf-8")
    (r1 / "snapshot" / "plan.yaml").write_text("id: other\n", encoding="utf-8")
    code, stdout, _ = cli(capsys, "archive", "verify", str(plan_dir), "--period", PERIOD, "--out", str(out))
    assert code == 1
    lines = stdout.splitlines()
    assert any("r1/health.docx: changed (SHA-256 " in line and "…, expected " in line for line in lines)
    assert any(line.endswith("r1/results.json: missing") for line in lines)
    assert any(line.endswith("r1/charts/notes.txt: extra file (not in the manifest)") for line in lines)
    assert any("r1/snapshot/plan.yaml: changed" in line for line in lines)
    assert lines[-1].startswith("Stopped: 4 problem(s) in 1 revision(s)")


def test_verify_reports_a_damaged_manifest_and_ignores_leftovers(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    folder = period_dir(out)
    (folder / ".staging-r2-dead").mkdir()
    (folder / ".staging-r2-dead" / "health.docx").write_bytes(b"partial")
    (folder / "forms").mkdir()  # review forms writes here: not part of the archive
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    (folder / "r1" / "manifest.json").write_text("{not json", encoding="utf-8")
    code, stdout, _ = cli(capsys, "archive", "verify", "mini", "--out", str(out))
    assert code == 1
    assert "r1/manifest.json: unreadable" in stdout
    assert "index.json: out of date" in stdout


def test_verify_of_an_unknown_plan_is_a_usage_error(capsys, out):
    out.mkdir()
    code, _, err = cli(capsys, "archive", "verify", "nothing-here", "--out", str(out))
    assert code == 2 and "'nothing-here': neither a plan folder (with plan.yaml) nor an archived plan" in err
    # The build cache beside the plans is neither listed as one nor taken for one.
    (out / ".cache").mkdir(parents=True, exist_ok=True)
    (out / "mini").mkdir(exist_ok=True)
    code, _, err = cli(capsys, "archive", "verify", "nothing-here", "--out", str(out))
    assert code == 2 and "(archived plans: mini)" in err
    code, _, err = cli(capsys, "archive", "verify", ".cache", "--out", str(out))
    assert code == 2 and "'.cache': neither a plan folder" in err


# -- rebuild from the snapshot ----------------------------------------------------------------------

def test_rebuild_from_snapshot_gives_identical_bytes(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out, "--lang", "en")[0] == 0
    # The live plan moves on; the snapshot is what counts.
    (plan_dir / "data" / PERIOD / "indicators.csv").unlink()
    code, stdout, err = cli(capsys, "archive", "rebuild", str(plan_dir), "--period", PERIOD, "--out", str(out))
    assert code == 0, err
    assert "mini 2024-Q1 r1: rebuilt from its snapshot; all" in stdout and "identical" in stdout
    # A changed output is named.
    r1 = period_dir(out) / "r1"
    (r1 / "results.json").write_bytes(b"{}")
    code, stdout, _ = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--revision", "1",
                          "--out", str(out), "-q")
    assert code == 1
    assert f"{r1 / 'results.json'}: differs from the rebuild" in stdout
    assert "Stopped: 1 of" in stdout


def test_rebuild_of_a_missing_revision_is_a_usage_error(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    code, _, err = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--revision", "7", "--out", str(out))
    assert code == 2 and "--revision 7: no such revision" in err and "(expected one of 1)" in err
    code, _, err = cli(capsys, "archive", "rebuild", "mini", "--period", "2024-Q2", "--out", str(out))
    assert code == 2 and "mini 2024-Q2: no archived revisions" in err


# -- finalize and amendments ------------------------------------------------------------------------

def test_finalize_writes_final_packs_then_builds_need_a_reason(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    folder = period_dir(out)
    r1 = folder / "r1"
    drafts = hashes(r1)
    code, stdout, err = cli(capsys, "archive", "finalize", str(plan_dir), "--period", PERIOD, "--out", str(out))
    assert code == 0, err
    assert "Finalised mini 2024-Q1 r1" in stdout and "read-only" in stdout
    # The drafts stay as they were; final/ holds the packs without the mark.
    after = hashes(r1)
    assert {k: v for k, v in after.items() if k in drafts and k != "manifest.json"} == \
        {k: v for k, v in drafts.items() if k != "manifest.json"}
    finals = sorted(p.name for p in (r1 / "final").iterdir())
    assert "health.docx" in finals and all(name.endswith(".docx") for name in finals)
    assert DRAFT not in document_text(r1 / "final" / "health.docx")
    assert DRAFT in document_text(r1 / "health.docx")
    manifest = json.loads((r1 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["final"]["finalized_at"]
    assert {e["path"] for e in manifest["final"]["outputs"]} == {f"final/{n}" for n in finals}
    assert any(e["path"] == "health.docx" for e in manifest["outputs"])
    assert not os.access(r1 / "health.docx", os.W_OK) or os.geteuid() == 0
    assert not (r1 / "final" / "health.docx").stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    assert json.loads((folder / "index.json").read_text(encoding="utf-8"))["final"] == 1
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    assert cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q")[0] == 0
    # Finalising again changes nothing.
    code, stdout, _ = cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(out))
    assert code == 0 and "already final" in stdout

    # Same inputs: still up to date, no reason needed.
    assert build_cli(capsys, plan_dir, out)[0] == 0 and revisions(out) == ["r1"]
    # Changed inputs: refused without --reason …
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-09")
    assert code == 2
    assert "review: mini 2024-Q1 was finalised on " in err and '(r1); a rebuild needs --reason "…"' in err
    assert revisions(out) == ["r1"]
    # … and recorded as an amendment with it.
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-09", "--reason", "تصحيح رقم الصحة")
    assert code == 0, err
    amendment = json.loads((folder / "r2" / "manifest.json").read_text(encoding="utf-8"))
    assert amendment["amends"] == 1 and amendment["reason"] == "تصحيح رقم الصحة"
    code, stdout, _ = cli(capsys, "archive", "list", "--out", str(out))
    assert code == 0
    assert "2024-Q1  (2 revision(s); latest r2, final r1)" in stdout
    assert "r1   issued 2024-05-01" in stdout and "FINAL since" in stdout
    assert "r2   issued 2024-05-09" in stdout and "amends r1: 'تصحيح رقم الصحة'" in stdout
    assert hashes(r1) == after
    make_writable(r1)


def test_finalize_refuses_a_revision_that_does_not_verify(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    (period_dir(out) / "r1" / "water.docx").write_bytes(b"not a pack")
    code, _, err = cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(out))
    assert code == 1 and "does not verify, so it cannot be finalised" in err and "water.docx: changed" in err
    assert not (period_dir(out) / "r1" / "final").exists()


# -- crash safety -----------------------------------------------------------------------------------

def _start_paused(plan_dir: Path, out: Path, stage: str, issue_date: str) -> subprocess.Popen:
    env = dict(os.environ, **{PAUSE_ENV: stage})
    process = subprocess.Popen([str(tool("review")), "build", str(plan_dir), "--period", PERIOD, "--out", str(out),
                                "--issue-date", issue_date], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               text=True, encoding="utf-8", env=env)
    for line in process.stderr:
        if f"paused at {stage}" in line:
            return process
    process.wait(timeout=60)
    pytest.fail(f"the build ended (exit {process.returncode}) before reaching {stage}")


@pytest.mark.parametrize("stage", ["locked", "rendered", "staging", "staged"])
def test_a_killed_build_leaves_no_partial_revision(capsys, plan_dir, out, stage):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    earlier = hashes(period_dir(out) / "r1")
    process = _start_paused(plan_dir, out, stage, "2024-05-02")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    assert revisions(out) == ["r1"]
    assert hashes(period_dir(out) / "r1") == earlier
    code, stdout, _ = cli(capsys, "archive", "verify", "--out", str(out))
    assert code == 0, stdout
    # The next build removes the leftovers and writes the revision (the killed build's lock is gone).
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02")
    assert code == 0, err
    assert revisions(out) == ["r1", "r2"]
    assert not [p for p in period_dir(out).iterdir() if p.name.startswith(archive.STAGING_PREFIX)]
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0


def _processes_of(out: Path) -> list[str]:
    """Return the ids of running processes whose command line names ``out`` (a build and its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            if entry.name.isdigit() and str(out).encode() in (entry / "cmdline").read_bytes():
                found.append(entry.name)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/cmdline").exists(), reason="lists processes through /proc")
def test_a_killed_build_leaves_no_worker_processes(plan_dir, out, monkeypatch):
    monkeypatch.setenv("REVIEW_WORKERS", "2")
    process = _start_paused(plan_dir, out, "rendering", "2024-05-02")  # a worker pauses in its first pack
    assert len(_processes_of(out)) >= 3  # the build, its pack workers, its chart service
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    deadline = time.monotonic() + 15
    while _processes_of(out) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_of(out) == []


def test_builds_killed_at_random_moments_never_show_a_partial_revision(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    rng = random.Random(5)
    for attempt in range(3):
        process = subprocess.Popen([str(tool("review")), "build", str(plan_dir), "--period", PERIOD,
                                    "--out", str(out), "--issue-date", f"2024-06-0{attempt + 1}", "-q"],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.3, 2.5))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        for name in revisions(out):
            assert (period_dir(out) / name / "manifest.json").is_file()
        code, stdout, _ = cli(capsys, "archive", "verify", "--out", str(out))
        # A kill between the rename and the index update leaves a complete revision and a stale index.
        # A kill while converting the earlier revisions leaves its record (and perhaps a temporary
        # file), named as an interruption; every file still verifies.
        assert code == 0 or all("index.json: out of date" in line or "interrupted" in line
                                for line in stdout.splitlines()[:-1]), stdout


def test_a_killed_finalize_leaves_the_revision_as_it_was(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    r1 = period_dir(out) / "r1"
    before = hashes(r1)
    env = dict(os.environ, **{PAUSE_ENV: "finalizing"})
    process = subprocess.Popen([str(tool("review")), "archive", "finalize", "mini", "--period", PERIOD,
                                "--out", str(out)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                               text=True, encoding="utf-8", env=env)
    assert any("paused at finalizing" in line for line in process.stderr)
    process.kill()
    process.wait(timeout=30)
    process.stderr.close()
    assert hashes(r1) == before
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    # Killed after moving final/ in but before the manifest said so: the next finalize redoes it.
    (r1 / "final").mkdir()
    (r1 / "final" / "health.docx").write_bytes(b"half")
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 1
    code, stdout, err = cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(out))
    assert code == 0, err
    assert "left by an interrupted finalize" in err
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    make_writable(r1)


# -- concurrency ------------------------------------------------------------------------------------

def test_two_concurrent_builds_never_interleave(capsys, plan_dir, out):
    command = [str(tool("review")), "build", str(plan_dir), "--period", PERIOD, "--out", str(out),
               "--issue-date", "2024-05-01"]
    first = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    second = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, encoding="utf-8")
    results = [(p.wait(timeout=300), *p.communicate()) for p in (first, second)]
    for code, _, err in results:
        assert code == 0 or (code == 2 and "another build of mini 2024-Q1 is running" in err), err
    assert revisions(out) == ["r1"]  # the one that waited found the period up to date
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0


def test_a_second_build_stops_clearly_when_the_lock_is_held(monkeypatch, plan_dir, out):
    monkeypatch.setattr(archive, "LOCK_TIMEOUT", 0.2)
    folder = archive.period_folder(out, "mini", PERIOD)
    with archive.locked(folder, "mini", PERIOD):
        with pytest.raises(UsageError) as caught:
            build(BuildOptions(plan_dir, Period.parse(PERIOD), out))
    assert str(caught.value).startswith("another build of mini 2024-Q1 is running (lock file ")
    assert str(caught.value).endswith(".lock); try again when it finishes")
    assert revisions(out) == []


# -- names, PDF/A -----------------------------------------------------------------------------------

def test_arabic_folder_names(capsys, make_plan, tmp_path):
    plan_dir = make_plan(data=DATA, name="خطة")
    out = tmp_path / "مخرجات"
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert cli(capsys, "archive", "verify", str(plan_dir), "--out", str(out))[0] == 0
    code, stdout, _ = cli(capsys, "archive", "list", str(plan_dir), "--out", str(out))
    assert code == 0 and stdout.startswith("mini\n  2024-Q1")


def test_pdf_without_libreoffice_stops_before_any_work(monkeypatch, plan_dir, out, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(UsageError) as caught:
        build(BuildOptions(plan_dir, Period.parse(PERIOD), out, pdf=True))
    assert str(caught.value).startswith("--pdf needs LibreOffice (soffice) on PATH; install libreoffice-writer-nogui")
    assert not out.exists()


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice (soffice) is not installed: no PDF/A to check")
@pytest.mark.layout
def test_pdf_writes_a_pdfa_copy_of_every_pack(capsys, plan_dir, out):
    code, _, err = build_cli(capsys, plan_dir, out, "--pdf", "--sector", "water")
    assert code == 0, err
    r1 = period_dir(out) / "r1"
    pdfs = sorted(p.name for p in r1.glob("*.pdf"))
    assert pdfs == sorted(p.name[:-5] + ".pdf" for p in r1.glob("*.docx"))
    data = (r1 / "water.pdf").read_bytes()
    assert data.startswith(b"%PDF") and b"pdfaid:part" in data
    # The PDF copy's contents carry page numbers; the draft .docx keeps its headings as links.
    contents = subprocess.run(["pdftotext", "-f", "2", "-l", "2", str(r1 / "water.pdf"), "-"], capture_output=True).stdout
    assert b"3" in contents and contents.count(b"....") >= 3
    assert contents_page_numbers(r1 / "water.docx") == []
    manifest = json.loads((r1 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["options"]["pdf"] is True and any(e["path"] == "water.pdf" for e in manifest["outputs"])
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    # Asking for PDFs again is up to date; a build without --pdf is too (it would only lose them).
    assert build_cli(capsys, plan_dir, out, "--pdf", "--sector", "water")[0] == 0
    assert build_cli(capsys, plan_dir, out, "--sector", "water")[0] == 0
    assert revisions(out) == ["r1"]


def test_a_build_failing_after_its_snapshot_was_written_leaves_nothing(capsys, plan_dir, out, monkeypatch):
    from review.pipeline import workers as rendering
    assert build_cli(capsys, plan_dir, out)[0] == 0
    earlier = hashes(period_dir(out) / "r1")
    written = []

    def failing_render(*args, while_waiting=None, **kwargs):
        while_waiting()  # the snapshot goes to the staging folder …
        written.extend(p / "snapshot" / "plan.yaml" for p in period_dir(out).iterdir()
                       if p.name.startswith(archive.STAGING_PREFIX) and (p / "snapshot" / "plan.yaml").is_file())
        raise RuntimeError("a worker died")  # … and then rendering fails

    monkeypatch.setattr(rendering, "render_packs", failing_render)
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02")
    assert code == 1 and "a worker died" in err
    assert len(written) == 1
    assert not [p for p in period_dir(out).iterdir() if p.name.startswith(archive.STAGING_PREFIX)]
    assert revisions(out) == ["r1"] and hashes(period_dir(out) / "r1") == earlier


def test_a_build_stopped_after_rendering_leaves_no_staging_folder(capsys, plan_dir, out, monkeypatch):
    # E.g. a failed PDF conversion or Ctrl+C: the snapshot staged while rendering is removed.
    assert build_cli(capsys, plan_dir, out)[0] == 0

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(archive, "write_revision", interrupted)
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02")
    assert code == 130 and "interrupted" in err
    assert not [p for p in period_dir(out).iterdir() if p.name.startswith(archive.STAGING_PREFIX)]
    assert revisions(out) == ["r1"]


# -- identical files shared between a period's revisions (issue 20) -------------------------------

def _revision(folder: Path, number: int, outputs: dict[str, bytes], inputs: dict[str, bytes],
              progress=None) -> Path:
    manifest = {"plan": "p", "period": "2025-Q1", "options": {}}
    folder.mkdir(parents=True, exist_ok=True)
    if progress is None:
        def progress(message: str) -> None:  # a test's conversion never fails unless it says so
            raise AssertionError(message)
    return archive.write_revision(folder, number, outputs, inputs, manifest, progress=progress)


def test_identical_files_are_shared_with_the_earlier_revision(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    first = _revision(folder, 1, {"a.docx": b"A" * 100, "charts/c.png": b"C" * 50},
                      {"snapshot/plan.yaml": b"plan", "snapshot/data/x.csv": b"x,1"})
    second = _revision(folder, 2, {"a.docx": b"A2" * 50, "charts/c.png": b"C" * 50},
                       {"snapshot/plan.yaml": b"plan", "snapshot/data/x.csv": b"x,2"})

    def same(name: str) -> bool:
        return (first / name).is_file() and (first / name).stat().st_ino == (second / name).stat().st_ino

    assert same("charts/c.png") and same("snapshot/plan.yaml")
    assert not same("a.docx") and not same("snapshot/data/x.csv") and not same("manifest.json")
    # What r2 does not share, r1 keeps as recipes of chunks in the period's store.
    assert sorted(archive.read_recipes(first)) == ["a.docx", "snapshot/data/x.csv"]
    assert archive.revision_bytes(first, "a.docx") == b"A" * 100
    assert (second / "a.docx").read_bytes() == b"A2" * 50
    assert archive.verify_period(folder, "p") == []
    # Altering a shared file is seen in both revisions.
    (first / "charts" / "c.png").write_bytes(b"D" * 50)
    changed = sorted(str(f.path.relative_to(folder)) for f in archive.verify_period(folder, "p"))
    assert changed == [os.path.join("r1", "charts", "c.png"), os.path.join("r2", "charts", "c.png")]


def test_an_earlier_file_altered_since_its_manifest_is_not_taken_over(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    first = _revision(folder, 1, {"a.docx": b"A" * 100}, {"snapshot/plan.yaml": b"plan"})
    (first / "a.docx").write_bytes(b"B" * 100)  # same size, other bytes: its manifest says A…
    second = _revision(folder, 2, {"a.docx": b"A" * 100}, {"snapshot/plan.yaml": b"plan"})
    assert (second / "a.docx").read_bytes() == b"A" * 100
    assert (second / "a.docx").stat().st_ino != (first / "a.docx").stat().st_ino
    assert archive.verify_revision(second) == []


# Through the command line a leftover is always removed before a revision is finalised (finalize
# cleans the period first); called directly, finalize_revision may make a leftover's links read-only,
# which Windows refuses to delete without clearing the attribute the finalised file shares.
@pytest.mark.skipif(os.name == "nt", reason="Windows cannot delete a read-only link")
def test_removing_a_leftover_keeps_a_finalised_revisions_shared_files_read_only(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    first = _revision(folder, 1, {"a.docx": b"A" * 100}, {"snapshot/plan.yaml": b"plan"})
    staging = archive.stage_inputs(folder, 2, {"snapshot/plan.yaml": b"plan"})  # a build killed here
    assert (staging / "snapshot" / "plan.yaml").stat().st_ino == (first / "snapshot" / "plan.yaml").stat().st_ino
    archive.finalize_revision(folder, 1, {"a.docx": b"F" * 10})
    assert archive.clean_staging(folder) == [staging]
    assert not staging.exists()
    assert not (first / "snapshot" / "plan.yaml").stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def is_read_only(path: Path) -> bool:
    return not path.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_where_linking_fails_the_file_is_copied(tmp_path, monkeypatch):
    import errno

    def refuse(source, target, *args, **kwargs):  # FAT, a network share, too many links, another device
        raise OSError(errno.EPERM, "Operation not permitted")
    folder = tmp_path / "p" / "2025-Q1"
    first = _revision(folder, 1, {"a.docx": b"A" * 100, "charts/c.png": b"C" * 50}, {"snapshot/plan.yaml": b"plan"})
    monkeypatch.setattr(os, "link", refuse)
    second = _revision(folder, 2, {"a.docx": b"A" * 100, "charts/c.png": b"C" * 50}, {"snapshot/plan.yaml": b"plan"})
    for name in ("a.docx", "charts/c.png", "snapshot/plan.yaml"):
        assert (second / name).read_bytes() == (first / name).read_bytes()
        assert not os.path.samefile(first / name, second / name)
    assert archive.verify_period(folder, "p") == []


def test_finalising_a_revision_makes_the_files_it_shares_read_only_and_they_are_never_linked_again(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    outputs = {"a.docx": b"A" * 100, "charts/c.png": b"C" * 50}
    first = _revision(folder, 1, {**outputs, "b.docx": b"B1"}, {"snapshot/plan.yaml": b"plan"})
    second = _revision(folder, 2, {**outputs, "b.docx": b"B2"}, {"snapshot/plan.yaml": b"plan"})
    assert os.path.samefile(first / "a.docx", second / "a.docx")
    archive.finalize_revision(folder, 2, {"a.docx": b"F" * 10, "b.docx": b"G"})
    # A link is the same file: r1's copy of what r2 shares is read-only now; its own files are
    # recipes (r2 did not share them).
    assert is_read_only(first / "a.docx") and is_read_only(first / "snapshot" / "plan.yaml")
    assert not (first / "b.docx").exists() and "b.docx" in archive.read_recipes(first)
    assert archive.verify_period(folder, "p") == []
    # The next revision copies the read-only files instead of linking them: its files are writable
    # (a failed build can delete its staging folder, Windows included) ...
    third = _revision(folder, 3, {**outputs, "b.docx": b"B3"}, {"snapshot/plan.yaml": b"plan"})
    for name in ("a.docx", "charts/c.png", "snapshot/plan.yaml"):
        assert not os.path.samefile(second / name, third / name) and not is_read_only(third / name)
        assert (third / name).read_bytes() == (second / name).read_bytes()
    # ... and the one after links to those copies again.
    fourth = _revision(folder, 4, {**outputs, "b.docx": b"B4"}, {"snapshot/plan.yaml": b"plan"})
    assert os.path.samefile(third / "a.docx", fourth / "a.docx")
    assert archive.verify_period(folder, "p") == []
    # Altering a shared byte is still caught in every revision holding it.
    (fourth / "a.docx").write_bytes(b"X" * 100)
    found = sorted(str(f.path.relative_to(folder)) for f in archive.verify_period(folder, "p"))
    assert found == [os.path.join("r3", "a.docx"), os.path.join("r4", "a.docx")]


def test_a_failed_build_after_a_finalised_revision_leaves_no_staging_folder(capsys, plan_dir, out, monkeypatch):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(out), "-q")[0] == 0

    staged: dict[str, bool] = {}

    def interrupted(*args, staging=None, **kwargs):
        staged.update((p.name, is_read_only(p)) for p in staging.rglob("*") if p.is_file())
        raise KeyboardInterrupt
    monkeypatch.setattr(archive, "write_revision", interrupted)
    set_value(plan_dir, "W1", "90")
    code, _, _ = build_cli(capsys, plan_dir, out, "--reason", "corrected W1")
    assert code == 130
    # The snapshot's files, identical to the finalised r1's, were copies: none was read-only (on
    # Windows a read-only one could not be deleted without making r1's writable).
    assert "plan.yaml" in staged and not any(staged.values())
    assert not [p for p in period_dir(out).iterdir() if p.name.startswith(archive.STAGING_PREFIX)]
    make_writable(period_dir(out) / "r1")


def test_without_sharing_every_revision_holds_its_own_copies(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "SHARE_IDENTICAL", False)
    folder = tmp_path / "p" / "2025-Q1"
    first = _revision(folder, 1, {"a.docx": b"A" * 100}, {"snapshot/plan.yaml": b"plan"})
    second = _revision(folder, 2, {"a.docx": b"A" * 100}, {"snapshot/plan.yaml": b"plan"})
    assert (first / "a.docx").stat().st_ino != (second / "a.docx").stat().st_ino
    assert (second / "a.docx").stat().st_nlink == 1
# -- contents with page numbers (issue 16) ----------------------------------------------------------

def contents_page_numbers(docx: Path) -> list[str]:
    """Return the results of the PAGEREF fields of a pack's contents ([] for a draft)."""
    from review.office.word import rtl
    document = __import__("docx").Document(str(docx))
    numbers = []
    for link, _ in rtl.internal_links(document.element.body):
        xml = link.xml
        if "PAGEREF" in xml:
            text = "".join(t.text or "" for t in link.iter("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}t"))
            numbers.append(__import__("re").search(r"\d+$", text).group())
    return numbers


@pytest.mark.layout
@pytest.mark.skipif(shutil.which("soffice") is None or shutil.which("pdfinfo") is None,
                    reason="LibreOffice (soffice) or poppler's pdfinfo is not installed: no layout to number pages")
def test_finalised_packs_have_page_numbers_in_their_contents(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    r1 = period_dir(out) / "r1"
    assert contents_page_numbers(r1 / "health.docx") == []  # a draft: links without numbers
    code, _, err = cli(capsys, "archive", "finalize", str(plan_dir), "--period", PERIOD, "--out", str(out))
    assert code == 0, err
    numbers = contents_page_numbers(r1 / "final" / "health.docx")
    # Cover on page 1, contents on page 2: the first heading is on page 3, and pages never go back.
    assert numbers and numbers[0] == "3" and all(n.isdigit() for n in numbers)
    assert [int(n) for n in numbers] == sorted(int(n) for n in numbers)
    manifest = json.loads((r1 / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["final"]["contents_pages"] is True
    # Laid out again from the snapshot, the final packs are byte-identical (LibreOffice is deterministic).
    assert cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q")[0] == 0
    make_writable(r1)


def test_finalize_without_libreoffice_keeps_the_contents_as_links(capsys, monkeypatch, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    monkeypatch.setattr("review.office.pdf.find_soffice", lambda: None)
    code, _, err = cli(capsys, "archive", "finalize", str(plan_dir), "--period", PERIOD, "--out", str(out))
    assert code == 0
    assert "the final packs' contents will have no page numbers" in err
    r1 = period_dir(out) / "r1"
    assert contents_page_numbers(r1 / "final" / "health.docx") == []
    manifest = json.loads((r1 / "manifest.json").read_text(encoding="utf-8"))
    assert "contents_pages" not in manifest["final"]
    make_writable(r1)


# -- packs keep the mark of the revision in which their content last changed (issue 20) -----------

def whole(path: Path) -> io.BytesIO:
    """Return a top-level file of a revision, whole or by recipe, to read like a file."""
    return io.BytesIO(archive.revision_bytes(path.parent, path.name))


def header_marks(docx: Path | io.BytesIO) -> list[str]:
    """Return the draft marks (the header lines starting «مسودة للمراجعة») of a pack's headers."""
    import re
    with zipfile.ZipFile(docx) as package:
        texts = ["".join(re.findall(r"<w:t(?: [^>]*)?>([^<]*)</w:t>", package.read(name).decode("utf-8")))
                 for name in package.namelist() if name.startswith("word/header")]
    return sorted({re.search(DRAFT + r" — المراجعة [0-9٠-٩]+", text).group() for text in texts if DRAFT in text})


def set_value(plan_dir: Path, indicator: str, value: str) -> None:
    path = plan_dir / "data" / PERIOD / "indicators.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    path.write_text("\n".join(f"{indicator},{value}" if line.startswith(f"{indicator},") else line
                              for line in lines) + "\n", encoding="utf-8")


def pack_revisions(out: Path, number: int) -> dict:
    return json.loads((period_dir(out) / f"r{number}" / "manifest.json").read_text(encoding="utf-8"))["pack_revisions"]


def same_file(a: Path, b: Path) -> bool:
    return os.path.samefile(a, b)


def test_a_pack_keeps_the_mark_of_the_revision_its_content_last_changed_in(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "90")  # the water sector's one figure
    assert build_cli(capsys, plan_dir, out)[0] == 0
    r1, r2, r3 = (period_dir(out) / f"r{n}" for n in (1, 2, 3))
    # An unchanged pack is the earlier revision's file, not a copy (where the file system links).
    if archive.SHARE_IDENTICAL:
        assert same_file(r1 / "health.docx", r2 / "health.docx")
    set_value(plan_dir, "H1", "75")  # then the health sector's
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert pack_revisions(out, 1) == {"executive.docx": 1, "health.docx": 1, "water.docx": 1}
    assert pack_revisions(out, 2) == {"executive.docx": 2, "health.docx": 1, "water.docx": 2}
    assert pack_revisions(out, 3) == {"executive.docx": 3, "health.docx": 3, "water.docx": 2}
    # The words on the page say the same: each pack as of the revision its content is from (r2's
    # health pack, changed in r3, is a recipe now: read through the archive).
    assert header_marks(whole(r2 / "health.docx")) == [f"{DRAFT} — المراجعة 1"]
    assert header_marks(r2 / "water.docx") == [f"{DRAFT} — المراجعة 2"]
    assert header_marks(r3 / "water.docx") == [f"{DRAFT} — المراجعة 2"]
    assert header_marks(r3 / "health.docx") == header_marks(r3 / "executive.docx") == [f"{DRAFT} — المراجعة 3"]
    if archive.SHARE_IDENTICAL:
        assert same_file(r2 / "water.docx", r3 / "water.docx")
        assert not (r2 / "health.docx").exists() and "health.docx" in archive.read_recipes(r2)
    # Each revision verifies and rebuilds from its own snapshot, byte for byte, marks included.
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    code, listing, _ = cli(capsys, "archive", "list", "--out", str(out))
    lines = {line.split()[0]: line for line in listing.splitlines() if line.startswith("    r")}
    assert code == 0 and "unchanged since" not in lines["r1"]
    assert "1 of 3 packs unchanged since r1" in lines["r2"] and "1 of 3 packs unchanged since r2" in lines["r3"]
    for number in (2, 3):
        code, stdout, _ = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out),
                              "--revision", str(number), "-q")
        assert code == 0, stdout
    # A finalised revision's packs lose the mark whatever it said.
    assert cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(out), "-q")[0] == 0
    assert header_marks(r3 / "final" / "water.docx") == []
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    assert cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q")[0] == 0
    make_writable(r3)


def test_the_rebuild_marks_each_pack_as_the_manifest_records(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "90")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    r2 = period_dir(out) / "r2"
    manifest = json.loads((r2 / "manifest.json").read_text(encoding="utf-8"))
    manifest["pack_revisions"]["health.docx"] = 2  # a record that no longer says where the pack is from
    (r2 / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    code, stdout, _ = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out),
                          "--revision", "2", "-q")
    assert code == 1
    assert "health.docx: differs from the rebuild" in stdout and "water.docx" not in stdout


def test_a_partial_revision_leaves_the_other_packs_to_the_full_revision_before_it(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "90")
    assert build_cli(capsys, plan_dir, out, "--sector", "water")[0] == 0
    assert pack_revisions(out, 2) == {"executive.docx": 2, "water.docx": 2}
    assert build_cli(capsys, plan_dir, out)[0] == 0  # the full build after it
    # health is not in r2: its earlier version is r1's; water's is r2's.
    assert pack_revisions(out, 3) == {"executive.docx": 2, "health.docx": 1, "water.docx": 2}
    r3 = period_dir(out) / "r3"
    assert header_marks(r3 / "health.docx") == [f"{DRAFT} — المراجعة 1"]
    assert cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q")[0] == 0


def test_a_pack_changed_and_changed_back_gets_the_new_number(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "90")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "100")  # back to r1's figure: changed since r2, so it is revision 3's
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert pack_revisions(out, 3)["water.docx"] == 3
    assert pack_revisions(out, 3)["health.docx"] == 1


@pytest.mark.parametrize("damaged", [["health.docx", 1], {"health.docx": "one"}, {"health.docx": True}])
def test_a_damaged_record_of_the_packs_revisions_is_reported_not_a_traceback(capsys, plan_dir, out, damaged):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "90")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    r2 = period_dir(out) / "r2"
    manifest = json.loads((r2 / "manifest.json").read_text(encoding="utf-8"))
    manifest["pack_revisions"] = damaged  # health.docx is revision 1's: the record no longer says so
    (r2 / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False), encoding="utf-8")
    code, stdout, _ = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q")
    assert code == 1 and "health.docx: differs from the rebuild" in stdout
    assert cli(capsys, "archive", "list", "--out", str(out))[0] == 0
    # The next build reads the record as "revision 2's" and compares: health gets the new number.
    set_value(plan_dir, "W1", "95")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert pack_revisions(out, 3) == {"executive.docx": 3, "health.docx": 3, "water.docx": 3}


# -- earlier revisions kept by the change: recipes and the content store (issue 20) ------------------

def chunk_files(folder: Path) -> list[Path]:
    """The chunk files of a period's store (not borrowed.json nor converting.json)."""
    return sorted(p for p in (folder / archive.STORE_DIR).rglob("*")
                  if p.is_file() and archive.chunks.is_digest(p.name.removesuffix(archive.chunks.COMPRESSED)))


def flip_a_byte(path: Path, at: int = 10) -> None:
    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)  # chunks are read-only
    data = bytearray(path.read_bytes())
    data[at] ^= 1
    path.write_bytes(bytes(data))


def a_docx(text: str, image: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr(zipfile.ZipInfo("word/document.xml", (2025, 1, 1, 0, 0, 0)), text * 300,
                         compress_type=zipfile.ZIP_DEFLATED)
        package.writestr(zipfile.ZipInfo("word/media/image1.png", (2025, 1, 1, 0, 0, 0)), image)
    return buffer.getvalue()


def test_an_earlier_revision_keeps_by_recipe_what_the_latest_does_not_share(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    chart1, chart2 = random.Random(1).randbytes(5000), random.Random(2).randbytes(5000)
    page = "".join(f"<tr><td>صف {n}</td><td>{n}</td></tr>\n" for n in range(3000))
    first = _revision(folder, 1, {"a.docx": a_docx("<w:t>أ</w:t>", chart1), "charts/c.png": chart1,
                                  "dashboard.html": page.encode("utf-8"), "blob.bin": b"\0\1" * 999},
                      {"snapshot/plan.yaml": b"plan", "snapshot/data/x.csv": b"x,1\n"})
    files1 = archive.revision_files(first)
    assert not (first / archive.RECIPES).exists() and not (folder / archive.STORE_DIR).exists()
    second = _revision(folder, 2, {"a.docx": a_docx("<w:t>ب</w:t>", chart2), "charts/c.png": chart2,
                                   "dashboard.html": page.replace("صف 1500<", "صف ١٥٠٠<").encode("utf-8"),
                                   "blob.bin": b"\0\1" * 999},
                       {"snapshot/plan.yaml": b"plan", "snapshot/data/x.csv": b"x,2\n"})
    # r1 keeps whole (links) what r2 shares; the rest by recipe, the manifest unchanged.
    assert os.path.samefile(first / "blob.bin", second / "blob.bin")
    assert os.path.samefile(first / "snapshot" / "plan.yaml", second / "snapshot" / "plan.yaml")
    stored = ["a.docx", "charts/c.png", "dashboard.html", "snapshot/data/x.csv"]
    assert sorted(archive.read_recipes(first)) == stored and not any((first / n).exists() for n in stored)
    assert (first / archive.MANIFEST).read_bytes() == files1[archive.MANIFEST]
    # Byte for byte: zip, text and binary; the docx's picture is the chart's chunk.
    assert archive.revision_files(first) == files1
    recipes = archive.read_recipes(first)
    assert recipes["charts/c.png"][0] in recipes["a.docx"]
    assert len(recipes["dashboard.html"]) > 5
    # The latest keeps every file whole, and both verify.
    assert not (second / archive.RECIPES).exists()
    assert archive.verify_period(folder, "p") == []
    # The chunks are read-only; a third revision stores only r2's changed chunks.
    assert all(not p.stat().st_mode & stat.S_IWUSR for p in chunk_files(folder))
    before = len(chunk_files(folder))
    _revision(folder, 3, {"a.docx": a_docx("<w:t>ج</w:t>", chart1), "charts/c.png": chart1,
                          "dashboard.html": page.encode("utf-8"), "blob.bin": b"\0\1" * 999},
              {"snapshot/plan.yaml": b"plan", "snapshot/data/x.csv": b"x,3\n"})
    # New: r2's chart, its document.xml member, one or two text chunks, x.csv (the docx's picture
    # member and the central directory match r1's? the picture not: it is r2's chart, stored once).
    assert 4 <= len(chunk_files(folder)) - before <= 8
    assert archive.verify_period(folder, "p") == []


def test_verify_names_every_revision_that_uses_an_altered_chunk(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A" * 5000, "b.docx": b"B1" * 100}, inputs)
    r2 = _revision(folder, 2, {"a.docx": b"A" * 5000, "b.docx": b"B2" * 100}, inputs)
    assert os.path.samefile(r1 / "a.docx", r2 / "a.docx")
    _revision(folder, 3, {"a.docx": b"C" * 5000, "b.docx": b"B3" * 100}, inputs)
    # a.docx changed in r3: r2 keeps it by recipe, and so does r1, which held the same file.
    assert "a.docx" in archive.read_recipes(r1) and "a.docx" in archive.read_recipes(r2)
    assert not (r1 / "a.docx").exists() and archive.verify_period(folder, "p") == []
    [chunk] = archive.read_recipes(r2)["a.docx"]
    flip_a_byte(archive.chunks.chunk_path(folder / archive.STORE_DIR, chunk))
    found = [(str(f.path.relative_to(folder)), f.message) for f in archive.verify_period(folder, "p")]
    assert [path for path, _ in found] == [os.path.join("r1", "a.docx"), os.path.join("r2", "a.docx")]
    # (The chunk is compressed: the flipped byte makes it unreadable, or else changed.)
    assert all(f"kept by recipe, but its chunk {chunk[:12]}… " in m and ".store" in m for _, m in found)
    code = main(["archive", "verify", "--out", str(tmp_path)])
    assert code == 1
    # An altered whole file is caught as before, in each revision holding it.
    shared = tmp_path / "q" / "2025-Q1"
    s1 = _revision(shared, 1, {"a.docx": b"A" * 50, "b.docx": b"B1"}, inputs)
    _revision(shared, 2, {"a.docx": b"A" * 50, "b.docx": b"B2"}, inputs)
    flip_a_byte(s1 / "a.docx")
    assert sorted(str(f.path.relative_to(shared)) for f in archive.verify_period(shared, "p")) \
        == [os.path.join("r1", "a.docx"), os.path.join("r2", "a.docx")]


def test_a_recipe_for_a_file_the_manifest_does_not_list_and_a_damaged_record_are_reported(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    r1 = _revision(folder, 1, {"a.docx": b"A1"}, {"snapshot/plan.yaml": b"plan"})
    _revision(folder, 2, {"a.docx": b"A2"}, {"snapshot/plan.yaml": b"plan"})
    recipes = archive.read_recipes(r1)
    (r1 / archive.RECIPES).write_text(json.dumps({"files": {**recipes, "z.docx": recipes["a.docx"]}}))
    assert [f.message for f in archive.verify_period(folder, "p")] \
        == ["a recipe for z.docx, which the manifest does not list"]
    (r1 / archive.RECIPES).write_text('{"files": {"../x": []}}')
    messages = [f.message for f in archive.verify_period(folder, "p")]
    assert messages[0].startswith("not a record of recipes") and "a.docx" in str(archive.verify_period(folder, "p")[1])


def test_a_conversion_interrupted_after_its_recipes_verifies_and_the_next_build_finishes_it(tmp_path, monkeypatch):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 3000, "b.docx": b"B"}, inputs)

    def stop(stage: str) -> None:
        if stage == "storing":
            raise KeyboardInterrupt
    monkeypatch.setattr(archive, "pause_at", stop)
    with pytest.raises(KeyboardInterrupt):
        _revision(folder, 2, {"a.docx": b"A2" * 3000, "b.docx": b"B"}, inputs)
    monkeypatch.undo()
    # Half done: r2 is complete; r1 has its recipe and its whole file both, and verifies.
    assert archive.revision_numbers(folder) == [1, 2]
    assert "a.docx" in archive.read_recipes(r1) and (r1 / "a.docx").is_file()
    assert (folder / archive.STORE_DIR / archive.CONVERTING).is_file()
    assert [(f.path.name, f.message.split(" (")[0]) for f in archive.verify_period(folder, "p")] \
        == [(archive.CONVERTING, "an interrupted conversion")]
    # The next build of the period finishes it.
    _revision(folder, 3, {"a.docx": b"A3" * 3000, "b.docx": b"B"}, inputs)
    assert not (r1 / "a.docx").exists() and not (folder / archive.STORE_DIR / archive.CONVERTING).exists()
    assert archive.revision_bytes(r1, "a.docx") == b"A1" * 3000
    assert archive.verify_period(folder, "p") == []


def test_a_conversion_interrupted_while_storing_chunks_leaves_the_revision_whole(tmp_path, monkeypatch):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 3000, "b.docx": b"B1" * 3000}, inputs)
    calls = []
    real = archive.chunks.put

    def failing(store, chunk, durable):
        calls.append(1)
        if len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(store, chunk, durable)
    monkeypatch.setattr(archive.chunks, "put", failing)
    messages: list[str] = []
    # The new revision is written: the failed conversion is a warning, not a failed build.
    assert _revision(folder, 2, {"a.docx": b"A2" * 3000, "b.docx": b"B2" * 3000}, inputs, messages.append).is_dir()
    assert len(messages) == 1 and messages[0].startswith("warning: the earlier revisions of 2025-Q1 were not") \
        and "No space left on device" in messages[0]
    monkeypatch.undo()
    assert not (r1 / archive.RECIPES).exists() and (r1 / "a.docx").is_file() and (r1 / "b.docx").is_file()
    assert archive.verify_period(folder, "p") == []
    _revision(folder, 3, {"a.docx": b"A3" * 3000, "b.docx": b"B3" * 3000}, inputs)
    # Both r1 and r2 are kept by the change now (r1's chunk from the first try is used again).
    assert sorted(archive.read_recipes(r1)) == ["a.docx", "b.docx"]
    assert sorted(archive.read_recipes(folder / "r2")) == ["a.docx", "b.docx"]
    assert archive.verify_period(folder, "p") == []


def test_a_build_killed_while_converting_leaves_a_verifiable_archive(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "90")
    process = _start_paused(plan_dir, out, "storing", "2024-05-01")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    r1 = period_dir(out) / "r1"
    assert revisions(out) == ["r1", "r2"] and archive.read_recipes(r1)
    # Every file verifies; the interrupted conversion is named (the next build finishes it).
    code, stdout, _ = cli(capsys, "archive", "verify", "--out", str(out))
    assert code == 1 and stdout.splitlines()[0].endswith(
        f"{archive.CONVERTING}: an interrupted conversion (every file of the revisions it names verifies; "
        "the next build finishes it)") and len(stdout.splitlines()) == 2, stdout
    assert borrowed_index(period_dir(out)).places  # r1's recipes borrow from r2's files
    set_value(plan_dir, "W1", "80")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert not any((r1 / name).exists() for name in archive.read_recipes(r1))
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    # Killed again while r3, which r1 and r2 borrow from, is converted: their chunks borrowed from
    # the files r3 (and r2, holding the same files) keep by recipe now were re-pointed first.
    set_value(plan_dir, "W1", "70")
    process = _start_paused(plan_dir, out, "storing", "2024-05-01")
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    process.stderr.close()
    lenders = [name.split("/", 1) for name in borrowed_index(period_dir(out)).files()]
    assert any(r == "r4" for r, _ in lenders)
    assert not [(r, n) for r, n in lenders if n in archive.read_recipes(period_dir(out) / r)]
    assert archive.read_recipes(period_dir(out) / "r3")
    code, stdout, _ = cli(capsys, "archive", "verify", "--out", str(out))
    assert code == 1 and f"{archive.CONVERTING}: an interrupted conversion" in stdout and len(stdout.splitlines()) == 2
    set_value(plan_dir, "W1", "60")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    assert archive.revision_files(r1) and archive.revision_files(period_dir(out) / "r2")


def test_rebuild_finalize_and_extract_of_a_revision_kept_by_recipe(capsys, plan_dir, out, tmp_path):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "W1", "90")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "H1", "75")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    r1, r2 = period_dir(out) / "r1", period_dir(out) / "r2"
    assert "water.docx" in archive.read_recipes(r1) and "health.docx" in archive.read_recipes(r2)
    expected = {name: archive.sha256(data) for name, data in archive.revision_files(r2).items()}
    # rebuild renders from a whole copy, byte for byte.
    code, stdout, _ = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out),
                          "--revision", "1", "-q")
    assert code == 0 and "all" in stdout and "identical" in stdout
    # extract writes every file whole, checked; never into a folder that holds something.
    target = tmp_path / "مستخرج"
    code, stdout, _ = cli(capsys, "archive", "extract", "mini", "--period", PERIOD, "--revision", "2",
                          str(target), "--out", str(out))
    assert code == 0 and f"into {target}" in stdout
    assert hashes(target) == expected
    code, _, err = cli(capsys, "archive", "extract", "mini", "--period", PERIOD, "--revision", "2",
                       str(target), "--out", str(out))
    assert code == 2 and "expected a new or empty folder" in err
    # finalize makes the files whole again, then read-only; later builds leave it whole.
    code, _, _ = cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(out),
                     "--revision", "2", "-q")
    assert code == 0
    assert not (r2 / archive.RECIPES).exists()
    assert {n: archive.sha256((r2 / n).read_bytes()) for n in expected if n != archive.MANIFEST} \
        == {n: h for n, h in expected.items() if n != archive.MANIFEST}  # the manifest says final now
    assert all(is_read_only(p) for p in r2.rglob("*") if p.is_file())
    before = hashes(r2)
    set_value(plan_dir, "H1", "60")
    assert build_cli(capsys, plan_dir, out, "--reason", "corrected H1")[0] == 0
    set_value(plan_dir, "H1", "65")
    assert build_cli(capsys, plan_dir, out, "--reason", "corrected H1 again")[0] == 0
    assert hashes(r2) == before and not (r2 / archive.RECIPES).exists()
    assert archive.read_recipes(period_dir(out) / "r4")  # the amendment r4 is kept by the change
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    code, listing, _ = cli(capsys, "archive", "list", "--out", str(out))
    assert code == 0 and "FINAL since" in listing
    make_writable(r2)


def test_extract_of_a_damaged_revision_writes_nothing(capsys, tmp_path):
    folder = tmp_path / "out" / "p" / "2025-Q1"
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 3000}, {"snapshot/plan.yaml": b"plan"})
    _revision(folder, 2, {"a.docx": b"A2" * 3000}, {"snapshot/plan.yaml": b"plan"})
    [chunk] = archive.read_recipes(r1)["a.docx"]
    flip_a_byte(archive.chunks.chunk_path(folder / archive.STORE_DIR, chunk))
    target = tmp_path / "whole"
    code, _, err = cli(capsys, "archive", "extract", "p", "--period", "2025-Q1", "--revision", "1", str(target),
                       "--out", str(tmp_path / "out"))
    assert code == 1 and "a.docx" in err and f"chunk {chunk[:12]}" in err and not target.exists()


def test_make_whole_interrupted_verifies_and_completes(tmp_path, monkeypatch):
    folder = tmp_path / "p" / "2025-Q1"
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 3000, "b.docx": b"B1" * 3000}, {"snapshot/plan.yaml": b"plan"})
    _revision(folder, 2, {"a.docx": b"A2" * 3000, "b.docx": b"B2" * 3000}, {"snapshot/plan.yaml": b"plan"})
    real, calls = archive.replace_file, []

    def failing(target, data, durable=True):
        calls.append(target)
        if len(calls) == 2:
            raise KeyboardInterrupt
        real(target, data, durable)
    monkeypatch.setattr(archive, "replace_file", failing)
    with pytest.raises(KeyboardInterrupt):
        archive.make_whole(r1)
    monkeypatch.undo()
    assert (r1 / "a.docx").is_file() and not (r1 / "b.docx").exists() and archive.read_recipes(r1)
    assert archive.verify_period(folder, "p") == []
    assert archive.make_whole(r1) == 1
    assert not (r1 / archive.RECIPES).exists() and (r1 / "b.docx").read_bytes() == b"B1" * 3000
    assert archive.verify_period(folder, "p") == []


def test_without_store_changes_every_revision_keeps_every_file_whole(tmp_path, monkeypatch):
    monkeypatch.setattr(archive, "STORE_CHANGES", False)
    folder = tmp_path / "p" / "2025-Q1"
    r1 = _revision(folder, 1, {"a.docx": b"A1"}, {"snapshot/plan.yaml": b"plan"})
    _revision(folder, 2, {"a.docx": b"A2"}, {"snapshot/plan.yaml": b"plan"})
    assert (r1 / "a.docx").read_bytes() == b"A1" and not (r1 / archive.RECIPES).exists()


def test_kept_by_the_change_below_arabic_folder_names(capsys, tmp_path):
    out = tmp_path / "مخرجات"
    folder = out / "خطة" / "2025-Q1"
    folder.mkdir(parents=True)
    manifest = {"plan": "خطة", "period": "2025-Q1", "options": {}}
    r1 = archive.write_revision(folder, 1, {"تقرير.docx": a_docx("<w:t>أ</w:t>", b"x" * 900),
                                            "رسوم/ص.png": b"1" * 900}, {"snapshot/plan.yaml": "خطة".encode()}, manifest)
    archive.write_revision(folder, 2, {"تقرير.docx": a_docx("<w:t>ب</w:t>", b"x" * 900), "رسوم/ص.png": b"2" * 900},
                           {"snapshot/plan.yaml": "خطة".encode()}, manifest)
    assert sorted(archive.read_recipes(r1)) == sorted(["تقرير.docx", "رسوم/ص.png"])
    assert archive.verify_period(folder, "خطة") == []
    target = tmp_path / "نسخة"
    assert cli(capsys, "archive", "extract", "خطة", "--period", "2025-Q1", "--revision", "1", str(target),
               "--out", str(out))[0] == 0
    assert (target / "رسوم" / "ص.png").read_bytes() == b"1" * 900
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0


def test_the_latest_full_revision_stays_whole_while_a_partial_one_is_the_latest(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    folder.mkdir(parents=True)
    inputs = {"snapshot/plan.yaml": b"plan"}

    def write(number: int, outputs: dict[str, bytes], partial: bool) -> Path:
        return archive.write_revision(folder, number, outputs, inputs,
                                      {"plan": "p", "period": "2025-Q1", "options": {}, "partial": partial})
    r1 = write(1, {"a.docx": b"A1", "b.docx": b"B1"}, partial=False)
    r2 = write(2, {"a.docx": b"A2"}, partial=True)  # review build --sector a
    # r1 is still the latest full revision: every file whole, no recipes.
    assert (r1 / "a.docx").read_bytes() == b"A1" and not (r1 / archive.RECIPES).exists()
    r3 = write(3, {"a.docx": b"A3", "b.docx": b"B1"}, partial=False)
    # Both earlier ones keep now only what r3 shares whole.
    assert archive.read_recipes(r1).keys() == {"a.docx"} and (r1 / "b.docx").read_bytes() == b"B1"
    assert archive.read_recipes(r2).keys() == {"a.docx"}
    assert os.path.samefile(r1 / "b.docx", r3 / "b.docx")
    assert archive.verify_period(folder, "p") == []


def test_nothing_is_stored_ahead_and_the_conversion_borrows_what_the_latest_holds(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    page = "".join(f"<tr><td>{n}</td></tr>\n" for n in range(2000)).encode()
    r1 = _revision(folder, 1, {"dashboard.html": page, "health.docx": b"H1"}, inputs)
    staging = archive.stage_inputs(folder, 2, inputs)  # while the workers render: the snapshot only
    assert not (folder / archive.STORE_DIR).exists()
    page2 = page.replace(b"<td>1000<", b"<td>X<")
    r2 = archive.write_revision(folder, 2, {"dashboard.html": page2, "health.docx": b"H2"}, inputs,
                                {"plan": "p", "period": "2025-Q1", "options": {}}, staging=staging)
    recipes = archive.read_recipes(r1)
    assert set(recipes) == {"dashboard.html", "health.docx"}
    # Stored: the one or two chunks of r1's page around the edit, and the pack; the rest of the
    # page is borrowed from r2's, which the latest keeps whole.
    latest = {digest for digest, _, _ in archive.chunks.chunk_places("dashboard.html", page2)}
    differing = set(recipes["dashboard.html"]) - latest
    stored = {p.name.removesuffix(archive.chunks.COMPRESSED) for p in chunk_files(folder)}
    assert 1 <= len(differing) <= 2 and len(recipes["dashboard.html"]) >= 8
    assert stored == differing | set(recipes["health.docx"])
    borrowed = archive.chunks.read_borrowed(folder / archive.STORE_DIR)
    assert borrowed.files() == ["r2/dashboard.html"] and set(borrowed.places) == set(recipes["dashboard.html"]) - differing
    assert all(archive.sha256(page2[offset:offset + size]) == digest
               for digest, (_, offset, size) in borrowed.places.items())
    assert archive.revision_bytes(r1, "dashboard.html") == page and (r2 / "dashboard.html").read_bytes() == page2
    assert archive.verify_period(folder, "p") == []


def test_a_damaged_recipes_record_does_not_stop_the_next_build(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A" * 99, "b.docx": b"B1"}, inputs)
    _revision(folder, 2, {"a.docx": b"A" * 99, "b.docx": b"B2"}, inputs)
    (r1 / archive.RECIPES).write_text("{", encoding="utf-8")
    r3 = _revision(folder, 3, {"a.docx": b"C" * 99, "b.docx": b"B3"}, inputs)
    assert r3.is_dir() and (r1 / "a.docx").is_file()  # r1 is left as it was
    found = archive.verify_period(folder, "p")
    assert [f.path for f in found] == [r1 / archive.RECIPES, r1 / "b.docx"]
    assert found[0].message.startswith("unreadable")


# -- the review of the content store: a build never loses the only good copy, nor fails late --------

def test_a_file_whose_recipe_does_not_give_its_bytes_stays_whole(tmp_path, monkeypatch):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 3000, "b.docx": b"B1" * 3000}, inputs)
    real = archive.chunks.store_file

    def wrong(store, name, data, durable, borrow=None):  # a recipe naming good chunks of other bytes
        return real(store, name, data.replace(b"A1", b"A9") if name == "a.docx" else data, durable, borrow)
    monkeypatch.setattr(archive.chunks, "store_file", wrong)
    _revision(folder, 2, {"a.docx": b"A2" * 3000, "b.docx": b"B2" * 3000}, inputs)
    monkeypatch.undo()
    assert (r1 / "a.docx").read_bytes() == b"A1" * 3000 and "a.docx" not in archive.read_recipes(r1)
    assert not (r1 / "b.docx").exists() and "b.docx" in archive.read_recipes(r1)
    assert archive.verify_period(folder, "p") == []


def test_manifest_entries_of_the_wrong_type_never_stop_a_build(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 99, "dashboard.html": b"<p>1</p>\n" * 99}, inputs)
    manifest = json.loads((r1 / archive.MANIFEST).read_text(encoding="utf-8"))
    manifest["outputs"] += [{"path": ["dashboard.html"], "sha256": "0" * 64, "size": 1},
                            {"path": "results.json", "sha256": ["x"], "size": 1}]
    (r1 / archive.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    # Converts r1 (borrowing from r2's files): no TypeError, and no warning (_revision fails on one).
    _revision(folder, 2, {"a.docx": b"A2" * 99, "dashboard.html": b"<p>2</p>\n" * 99}, inputs)
    assert sorted(archive.read_recipes(r1)) == ["a.docx", "dashboard.html"]
    assert archive.make_whole(r1) == 2 and (r1 / "a.docx").read_bytes() == b"A1" * 99


def test_a_whole_file_that_cannot_be_removed_stays_whole(tmp_path, monkeypatch):
    # On Windows a file open in Word cannot be deleted: it stays whole, and the build succeeds.
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 99, "b.docx": b"B1" * 99}, inputs)
    real = os.unlink

    def in_use(path, *args, **kwargs):
        if Path(path).name == "a.docx":
            raise PermissionError(13, "The process cannot access the file", str(path))
        return real(path, *args, **kwargs)
    monkeypatch.setattr(os, "unlink", in_use)
    _revision(folder, 2, {"a.docx": b"A2" * 99, "b.docx": b"B2" * 99}, inputs)
    monkeypatch.undo()
    assert (r1 / "a.docx").is_file() and not (r1 / "b.docx").exists()
    assert not (folder / archive.STORE_DIR / archive.CONVERTING).exists()
    assert archive.verify_period(folder, "p") == []


def test_verify_and_extract_wait_for_a_build_of_the_period(capsys, tmp_path, monkeypatch):
    folder = tmp_path / "p" / "2025-Q1"
    _revision(folder, 1, {"a.docx": b"A1"}, {"snapshot/plan.yaml": b"plan"})
    monkeypatch.setattr(archive, "LOCK_TIMEOUT", 0.2)
    with archive.locked(folder, "p", "2025-Q1"):  # a build converting the earlier revisions
        assert main(["archive", "verify", "--out", str(tmp_path)]) == 2
        assert "another build of p 2025-Q1 is running" in capsys.readouterr().err
        with pytest.raises(UsageError, match="another build"):
            with archive.reading(folder, "p", "2025-Q1"):
                archive.extract(folder, None, tmp_path / "x")
    assert main(["archive", "verify", "--out", str(tmp_path)]) == 0


def test_temporary_files_left_in_a_revision_are_removed_by_the_next_step(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan", "snapshot/data/x.csv": b"x,1\n"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 99}, inputs)
    r2 = _revision(folder, 2, {"a.docx": b"A2" * 99}, dict(inputs, **{"snapshot/data/x.csv": b"x,2\n"}))
    # A conversion killed while writing recipes.json, a make_whole killed in replace_file.
    (r1 / ".recipes.json.k3j2h1.tmp").write_bytes(b"{")
    (r1 / "snapshot" / "data" / ".x.csv.a8f7.tmp").write_bytes(b"x,")
    (r2 / ".a.docx.b2c4.tmp").write_bytes(b"A")
    messages = sorted(f.message for f in archive.verify_period(folder, "p"))
    assert len(messages) == 3 and all(m.startswith("a temporary file left by an interrupted write") for m in messages)
    assert archive.make_whole(r1) == 2
    assert not (r1 / ".recipes.json.k3j2h1.tmp").exists() and not (r1 / "snapshot" / "data" / ".x.csv.a8f7.tmp").exists()
    # The next build converts r2, and removes what was left in it.
    _revision(folder, 3, {"a.docx": b"A3" * 99}, inputs)
    assert not (r2 / ".a.docx.b2c4.tmp").exists() and archive.read_recipes(r2)
    # An interrupted conversion's revisions: the build that finishes it cleans them too.
    (r2 / ".recipes.json.77aa.tmp").write_bytes(b"{")
    (folder / archive.STORE_DIR / archive.CONVERTING).write_text('{"revisions": [2]}', encoding="utf-8")
    _revision(folder, 4, {"a.docx": b"A4" * 99}, inputs)
    assert not (r2 / ".recipes.json.77aa.tmp").exists()
    assert [f for f in archive.verify_period(folder, "p") if "r1" not in f.path.parts] == []


def test_verify_reports_recipes_in_a_revision_that_must_be_whole(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 99}, inputs)
    r2 = _revision(folder, 2, {"a.docx": b"A2" * 99}, inputs)
    shutil.copy(r1 / archive.RECIPES, r2 / archive.RECIPES)
    found = archive.verify_period(folder, "p")
    assert [(f.path, f.message) for f in found if f.path == r2 / archive.RECIPES] \
        == [(r2 / archive.RECIPES, "the latest (full) revision must keep every file whole, not by recipe")]
    (r2 / archive.RECIPES).unlink()
    archive.finalize_revision(folder, 2, {"a.docx": b"F"})
    make_writable(r2)
    (r2 / archive.RECIPES).write_text('{"files": {}}', encoding="utf-8")
    assert [f.message for f in archive.verify_period(folder, "p") if f.path == r2 / archive.RECIPES] \
        == ["a finalised revision must keep every file whole, not by recipe"]
    # A stray file in the store is named too.
    (folder / archive.STORE_DIR / "notes.txt").write_text("x", encoding="utf-8")
    assert [f.message for f in archive.verify_period(folder, "p") if f.path.name == "notes.txt"] \
        == ["extra file in the content store (not a chunk)"]


def test_a_build_reads_no_recipes_of_revisions_converted_before(tmp_path, monkeypatch):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    for number in range(1, 6):
        _revision(folder, number, {"a.docx": b"A%d" % number * 99}, inputs)
    read = []
    real = archive.read_recipes
    monkeypatch.setattr(archive, "read_recipes", lambda revision: read.append(revision.name) or real(revision))
    _revision(folder, 6, {"a.docx": b"A6" * 99}, inputs)
    # Only the last three, whose files a new revision may link to (earlier_twins).
    assert sorted(set(read)) == ["r3", "r4", "r5"]
    assert archive.read_recipes(folder / "r5") and archive.verify_period(folder, "p") == []


def test_a_read_only_file_stays_whole_for_root_too(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"a.docx": b"A1" * 99, "b.docx": b"B1" * 99}, inputs)
    os.chmod(r1 / "a.docx", stat.S_IREAD)
    _revision(folder, 2, {"a.docx": b"A2" * 99, "b.docx": b"B2" * 99}, inputs)
    assert (r1 / "a.docx").is_file() and sorted(archive.read_recipes(r1)) == ["b.docx"]
    os.chmod(r1 / "a.docx", stat.S_IREAD | stat.S_IWRITE)


def test_extract_refuses_a_folder_inside_the_output_folder(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    _revision(folder, 1, {"a.docx": b"A1"}, {"snapshot/plan.yaml": b"plan"})
    for target in (folder / "r9", tmp_path / "copy", tmp_path):
        with pytest.raises(UsageError, match="inside the output folder"):
            archive.extract(folder, 1, target)
    assert archive.revision_numbers(folder) == [1] and not (tmp_path / "copy").exists()
    assert archive.extract(folder, 1, tmp_path.parent / f"{tmp_path.name}-copy") == (1, 3)


def test_the_decisions_numbers_kept_by_recipe_are_checked_against_the_manifest(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    _revision(folder, 1, {"a.docx": b"A1", archive.DECISIONS: b'{"r:1": 1}\n'}, inputs)
    r2 = _revision(folder, 2, {"a.docx": b"A2", archive.DECISIONS: b'{"r:1": 2}\n'}, inputs)
    _revision(folder, 3, {"a.docx": b"A3"}, inputs)  # r2's decisions.json becomes a recipe
    assert archive.latest_numbering(folder) == b'{"r:1": 2}\n'
    other, _ = archive.chunks.store_file(folder / archive.STORE_DIR, archive.DECISIONS, b'{"r:1": 7}\n', False)
    recipes = archive.read_recipes(r2)
    (r2 / archive.RECIPES).write_text(json.dumps({"files": dict(recipes, **{archive.DECISIONS: other})}),
                                      encoding="utf-8")
    with pytest.raises(archive.ArchiveProblem, match="its recipe does not give the bytes its manifest records"):
        archive.latest_numbering(folder)


# -- borrowed chunks: an earlier revision's recipe finds unchanged chunks in the latest's files ------

def rows(changed: tuple[int, ...] = ()) -> bytes:
    """A page of 3,000 rows (about 40 chunks), row n reading X where n is in ``changed``."""
    return "".join(f"<tr><td>الصف {n}</td><td>{'X' if n in changed else n}</td></tr>\n"
                   for n in range(3000)).encode("utf-8")


def borrowed_index(folder: Path) -> archive.chunks.Borrowed:
    return archive.chunks.read_borrowed(folder / archive.STORE_DIR)


def test_a_borrowed_chunk_is_re_pointed_before_the_file_it_is_in_is_removed(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    pages = [rows(), rows((1000,)), rows((1000, 2000)), rows((1000, 2000, 2500))]
    r1 = _revision(folder, 1, {"dashboard.html": pages[0]}, inputs)
    r2 = _revision(folder, 2, {"dashboard.html": pages[1]}, inputs)
    assert borrowed_index(folder).files() == ["r2/dashboard.html"]
    r1_chunks = set(archive.read_recipes(r1)["dashboard.html"])
    # r3 converts r2: r2's page goes, so r1's chunks borrowed from it are re-pointed first, to r3's
    # page where it has them, else to the store (r1's chunk around row 2000: r2's too, stored now).
    r3 = _revision(folder, 3, {"dashboard.html": pages[2]}, inputs)
    assert not (r2 / "dashboard.html").exists()
    index = borrowed_index(folder)
    assert index.files() == ["r3/dashboard.html"]
    in_r3 = {digest for digest, _, _ in archive.chunks.chunk_places("dashboard.html", pages[2])}
    assert r1_chunks & in_r3 <= set(index.places)
    assert all(archive.chunks.chunk_path(folder / archive.STORE_DIR, d) is not None for d in r1_chunks - in_r3)
    assert archive.revision_bytes(r1, "dashboard.html") == pages[0]
    assert archive.revision_bytes(r2, "dashboard.html") == pages[1]
    assert archive.verify_period(folder, "p") == []
    # And once more: r1 and r2 extract byte for byte after r4 converts r3.
    _revision(folder, 4, {"dashboard.html": pages[3]}, inputs)
    assert borrowed_index(folder).files() == ["r4/dashboard.html"] and not (r3 / "dashboard.html").exists()
    for number, page in ((1, pages[0]), (2, pages[1]), (3, pages[2])):
        target = tmp_path.parent / f"{tmp_path.name}-r{number}"
        assert archive.extract(folder, number, target)[0] == number
        assert (target / "dashboard.html").read_bytes() == page
    assert archive.verify_period(folder, "p") == []


def test_a_borrowed_chunk_that_nothing_else_holds_is_stored_from_its_place_before_it_goes(tmp_path):
    # The fallback of the relocation: neither a file that stays nor the store has the chunk.
    folder = tmp_path / "p" / "2025-Q1"
    (folder / "r2").mkdir(parents=True)
    data = rows((7,))
    (folder / "r2" / "dashboard.html").write_bytes(data)
    places = {d: ("r2/dashboard.html", o, n) for d, o, n in archive.chunks.chunk_places("dashboard.html", data)}
    old = archive.chunks.Borrowed(folder, places)
    moved = dict(places)
    converted = {2: {"dashboard.html": list(places)}}
    (folder / archive.STORE_DIR).mkdir()
    assert archive._relocate(folder, old, moved, {}, converted, durable=False) > 0
    assert moved == {} and converted == {2: {"dashboard.html": list(places)}}
    assert archive.chunks.reassemble(folder / archive.STORE_DIR, list(places)) == data
    # Its bytes there altered (so not the chunk any more): the file is not converted, and stays.
    (folder / "r3").mkdir()
    altered = bytearray(data)
    altered[5] ^= 1
    (folder / "r3" / "dashboard.html").write_bytes(bytes(altered))
    first = next(d for d, (_, o, _) in places.items() if o == 0)
    old = archive.chunks.Borrowed(folder, {first: ("r3/dashboard.html", 0, places[first][2])})
    stored = archive.chunks.chunk_path(folder / archive.STORE_DIR, first)
    stored.chmod(stat.S_IREAD | stat.S_IWRITE)
    stored.unlink()
    moved, converted = dict(old.places), {3: {"dashboard.html": [first]}}
    assert archive._relocate(folder, old, moved, {}, converted, durable=False) == 0
    assert moved == old.places and converted == {3: {}}


def test_an_interrupted_conversion_that_re_pointed_borrowed_chunks_verifies(tmp_path, monkeypatch):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    pages = [rows(), rows((1000,)), rows((1000, 2000)), rows((1000, 2000, 2500))]
    r1 = _revision(folder, 1, {"dashboard.html": pages[0]}, inputs)
    r2 = _revision(folder, 2, {"dashboard.html": pages[1]}, inputs)

    def stop(stage: str) -> None:
        if stage == "storing":
            raise KeyboardInterrupt
    monkeypatch.setattr(archive, "pause_at", stop)
    with pytest.raises(KeyboardInterrupt):
        _revision(folder, 3, {"dashboard.html": pages[2]}, inputs)
    monkeypatch.undo()
    # r2's page is whole and by recipe; r1's chunks borrowed from it were re-pointed already.
    assert (r2 / "dashboard.html").is_file() and archive.read_recipes(r2)
    assert borrowed_index(folder).files() == ["r3/dashboard.html"]
    assert [f.path.name for f in archive.verify_period(folder, "p")] == [archive.CONVERTING]
    assert archive.revision_bytes(r1, "dashboard.html") == pages[0]
    _revision(folder, 4, {"dashboard.html": pages[3]}, inputs)  # finishes r2's, converts r3
    assert not (r2 / "dashboard.html").exists() and borrowed_index(folder).files() == ["r4/dashboard.html"]
    for number, page in ((1, pages[0]), (2, pages[1]), (3, pages[2])):
        assert archive.revision_bytes(folder / f"r{number}", "dashboard.html") == page
    assert archive.verify_period(folder, "p") == []


def test_a_damaged_or_dangling_index_of_borrowed_chunks_is_reported_and_stops_no_build(capsys, tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"dashboard.html": rows()}, inputs)
    r2 = _revision(folder, 2, {"dashboard.html": rows((5,))}, inputs)
    index = folder / archive.STORE_DIR / archive.BORROWED
    good = index.read_bytes()
    index.write_text('{"files": ["r2/dashboard.html"], "chunks": {"x": 1}}', encoding="utf-8")
    found = [(f.path, f.message) for f in archive.verify_period(folder, "p")]
    assert [path for path, _ in found] == [r1 / "dashboard.html", index]
    assert "kept by recipe, but its chunk " in found[0][1] and "missing from .store (borrowed.json: not an index" in found[0][1]
    assert found[1][1].startswith("not an index of borrowed chunks")
    code, stdout, err = cli(capsys, "archive", "verify", "--out", str(tmp_path))
    assert code == 1 and "borrowed.json: not an index of borrowed chunks" in stdout and "Traceback" not in err
    # The next build writes its revision and warns; the previous one stays whole meanwhile.
    messages: list[str] = []
    _revision(folder, 3, {"dashboard.html": rows((6,))}, inputs, messages.append)
    assert len(messages) == 1 and "borrowed.json: not an index of borrowed chunks" in messages[0]
    assert (r2 / "dashboard.html").is_file() and not (r2 / archive.RECIPES).exists()
    # Restored, nothing was lost; the next build converts what waited.
    index.write_bytes(good)
    assert archive.verify_period(folder, "p") == []
    _revision(folder, 4, {"dashboard.html": rows((7,))}, inputs)
    assert archive.read_recipes(r2) and archive.verify_period(folder, "p") == []
    # A file it borrows from gone: named in the index and in each revision borrowing from it.
    (folder / "r4" / "dashboard.html").unlink()
    found = [(f.path.relative_to(folder).as_posix(), f.message) for f in archive.verify_period(folder, "p")]
    assert (f"{archive.STORE_DIR}/{archive.BORROWED}",
            f"{len(borrowed_index(folder).places)} chunks borrowed from r4/dashboard.html, which is missing") in found
    assert {path for path, message in found if "borrowed from r4/dashboard.html, which is unreadable" in message} \
        == {"r1/dashboard.html", "r2/dashboard.html", "r3/dashboard.html"}
    assert ("r4/dashboard.html", "missing") in found


def test_finalising_a_revision_that_borrows_makes_it_whole_and_its_lender_is_never_removed(tmp_path):
    folder = tmp_path / "p" / "2025-Q1"
    inputs = {"snapshot/plan.yaml": b"plan"}
    r1 = _revision(folder, 1, {"dashboard.html": rows(), "a.docx": b"A1"}, inputs)
    r2 = _revision(folder, 2, {"dashboard.html": rows((1000,)), "a.docx": b"A2"}, inputs)
    r3 = _revision(folder, 3, {"dashboard.html": rows((1000, 2000)), "a.docx": b"A3"}, inputs)
    assert borrowed_index(folder).files() == ["r3/dashboard.html"]
    # r1 borrows from r3: finalised, it is whole again (its chunks read from r3's page) and read-only.
    archive.finalize_revision(folder, 1, {"a.docx": b"F1"})
    assert not (r1 / archive.RECIPES).exists() and (r1 / "dashboard.html").read_bytes() == rows()
    assert all(is_read_only(p) for p in r1.rglob("*") if p.is_file())
    # r3, finalised while r2 borrows from it (the chunk around row 1000, which later pages do not
    # have), stays whole whatever is built after it, and lends r2 that chunk still.
    archive.finalize_revision(folder, 3, {"a.docx": b"F3"})
    r4 = _revision(folder, 4, {"dashboard.html": rows((2000, 2500)), "a.docx": b"A4"}, inputs)
    _revision(folder, 5, {"dashboard.html": rows((2000, 2600)), "a.docx": b"A5"}, inputs)
    assert (r3 / "dashboard.html").read_bytes() == rows((1000, 2000))
    assert borrowed_index(folder).files() == ["r3/dashboard.html", "r5/dashboard.html"]
    assert archive.read_recipes(r4) and archive.revision_bytes(r2, "dashboard.html") == rows((1000,))
    assert archive.verify_period(folder, "p") == []
    make_writable(r1)
    make_writable(r3)


def chunks_of(revision: Path, names: set[str]) -> set[str]:
    """The chunks of the files of a whole revision named in ``names`` or charts."""
    found: set[str] = set()
    for entry in archive.read_manifest(revision)["inputs"] + archive.read_manifest(revision)["outputs"]:
        name = entry["path"]
        if name in names or (name.startswith("charts/") and name.endswith(".png")):
            found |= {d for d, _, _ in archive.chunks.chunk_places(name, (revision / name).read_bytes())}
    return found


def test_corrections_store_what_differs_from_the_latest_and_an_altered_byte_there_is_named_everywhere(
        capsys, plan_dir, out, tmp_path):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    folder = period_dir(out)
    r1, r2, r3, r4 = (folder / f"r{n}" for n in range(1, 5))
    set_value(plan_dir, "W1", "90")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    # The first correction stores only those chunks of r1's changed files that r2's versions of
    # them (and its charts, the packs' pictures) do not hold; the rest is borrowed from r2.
    recipes = archive.read_recipes(r1)
    assert {"dashboard.html", "deck.pptx", "executive.docx", "water.docx"} <= set(recipes)
    differing = {d for recipe in recipes.values() for d in recipe} - chunks_of(r2, set(recipes))
    stored = {p.name.removesuffix(archive.chunks.COMPRESSED): p.stat().st_size for p in chunk_files(folder)}
    assert set(stored) <= differing
    converted = sum(len(archive.revision_bytes(r1, name)) for name in recipes)
    assert sum(stored.values()) < converted / 2
    index = borrowed_index(folder)
    assert {"r2/dashboard.html", "r2/deck.pptx", "r2/executive.docx"} <= set(index.files())
    assert any(d in index.places for d in recipes["dashboard.html"])
    expected = {n: {e["path"]: e["sha256"] for e in archive.read_manifest(folder / f"r{n}")["outputs"]
                    + archive.read_manifest(folder / f"r{n}")["inputs"]} for n in (1, 2)}
    set_value(plan_dir, "H1", "75")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    set_value(plan_dir, "H2", "85")
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert all(archive.read_recipes(r) for r in (r1, r2, r3)) and not (r4 / archive.RECIPES).exists()
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 0
    # r1 and r2 extract to their manifests' bytes.
    for number in (1, 2):
        target = tmp_path / f"r{number}"
        assert cli(capsys, "archive", "extract", "mini", "--period", PERIOD, "--revision", str(number),
                   str(target), "--out", str(out))[0] == 0
        assert {n: h for n, h in hashes(target).items() if n != archive.MANIFEST} == expected[number]
    # An altered byte in r4's dashboard, inside a chunk the earlier dashboards borrow: named in r4
    # (its whole file) and in r1, r2 and r3 (their recipes).
    index = borrowed_index(folder)
    shared = set.intersection(*(set(archive.read_recipes(r)["dashboard.html"]) for r in (r1, r2, r3)))
    digest = next(d for d in sorted(shared) if index.places.get(d, ("",))[0] == "r4/dashboard.html")
    _, offset, size = index.places[digest]
    flip_a_byte(r4 / "dashboard.html", at=offset + size // 2)
    found = {f.path.relative_to(folder).as_posix(): f.message for f in archive.verify_period(folder, "mini")}
    assert set(found) == {f"r{n}/dashboard.html" for n in range(1, 5)}
    assert found["r4/dashboard.html"].startswith("changed (SHA-256")
    assert all(found[f"r{n}/dashboard.html"].startswith(f"kept by recipe, but its chunk {digest[:12]}… changed in "
                                                        "r4/dashboard.html (borrowed from there") for n in (1, 2, 3))
    assert cli(capsys, "archive", "verify", "--out", str(out))[0] == 1
