"""The executive pack's rows of each sector's items, remembered by what they show (issue 20)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from review.archive.canonical import digest
from review.compose.context import PackContext
from review.compose.executive import executive_charts, write_executive_pack
from review.evaluate import evaluate_history
from review.language.phrases import Phrases, load_phrases
from review.model.periods import Period
from review.pipeline.build import load
from review.recommend.proposals import load_rules, propose
from review.recommend.register import build_register

from tests.compose.test_truth import PNG
from tests.conftest import Memory

PERIOD = "2025-Q2"
DATA = Path("data") / PERIOD


def executive_context(plan_dir: Path, phrases: Phrases | None = None) -> PackContext:
    """Return the context a build makes for the executive pack (proposals included: the decisions)."""
    loaded, until = load(plan_dir), Period.parse(PERIOD)
    phrases = phrases or load_phrases(lang="ar")
    ctx = PackContext(loaded.plan, loaded.data, evaluate_history(loaded.plan, loaded.data, until), phrases,
                      dt.date(2025, 7, 20), register=build_register(loaded.data.periods, until))
    ctx.proposals = propose(ctx.plan, ctx.data, ctx.history, ctx.register, load_rules(), ctx.lang, ctx.digits, phrases)
    return ctx


def executive_pack(ctx: PackContext) -> bytes:
    specs = executive_charts(ctx)
    return write_executive_pack(ctx, specs, {spec.name: PNG for spec in specs})


#: One figure or text of one sector changed in the sample's data: (file, before, after).
EDITS = {
    "an indicator's value": ("indicators-MEM.csv", "N03,٨,", "N03,٢,"),
    "a project's progress": ("projects-MEM.csv", "D-N1,٨٤,", "D-N1,٣٠,"),
    "a reported cause": ("challenges.csv", "إقبال محدود في جولة الطرح الثانية", "عزوف المستثمرين عن جولة الطرح"),
}


@pytest.mark.parametrize("edit", EDITS)
def test_the_pack_from_remembered_rows_is_the_pack_made_without_a_memory(sample, monkeypatch, edit):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    plan_dir = sample("diversification-2024")
    remember = Memory(lambda key: key[0])
    computed = remember.computed

    def remembering(ctx: PackContext) -> PackContext:
        ctx.remember, ctx.digest = remember, digest
        return ctx

    fresh = executive_pack(executive_context(plan_dir))  # no memory: everything computed
    sectors = len(executive_context(plan_dir).plan.sectors)
    assert executive_pack(remembering(executive_context(plan_dir))) == fresh
    # A part for each sector with an item listed, and the rows of each entity table (kept by their cells).
    asked = len(computed)
    assert set(computed) == {"executive-sector", "rows"} and 1 < computed.count("executive-sector") <= sectors
    assert executive_pack(remembering(executive_context(plan_dir))) == fresh  # unchanged: every part reused
    assert len(computed) == asked

    name, before, after = EDITS[edit]
    path = plan_dir / DATA / name
    text = path.read_text(encoding="utf-8")
    assert before in text
    path.write_text(text.replace(before, after), encoding="utf-8")
    computed.clear()
    remembered = executive_pack(remembering(executive_context(plan_dir)))
    # The changed sector's part (and those whose decisions' numbers moved).
    assert 1 <= computed.count("executive-sector") < sectors
    assert remembered == executive_pack(executive_context(plan_dir)) != fresh


def test_changed_wording_changes_the_parts(sample, monkeypatch):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    plan_dir = sample("diversification-2024")
    remember = Memory()

    def remembering(ctx: PackContext) -> PackContext:
        ctx.remember, ctx.digest = remember, digest
        return ctx

    fresh = executive_pack(remembering(executive_context(plan_dir)))
    # The wording of a lagging indicator without reported causes, which only the rows print.
    phrases = load_phrases(lang="ar")
    reworded = Phrases({**phrases.entries, "facts.no_reasons": {"ar": "لم تذكر الجهة أسبابا", "en": "None"}}, "ar")
    remembered = executive_pack(remembering(executive_context(plan_dir, reworded)))
    assert remembered == executive_pack(executive_context(plan_dir, reworded)) != fresh
