"""Proposed recommendations: each rule kind fires when it should, with its evidence; the rules file is validated.

Figures are computed by hand from the mini plan (tests/conftest.py): H1 (up, baseline 60, 2024
target 80) has quarterly targets 65, 70, 75, 80; W1 (cumulative, 400 in 2024) 100, 200, 300, 400;
project P1 runs 2024-Q1…Q4 (planned 25, 50, 75, 100 %) with a budget of 1000.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from review.errors import Location
from review.errors import InputError
from review.evaluate import evaluate_history
from review.model.data import (Challenge, DataSet, Origin, PeriodData, ProjectReport, RecommendationRow,
                               Reported)
from review.model.periods import Period
from review.model.plan import Plan
from review.recommend.proposals import KINDS, RULES_FILE, Rules, load_rules, propose
from review.recommend.register import build_register

from tests.conftest import base_plan

P = Period.parse
ORIGIN = Origin(Path("x.csv"), Location(row=2))


def dataset(values=None, projects=None, challenges=None, recommendations=None) -> DataSet:
    """Build a DataSet from {period: {id: value}}, {period: {id: (progress, spent)}},
    {period: [indicator ids named by a challenge]} and {period: [(id, text, sector, owner, due, status, note)]}."""
    periods: dict[Period, PeriodData] = {}

    def get(period: str) -> PeriodData:
        return periods.setdefault(P(period), PeriodData(P(period), Path()))

    for period, items in (values or {}).items():
        for ident, value in items.items():
            get(period).indicators[ident] = Reported(value, "", "", ORIGIN)
    for period, items in (projects or {}).items():
        for ident, (progress, spent) in items.items():
            get(period).projects[ident] = ProjectReport(progress, spent, "", ORIGIN)
    for period, ids in (challenges or {}).items():
        for ident in ids:
            get(period).challenges.append(Challenge("health", "تحدٍّ", "MOH", ident, "", "other", "", "", "", "", ORIGIN))
    for period, rows in (recommendations or {}).items():
        for ident, text, sector, owner, due, status, note in rows:
            get(period).recommendations.append(RecommendationRow(
                ident, text, status, sector, owner, P(due) if due else None, note, P(period), ORIGIN))
    return DataSet(dict(sorted(periods.items())))


def default_rules() -> Rules:
    return load_rules()


def only(kind: str, **changes) -> Rules:
    """Return the default file's rule of ``kind`` alone, with ``changes`` to its fields."""
    rule = next(r for r in default_rules().rules if r.kind == kind)
    return Rules((rule.model_copy(update=changes),))


def run(data: DataSet, period: str, rules: Rules, plan: Plan | None = None, lang: str = "en", digits: str = "latin"):
    plan = plan or Plan.model_validate(base_plan())
    data.periods.setdefault(P(period), PeriodData(P(period), Path()))
    history = evaluate_history(plan, data, P(period))
    register = build_register(data.periods, P(period))
    return propose(plan, data, history, register, rules, lang, digits)


def texts(proposals) -> list[tuple[str, str | None, str, str]]:
    return [(p.rule, p.sector_id, p.text, p.evidence) for p in proposals]


# -- the shipped rules file ------------------------------------------------------------------------

def test_the_shipped_rules_file_is_valid_and_covers_every_kind():
    rules = default_rules()
    assert rules.file == RULES_FILE
    assert [r.kind for r in rules.rules] == list(KINDS)
    assert all(r.enabled for r in rules.rules)


# -- stalled indicator --------------------------------------------------------------------------

def test_stalled_indicator_fires_with_both_quarters_figures():
    # H1: Q1 40/65 = 61.5 %, Q2 42/70 = 60.0 % — off track twice (at_risk 75) → stalled
    data = dataset({"2024-Q1": {"H1": 40}, "2024-Q2": {"H1": 42}})
    [proposal] = run(data, "2024-Q2", only("stalled_indicator"))
    assert proposal.rule == "stalled-indicator" and proposal.sector_id == "health"
    assert "“Immunisation”, off track for the second quarter running" in proposal.text
    assert proposal.text.startswith("Direct Ministry of Health to prepare an urgent remediation plan")
    assert proposal.evidence == ("Achievement 60.0% in Q2 2024 and 61.5% in Q1 2024; "
                                 "actual 42% against a target of 70%.")


def test_stalled_indicator_in_arabic_uses_the_plans_digits():
    data = dataset({"2024-Q1": {"H1": 40}, "2024-Q2": {"H1": 42}})
    [proposal] = run(data, "2024-Q2", only("stalled_indicator"), lang="ar", digits="arabic")
    assert "لمؤشر «نسبة التحصين» المتعثر للربع الثاني على التوالي" in proposal.text
    assert proposal.text.startswith("توجيه وزارة الصحة بإعداد خطة معالجة عاجلة")
    assert proposal.evidence == "نسبة الإنجاز ٦٠٫٠٪ في ر٢ ٢٠٢٤ و٦١٫٥٪ في ر١ ٢٠٢٤؛ المحقق ٤٢٪ مقابل مستهدف ٧٠٪."


@pytest.mark.parametrize("values", [
    {"2024-Q1": {"H1": 40}, "2024-Q2": {"H1": 60}},   # Q2 60/70 = 85.7 %: at risk, recovered
    {"2024-Q1": {"H1": 60}, "2024-Q2": {"H1": 42}},   # Q1 60/65 = 92.3 %: off track once only
    {"2024-Q2": {"H1": 42}},                          # previous quarter not reported: never stalled
])
def test_stalled_indicator_does_not_fire(values):
    assert run(dataset(values), "2024-Q2", only("stalled_indicator")) == []


def test_stalled_indicator_min_quarters_counts_consecutive_quarters():
    # Q1 61.5 %, Q2 60.0 %, Q3 45/75 = 60.0 %: three quarters off track
    data = dataset({"2024-Q1": {"H1": 40}, "2024-Q2": {"H1": 42}, "2024-Q3": {"H1": 45}})
    [proposal] = run(data, "2024-Q3", only("stalled_indicator", min_quarters=3))
    assert "off track for the third quarter running" in proposal.text
    assert run(data, "2024-Q2", only("stalled_indicator", min_quarters=3)) == []


# -- off track without a challenge --------------------------------------------------------------

def test_off_track_without_challenge_fires_when_no_challenge_names_the_indicator():
    # H1 Q2 42/70 = 60 % (off track; Q1 not reported so not stalled). A challenge in Q1 does not count.
    data = dataset({"2024-Q2": {"H1": 42}}, challenges={"2024-Q1": ["H1"], "2024-Q2": ["H2"]})
    [proposal] = run(data, "2024-Q2", only("off_track_without_challenge"))
    assert proposal.sector_id == "health"
    assert "the causes of the shortfall in “Immunisation”" in proposal.text
    assert proposal.evidence == ("Achievement 60.0% (Behind plan) in Q2 2024: actual 42% against a target of 70%; "
                                 "no challenge names this indicator.")


def test_off_track_with_a_challenge_or_on_track_does_not_fire():
    named = dataset({"2024-Q2": {"H1": 42}}, challenges={"2024-Q2": ["H1"]})
    assert run(named, "2024-Q2", only("off_track_without_challenge")) == []
    at_risk = dataset({"2024-Q2": {"H1": 60}})  # 85.7 %
    assert run(at_risk, "2024-Q2", only("off_track_without_challenge")) == []


def test_off_track_without_challenge_thresholds():
    data = dataset({"2024-Q2": {"H1": 60}})  # 85.7 %: at risk
    assert len(run(data, "2024-Q2", only("off_track_without_challenge", below_achievement=90))) == 1
    stalled = dataset({"2024-Q1": {"H1": 40}, "2024-Q2": {"H1": 42}})
    assert len(run(stalled, "2024-Q2", only("off_track_without_challenge"))) == 1
    assert run(stalled, "2024-Q2", only("off_track_without_challenge", include_stalled=False)) == []


# -- incomplete data ----------------------------------------------------------------------------

def test_incomplete_data_fires_in_the_sector_with_missing_items():
    # MOH owes H1, H2, P1 and sent H1 only: 1 of 3 = 33.3 %; MOW sent W1: complete
    data = dataset({"2024-Q2": {"H1": 70, "W1": 100}})
    [proposal] = run(data, "2024-Q2", only("incomplete_data"))
    assert proposal.sector_id == "health"
    assert proposal.text.startswith("Direct Ministry of Health to send the quarter's missing data")
    assert proposal.evidence == ("The entity's data completeness is 33.3% (1 of 3); "
                                 "no value received for: “Maternal deaths”, “Hospital”.")


def test_incomplete_data_goes_only_to_sectors_where_something_is_missing(plan_dict):
    plan_dict["sectors"][1]["objectives"][0]["indicators"][0]["entity"] = "MOH"  # W1 now MOH's too
    plan = Plan.model_validate(plan_dict)
    data = dataset({"2024-Q2": {"H1": 70, "H2": 80}}, {"2024-Q2": {"P1": (50, None)}})
    [proposal] = run(data, "2024-Q2", only("incomplete_data"), plan)
    assert proposal.sector_id == "water"
    assert proposal.evidence.endswith("(3 of 4); no value received for: “Networks built”.")


def test_incomplete_data_threshold_and_complete_entities():
    data = dataset({"2024-Q2": {"H1": 70, "W1": 100}})  # MOH 33.3 %
    assert run(data, "2024-Q2", only("incomplete_data", below_completeness=30)) == []
    complete = dataset({"2024-Q2": {"H1": 70, "H2": 80, "W1": 100}}, {"2024-Q2": {"P1": (50, None)}})
    assert run(complete, "2024-Q2", only("incomplete_data")) == []


# -- projects -----------------------------------------------------------------------------------

def test_project_past_its_end_and_not_complete_is_delayed():
    data = dataset(projects={"2025-Q1": {"P1": (90, None)}})
    [proposal] = run(data, "2025-Q1", only("project_delayed"))
    assert proposal.sector_id == "health"
    assert proposal.text.startswith("Ask Ministry of Health for a revised schedule for “Hospital”, "
                                    "past its planned end (Q4 2024)")
    assert proposal.evidence == "Actual progress 90.0% in Q1 2025; planned end Q4 2024."


def test_project_behind_schedule_below_the_threshold():
    # Q2 planned 50 %; progress 30 → 60 % of plan < 75
    [proposal] = run(dataset(projects={"2024-Q2": {"P1": (30, None)}}), "2024-Q2", only("project_delayed"))
    assert proposal.text.startswith("Direct Ministry of Health to speed up “Hospital”")
    assert proposal.evidence == "Actual progress 30.0% against 50.0% planned in Q2 2024 (schedule achievement 60.0%)."


def test_project_on_schedule_completed_or_unreported_does_not_fire():
    rules = only("project_delayed")
    assert run(dataset(projects={"2024-Q2": {"P1": (40, None)}}), "2024-Q2", rules) == []   # 80 %
    assert run(dataset(projects={"2025-Q1": {"P1": (100, None)}}), "2025-Q1", rules) == []  # completed
    assert run(dataset({"2024-Q2": {"H1": 70}}), "2024-Q2", rules) == []                     # no data
    # raising the threshold to 85 % makes 80 % behind
    assert len(run(dataset(projects={"2024-Q2": {"P1": (40, None)}}), "2024-Q2",
                   only("project_delayed", below_achievement=85))) == 1


# -- budget gap ---------------------------------------------------------------------------------

def test_budget_gap_spending_ahead_of_progress():
    # spent 800 of 1000 = 80 % against progress 50 %: 30 pp ≥ 25
    [proposal] = run(dataset(projects={"2024-Q2": {"P1": (50, 800)}}), "2024-Q2", only("budget_gap"))
    assert proposal.sector_id == "health"
    assert "review the payments on “Hospital”" in proposal.text
    assert proposal.evidence == "Budget execution 80.0% against physical progress 50.0% in Q2 2024 (a gap of 30.0 pp)."


def test_budget_gap_progress_ahead_of_spending():
    # spent 100 = 10 % against progress 60 %: 50 pp the other way
    [proposal] = run(dataset(projects={"2024-Q2": {"P1": (60, 100)}}), "2024-Q2", only("budget_gap"))
    assert "physical progress is far ahead of recorded spending" in proposal.text
    assert proposal.evidence == ("Physical progress 60.0% against budget execution of only 10.0% in Q2 2024 "
                                 "(a gap of 50.0 pp).")


def test_budget_gap_small_gap_or_no_spending_does_not_fire():
    rules = only("budget_gap")
    assert run(dataset(projects={"2024-Q2": {"P1": (50, 600)}}), "2024-Q2", rules) == []   # 10 pp
    assert run(dataset(projects={"2024-Q2": {"P1": (50, None)}}), "2024-Q2", rules) == []  # no spending
    assert len(run(dataset(projects={"2024-Q2": {"P1": (50, 600)}}), "2024-Q2",
                   only("budget_gap", min_gap_pp=5))) == 1


# -- sector decline -----------------------------------------------------------------------------

def test_sector_decline_of_more_than_ten_points():
    # W1 Q1 100/100 = 100 %; Q2 (100 + 70)/200 = 85 %: down 15 pp
    [proposal] = run(dataset({"2024-Q1": {"W1": 100}, "2024-Q2": {"W1": 70}}), "2024-Q2", only("sector_decline"))
    assert proposal.sector_id == "water"
    assert proposal.text.startswith("Hold a review session with the implementing entities of the Water sector")
    assert proposal.evidence == "The sector's score fell from 100.0% in Q1 2024 to 85.0% in Q2 2024, down 15.0 pp."


@pytest.mark.parametrize("q2, min_drop, fires", [
    (80, 10, False),   # 180/200 = 90 %: down exactly 10 — not *more* than 10
    (90, 10, False),   # 95 %: down 5
    (90, 4, True),     # the same fall against a lower threshold
])
def test_sector_decline_threshold(q2, min_drop, fires):
    data = dataset({"2024-Q1": {"W1": 100}, "2024-Q2": {"W1": q2}})
    assert bool(run(data, "2024-Q2", only("sector_decline", min_drop_pp=min_drop))) is fires


# -- overdue recommendation ---------------------------------------------------------------------

ADOPTED = {"2024-Q1": [("R1", "رفع التغطية", "health", "MOH", "2024-Q2", "", "")]}


def test_overdue_recommendation_fires_in_its_sector():
    data = dataset({"2024-Q3": {"H1": 75}}, recommendations=ADOPTED)
    [proposal] = run(data, "2024-Q3", only("overdue_recommendation"))
    assert proposal.sector_id == "health"
    assert proposal.text.startswith("Remind Ministry of Health to carry out recommendation R1 “رفع التغطية”")
    assert proposal.evidence == "Adopted at the Q1 2024 workshop, due Q2 2024; status in Q3 2024: Not started."


def test_overdue_recommendation_not_due_done_or_not_late_enough():
    rules = only("overdue_recommendation")
    assert run(dataset(recommendations=ADOPTED), "2024-Q2", rules) == []   # due this quarter
    done = dict(ADOPTED, **{"2024-Q2": [("R1", "", "", "", "", "done", "")]})
    assert run(dataset(recommendations=done), "2024-Q3", rules) == []
    late = only("overdue_recommendation", min_quarters_late=2)
    assert run(dataset(recommendations=ADOPTED), "2024-Q3", late) == []
    assert len(run(dataset(recommendations=ADOPTED), "2024-Q4", late)) == 1


def test_overdue_recommendation_without_a_known_sector_is_plan_wide_and_last():
    rows = {"2024-Q1": [("R2", "توحيد النماذج", "", "", "2024-Q1", "", ""),
                        ("R1", "رفع التغطية", "health", "MOH", "2024-Q2", "", "")]}
    proposals = run(dataset(recommendations=rows), "2024-Q3", only("overdue_recommendation"))
    assert [(p.sector_id, p.text.split(" “")[0]) for p in proposals] == [
        ("health", "Remind Ministry of Health to carry out recommendation R1"),
        (None, "Remind the entities concerned to carry out recommendation R2")]


# -- every rule together ------------------------------------------------------------------------

def test_order_is_sector_then_rule_then_item_and_disabled_rules_are_skipped():
    data = dataset({"2024-Q1": {"H1": 40, "W1": 100}, "2024-Q2": {"H1": 42, "W1": 70}},
                   {"2024-Q2": {"P1": (30, 800)}})
    proposals = run(data, "2024-Q2", default_rules())
    assert [(p.sector_id, p.rule) for p in proposals] == [
        ("health", "stalled-indicator"), ("health", "off-track-without-challenge"),
        ("health", "incomplete-data"),  # H2 not reported
        ("health", "project-delayed"), ("health", "budget-gap"), ("water", "sector-decline")]
    rules = default_rules()
    off = Rules(tuple(r.model_copy(update={"enabled": r.kind != "budget_gap"}) for r in rules.rules))
    assert "budget-gap" not in [p.rule for p in run(data, "2024-Q2", off)]
    assert texts(run(data, "2024-Q2", default_rules())) == texts(proposals)  # deterministic


def test_a_threshold_edited_in_the_file_changes_the_outcome(tmp_path):
    data = dataset(projects={"2024-Q2": {"P1": (50, 600)}})  # a 10 pp gap
    assert run(data, "2024-Q2", only("budget_gap")) == []
    edited = tmp_path / "recommendations.yaml"
    edited.write_text(RULES_FILE.read_text(encoding="utf-8").replace("min_gap_pp: 25", "min_gap_pp: 10"),
                      encoding="utf-8")
    rules = load_rules(edited)
    assert "budget-gap" in [p.rule for p in run(data, "2024-Q2", rules)]
    assert "budget-gap" not in [p.rule for p in run(data, "2024-Q2", default_rules())]


# -- the rules file's errors -----------------------------------------------------------------------

TEXTS = """    text: {ar: "نص", en: "text"}
    evidence: {ar: "مستند", en: "evidence"}
"""


def problems(tmp_path: Path, body: str) -> list[str]:
    path = tmp_path / "recommendations.yaml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        load_rules(path)
    return [str(p).split("recommendations.yaml: ", 1)[1] for p in caught.value.problems]


def test_unknown_field_is_an_error_with_its_line(tmp_path):
    body = "rules:\n  - id: a\n    kind: sector_decline\n    min_drop: 5\n" + TEXTS
    assert problems(tmp_path, body) == [
        "line 4: rules[0].min_drop: unknown field for a sector_decline rule "
        "(expected one of id, kind, enabled, text, evidence, min_drop_pp)"]


def test_bad_thresholds_are_errors_with_their_lines(tmp_path):
    body = ("rules:\n"
            "  - id: a\n    kind: sector_decline\n    min_drop_pp: 5\n" + TEXTS +
            "  - id: b\n    kind: incomplete_data\n    below_completeness: 120\n" + TEXTS +
            "  - id: c\n    kind: budget_gap\n    min_gap_pp: -5\n"
            "    text: {spending_ahead: {ar: ن, en: t}, progress_ahead: {ar: ن, en: t}}\n"
            "    evidence: {spending_ahead: {ar: ن, en: t}, progress_ahead: {ar: ن, en: t}}\n"
            "  - id: d\n    kind: stalled_indicator\n    min_quarters: 1.5\n" + TEXTS +
            "  - id: e\n    kind: overdue_recommendation\n    min_quarters_late: yes\n" + TEXTS)
    assert problems(tmp_path, body) == [
        "line 9: rules[1].below_completeness: expected a number ≤ 100, got 120",
        "line 14: rules[2].min_gap_pp: expected a number ≥ 0, got -5",
        "line 19: rules[3].min_quarters: expected a whole number, got 1.5",
        "line 24: rules[4].min_quarters_late: expected a number, got True",
    ]


def test_unknown_kind_missing_wording_and_duplicate_id(tmp_path):
    body = ("rules:\n"
            "  - id: a\n    kind: stalled\n" + TEXTS +
            "  - id: b\n    kind: budget_gap\n" + TEXTS +
            "  - id: b\n    kind: sector_decline\n    text: {ar: نص}\n    evidence: {ar: م, en: e}\n"
            "  - id: b\n    kind: sector_decline\n" + TEXTS)
    got = problems(tmp_path, body)
    assert got[0] == ("line 3: rules[0].kind: expected one of 'stalled_indicator', 'off_track_without_challenge', "
                      "'incomplete_data', 'project_delayed', 'budget_gap', 'sector_decline', "
                      "'overdue_recommendation', got 'stalled'")
    assert "line 8: rules[1].text.spending_ahead: required field is missing" in got
    assert "line 8: rules[1].text.ar: unknown field for a budget_gap rule (expected one of spending_ahead, progress_ahead)" in got
    assert "line 12: rules[2].text.en: required field is missing" in got
    assert "line 10: rules[2].id: duplicate rule id 'b' (first on line 6)" in got
    assert got[-1] == "line 14: rules[3].id: duplicate rule id 'b' (first on line 6)"


def test_unknown_placeholder_is_an_error(tmp_path):
    body = ("rules:\n  - id: a\n    kind: sector_decline\n"
            "    text: {ar: \"تراجع {sectr}\", en: \"{sector} fell\"}\n"
            "    evidence: {ar: \"{score:.1f}\", en: \"{drop} pp {oops\"}\n")
    assert problems(tmp_path, body) == [
        "line 4: rules[0].text.ar: expected a placeholder of the sector_decline kind ({sector}, {period}, "
        "{score}, {previous_score}, {previous_period}, {drop}, {status}), got '{sectr}'",
        "line 5: rules[0].evidence.ar: expected a plain placeholder such as {score} (numbers arrive formatted), "
        "got '{score:.1f}'",
        "line 5: rules[0].evidence.en: expected {placeholders} in matching braces (write a literal brace as "
        "{{ or }}), got '{drop} pp {oops'",
    ]


def test_file_shape_errors(tmp_path):
    assert problems(tmp_path, "rule: []\n") == [
        "line 1: rule: unknown field (expected only 'rules')",
        "line 1: rules: required field is missing (expected a list of rules)"]
    assert problems(tmp_path, "rules:\n  - just text\n") == [
        "line 2: rules[0]: expected a mapping of rule fields (id, kind, text, evidence, …), got 'just text'"]
