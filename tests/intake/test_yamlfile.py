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


# -- issue 14: hostile YAML gets a located message that echoes little -----------------------------

from review.errors import InputError  # noqa: E402
from review.intake.yamlfile import describe_error, format_path, load_yaml  # noqa: E402


def _refusal(tmp_path, text: str) -> str:
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_yaml(path)
    return str(caught.value)


@pytest.mark.parametrize("text, where, code", [
    ("id: a\x1bb\n", "line 1, column 6", "U+001B"),
    ("id: x\ntitle: عربي\x07\n", "line 2, column 12", "U+0007"),
    ("id: x\n\n  # \x7f\n", "line 3, column 5", "U+007F"),
])
def test_a_raw_control_character_is_located(tmp_path, text, where, code):
    message = _refusal(tmp_path, text)
    assert f"plan.yaml: {where}: character {code} is not allowed in a YAML file (expected printable text: remove it)" in message
    assert "\x1b" not in message and "\x07" not in message and "\x7f" not in message


@pytest.mark.parametrize("path, shown", [
    (("sectors", 1, "objectives", 0, "id"), "sectors[1].objectives[0].id"),
    (("quarterly_targets", "1445-Q1"), "quarterly_targets.1445-Q1"),
    (("sectors", 0, "dir\x1b[31mection"), "sectors[0]['dir\\x1b[31mection']"),
    (("sectors", 0, "a b"), "sectors[0]['a b']"),
    (("k" * 300,), "['" + "k" * 199 + "… (300 characters)]"),
])
def test_format_path_quotes_keys_that_are_not_plain(path, shown):
    assert format_path(path) == shown


def test_duplicate_and_long_keys_are_not_echoed(tmp_path):
    key = "x" * 5000
    message = _refusal(tmp_path, f"? {key}\n: 1\n? {key}\n: 2\n")
    assert "line 3: ['xxx" in message and "duplicate key 'xxx" in message and len(message) < 1000


def test_an_unreadable_value_is_not_echoed(tmp_path):
    message = _refusal(tmp_path, "id: !!int " + "9" * 50_000 + "\n")
    assert "line 1: id: unreadable value '999" in message and len(message) < 1000


@pytest.mark.parametrize("error, expected", [
    ({"type": "finite_number", "loc": ("a",), "msg": "", "input": float("nan")}, "expected a finite number, got nan"),
    ({"type": "extra_forbidden", "loc": ("a",), "msg": "", "input": "v" * 1000},
     "unknown field (got 'vvv"),
    ({"type": "float_parsing", "loc": ("a",), "msg": "", "input": "\x1b" * 1000}, "expected a number, got '\\x1b"),
])
def test_describe_error_quotes_at_most_a_few_hundred_characters(error, expected):
    message = describe_error(error)
    assert message.startswith(expected) and len(message) < 300


# -- the event reader: what the node tree gave, and limits that stop it at once -------------------

def _load(tmp_path, text: str):
    path = tmp_path / "plan.yaml"
    path.write_text(text, encoding="utf-8")
    return load_yaml(path)


def test_values_and_lines_are_read_from_the_events(tmp_path):
    loaded = _load(tmp_path, "id: x\nn: 3\nf: 2.5\nok: true\nnone: ~\nd: 2024-01-05\n"
                             "list:\n  - {a: 1, b: [x, 'y']}\n  - &z 'q'\n  - *z\n? 7\n: seven\n")
    assert loaded.data == {"id": "x", "n": 3, "f": 2.5, "ok": True, "none": None,
                           "d": __import__("datetime").date(2024, 1, 5),
                           "list": [{"a": 1, "b": ["x", "y"]}, "q", "q"], 7: "seven"}
    assert loaded.line_of(("list", 0, "b", 1)) == 8
    assert loaded.line_of(("list", 2)) == 10
    assert loaded.line_of((7,)) == 11
    assert loaded.line_of(("nowhere", 3)) == 1  # the document's own line


@pytest.mark.parametrize("text, expected", [
    ("a: 1\na: 2\n", "line 2: a: duplicate key 'a' (first on line 1)"),
    ("? [a]\n: 1\n", "line 1: expected a simple key, got ['a']"),
    ("base: &b {x: 1}\nc:\n  <<: *b\n", "line 3: c: YAML merge keys ('<<') are not supported"),
    ("a: !!python/name:os.system x\n", "line 1: a: unsupported YAML tag 'tag:yaml.org,2002:python/name:os.system'"),
    ("a: !!set {x}\n", "line 1: a: unsupported YAML tag 'tag:yaml.org,2002:set' (expected a plain mapping)"),
    ("a: *nowhere\n", "line 1, column 4: YAML syntax error: found undefined alias 'nowhere'"),
    ("a: &x 1\nb: &x 2\n", "line 2, column 4: YAML syntax error: found duplicate anchor 'x' (first on line 1)"),
    ("a: &x [1, *x]\n", "line 1: an alias used inside its own anchor (a recursive document); refused"),
    ("a: 1\n---\nb: 2\n", "line 2, column 1: YAML syntax error: expected a single document in the stream"),
    ("a: " + "[" * 70 + "]" * 70 + "\n", "line 1: the document nests more than 64 levels deep; refused"),
])
def test_refusals_are_located(tmp_path, text, expected):
    assert expected in _refusal(tmp_path, text)


def test_a_value_under_a_refused_key_is_not_kept(tmp_path):
    assert "x" not in str(_refusal(tmp_path, "a: 1\na: {x: 2}\n").split("duplicate key")[1:])
    with pytest.raises(InputError) as caught:
        _load(tmp_path, "a: 1\na: [2]\nb: 3\n")
    assert len(caught.value.problems) == 1


def test_a_mapping_past_the_key_cap_stops_the_reading_there(tmp_path, monkeypatch):
    from review.intake import yamlfile
    monkeypatch.setattr(yamlfile, "MAX_KEYS", 3)
    assert _load(tmp_path, "a: 1\nb: 2\nc: 3\n").data == {"a": 1, "b": 2, "c": 3}
    # The fourth key is refused; the syntax error after it is never read.
    message = _refusal(tmp_path, "s:\n  a: 1\n  b: 2\n  c: 3\n  d: 4\n  e: 'unterminated\n")
    assert "line 5: s: more than 3 keys in the mapping that starts on line 2" in message
    assert "syntax" not in message
