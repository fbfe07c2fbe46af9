"""Timeliness (SPEC §3.4): an entity's first accepted receipt against the period's deadline.

Every date here is fixed: no test depends on today's date.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from review.errors import InputError
from review.evaluate import (LATE, NOT_RECEIVED, ON_TIME, RECEIVED, UNKNOWN_TIME, completeness_by_entity,
                             days_overdue, timeliness_of)
from review.intake.data import read_data
from review.intake.plan import load_plan
from review.model.periods import Period, calendar_date
from review.pipeline.build import BuildOptions, build

from tests.conftest import base_plan

UTC = dt.timezone.utc
Q2 = Period(2024, 2)
DEADLINE = dt.date(2024, 7, 15)


@pytest.mark.parametrize("received, has_data, deadline, expected", [
    # On the deadline's day, even at its last second, is on time.
    (dt.datetime(2024, 7, 15, 23, 59, 59, tzinfo=UTC), True, DEADLINE, (0, ON_TIME)),
    (dt.datetime(2024, 7, 1, 8, 0, tzinfo=UTC), True, DEADLINE, (0, ON_TIME)),
    # 16 July 00:00 is one day late; 3 August is 19 days (16 left in July + 3).
    (dt.datetime(2024, 7, 16, 0, 0, tzinfo=UTC), True, DEADLINE, (1, LATE)),
    (dt.datetime(2024, 8, 3, 12, 0, tzinfo=UTC), True, DEADLINE, (19, LATE)),
    # Across the year boundary: 31 Dec → 2 Jan is 2 days.
    (dt.datetime(2025, 1, 2, 1, 0, tzinfo=UTC), True, dt.date(2024, 12, 31), (2, LATE)),
    # A receipt in another time zone counts by its UTC day: 16 July 01:00 +03:00 is 15 July 22:00 UTC.
    (dt.datetime(2024, 7, 16, 1, 0, tzinfo=dt.timezone(dt.timedelta(hours=3))), True, DEADLINE, (0, ON_TIME)),
    (dt.datetime(2024, 7, 20, tzinfo=UTC), True, None, (None, RECEIVED)),
    (None, True, DEADLINE, (None, UNKNOWN_TIME)),
    (None, False, DEADLINE, (None, NOT_RECEIVED)),
])
def test_timeliness_of(received, has_data, deadline, expected):
    assert timeliness_of(received, has_data, deadline)[1:] == expected


@pytest.mark.parametrize("now, days", [
    (dt.datetime(2024, 7, 15, 23, 0, tzinfo=UTC), 0),
    (dt.datetime(2024, 7, 16, 0, 1, tzinfo=UTC), 1),
    (dt.datetime(2024, 9, 1, tzinfo=UTC), 48),  # 16 left in July + 31 in August + 1
])
def test_days_overdue_from_a_fixed_clock(now, days):
    assert days_overdue(DEADLINE, now) == days
    assert days_overdue(None, now) == 0


def test_a_hijri_deadline_is_read_in_the_plans_calendar():
    # 1 Muharram 1445 was 19 July 2023 (Umm al-Qura), so the 15th was 2 August 2023.
    assert calendar_date("1445-01-15", "hijri") == dt.date(2023, 8, 2)
    assert calendar_date("2024-07-15", "gregorian") == DEADLINE
    with pytest.raises(ValueError, match="expected a Hijri date"):
        calendar_date("1445-13-01", "hijri")


def _receipts(*lines: str) -> str:
    return "received_at,entity_id,file,sha256,rows,result,reason\n" + "".join(line + "\n" for line in lines)


def hijri_plan() -> dict:
    plan = base_plan()
    plan["calendar"] = "hijri"
    for sector in plan["sectors"]:
        for objective in sector["objectives"]:
            for indicator in objective["indicators"]:
                indicator["targets"] = {1444: 80, 1445: 90}
        for project in sector.get("projects", []):
            project.update(start="1444-Q1", end="1445-Q4")
    plan["deadlines"] = {"1444-Q4": "1445-01-15"}
    return plan


def test_entities_timeliness_from_the_log_and_a_hijri_plan_deadline(make_plan):
    plan_dir = make_plan(hijri_plan(), data={"1444-Q4": {
        "indicators-MOH.csv": "indicator_id,value\nH1,75\n",
        "indicators-MOW.csv": "indicator_id,value\nW1,10\n",
        # MOH refused first (not counted), then accepted on 5 August 2023: 3 days after 2 August.
        "receipts.csv": _receipts("2023-07-30T08:00:00Z,MOH,indicators-MOH.csv,x,0,refused,1 problem(s)",
                                  "2023-08-05T10:00:00Z,MOH,indicators-MOH.csv,y,1,accepted,",
                                  "2023-08-09T10:00:00Z,MOH,indicators-MOH.csv,z,1,accepted,")}})
    plan = load_plan(plan_dir)
    assert plan.deadline(Period(1444, 4)) == dt.date(2023, 8, 2)
    rows = {r.id: r for r in completeness_by_entity(plan, read_data(plan, plan_dir), Period(1444, 4))}
    assert (rows["MOH"].received_at, rows["MOH"].days_late, rows["MOH"].timeliness) == (
        dt.datetime(2023, 8, 5, 10, tzinfo=UTC), 3, LATE)
    # MOW's file was placed by hand: received, time unknown.
    assert (rows["MOW"].received_at, rows["MOW"].days_late, rows["MOW"].timeliness) == (None, None, UNKNOWN_TIME)


def test_a_recorded_deadline_serves_when_the_plan_sets_none(make_plan):
    plan_dir = make_plan(data={"2024-Q2": {
        "indicators-MOW.csv": "indicator_id,value\nW1,10\n", "deadline.txt": "2024-07-15\n",
        "receipts.csv": _receipts("2024-07-14T10:00:00Z,MOW,indicators-MOW.csv,y,1,accepted,")}})
    plan = load_plan(plan_dir)
    rows = {r.id: r for r in completeness_by_entity(plan, read_data(plan, plan_dir), Q2)}
    assert (rows["MOW"].days_late, rows["MOW"].timeliness) == (0, ON_TIME)
    assert (rows["MOH"].days_late, rows["MOH"].timeliness) == (None, NOT_RECEIVED)


def test_a_bad_deadline_is_an_input_error(make_plan):
    plan = hijri_plan()
    plan["deadlines"] = {"1444-Q4": "1445-02-31"}
    with pytest.raises(InputError, match=r"deadlines\[1444-Q4\]: expected a Hijri date"):
        load_plan(make_plan(plan))
    plan_dir = make_plan(data={"2024-Q2": {"deadline.txt": "15/07/2024"}})
    with pytest.raises(InputError, match="expected a Gregorian date like 2024-10-15 .*got '15/07/2024'"):
        read_data(load_plan(plan_dir), plan_dir)


def test_results_json_carries_received_and_days_late(make_plan, tmp_path):
    plan_dir = make_plan(data={"2024-Q2": {
        "indicators-MOH.csv": "indicator_id,value\nH1,75\n", "indicators-MOW.csv": "indicator_id,value\nW1,10\n",
        "deadline.txt": "2024-07-15\n",
        "receipts.csv": _receipts("2024-07-18T06:30:00Z,MOH,indicators-MOH.csv,y,1,accepted,")}})
    folder = build(BuildOptions(plan_dir, Q2, tmp_path / "out", issue_date=dt.date(2024, 8, 1)))
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))
    assert results["entities"] == [
        {"id": "MOH", "completeness": pytest.approx(100 / 3), "received": "2024-07-18T06:30:00Z", "days_late": 3},
        {"id": "MOW", "completeness": 100.0, "received": None, "days_late": None}]
    # The log and the deadline are inputs: in the snapshot, and a new receipt makes a new revision.
    assert (folder / "snapshot" / "data" / "2024-Q2" / "receipts.csv").is_file()
    assert (folder / "snapshot" / "data" / "2024-Q2" / "deadline.txt").read_text() == "2024-07-15\n"
    with open(Path(plan_dir) / "data" / "2024-Q2" / "receipts.csv", "a", encoding="utf-8") as log:
        log.write("2024-07-19T06:30:00Z,MOW,indicators-MOW.csv,y,1,accepted,\n")
    again = build(BuildOptions(plan_dir, Q2, tmp_path / "out", issue_date=dt.date(2024, 8, 1)))
    assert again.name == "r2"
    results = json.loads((again / "results.json").read_text(encoding="utf-8"))
    assert results["entities"][1] == {"id": "MOW", "completeness": 100.0, "received": "2024-07-19T06:30:00Z",
                                      "days_late": 4}
