"""The build cache (issue 20): keyed by what can change the bytes only, bounded by
least-recent use, shown and emptied by ``review cache``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


from review.archive import cache
from review.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
FINGERPRINT = "from review.archive.cache import code_fingerprint; print(code_fingerprint())"


def _fingerprint_from(folder: Path) -> str:
    """Return the code fingerprint computed by a fresh Python started in ``folder`` (``-c`` puts
    the working folder first on sys.path, as ``python -m review`` does)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-c", FINGERPRINT], cwd=folder, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


def test_the_key_does_not_depend_on_the_working_folder(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    crowded = tmp_path / "crowded"
    for name in ("review.egg-info", "review-9.9.dist-info", "unrelated-1.0.dist-info"):
        (crowded / name).mkdir(parents=True)
    assert _fingerprint_from(plain) == _fingerprint_from(crowded) == _fingerprint_from(ROOT)


def test_the_key_follows_the_rendering_libraries_versions(tmp_path, monkeypatch):
    before = cache.code_fingerprint.__wrapped__()
    (tmp_path / "unrelated_tool-1.0.dist-info").mkdir()
    monkeypatch.syspath_prepend(str(tmp_path))
    assert cache.code_fingerprint.__wrapped__() == before
    (tmp_path / "matplotlib-99.0.dist-info").mkdir()  # found first on sys.path: "upgraded"
    assert cache._rendering_versions()["matplotlib"] == "99.0"
    assert cache.code_fingerprint.__wrapped__() != before


def test_the_key_follows_the_packages_data_files_not_its_compiled_copies(tmp_path, monkeypatch):
    package = tmp_path / "review"
    for name, text in (("archive/cache.py", "# code"), ("office/pages/page.css", "body {}"),
                       ("office/word/review-digits.ttf", "font")):
        (package / name).parent.mkdir(parents=True, exist_ok=True)
        (package / name).write_text(text, encoding="utf-8")
    monkeypatch.setattr(cache, "__file__", str(package / "archive" / "cache.py"))
    before = cache.code_fingerprint.__wrapped__()
    (package / "office" / "__pycache__").mkdir()
    (package / "office" / "__pycache__" / "html.cpython-311.pyc").write_bytes(b"compiled")
    assert cache.code_fingerprint.__wrapped__() == before
    (package / "office/pages/page.css").write_text("body { direction: rtl }", encoding="utf-8")
    changed = cache.code_fingerprint.__wrapped__()
    assert changed != before
    (package / "office/word/review-digits.ttf").write_text("another font", encoding="utf-8")
    assert cache.code_fingerprint.__wrapped__() not in (before, changed)


def _entry(folder: Path, name: str, size: int, used: float) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    os.utime(path, (used, used))
    return path


def test_trim_removes_the_least_recently_used_entries_down_to_the_cap(tmp_path):
    now = 1_000_000.0
    old = _entry(tmp_path, "charts/a.png", 400, now - 5000)
    middle = _entry(tmp_path, "packs/b.docx", 300, now - 4000)
    recent = _entry(tmp_path, "intake/c.pickle", 200, now - 3000)
    # 900 bytes, cap 600: the oldest (400) goes, then 500 ≤ 600 and the rest stay.
    assert cache.trim(tmp_path, 600, now=now) == (1, 400)
    assert not old.exists() and middle.exists() and recent.exists()
    # Cap 0: everything older than the grace period goes, the entry used a minute ago stays.
    fresh = _entry(tmp_path, "charts/d.png", 100, now - 60)
    assert cache.trim(tmp_path, 0, now=now) == (2, 500)
    assert fresh.exists() and not middle.exists()


def test_reading_an_entry_counts_as_a_use(tmp_path):
    now = 1_000_000.0
    first = _entry(tmp_path, "charts/first.png", 100, now - 9000)
    second = _entry(tmp_path, "charts/second.png", 100, now - 8000)
    assert cache.read(first) == b"x" * 100 and cache.has(second)
    os.utime(second, (now - 8000, now - 8000))  # 'has' refreshed it; set back: only 'first' is used
    os.utime(first, (now - 7000, now - 7000))
    assert cache.trim(tmp_path, 100, now=now) == (1, 100)
    assert first.exists() and not second.exists()
    assert not cache.has(tmp_path / "charts" / "missing.png")


def test_a_bad_cap_is_a_usage_error(monkeypatch, capsys):
    monkeypatch.setenv("REVIEW_CACHE_MB", "lots")
    assert main(["build", str(ROOT / "plans" / "services-1444"), "--period", "1444-Q4", "--out", "/nonexistent-never-written"]) == 2
    assert "REVIEW_CACHE_MB='lots': expected a whole number of megabytes" in capsys.readouterr().err
    monkeypatch.setenv("REVIEW_CACHE_MB", "5")
    assert cache.cache_limit() == 5 * 1024 * 1024


def test_cache_stats_and_clear(tmp_path, capsys):
    _entry(tmp_path / ".cache", "charts/a.png", 2 * 1024 * 1024, 1.0)
    _entry(tmp_path / ".cache", "charts/b.png", 1024 * 1024, 1.0)
    _entry(tmp_path / ".cache", "shaping.pickle", 1024 * 1024, 1.0)
    assert main(["cache", "stats", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["charts", "2", "entries", "3.0", "MB"]
    assert out[1].split() == ["shaping.pickle", "1", "entry", "1.0", "MB"]
    assert out[2].startswith("total") and "3 entries" in out[2] and "4.0 MB of 1,024 MB" in out[2]
    assert main(["cache", "clear", "--out", str(tmp_path)]) == 0
    assert "removed 3 entries (4.0 MB)" in capsys.readouterr().out
    assert cache.stats(tmp_path / ".cache") == {}
