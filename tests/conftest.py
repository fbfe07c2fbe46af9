"""Shared fixtures: a small valid plan built from defaults, so each test states only what it changes."""

from __future__ import annotations

import copy
import pickle
import shutil
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PLANS = ROOT / "plans"


class Memory:
    """A stand-in for the build's cache, as a pack context's ``remember(key, compute)``: each value
    kept pickled (as the cache keeps it) by the digest of its key. ``computed`` lists, in order,
    ``record(key)`` of every key it had to compute (the whole key unless told)."""

    def __init__(self, record=lambda key: key) -> None:
        self.kept: dict[str, bytes] = {}
        self.computed: list = []
        self.record = record

    def __call__(self, key, compute):
        from review.archive.canonical import digest
        entry = digest(key)
        if entry not in self.kept:
            self.computed.append(self.record(key))
            self.kept[entry] = pickle.dumps(compute())
        return pickle.loads(self.kept[entry])


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "layout: LibreOffice lays packs out to number their contents' pages (slow)")


@pytest.fixture(autouse=True)
def _no_page_layout(request, monkeypatch):
    """Keep LibreOffice out of finalize unless a test is marked ``layout``: laying every final pack
    out to number its contents takes tens of seconds, and most archive tests are about something else
    (finalize then keeps the contents as links, as it does without LibreOffice)."""
    if request.node.get_closest_marker("layout") is None:
        monkeypatch.setattr("review.office.pdf.find_pdfinfo", lambda: None)


def base_plan() -> dict:
    """Return a small valid plan: 2 entities, 2 sectors, 3 indicators, 1 project (Gregorian)."""
    return {
        "id": "mini",
        "title": {"ar": "خطة تجريبية", "en": "Test plan"},
        "organization": {"ar": "المكتب التنفيذي", "en": "Executive Office"},
        "calendar": "gregorian",
        "entities": [
            {"id": "MOH", "name": {"ar": "وزارة الصحة", "en": "Ministry of Health"}, "focal_point": "أ. سالم"},
            {"id": "MOW", "name": {"ar": "وزارة المياه", "en": "Ministry of Water"}},
        ],
        "sectors": [
            {"id": "health", "name": {"ar": "الصحة", "en": "Health"}, "lead_entity": "MOH",
             "objectives": [{"id": "h.o1", "name": {"ar": "رفع التغطية", "en": "Coverage"},
                             "indicators": [
                                 {"id": "H1", "name": {"ar": "نسبة التحصين", "en": "Immunisation"},
                                  "unit": "%", "entity": "MOH", "baseline": 60,
                                  "targets": {2024: 80}},
                                 {"id": "H2", "name": {"ar": "وفيات الأمهات", "en": "Maternal deaths"},
                                  "unit": "حالة", "entity": "MOH", "direction": "down",
                                  "targets": {2023: 100, 2024: 60}},
                             ]}],
             "projects": [{"id": "P1", "name": {"ar": "مستشفى", "en": "Hospital"}, "entity": "MOH",
                           "budget": 1000, "start": "2024-Q1", "end": "2024-Q4"}]},
            {"id": "water", "name": {"ar": "المياه", "en": "Water"},
             "objectives": [{"id": "w.o1", "name": {"ar": "شبكات", "en": "Networks"},
                             "indicators": [
                                 {"id": "W1", "name": {"ar": "الشبكات المنجزة", "en": "Networks built"},
                                  "unit": "كم", "entity": "MOW", "measure": "cumulative",
                                  "targets": {2024: 400, 2025: 200}},
                             ]}]},
        ],
    }


class PlanMaker:
    """Writes a plan folder under tmp_path: ``plan.yaml`` and ``data/<period>/<file>``."""

    def __init__(self, root: Path):
        self.root = root

    def __call__(self, plan: dict | None = None, data: dict[str, dict[str, str | bytes]] | None = None,
                 name: str = "mini", yaml_text: str | None = None) -> Path:
        folder = self.root / name
        folder.mkdir(parents=True, exist_ok=True)
        text = yaml_text if yaml_text is not None else yaml.safe_dump(
            plan if plan is not None else base_plan(), allow_unicode=True, sort_keys=False)
        (folder / "plan.yaml").write_text(text, encoding="utf-8")
        for period, files in (data or {}).items():
            target = folder / "data" / period
            target.mkdir(parents=True, exist_ok=True)
            for filename, content in files.items():
                path = target / filename
                if isinstance(content, bytes):
                    path.write_bytes(content)
                else:
                    path.write_text(content, encoding="utf-8")
        return folder


@pytest.fixture
def make_plan(tmp_path: Path) -> PlanMaker:
    """Return a function that writes a plan folder (default: the mini plan) and returns its path."""
    return PlanMaker(tmp_path)


@pytest.fixture
def plan_dict() -> dict:
    """Return a fresh copy of the mini plan to modify."""
    return copy.deepcopy(base_plan())


@pytest.fixture
def sample(tmp_path: Path):
    """Return a function copying a bundled sample plan into tmp_path (tests never write under plans/)."""
    def copy_sample(name: str) -> Path:
        target = tmp_path / name
        shutil.copytree(PLANS / name, target)
        return target
    return copy_sample


def tool(name: str) -> Path:
    """Return the path of a console script installed next to the running Python."""
    return Path(sys.executable).parent / name


def audit(path: Path) -> str:
    """Run ``openxml-audit --policy strict`` on a file or (recursively) a folder; return its findings.

    An empty string means every .docx/.xlsx passed with zero findings.
    """
    import subprocess
    command = [str(tool("openxml-audit")), "--policy", "strict", "-q", "-m", "0"]
    if Path(path).is_dir():
        command.append("--recursive")
    result = subprocess.run(command + [str(path)], capture_output=True, text=True, timeout=900)
    return "" if result.returncode == 0 else (result.stdout + result.stderr or f"exit {result.returncode}")
