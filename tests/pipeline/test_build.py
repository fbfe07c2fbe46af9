"""Decision numbers stay put across the revisions of a period (issue 16 item 5)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import docx
import pytest

from review.archive.revisions import ArchiveProblem, read_manifest
from review.model.periods import Period
from review.pipeline.build import BuildOptions, build_revision, render_snapshot

Q2 = Period(2024, 2)


def numbering(revision: Path) -> dict[str, int]:
    return json.loads((revision / "decisions.json").read_text(encoding="utf-8"))


def sheet(revision: Path) -> dict[str, str]:
    """Return {number: the items covered} of the executive pack's decisions sheet."""
    for table in docx.Document(str(revision / "executive.docx")).tables:
        cells = [c.text for c in table.rows[0].cells]
        if "القرار المقترح" in cells:
            return {row.cells[0].text: row.cells[-1].text for row in table.rows[1:]}
    raise AssertionError("no decisions sheet")


def test_a_decision_keeps_its_number_across_revisions(make_plan, tmp_path):
    data = {"2024-Q2": {"indicators-MOH.csv": "indicator_id,value\nH1,75\nH2,70\n",
                        "indicators-MOW.csv": "indicator_id,value\nW1,10\n"}}
    plan_dir = make_plan(data=data)
    values = plan_dir / "data" / "2024-Q2" / "indicators-MOH.csv"

    def build_again() -> tuple[Path, bool]:
        return build_revision(BuildOptions(plan_dir, Q2, tmp_path / "out", issue_date=dt.date(2024, 8, 1)))

    r1, _ = build_again()
    first = numbering(r1)
    # W1 is behind plan (10 of a target of 200) with no challenge; H1 (75 of 70) is on track.
    assert "off-track-without-challenge:W1" in first and "off-track-without-challenge:H1" not in first
    assert sorted(first.values()) == list(range(1, len(first) + 1))
    assert build_again() == (r1, False)  # its own numbers fed back change nothing: up to date

    # H1 falls behind: a new decision in the health sector, before water's in the proposals' order.
    values.write_text("indicator_id,value\nH1,20\nH2,70\n", encoding="utf-8")
    r2, built = build_again()
    assert built and r2.name == "r2"
    second = numbering(r2)
    assert {key: second[key] for key in first} == first  # every earlier number unchanged
    assert second["off-track-without-challenge:H1"] == len(first) + 1
    assert (r2 / "snapshot" / "decisions.json").read_bytes() == (r1 / "decisions.json").read_bytes()
    # The sheet prints the kept numbers, in order.
    shown = sheet(r2)
    assert list(shown) == [str(n) for n in sorted(second.values())]
    assert shown[str(second["off-track-without-challenge:W1"])] == "الشبكات المنجزة"
    assert shown[str(second["off-track-without-challenge:H1"])] == "نسبة التحصين"

    # The archive renders the same bytes again from the snapshot (the numbers are an input).
    manifest = read_manifest(r2)
    rendered = render_snapshot(r2, manifest, manifest["draft_mark"])
    for name in ("executive.docx", "decisions.json", "deck.pptx"):
        assert rendered[name] == (r2 / name).read_bytes(), name

    # H1 recovers: its decision goes, its number stays reserved; it comes back under the same number.
    values.write_text("indicator_id,value\nH1,75\nH2,70\n", encoding="utf-8")
    r3, _ = build_again()
    assert numbering(r3) == second
    assert str(second["off-track-without-challenge:H1"]) not in sheet(r3)
    values.write_text("indicator_id,value\nH1,30\nH2,70\n", encoding="utf-8")
    r4, _ = build_again()
    assert numbering(r4) == second and r4.name == "r4"


def test_a_damaged_numbering_is_named(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {"indicators-MOW.csv": "indicator_id,value\nW1,10\n"}})
    options = BuildOptions(plan_dir, Q2, tmp_path / "out", issue_date=dt.date(2024, 8, 1))
    r1, _ = build_revision(options)
    target = r1 / "decisions.json"
    target.chmod(0o644)
    target.write_text('{"a": 1, "b": 1}', encoding="utf-8")
    with pytest.raises(ArchiveProblem, match="decisions.json: not the decisions' numbers"):
        build_revision(options)
