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
    assert ("sectors[0].objectives[0].indicators[0].direction: indicator H1: expected 'up' or 'down', got 'upward'"
            in text)
    assert "plan.yaml: line " in text


def test_bad_period(make_plan, plan_dict):
    plan_dict["sectors"][0]["projects"][0]["end"] = "2024-Q5"
    text = problems(make_plan, plan_dict)
    assert ("sectors[0].projects[0].end: project P1: expected a period like '2024-Q3' (quarter 1 to 4), "
            "got '2024-Q5'" in text)


def test_non_numeric_target(make_plan, plan_dict):
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["targets"][2024] = "أربعمائة"
    text = problems(make_plan, plan_dict)
    assert "indicators[0].targets[2024]: indicator W1: expected a number, got 'أربعمائة'" in text


def test_unknown_field_is_reported(make_plan, plan_dict):
    plan_dict["sectors"][0]["directon"] = "up"
    assert "sectors[0].directon: sector health: unknown field" in problems(make_plan, plan_dict)


def test_duplicate_ids_and_unresolved_entity_name_lines(make_plan, plan_dict):
    plan_dict["entities"].append({"id": "MOH", "name": "مكرر"})
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["entity"] = "MOX"
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["id"] = "H1"
    text = problems(make_plan, plan_dict)
    assert "entities[2].id: duplicate entity id 'MOH' (first at line 10)\n" in text
    assert "indicators[0].id: duplicate indicator id 'H1'" in text
    assert "indicators[0].entity: indicator H1: expected the id of an entity listed under 'entities', got 'MOX'" in text
    assert text.count("plan.yaml: line ") == 3


@pytest.mark.parametrize("bad_id", ["../evil", "a/b", "..", "a..b", "", "مياه", "x" * 65])
def test_ids_that_could_escape_the_output_folder_are_refused(make_plan, plan_dict, bad_id):
    plan_dict["sectors"][0]["id"] = bad_id
    assert "sectors[0].id: expected a code of letters" in problems(make_plan, plan_dict)


@pytest.mark.parametrize("name", ["CON", "nul", "Com0", "lpt9", "aux.health", "PRN.docx"])
def test_windows_reserved_ids_are_refused(make_plan, plan_dict, name):
    plan_dict["sectors"][0]["id"] = name
    plan_dict["entities"][1]["id"] = name
    plan_dict["id"] = name
    text = problems(make_plan, plan_dict)
    message = f"{name!r} is a device name on Windows, which no file may take (whatever its extension)"
    for field in ("line 1: id", "entities[1].id", "sectors[0].id"):
        assert f"{field}: {message}; choose another id" in text


@pytest.mark.parametrize("name", ["executive", "Results", "INDEX", "charts", "manifest", "final"])
def test_sector_ids_that_name_the_builds_own_files_are_refused(make_plan, plan_dict, name):
    plan_dict["sectors"][0]["id"] = name
    text = problems(make_plan, plan_dict)
    assert f"sectors[0].id: {name!r} is the name of a file or folder the build writes (" in text
    assert "(the pack is named <sector id>.docx)" in text


def test_reserved_names_are_refused_only_where_they_collide(make_plan, plan_dict):
    # Entities name forms in a folder of their own, and the plan names a folder of periods.
    plan_dict["entities"][1]["id"] = "executive"
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["entity"] = "executive"
    plan_dict["id"] = "results"
    assert load_plan(make_plan(plan_dict)).entities[1].id == "executive"


@pytest.mark.parametrize("bad_id", ["health\n", "health\n\n", "\nhealth"])
def test_the_id_pattern_is_matched_whole(make_plan, plan_dict, bad_id):
    plan_dict["sectors"][0]["id"] = bad_id
    assert "sectors[0].id: expected a code of letters" in problems(make_plan, plan_dict)


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
    text = problems(make_plan, plan_dict)
    assert "sectors[1].id: duplicate sector id 'Health'" in text and "differ in more than case" in text


# -- issue 14: whatever validate accepts, every output can hold ----------------------------------

INDICATOR = ("sectors", 0, "objectives", 0, "indicators", 0)


def _set(plan: dict, path: tuple, value) -> None:
    node = plan
    for part in path[:-1]:
        node = node.setdefault(part, {}) if isinstance(node, dict) else node[part]
    node[path[-1]] = value


@pytest.mark.parametrize("path, field, owner", [
    (INDICATOR + ("targets", 2024), "indicators[0].targets[2024]", "indicator H1: "),
    (INDICATOR + ("baseline",), "indicators[0].baseline", "indicator H1: "),
    (INDICATOR + ("weight",), "indicators[0].weight", "indicator H1: "),
    (INDICATOR + ("quarterly_targets", "2024-Q2"), "indicators[0].quarterly_targets.2024-Q2", "indicator H1: "),
    (("sectors", 0, "objectives", 0, "weight"), "objectives[0].weight", "objective h.o1: "),
    (("sectors", 1, "weight"), "sectors[1].weight", "sector water: "),
    (("sectors", 0, "projects", 0, "budget"), "projects[0].budget", "project P1: "),
    (("sectors", 0, "projects", 0, "planned_progress", "2024-Q2"), "projects[0].planned_progress.2024-Q2",
     "project P1: "),
    (("evaluation", "on_track"), "evaluation.on_track", ""),
    (("evaluation", "cap"), "evaluation.cap", ""),
])
@pytest.mark.parametrize("value, shown", [(float("nan"), "nan"), (float("inf"), "inf"), (float("-inf"), "-inf")])
def test_nan_and_infinities_are_refused_everywhere(make_plan, plan_dict, path, field, owner, value, shown):
    _set(plan_dict, path, value)
    text = problems(make_plan, plan_dict)
    assert f"{field}: {owner}expected a finite number, got {shown}" in text
    assert "plan.yaml: line " in text


@pytest.mark.parametrize("path, field", [
    (INDICATOR + ("targets", 2024), "indicators[0].targets[2024]"),
    (INDICATOR + ("baseline",), "indicators[0].baseline"),
    (("sectors", 0, "projects", 0, "budget"), "projects[0].budget"),
    (("sectors", 1, "weight"), "sectors[1].weight"),
    (("evaluation", "cap"), "evaluation.cap"),
])
def test_numbers_beyond_what_a_pack_prints_are_refused(make_plan, plan_dict, path, field):
    _set(plan_dict, path, 2e15)
    text = problems(make_plan, plan_dict)
    assert f"{field}: " in text and "expected a number between -1e+15 and 1e+15, got 2000000000000000.0" in text


def test_numbers_at_the_limit_pass(make_plan, plan_dict):
    _set(plan_dict, INDICATOR + ("targets", 2024), 1e15)
    _set(plan_dict, INDICATOR + ("baseline",), -1e15)
    assert load_plan(make_plan(plan_dict)).indicator_index["H1"][2].targets[2024] == 1e15


def test_nan_written_as_yaml_is_refused(make_plan, plan_dict):
    import yaml
    text = yaml.safe_dump(plan_dict, allow_unicode=True, sort_keys=False).replace("2024: 80", "2024: .NaN")
    assert "indicators[0].targets[2024]: indicator H1: expected a finite number, got nan" in problems(
        make_plan, yaml_text=text)


@pytest.mark.parametrize("path, field, owner", [
    (("title", "ar"), "line 3: title.ar: ", ""),
    (("organization",), "organization: ", ""),
    (("entities", 0, "focal_point"), "entities[0].focal_point: entity MOH: ", ""),
    (INDICATOR + ("name", "en"), "indicators[0].name.en: indicator H1: ", ""),
    (INDICATOR + ("unit",), "indicators[0].unit: indicator H1: ", ""),
    (("sectors", 1, "name"), "sectors[1].name: sector water: ", ""),
    (("challenge_categories", "money"), "challenge_categories.money: ", ""),
])
@pytest.mark.parametrize("character, code", [("\x07", "U+0007"), ("\x1b", "U+001B"), ("\x00", "U+0000"),
                                             ("\x7f", "U+007F"), ("\x9b", "U+009B")])
def test_control_characters_in_any_text_are_refused_located(make_plan, plan_dict, path, field, owner,
                                                            character, code):
    _set(plan_dict, path, f"ab{character}c")
    text = problems(make_plan, plan_dict)
    assert f"{field}control character {code} at character 3 in 'ab" in text
    assert "(expected printable text: Word and Excel cannot hold it; remove it)" in text
    assert character not in text  # printed escaped


def test_a_control_character_in_a_key_is_refused(make_plan, plan_dict):
    plan_dict["sectors"][0]["objectives"][0]["indicators"][0]["dir\x1bection"] = "up"
    text = problems(make_plan, plan_dict)
    assert "indicators[0]['dir\\x1bection']: indicator H1: control character U+001B at character 4" in text
    assert "\x1b" not in text


def test_tabs_newlines_and_direction_marks_are_text(make_plan, plan_dict):
    plan_dict["sectors"][0]["name"] = {"ar": "الصحة\u200f\tو\nالسكان\u2066x\u2069", "en": "Health\r\n"}
    assert load_plan(make_plan(plan_dict)).sectors[0].name.ar.startswith("الصحة")


def test_text_longer_than_an_excel_cell_is_refused_and_not_echoed(make_plan, plan_dict):
    plan_dict["sectors"][0]["objectives"][0]["indicators"][0]["name"] = "س" * 32_768
    text = problems(make_plan, plan_dict)
    assert ("indicators[0].name: indicator H1: text of 32,768 characters (expected at most 32,767, what "
            "an Excel cell holds), got 'سسس") in text
    assert "… (32,768 characters)" in text and len(text) < 1000


def test_text_of_an_excel_cell_passes_and_a_long_title_is_left_to_the_writer(make_plan, plan_dict):
    # Word's 255-character limit is for the document properties only: the writer clamps those,
    # the cover prints the whole title.
    plan_dict["title"] = "ع" * 32_767
    plan_dict["sectors"][0]["name"] = "ص" * 32_767
    plan = load_plan(make_plan(plan_dict))
    assert len(plan.title.ar or "") == 32_767


def test_a_long_unknown_value_is_not_echoed(make_plan, plan_dict):
    plan_dict["sectors"][0]["objectives"][0]["indicators"][0]["direction"] = "x" * 10_000
    text = problems(make_plan, plan_dict)
    assert "direction: indicator H1: expected 'up' or 'down', got 'xxx" in text
    assert "… (10,000 characters)" in text and len(text) < 600


def test_a_long_bad_period_is_not_echoed(make_plan, plan_dict):
    plan_dict["sectors"][0]["projects"][0]["start"] = "2024-Q" + "9" * 10_000
    text = problems(make_plan, plan_dict)
    assert "projects[0].start: project P1: expected a period like '2024-Q3'" in text and len(text) < 600


def test_a_missing_targets_key_is_an_error(make_plan, plan_dict):
    del plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["targets"]
    text = problems(make_plan, plan_dict)
    assert "sectors[1].objectives[0].indicators[0].targets: indicator W1: required field is missing" in text


def test_empty_targets_are_allowed(make_plan, plan_dict):
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["targets"] = {}
    assert load_plan(make_plan(plan_dict)).indicator_index["W1"][2].targets == {}


def test_problems_name_the_innermost_object_with_a_valid_id(make_plan, plan_dict):
    indicator = plan_dict["sectors"][0]["objectives"][0]["indicators"][1]
    indicator["id"] = "bad id"
    indicator["direction"] = "sideways"
    plan_dict["sectors"][0]["objectives"][0]["weight"] = "heavy"
    text = problems(make_plan, plan_dict)
    # The indicator's own id is wrong, so the objective it is in names it.
    assert "indicators[1].direction: objective h.o1: expected 'up' or 'down', got 'sideways'" in text
    assert "indicators[1].id: objective h.o1: expected a code of letters" in text
    assert "objectives[0].weight: objective h.o1: expected a number, got 'heavy'" in text


def test_only_the_problems_shown_are_worked_out(make_plan, plan_dict):
    for i in range(500):
        plan_dict["sectors"][0][f"extra{i}"] = i
    folder = make_plan(plan_dict)
    with pytest.raises(InputError) as caught:
        load_plan(folder)
    listed = [p for p in caught.value.problems if not p.unlisted]
    assert len(listed) == 20 and [p.field for p in listed][:2] == ["sectors[0].extra0", "sectors[0].extra1"]
    assert sum(p.unlisted for p in caught.value.problems) == 480
    assert str(caught.value).endswith("plan.yaml: … and 480 more\nStopped: 500 problems in 1 file.")


def test_problems_of_both_kinds_are_listed_by_line(make_plan, plan_dict):
    plan_dict["sectors"][1]["name"] = "a\x07"
    plan_dict["sectors"][0]["weight"] = "x"
    text = problems(make_plan, plan_dict)
    assert text.index("sectors[0].weight") < text.index("sectors[1].name")
