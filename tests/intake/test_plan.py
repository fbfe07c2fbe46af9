"""Plan loading and validation: safe YAML, line numbers, every bad-input class of SPEC §3.1."""

from __future__ import annotations

import pytest

from review.errors import InputError
from review.intake.plan import load_plan


def problems(make_plan, plan=None, yaml_text=None) -> str:
    folder = make_plan(plan, yaml_text=yaml_text)
    with pytest.raises(InputError) as caught:
        load_plan(folder)
    return str(caught.value)


def test_valid_plan_loads_into_typed_objects(make_plan):
    plan = load_plan(make_plan())
    assert plan.calendar == "gregorian" and plan.digits == "latin" and plan.language == "ar"
    assert plan.evaluation.on_track == 95 and plan.evaluation.at_risk == 75 and plan.evaluation.cap == 100
    sector, objective, indicator = plan.indicator_index["W1"]
    assert (sector.id, objective.id, indicator.measure, indicator.targets[2024]) == ("water", "w.o1", "cumulative", 400)
    assert plan.entity_by_id["MOH"].name.get("en") == "Ministry of Health"
    assert plan.challenge_categories["financial"].get("ar") == "مالية"


def test_yaml_syntax_error_names_the_line(make_plan):
    text = problems(make_plan, yaml_text="id: x\ntitle: [unclosed\nentities: []\n")
    assert "plan.yaml: line 3, column 9: YAML syntax error" in text


def test_bad_enum_value(make_plan, plan_dict):
    plan_dict["sectors"][0]["objectives"][0]["indicators"][0]["direction"] = "upward"
    text = problems(make_plan, plan_dict)
    assert ("sectors[0].objectives[0].indicators[0].direction: expected 'up' or 'down', got 'upward'" in text)
    assert "plan.yaml: line " in text


def test_bad_period(make_plan, plan_dict):
    plan_dict["sectors"][0]["projects"][0]["end"] = "2024-Q5"
    text = problems(make_plan, plan_dict)
    assert "sectors[0].projects[0].end: expected a period like '2024-Q3' (quarter 1 to 4), got '2024-Q5'" in text


def test_non_numeric_target(make_plan, plan_dict):
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["targets"][2024] = "أربعمائة"
    text = problems(make_plan, plan_dict)
    assert "indicators[0].targets[2024]: expected a number, got 'أربعمائة'" in text


def test_unknown_field_is_reported(make_plan, plan_dict):
    plan_dict["sectors"][0]["directon"] = "up"
    assert "sectors[0].directon: unknown field" in problems(make_plan, plan_dict)


def test_duplicate_ids_and_unresolved_entity_name_lines(make_plan, plan_dict):
    plan_dict["entities"].append({"id": "MOH", "name": "مكرر"})
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["entity"] = "MOX"
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["id"] = "H1"
    text = problems(make_plan, plan_dict)
    assert "entities[2].id: duplicate entity id 'MOH' (first at line" in text
    assert "indicators[0].id: duplicate indicator id 'H1'" in text
    assert "indicators[0].entity: expected the id of an entity listed under 'entities', got 'MOX'" in text
    assert text.count("plan.yaml: line ") == 3


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", "..", "a..b", "", "مياه", "x" * 65])
def test_ids_that_could_escape_the_output_folder_are_refused(make_plan, plan_dict, bad_id):
    plan_dict["sectors"][0]["id"] = bad_id
    assert "sectors[0].id: expected a code of letters" in problems(make_plan, plan_dict)


def test_windows_reserved_sector_id(make_plan, plan_dict):
    plan_dict["sectors"][0]["id"] = "CON"
    assert "cannot be a file name on Windows" in problems(make_plan, plan_dict)


def test_hijri_years_are_checked_against_the_calendar(make_plan, plan_dict):
    plan_dict["calendar"] = "hijri"
    assert "expected a hijri year between 1343 and 1499, got 2024" in problems(make_plan, plan_dict)


def test_thresholds_must_be_ordered(make_plan, plan_dict):
    plan_dict["evaluation"] = {"on_track": 70, "at_risk": 80}
    assert "evaluation: expected at_risk ≤ on_track" in problems(make_plan, plan_dict)


def test_alias_bomb_is_refused(make_plan):
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]")
    text = problems(make_plan, yaml_text="\n".join(lines) + "\n")
    assert "expands to more than" in text and "refused" in text


def test_python_tags_are_refused(make_plan):
    text = problems(make_plan, yaml_text="id: !!python/object/apply:os.system ['echo hi']\n")
    assert "unsupported YAML tag" in text


def test_duplicate_keys_are_reported(make_plan):
    assert "duplicate key 'id' (first on line 1)" in problems(make_plan, yaml_text="id: a\nid: b\n")


def test_missing_plan_file(tmp_path):
    with pytest.raises(InputError, match="no plan here"):
        load_plan(tmp_path)


def test_ids_that_name_files_must_differ_in_more_than_case(make_plan, plan_dict):
    plan_dict["sectors"][1]["id"] = "Health"
    plan_dict["entities"][1]["id"] = "AUX"
    text = problems(make_plan, plan_dict)
    assert "sectors[1].id: duplicate sector id 'Health'" in text and "differ in more than case" in text
    assert "entities[1].id: 'AUX' cannot be a file name on Windows" in text
