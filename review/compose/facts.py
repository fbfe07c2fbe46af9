"""Facts computed once from the evaluation, which every sentence, list and table of a pack is
written from (SPEC §5.6 "facts first").

A fact holds values (counts, scores, names in the pack's language, the entity's reported causes),
never wording: :mod:`review.compose.sentences` turns facts into sentences, the pack writers turn
the same facts into tables, so a sentence cannot say what its table does not.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import TypeVar

from review.compose.context import PackContext
from review.evaluate import IndicatorResult, ProjectResult, TrendRun, trend_run
from review.language.formats import indicator_decimals
from review.model import status as st
from review.model.periods import Period
from review.model.plan import Sector
from review.recommend.proposals import Proposal
from review.recommend.register import DONE, Recommendation

T = TypeVar("T")

#: Indicator statuses that count as lagging (named in the chair's pack).
LAGGING = (st.OFF_TRACK, st.STALLED)
#: Project statuses that count as behind schedule (named in the chair's pack).
BEHIND = (st.DELAYED, st.OFF_TRACK, st.AT_RISK)
#: Projects that are fine: the only ones an "all on track" sentence may cover.
FINE = (st.ON_TRACK, st.COMPLETED)


@dataclass(frozen=True)
class ReportedCauses:
    """What the entity reported about an item in its challenges this period."""

    causes: tuple[str, ...] = ()
    remedies: tuple[str, ...] = ()
    support: tuple[str, ...] = ()
    replies: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        return not (self.causes or self.remedies or self.support)


@dataclass(frozen=True)
class IndicatorFact:
    """An indicator's result with its names, unit and reported causes, in the pack's language."""

    result: IndicatorResult
    name: str
    sector_name: str
    entity_name: str
    unit: str
    direction: str
    decimals: int
    reported: ReportedCauses

    @property
    def id(self) -> str:
        return self.result.id


@dataclass(frozen=True)
class ProjectFact:
    """A project's result with its names and reported causes; ``gap`` is planned − actual (pp)."""

    result: ProjectResult
    name: str
    sector_name: str
    entity_name: str
    reported: ReportedCauses

    @property
    def id(self) -> str:
        return self.result.id

    @property
    def gap(self) -> float | None:
        r = self.result
        return None if r.actual is None else r.planned - r.actual


@dataclass(frozen=True)
class GroupFacts:
    """The facts of a sector (or of the whole plan, ``sector`` None) for one period."""

    sector: Sector | None
    name: str
    score: float | None
    status: str
    coverage: float
    trend: TrendRun
    indicators: tuple[IndicatorFact, ...]
    projects: tuple[ProjectFact, ...]
    recommendations: tuple[Recommendation, ...]
    #: Proposed decisions (consolidated proposals, as the tables list them).
    proposals: int
    incomplete_entities: tuple[str, ...]
    #: Each sector's facts, in plan order (plan facts only).
    sectors: tuple["GroupFacts", ...] = field(default=())

    # -- counts ---------------------------------------------------------------------------------

    @property
    def indicator_counts(self) -> Counter:
        return Counter(i.result.status for i in self.indicators)

    @property
    def project_counts(self) -> Counter:
        return Counter(p.result.status for p in self.projects)

    # -- named items, worst first ---------------------------------------------------------------

    @property
    def lagging(self) -> tuple[IndicatorFact, ...]:
        """Off-track and stalled indicators, lowest achievement first (then plan order)."""
        found = [i for i in self.indicators if i.result.status in LAGGING]
        return tuple(sorted(found, key=lambda i: _low_first(i.result.achievement)))

    @property
    def behind(self) -> tuple[ProjectFact, ...]:
        """Delayed, off-track and at-risk projects, furthest behind plan (largest gap in points) first."""
        found = [p for p in self.projects if p.result.status in BEHIND]
        return tuple(sorted(found, key=lambda p: -(p.gap if p.gap is not None else 0.0)))

    @property
    def above_target(self) -> tuple[IndicatorFact, ...]:
        """Indicators at or above their target (achievement ≥ 100 %), highest first."""
        found = [i for i in self.indicators if i.result.achievement is not None and i.result.achievement >= 100]
        return tuple(sorted(found, key=lambda i: -(i.result.achievement or 0.0)))

    @property
    def completed(self) -> tuple[ProjectFact, ...]:
        return tuple(p for p in self.projects if p.result.status == st.COMPLETED)

    @property
    def implemented(self) -> tuple[Recommendation, ...]:
        return tuple(r for r in self.recommendations if r.status == DONE)

    @property
    def overdue(self) -> tuple[Recommendation, ...]:
        return tuple(r for r in self.recommendations if r.overdue)

    @property
    def all_projects_fine(self) -> bool:
        """True when there are projects and every one is on track or completed."""
        return bool(self.projects) and all(p.result.status in FINE for p in self.projects)


@dataclass(frozen=True)
class Decision:
    """A line of the decisions sheet: proposals of one rule about one target, consolidated.

    ``number`` counts from 1 across the plan in the proposals' order (sector, rule, item); a later
    revision of the period keeps the numbers the earlier ones gave and numbers new decisions on
    from the highest (:func:`decision_numbering`); ``due`` is the proposed due period (the
    next quarter, when the next workshop checks it)."""

    number: int
    rule: str
    sector_id: str | None
    texts: tuple[str, ...]
    evidence: tuple[str, ...]
    owner: str
    covers: tuple[str, ...]
    due: Period


def decision_key(rule: str, target: tuple[str, ...]) -> str:
    """Return the key a decision is known by across the revisions of a period: its rule and its
    target (the items it covers, else its owner, else its text), e.g. ``lagging:H1+H2``."""
    return f"{rule}:{'+'.join(target)}"


def _decision_groups(ctx: PackContext) -> dict[str, list[Proposal]]:
    """Return the proposals grouped by decision (same rule, same target), in the proposals' order."""
    groups: dict[str, list[Proposal]] = {}
    for proposal in ctx.proposals:
        target = proposal.covers or ((proposal.owner,) if proposal.owner else (proposal.text,))
        groups.setdefault(decision_key(proposal.rule, target), []).append(proposal)
    return groups


def memoized(ctx: PackContext, key: tuple, compute: Callable[[], T]) -> T:
    """Return ``compute()``, computed once per context for ``key``: the facts are computed once and
    every table, sentence and slide reads the same ones (and a pack asks for them many times); the
    other values a build computes once from a context (the sources' index, the sectors' keys) too.

    The memory is forgotten when what the facts come from is replaced (the history, the proposals,
    the register, the earlier decisions' numbers, the plan, the data, the wording); a context made
    with :func:`dataclasses.replace` starts with a memory of its own.
    """
    memo = getattr(ctx, "facts_memo", None)
    if memo is None:  # a stand-in context without a memory: computed each time
        return compute()
    # By identity and length: each is replaced, never edited in place, once a build has set it (a
    # national plan's hundreds of decisions' numbers listed at each of thousands of calls cost a
    # second). The objects are kept, so that no other can take one's identity once it is freed.
    sources = (ctx.history, ctx.proposals, ctx.register, ctx.decision_numbers, ctx.plan, ctx.data, ctx.phrases)
    lengths = (len(ctx.history), len(ctx.proposals), len(ctx.register), len(ctx.decision_numbers))
    kept = memo.get(_STAMP)
    if kept is None or kept[1] != lengths or any(a is not b for a, b in zip(kept[0], sources)):
        memo.clear()
        memo[_STAMP] = (sources, lengths)
    if key not in memo:
        memo[key] = compute()
    return memo[key]


_STAMP = ("stamp",)


def decision_numbering(ctx: PackContext) -> dict[str, int]:
    """Return the number of every decision of the period so far: those of the earlier revisions
    (``ctx.decision_numbers``, kept even when dropped since, so that no number is given twice) and
    this revision's new ones, numbered on from the highest number given, in the proposals' order."""
    numbering = dict(ctx.decision_numbers)
    following = max(numbering.values(), default=0) + 1
    for key in _decision_groups(ctx):
        if key not in numbering:
            numbering[key] = following
            following += 1
    return numbering


def decisions(ctx: PackContext) -> tuple[Decision, ...]:
    """Return the decisions the workshop is asked to take, by number: the proposed recommendations
    numbered once across the plan, those of the same rule for the same target (its items, else its
    owner) made one. A decision keeps the number an earlier revision of the period gave it."""
    return memoized(ctx, ("decisions",), lambda: _decisions(ctx))


def _decisions(ctx: PackContext) -> tuple[Decision, ...]:
    numbering = decision_numbering(ctx)
    found = []
    for key, members in _decision_groups(ctx).items():
        covers = tuple(dict.fromkeys(ident for p in members for ident in p.covers))
        found.append(Decision(numbering[key], members[0].rule, members[0].sector_id,
                              tuple(dict.fromkeys(p.text for p in members)),
                              tuple(dict.fromkeys(p.evidence for p in members)),
                              members[0].owner, covers, ctx.period.next()))
    return tuple(sorted(found, key=lambda d: d.number))


def _low_first(value: float | None) -> tuple[int, float]:
    return (1, 0.0) if value is None else (0, value)


def _reported(ctx: PackContext, indicator_id: str = "", project_id: str = "",
              by_item: dict[tuple[str, str], list] | None = None) -> ReportedCauses:
    """Return the causes, remedies, support and replies reported for one item this period
    (``by_item``: the period's challenges by item, :func:`_challenges_by_item`, when the caller has them)."""
    if by_item is None:
        by_item = memoized(ctx, ("challenges",), lambda: _challenges_by_item(ctx))
    challenges = by_item.get(("indicator", indicator_id), []) if indicator_id else by_item.get(("project", project_id), [])
    if not challenges:
        return _NOTHING_REPORTED

    def unique(values) -> tuple[str, ...]:
        return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))

    return ReportedCauses(unique(c.cause for c in challenges), unique(c.remedy for c in challenges),
                          unique(c.support_needed for c in challenges),
                          unique(c.reply for c in challenges))


_NOTHING_REPORTED = ReportedCauses()


def _challenges_by_item(ctx: PackContext) -> dict[tuple[str, str], list]:
    found: dict[tuple[str, str], list] = {}
    for challenge in ctx.data.get(ctx.period).challenges:
        if challenge.indicator_id:
            found.setdefault(("indicator", challenge.indicator_id), []).append(challenge)
        if challenge.project_id:
            found.setdefault(("project", challenge.project_id), []).append(challenge)
    return found


def indicator_facts(ctx: PackContext, results: list[IndicatorResult]) -> tuple[IndicatorFact, ...]:
    """Return the facts of ``results`` in plan order (each result's made once per context: the
    plan's facts list every indicator, and each sector's its own again)."""
    index = ctx.plan.indicator_index
    known: dict[str, IndicatorFact] = memoized(ctx, ("indicator-facts",), dict)
    facts = []
    names: dict = {}  # the sectors' and entities' names, each written once
    by_item = memoized(ctx, ("challenges",), lambda: _challenges_by_item(ctx))
    for r in results:
        fact = known.get(r.id)
        if fact is None or fact.result is not r:
            sector, _, indicator = index[r.id]
            if (sector.id, r.entity) not in names:
                names[sector.id, r.entity] = ctx.text(sector.name), ctx.entity_name(r.entity)
            sector_name, entity_name = names[sector.id, r.entity]
            fact = IndicatorFact(r, ctx.text(indicator.name), sector_name, entity_name,
                                 ctx.unit(indicator.unit), indicator.direction,
                                 indicator_decimals(indicator, r.target, r.actual, indicator.baseline),
                                 _reported(ctx, indicator_id=r.id, by_item=by_item))
            known[r.id] = fact
        facts.append(fact)
    return tuple(facts)


def project_facts(ctx: PackContext, results: list[ProjectResult]) -> tuple[ProjectFact, ...]:
    """Return the facts of ``results`` in plan order."""
    index = ctx.plan.project_index
    by_item = memoized(ctx, ("challenges",), lambda: _challenges_by_item(ctx))
    return tuple(ProjectFact(r, ctx.text(index[r.id][1].name), ctx.text(index[r.id][0].name),
                             ctx.entity_name(r.entity), _reported(ctx, project_id=r.id, by_item=by_item)) for r in results)


def sector_facts(ctx: PackContext, sector: Sector) -> GroupFacts:
    """Return the facts of one sector for the context's period."""
    return memoized(ctx, ("sector", sector.id), lambda: _sector_facts(ctx, sector))


def _sector_facts(ctx: PackContext, sector: Sector) -> GroupFacts:
    result = ctx.result
    roll = result.sector(sector.id)
    involved = {i.entity for _, i in sector.indicators()} | {p.entity for p in sector.projects}
    incomplete = tuple(e.id for e in result.entities
                       if e.id in involved and e.completeness is not None and e.completeness < 100)
    return GroupFacts(
        sector, ctx.text(sector.name), roll.score, roll.status, roll.coverage,
        trend_run([(r.period, r.sector(sector.id).score) for r in ctx.history]),
        indicator_facts(ctx, by_sector(ctx, "indicators", result.indicators).get(sector.id, [])),
        project_facts(ctx, by_sector(ctx, "projects", result.projects).get(sector.id, [])),
        tuple(by_sector(ctx, "register", ctx.register, attrgetter("sector_id")).get(sector.id, ())),
        memoized(ctx, ("decisions-per-sector",), lambda: Counter(d.sector_id for d in decisions(ctx)))[sector.id],
        incomplete)  # its decisions counted as its proposals table lists them


def by_sector(ctx: PackContext, name: str, items: Iterable[T],
              sector_of: Callable[[T], str | None] = attrgetter("sector")) -> dict[str | None, list[T]]:
    """Return ``items`` (the period's results or rows named ``name``: ``indicators``,
    ``challenges``, …) by sector (``sector_of``: their ``sector``), in their order, grouped once per
    context: each sector scanning them all would grow with the plan squared."""
    def compute() -> dict[str | None, list[T]]:
        found: dict[str | None, list[T]] = {}
        for item in items:
            found.setdefault(sector_of(item), []).append(item)
        return found
    return memoized(ctx, ("by-sector", name), compute)


def plan_facts(ctx: PackContext) -> GroupFacts:
    """Return the facts of the whole plan, each sector's facts included."""
    return memoized(ctx, ("plan",), lambda: _plan_facts(ctx))


def _plan_facts(ctx: PackContext) -> GroupFacts:
    result = ctx.result
    sectors = tuple(sector_facts(ctx, s) for s in ctx.plan.sectors)
    # The plan's items are its sectors' (the same facts, computed once), in the results' order.
    indicators = {i.id: i for s in sectors for i in s.indicators}
    projects = {p.id: p for s in sectors for p in s.projects}
    return GroupFacts(
        None, ctx.text(ctx.plan.title), result.plan.score, result.plan.status, result.plan.coverage,
        trend_run([(r.period, r.plan.score) for r in ctx.history]),
        tuple(indicators[r.id] if r.id in indicators else indicator_facts(ctx, [r])[0] for r in result.indicators),
        tuple(projects[r.id] if r.id in projects else project_facts(ctx, [r])[0] for r in result.projects),
        tuple(ctx.register),
        len(decisions(ctx)),  # as the decisions sheet lists them
        tuple(e.id for e in result.entities if e.completeness is not None and e.completeness < 100),
        sectors)
