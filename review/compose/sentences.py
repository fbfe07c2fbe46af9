"""Sentences written from facts (:mod:`review.compose.facts`), in the pack's language and digits.

Every number a sentence prints is read from a fact the pack's tables also show; a sentence says
"all", "none" or "no change" only when the facts say so (SPEC §5.6).
"""

from __future__ import annotations

from review.compose.context import PackContext
from review.compose.facts import GroupFacts, IndicatorFact, ProjectFact
from review.model import status as st


def values_text(ctx: PackContext, fact: IndicatorFact) -> str:
    """Return «actual against a target of target», each with the indicator's unit."""
    r = fact.result
    return ctx.t("facts.value_vs_target", actual=ctx.value(r.actual, fact.decimals, fact.unit),
                 target=ctx.value(r.target, fact.decimals, fact.unit))


def overall_sentence(ctx: PackContext, facts: GroupFacts) -> str:
    """Return the first key message: the score, its status and its movement across the history."""
    if facts.sector is None:
        if facts.score is None:
            return ctx.t("executive.msg_none", plan=facts.name)
        return ctx.t("executive.msg_overall", score=ctx.percent(facts.score), status=ctx.status_label(facts.status),
                     change=ctx.trend_words(facts.trend))
    if facts.score is None:
        return ctx.t("pack.msg_overall_none", sector=facts.name)
    return ctx.t("pack.msg_overall", sector=facts.name, score=ctx.percent(facts.score),
                 status=ctx.status_label(facts.status), change=ctx.trend_words(facts.trend))


def indicators_sentence(ctx: PackContext, facts: GroupFacts) -> str:
    """Return the sector's lagging indicators with the lowest one named, or what is true instead."""
    total = len(facts.indicators)
    lagging = facts.lagging
    if lagging:
        worst = lagging[0]
        key = "facts.lagging_one" if len(lagging) == 1 else "facts.lagging"
        return ctx.t(key, count=ctx.count(len(lagging), "indicator"), total=ctx.count(total, "indicator", genitive=True),
                     name=worst.name, achievement=ctx.percent(worst.result.achievement),
                     values=values_text(ctx, worst))
    if total and facts.indicator_counts[st.NO_DATA] == total:
        return ctx.t("facts.no_values", total=ctx.count(total, "indicator"))
    return ctx.t("facts.no_lagging", total=ctx.count(total, "indicator"),
                 counts=ctx.status_counts((i.result.status for i in facts.indicators), st.STATUSES))


def project_gap_values(ctx: PackContext, fact: ProjectFact) -> dict[str, str]:
    """Return a project's actual, planned and gap as the sentences print them."""
    r = fact.result
    return {"actual": ctx.percent(r.actual), "planned": ctx.percent(r.planned), "gap": ctx.number(fact.gap, 1)}


def projects_sentence(ctx: PackContext, facts: GroupFacts) -> str | None:
    """Return the projects message: the one furthest behind plan (by gap), else what is true; None
    for a sector without projects."""
    projects = facts.projects
    if not projects:
        return None
    total = ctx.count(len(projects), "project")
    behind = facts.behind
    if behind:
        late = behind[0]
        key = "facts.behind_one" if len(behind) == 1 else "facts.behind"
        return ctx.t(key, count=ctx.count(len(behind), "project"), total=ctx.count(len(projects), "project", genitive=True),
                     name=late.name,
                     **project_gap_values(ctx, late))
    if len(projects) == 1:
        return ctx.t("facts.project_fine_one", name=projects[0].name, status=ctx.status_label(projects[0].result.status))
    if facts.all_projects_fine:
        return ctx.t("facts.projects_fine", total=total)
    return ctx.t("facts.projects_by_status", total=total,
                 counts=ctx.status_counts((p.result.status for p in projects), st.PROJECT_STATUSES))


def completeness_sentence(ctx: PackContext, facts: GroupFacts) -> str:
    """Return which entities' data is incomplete, or that every entity's is complete."""
    if facts.incomplete_entities:
        return ctx.t("facts.incomplete", count=ctx.count(len(facts.incomplete_entities), "entity"),
                     entities=ctx.join(ctx.entity_name(e) for e in facts.incomplete_entities))
    return ctx.t("facts.complete")


def decision_sentence(ctx: PackContext, facts: GroupFacts) -> str | None:
    """Return what the workshop must decide: the proposed recommendations, else the overdue ones."""
    if facts.proposals:
        return ctx.t("facts.decide", count=ctx.count(facts.proposals, "recommendation"), section=ctx.t("pack.proposed"))
    if facts.overdue:
        return ctx.t("facts.decide_overdue", count=ctx.count(len(facts.overdue), "recommendation"))
    return None


def reported_lines(ctx: PackContext, fact: IndicatorFact | ProjectFact) -> str:
    """Return the cause, remedy, support and reply the entity reported, one per line, or «لم تُقدَّم أسباب»."""
    reported = fact.reported
    lines = []
    for key, values in (("cause", reported.causes), ("remedy", reported.remedies), ("support", reported.support),
                        ("reply", reported.replies)):
        if values:
            lines.append(ctx.t(f"facts.{key}", text=ctx.data_text(ctx.join(values))))
    if reported.empty:
        lines.insert(0, ctx.t("facts.no_reasons"))
    return "\n".join(lines)
