"""The archive against a hostile environment (issue 14, items 6, 7, 8 and ``--out`` that is a file).

- **Reproducible whatever the environment**: the issue date and ``SOURCE_DATE_EPOCH`` a build used
  are in its manifest and used again by ``archive finalize`` and ``archive rebuild``; two builds of
  the same inputs into two output folders are byte-identical, manifest and index included.
- **Integrity**: a finalised revision deleted or altered (its manifest too) is reported by
  ``archive verify`` and stays reported after later builds; finalised revisions are read-only,
  folders included; a ``--sector`` build is partial, never the period's latest full revision, and
  cannot be finalised.
- **A refused build writes nothing**, not even a cache entry; ``--out`` that is not a folder is a
  usage error naming it.

Every input is generated here; each case runs the command line in process and checks the exit
code, the message (naming the file or revision), that no traceback is printed and, where a
command is refused, that nothing was written.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from review.archive import revisions as archive
from review.cli.main import main
from review.errors import display_path
from review.pipeline.build import recorded_command
from tests.conftest import ROOT

PERIOD = "2024-Q1"
DATA = {PERIOD: {"indicators.csv": "indicator_id,value\nH1,70\nH2,80\nW1,100\n",
                 "projects.csv": "project_id,progress\nP1,20\n"}}
EPOCH = "1700000000"  # 2023-11-14T22:13:20Z


@pytest.fixture
def plan_dir(make_plan) -> Path:
    return make_plan(data=DATA)


@pytest.fixture
def out(tmp_path) -> Path:
    return tmp_path / "out"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    """Run ``review ARGS`` in process; return (exit code, stdout, stderr), checking no traceback."""
    code = main(list(args))
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err and "Traceback" not in captured.out
    return code, captured.out, captured.err


def build_cli(capsys, plan_dir: Path, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "build", str(plan_dir), "--period", PERIOD, "--out", str(out),
               "--issue-date", "2024-05-01", "-q", *extra)


def period_dir(out: Path) -> Path:
    return out / "mini" / PERIOD


def manifest_of(out: Path, revision: str) -> dict:
    return json.loads((period_dir(out) / revision / "manifest.json").read_text(encoding="utf-8"))


def index_of(out: Path) -> dict:
    return json.loads((period_dir(out) / "index.json").read_text(encoding="utf-8"))


def tree(folder: Path) -> dict[str, bytes]:
    """Return every file below ``folder`` (but the lock file) by relative path, with its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != archive.LOCK_FILE} if folder.exists() else {}


def listing(folder: Path) -> list[str]:
    """Return every path below ``folder``, files and folders, relative."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.exists() else []


def remove(path: Path) -> None:
    """Delete a folder of the archive, read-only as finalising left it."""
    for item in [path, *path.rglob("*")]:
        if item.is_dir() or item.is_file():
            os.chmod(item, stat.S_IMODE(item.stat().st_mode) | stat.S_IWUSR)
    shutil.rmtree(path)


def rewrite(path: Path, data: bytes) -> None:
    """Replace a read-only file of a finalised revision, as someone with the rights could."""
    os.chmod(path.parent, stat.S_IMODE(path.parent.stat().st_mode) | stat.S_IWUSR)
    os.chmod(path, stat.S_IREAD | stat.S_IWRITE)
    path.write_bytes(data)


def finalize(capsys, out: Path, *extra: str) -> tuple[int, str, str]:
    return cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(out), "-q", *extra)


def verify(capsys, out: Path) -> tuple[int, str, str]:
    return cli(capsys, "archive", "verify", "--out", str(out), "-q")


# -- 6. reproducible whatever the environment -----------------------------------------------------

def test_a_build_made_with_source_date_epoch_finalises_and_rebuilds_without_it(capsys, plan_dir, out,
                                                                                 monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    code, _, err = cli(capsys, "build", str(plan_dir), "--period", PERIOD, "--out", str(out), "-q")
    assert code == 0, err
    manifest = manifest_of(out, "r1")
    assert manifest["source_date_epoch"] == int(EPOCH)
    assert manifest["built_at"] == "2023-11-14T22:13:20Z" and manifest["issue_date"] == "2023-11-14"
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    code, stdout, err = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q")
    assert code == 0, stdout + err
    assert "identical" in stdout
    code, stdout, err = finalize(capsys, out)
    assert code == 0, err
    assert "Finalised mini 2024-Q1 r1" in stdout
    assert "SOURCE_DATE_EPOCH" not in os.environ  # put back as it was
    assert verify(capsys, out)[0] == 0


def test_a_build_made_without_source_date_epoch_finalises_with_another_one_set(capsys, plan_dir, out,
                                                                                monkeypatch):
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert manifest_of(out, "r1")["source_date_epoch"] is None
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1800000000")
    code, _, err = finalize(capsys, out)
    assert code == 0, err
    assert os.environ["SOURCE_DATE_EPOCH"] == "1800000000"
    # The time recorded for the finalize is the environment's, so that a finalize reproduces too.
    assert manifest_of(out, "r1")["final"]["finalized_at"] == "2027-01-15T08:00:00Z"
    code, stdout, err = cli(capsys, "archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q")
    assert code == 0, stdout + err


def test_two_builds_into_two_folders_are_byte_identical(capsys, plan_dir, tmp_path, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    first, second = tmp_path / "first", tmp_path / "elsewhere" / "second"
    assert cli(capsys, "build", str(plan_dir), "--period", PERIOD, "--out", str(first), "-q")[0] == 0
    assert cli(capsys, "build", "--out=" + str(second), str(plan_dir), "--period", PERIOD, "-q")[0] == 0
    one, other = tree(period_dir(first)), tree(period_dir(second))
    assert "index.json" in one and "r1/manifest.json" in one and "r1/health.docx" in one
    assert one.keys() == other.keys()
    assert [name for name in one if one[name] != other[name]] == []
    assert str(first) not in one["r1/manifest.json"].decode("utf-8")
    # Finalising both gives identical revisions and records too.
    assert cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(first), "-q")[0] == 0
    assert cli(capsys, "archive", "finalize", "mini", "--period", PERIOD, "--out", str(second), "-q")[0] == 0
    one, other = tree(period_dir(first)), tree(period_dir(second))
    assert "final.json" in one and "r1/final/health.docx" in one
    assert [name for name in one if one[name] != other[name]] == [] and one.keys() == other.keys()


@pytest.mark.parametrize("argv, expected", [
    (["build", "plans/p", "--period", "2024-Q1", "--out", "/tmp/x"], ["build", "plans/p", "--period", "2024-Q1"]),
    (["build", "--out=/tmp/x", "plans/p", "-q"], ["build", "plans/p", "-q"]),
    (["build", "plans/p", "--ou", "x", "--sector", "a"], ["build", "plans/p", "--sector", "a"]),
    (["build", "plans/p", "--reason", "--out is wrong"], ["build", "plans/p", "--reason", "--out is wrong"]),
    (["build", "plans/p", "--reason=out"], ["build", "plans/p", "--reason=out"]),
    (["build", "--", "--out"], ["build", "--", "--out"]),
])
def test_the_recorded_command_leaves_out_the_output_folder(argv, expected):
    assert recorded_command(argv) == ["review", *expected]


def test_another_source_date_epoch_is_another_build(capsys, plan_dir, out, monkeypatch):
    # It stamps the zip entries of every pack: the same issue date under another one is not up to date.
    monkeypatch.setenv("SOURCE_DATE_EPOCH", EPOCH)
    assert build_cli(capsys, plan_dir, out)[0] == 0
    # A minute later (zip times count in steps of two seconds): the packs' bytes differ, so none
    # keeps revision 1's mark (each pack carries the revision its bytes last changed in).
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000060")
    code, stdout, _ = build_cli(capsys, plan_dir, out)
    assert code == 0 and stdout.startswith("Built ") and stdout.strip().endswith("r2")
    assert archive.revision_bytes(period_dir(out) / "r1", "health.docx") \
        != (period_dir(out) / "r2" / "health.docx").read_bytes()


@pytest.mark.parametrize("value", ["yesterday", "1.5", "-5", "9" * 30])
def test_a_bad_source_date_epoch_is_refused_before_anything_is_written(capsys, plan_dir, out, monkeypatch, value):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", value)
    code, _, err = cli(capsys, "build", str(plan_dir), "--period", PERIOD, "--out", str(out))
    assert code == 2
    assert "SOURCE_DATE_EPOCH: expected whole seconds since 1970-01-01 (UTC), got " in err
    assert len(err) < 300
    assert not out.exists()


def test_a_build_made_with_source_date_epoch_finalises_in_another_process_without_it(plan_dir, out):
    # The case of the issue, each command a process of its own, as a user runs them.
    def review(*args: str, epoch: str | None = None) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if k != "SOURCE_DATE_EPOCH"}
        env.update({"PYTHONPATH": str(ROOT)}, **({"SOURCE_DATE_EPOCH": epoch} if epoch else {}))
        return subprocess.run([sys.executable, "-m", "review", *args], capture_output=True, text=True,
                              encoding="utf-8", timeout=300, env=env)

    built = review("build", str(plan_dir), "--period", PERIOD, "--out", str(out), "-q", epoch=EPOCH)
    assert built.returncode == 0, built.stderr
    finalised = review("archive", "finalize", "mini", "--period", PERIOD, "--out", str(out), "-q")
    assert finalised.returncode == 0, finalised.stderr
    assert "Traceback" not in finalised.stderr and "Finalised mini 2024-Q1 r1" in finalised.stdout
    rebuilt = review("archive", "rebuild", "mini", "--period", PERIOD, "--out", str(out), "-q", epoch="1")
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    os.chmod(period_dir(out) / "r1", 0o755)  # for the clean-up of tmp_path by a user who is not root


# -- 7. integrity ---------------------------------------------------------------------------------

def test_a_deleted_final_revision_is_reported_and_stays_reported_after_later_builds(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    folder = period_dir(out)
    remove(folder / "r1")
    code, stdout, _ = verify(capsys, out)
    assert code == 1
    assert f"{display_path(folder / 'r1')}: missing: finalised on " in stdout
    # The period is still finalised: a build needs a reason, and takes the next number, never r1.
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02")
    assert code == 2 and "was finalised on " in err and "(r1)" in err
    code, stdout, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02", "--reason", "إعادة")
    assert code == 0, err
    assert stdout.strip().endswith("r2") and manifest_of(out, "r2")["amends"] == 1
    code, stdout, _ = verify(capsys, out)
    assert code == 1 and "r1: missing: finalised on " in stdout
    assert "index.json" not in stdout  # the index the build wrote keeps r1, as missing
    index = index_of(out)
    assert index["final"] == 1 and index["latest"] == 2
    assert index["revisions"][0] == {"revision": 1, "folder": "r1", "missing": True, "final": True,
                                     "finalized_at": index["revisions"][0]["finalized_at"]}
    code, stdout, _ = cli(capsys, "archive", "list", "--out", str(out))
    assert code == 0 and "r1   MISSING: finalised on " in stdout


def test_a_final_revision_altered_with_its_manifest_is_reported(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    r1 = period_dir(out) / "r1"
    # Change a pack and make the manifest agree, as a careful forger would.
    rewrite(r1 / "health.docx", b"forged")
    manifest = json.loads((r1 / "manifest.json").read_text(encoding="utf-8"))
    for entry in manifest["outputs"]:
        if entry["path"] == "health.docx":
            entry.update(size=6, sha256=archive.sha256(b"forged"))
    rewrite(r1 / "manifest.json", json.dumps(manifest).encode("utf-8"))
    code, stdout, _ = verify(capsys, out)
    assert code == 1
    assert "r1/manifest.json: changed since it was finalised on " in stdout and "as recorded in final.json" in stdout
    assert "health.docx" not in stdout  # the manifest agrees with it: the record is what catches it
    assert build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02", "--reason", "x")[0] == 0
    code, stdout, _ = verify(capsys, out)
    assert code == 1 and "r1/manifest.json: changed since it was finalised" in stdout


def test_a_manifest_stripped_of_final_is_still_final(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    r1 = period_dir(out) / "r1"
    manifest = json.loads((r1 / "manifest.json").read_text(encoding="utf-8"))
    del manifest["final"]
    rewrite(r1 / "manifest.json", json.dumps(manifest).encode("utf-8"))
    # Without the record, this would let a build replace the period's final revision without a reason.
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02")
    assert code == 2 and "was finalised on " in err
    code, stdout, _ = verify(capsys, out)
    assert code == 1 and "r1/manifest.json: changed since it was finalised" in stdout


def test_a_final_revision_is_read_only_folders_included(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    r1 = period_dir(out) / "r1"
    writable = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH
    paths = [r1, *r1.rglob("*")]
    assert any(p.is_dir() and p != r1 for p in paths) and any(p.is_file() for p in paths)
    assert [p for p in paths if p.stat().st_mode & writable] == []
    record = period_dir(out) / "final.json"
    assert not record.stat().st_mode & writable
    # The period folder itself stays writable: later revisions go there.
    assert period_dir(out).stat().st_mode & stat.S_IWUSR


def test_the_final_record_holds_the_hashes(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    r1 = period_dir(out) / "r1"
    record = json.loads((period_dir(out) / "final.json").read_text(encoding="utf-8"))
    [entry] = record["finals"]
    assert entry["revision"] == 1 and entry["folder"] == "r1"
    assert entry["manifest_sha256"] == archive.sha256((r1 / "manifest.json").read_bytes())
    assert {e["path"]: e["sha256"] for e in entry["outputs"]}["final/health.docx"] == \
        archive.sha256((r1 / "final" / "health.docx").read_bytes())


def test_a_finalize_interrupted_before_its_record_is_completed_by_the_next(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    record = period_dir(out) / "final.json"
    record.unlink()  # what a finalize killed between the manifest and the record leaves
    code, stdout, _ = verify(capsys, out)
    assert code == 1 and "r1: final in its manifest but not recorded in final.json" in stdout
    code, stdout, err = finalize(capsys, out)
    assert code == 0 and "already final" in stdout, err
    assert record.is_file() and verify(capsys, out)[0] == 0


@pytest.mark.parametrize("content", [b"{not json", b'{"finals": [{"revision": "one"}]}', b"\xff\xfe"])
def test_a_damaged_final_record_is_reported_and_never_overwritten(capsys, plan_dir, out, content):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    record = period_dir(out) / "final.json"
    rewrite(record, content)
    code, stdout, _ = verify(capsys, out)
    assert code == 1 and f"{display_path(record)}: " in stdout
    assert "cannot check the finalised revisions" in stdout
    code, _, err = finalize(capsys, out)
    assert code == 1 and "final.json: " in err
    assert record.read_bytes() == content


@pytest.mark.parametrize("record", ["r1/manifest.json", "index.json", "final.json"])
@pytest.mark.parametrize("content", [b"[" * 200_000, b'{"a": ' * 100_000])
def test_a_deeply_nested_record_is_reported_not_a_crash(capsys, plan_dir, out, record, content):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    path = period_dir(out) / record
    rewrite(path, content)
    code, stdout, _ = verify(capsys, out)
    assert code == 1
    assert f"{display_path(path)}: unreadable (nested too deeply to be read)" in stdout
    assert len(max(stdout.splitlines(), key=len)) < 300  # the record is not echoed
    # A later build goes on (the period stays finalised: it needs its reason); verify still reports
    # the damage, but for the index, which the build writes again from the manifests.
    code, _, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02")
    assert code == 2 and "was finalised on " in err
    code, stdout, err = build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02", "--reason", "r")
    assert code == 0 and stdout.strip().endswith("r2"), err
    code, stdout, _ = verify(capsys, out)
    if record == "index.json":
        assert code == 0, stdout
    else:
        assert code == 1 and f"{display_path(path)}: unreadable (nested too deeply to be read)" in stdout


#: Address space the child process of a bomb may use: ``archive verify`` needs about 100 MB of it;
#: reading either planted file whole would need a gigabyte or more.
MEMORY_LIMIT = 768 * 1024 * 1024
#: Generous: verify of the bombs ends in a few seconds.
TIME_LIMIT = 120
GIGABYTE = 1024 * 1024 * 1024

RUN_LIMITED = textwrap.dedent("""
    import resource, sys
    resource.setrlimit(resource.RLIMIT_AS, ({limit}, {limit}))
    from review.cli.main import main
    code = main(sys.argv[1:])
    print(f"peak memory: {{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}} MB", file=sys.stderr)
    sys.exit(code)
""")


def test_planted_giant_files_are_verified_in_bounded_memory(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert build_cli(capsys, plan_dir, out, "--issue-date", "2024-05-02")[0] == 0
    # Sparse files: gigabytes to read, nothing on disk. A manifest is not read beyond its size;
    # a pack is hashed in pieces.
    with open(period_dir(out) / "r1" / "manifest.json", "r+b") as handle:
        handle.truncate(2 * GIGABYTE)
    with open(period_dir(out) / "r2" / "health.docx", "r+b") as handle:
        handle.truncate(GIGABYTE)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-c", RUN_LIMITED.format(limit=MEMORY_LIMIT), "archive", "verify",
                           "--out", str(out), "-q"], capture_output=True, text=True, timeout=TIME_LIMIT,
                          cwd=out.parent, env={**os.environ, "PYTHONPATH": str(ROOT)})
    elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr
    assert "r1/manifest.json: unreadable (2,147,483,648 bytes, more than any build writes" in done.stdout
    assert "r2/health.docx: changed (SHA-256 " in done.stdout
    print(f"verify of a 2 GB manifest and a 1 GB pack: {elapsed:.1f} s, {done.stderr.strip()}")


def test_verify_of_a_missing_or_file_out_is_a_usage_error(capsys, tmp_path):
    missing = tmp_path / "no-such-output"
    code, stdout, err = cli(capsys, "archive", "verify", "--out", str(missing))
    assert code == 2 and stdout == ""
    assert f"--out: {display_path(missing)}: no such folder" in err
    assert not missing.exists()
    a_file = tmp_path / "output.txt"
    a_file.write_text("not a folder", encoding="utf-8")
    for action in (["list"], ["verify"], ["finalize", "mini", "--period", PERIOD],
                   ["rebuild", "mini", "--period", PERIOD]):
        code, _, err = cli(capsys, "archive", *action, "--out", str(a_file))
        assert code == 2, action
        assert f"--out: {display_path(a_file)}: expected a folder, got a file" in err
    assert a_file.read_text(encoding="utf-8") == "not a folder"


def test_a_sector_build_is_partial_and_never_the_latest_full_revision(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    code, stdout, _ = build_cli(capsys, plan_dir, out, "--sector", "water")
    assert code == 0 and stdout.strip().endswith("r2")
    assert manifest_of(out, "r2")["partial"] is True and manifest_of(out, "r1")["partial"] is False
    index = index_of(out)
    assert index["latest"] == 2 and index["latest_full"] == 1
    assert [r["partial"] for r in index["revisions"]] == [False, True]
    # Unchanged inputs: a full build is up to date against r1, the sector build against r2.
    code, stdout, err = cli(capsys, "build", str(plan_dir), "--period", PERIOD, "--out", str(out),
                            "--issue-date", "2024-05-01")
    assert code == 0 and stdout.strip() == f"Up to date: {period_dir(out).resolve() / 'r1'}"
    assert "is up to date (r1)" in err
    code, stdout, _ = build_cli(capsys, plan_dir, out, "--sector", "water")
    assert code == 0 and stdout.strip().endswith("r2") and stdout.startswith("Up to date")
    assert sorted(p.name for p in period_dir(out).iterdir() if p.name.startswith("r")) == ["r1", "r2"]
    code, stdout, _ = cli(capsys, "archive", "list", "--out", str(out))
    assert "latest r2, latest full r1, none final" in stdout and "partial: sectors water" in stdout


def test_finalize_refuses_a_partial_revision(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out, "--sector", "water")[0] == 0
    before = tree(period_dir(out))
    code, _, err = finalize(capsys, out)
    assert code == 2
    assert "r1: a partial revision (built with --sector water) cannot be finalised" in err
    assert "build the period without --sector" in err
    assert tree(period_dir(out)) == before
    assert build_cli(capsys, plan_dir, out)[0] == 0  # r2, full
    assert build_cli(capsys, plan_dir, out, "--sector", "health", "--issue-date", "2024-05-02")[0] == 0  # r3
    code, _, err = finalize(capsys, out)
    assert code == 2 and "r3: a partial revision (built with --sector health)" in err
    assert "the latest full revision is r2: --revision 2" in err
    code, _, err = finalize(capsys, out, "--revision", "1")
    assert code == 2 and "r1: a partial revision" in err
    assert not (period_dir(out) / "final.json").exists()
    code, stdout, err = finalize(capsys, out, "--revision", "2")
    assert code == 0 and "Finalised mini 2024-Q1 r2" in stdout, err


# -- 8. a refused build writes nothing; --out that is not a folder --------------------------------

REFUSED = {
    "invalid data in a later period": ({"2024-Q2": {"indicators.csv": "indicator_id,value\nH1,abc\n"}}, [],
                                       "indicators.csv"),
    "an unknown sector": ({}, ["--sector", "nowhere"], "--sector: unknown sector id 'nowhere'"),
    "a period without data": ({}, ["--period", "2024-Q3"], "no data folder for 2024-Q3"),
    "a template that is no docx": ({}, ["--template", "{tmp}/letterhead.docx"], "letterhead.docx"),
}


@pytest.mark.parametrize("case", sorted(REFUSED))
def test_a_refused_build_writes_nothing_not_even_a_cache_entry(capsys, make_plan, tmp_path, case):
    extra_data, extra, expected = REFUSED[case]
    plan_dir = make_plan(data={**DATA, **extra_data})
    (tmp_path / "letterhead.docx").write_bytes(b"PK\x03\x04 not really")
    out = tmp_path / "out"
    args = ["build", str(plan_dir), "--period", PERIOD, "--out", str(out), *[a.format(tmp=tmp_path) for a in extra]]
    code, _, err = cli(capsys, *args)
    assert code == 2, err
    assert expected in err
    assert listing(out) == []  # not even out/.cache/intake/…, which the plan's reading would fill


def test_a_build_refused_after_others_adds_no_cache_entry(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert finalize(capsys, out)[0] == 0
    intake = out / ".cache" / "intake"
    entries = listing(intake)
    assert entries  # an accepted build keeps what it read
    # A changed figure in a finalised period without --reason: refused, and its reading not kept.
    (plan_dir / "data" / PERIOD / "indicators.csv").write_text("indicator_id,value\nH1,71\nH2,80\nW1,100\n",
                                                                encoding="utf-8")
    code, _, err = build_cli(capsys, plan_dir, out)
    assert code == 2 and "a rebuild needs --reason" in err
    assert listing(intake) == entries
    # Invalid data: the same.
    (plan_dir / "data" / PERIOD / "indicators.csv").write_text("indicator_id,value\nH1,x\n", encoding="utf-8")
    code, _, err = build_cli(capsys, plan_dir, out, "--reason", "r")
    assert code == 2 and "indicators.csv" in err
    assert listing(intake) == entries


def test_an_accepted_build_writes_what_it_held_back(capsys, plan_dir, out):
    assert build_cli(capsys, plan_dir, out)[0] == 0
    assert len(listing(out / ".cache" / "intake")) >= 2  # the plan and the period folder


@pytest.mark.parametrize("where", ["file", "below a file", "dangling link"])
def test_out_that_is_not_a_folder_is_a_usage_error_naming_it(capsys, plan_dir, tmp_path, where):
    target = tmp_path / "target"
    a_file = tmp_path / "output.txt"
    a_file.write_text("keep me", encoding="utf-8")
    if where == "file":
        out, named = a_file, a_file
    elif where == "below a file":
        out, named = a_file / "sub", a_file
    else:
        out = named = tmp_path / "link"
        out.symlink_to(tmp_path / "gone")
    before = listing(tmp_path)
    code, stdout, err = cli(capsys, "build", str(plan_dir), "--period", PERIOD, "--out", str(out))
    assert code == 2 and stdout == ""
    assert f"review: --out: {display_path(named)}" in err and "expected a folder, got " in err
    assert "internal error" not in err
    assert listing(tmp_path) == before and a_file.read_text(encoding="utf-8") == "keep me"
    assert not target.exists()
