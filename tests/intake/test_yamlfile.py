"""Reading one top-level value of a YAML file without loading it (the build's up-to-date check)."""

from __future__ import annotations

import pytest

from review.intake.yamlfile import top_level_text
from review.pipeline.build import quick_plan_id


@pytest.mark.parametrize("text, expected", [
    ("id: health-2024\ntitle: x\n", "health-2024"),
    ("title: x\nsectors:\n  - id: s1\n    objectives: [{id: o1}]\nid: 'plan.1'\n", "plan.1"),
    ("? [a, b]\n: 1\nid: \"q\"\n", "q"),                      # a complex key before it
    ("title: {id: nested}\nentities:\n  - {id: e1}\n", None),  # only nested ids
    ("- id: x\n", None),                                      # not a mapping
    ("id: [a, b]\n", None),                                   # not a text
    ("id: {a: 1}\n", None),
    ("title: 'unterminated\nid: x\n", None),                  # a syntax error before it
    ("", None),
])
def test_top_level_text_reads_only_the_top_mapping(tmp_path, text, expected):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    assert top_level_text(path, "id") == expected


def test_top_level_text_of_a_missing_file_is_none(tmp_path):
    assert top_level_text(tmp_path / "nowhere.yaml", "id") is None


@pytest.mark.parametrize("plan_id, expected", [("services-1444", "services-1444"), ("../up", None),
                                               ("a..b", None), ("-x", None), ("خطة", None)])
def test_quick_plan_id_takes_only_valid_ids(tmp_path, plan_id, expected):
    (tmp_path / "plan.yaml").write_text(f"title: t\nid: '{plan_id}'\n", encoding="utf-8")
    assert quick_plan_id(tmp_path) == expected
