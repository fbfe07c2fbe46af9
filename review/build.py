"""The build pipeline: load → validate → read data → evaluate → (charts → compose) → write → archive.

Each stage takes and returns plain values, so each runs alone in a test; this module only wires
them and reports progress.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from . import archive
from .errors import InputError, Problem, UsageError
from .evaluate import PeriodResult, evaluate_history
from .intake.data import DataSet, read_data
from .periods import Period, check_year, period_label
from .phrases import load_phrases
from .plan.model import Plan
from .plan.validation import load_plan
from .compose import ChartSpec, PackContext, sector_charts, write_sector_pack
from .executive import EXECUTIVE, executive_charts, write_executive_pack
from .register import build_register
from .results import results_json
from .workbook import results_workbook

Progress = Callable[[str], None]


def _quiet(message: str) -> None:
    pass


def resolve_issue_date(given: dt.date | None) -> dt.date:
    """Return the pack's issue date: the one given, else ``SOURCE_DATE_EPOCH``'s day (UTC), else today."""
    if given is not None:
        return given
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        try:
            return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
        except (ValueError, OverflowError, OSError):
            raise UsageError(f"SOURCE_DATE_EPOCH: expected whole seconds since 1970, got {epoch!r}")
    return dt.date.today()


@dataclass
class BuildOptions:
    """What ``review build`` was asked to do."""

    plan_dir: Path
    period: Period
    out_root: Path = Path("output")
    sectors: list[str] = field(default_factory=list)
    lang: str | None = None
    issue_date: dt.date | None = None
    template: Path | None = None
    reason: str | None = None
    pdf: bool = False
    command: list[str] = field(default_factory=list)


@dataclass
class Loaded:
    """A validated plan with every period's data."""

    plan: Plan
    data: DataSet


def load(plan_dir: Path) -> Loaded:
    """Return the validated plan of ``plan_dir`` and all its periods' data (raises InputError)."""
    plan = load_plan(plan_dir)
    return Loaded(plan, read_data(plan, plan_dir))


def check_period(loaded: Loaded, period: Period, plan_dir: Path) -> None:
    """Raise InputError unless ``period`` is valid in the plan's calendar and has a data folder."""
    try:
        check_year(period.year, loaded.plan.calendar)
    except ValueError as exc:
        raise UsageError(f"--period {period}: {exc} (the plan's calendar is {loaded.plan.calendar})")
    if period not in loaded.data.periods:
        known = ", ".join(map(str, loaded.data.periods)) or "none"
        raise InputError([Problem(Path(plan_dir) / "data" / str(period), "", "",
                                  f"no data folder for {period} (periods with data: {known})")])


def check_template(template: Path | None) -> Path | None:
    """Return the Word template to use, refusing a path that is not a readable .docx."""
    if template is None:
        return None
    import zipfile
    if not template.is_file():
        raise UsageError(f"--template: no such file: {template}")
    try:
        with zipfile.ZipFile(template) as archive:
            if "word/document.xml" not in archive.namelist():
                raise zipfile.BadZipFile
    except (zipfile.BadZipFile, OSError):
        raise UsageError(f"--template: {template} is not a Word .docx document") from None
    return template


def render_charts(specs: list[ChartSpec]) -> dict[str, bytes]:
    """Return each chart's PNG bytes by name (charts are pure: same spec, same bytes)."""
    from . import charts
    return {spec.name: getattr(charts, spec.function)(*spec.args, **spec.kwargs) for spec in specs}


def render_outputs(loaded: Loaded, options: BuildOptions, issue_date: dt.date,
                   draft_mark: str | None = None, progress: Progress = _quiet) -> dict[str, bytes]:
    """Return every output file of one period as ``{relative path: bytes}`` — pure, writes nothing.

    ``draft_mark`` (e.g. «مسودة للمراجعة — المراجعة 2») is printed on every page of every pack;
    None renders final packs. The same inputs give the same bytes.
    """
    plan, data = loaded.plan, loaded.data
    lang = options.lang or plan.language
    phrases = load_phrases(lang=lang)
    issue_time = dt.datetime.combine(issue_date, dt.time())

    progress(f"Evaluating {len(data.periods)} period(s) up to {options.period}")
    history: list[PeriodResult] = evaluate_history(plan, data, options.period)
    result = history[-1]
    label = period_label(options.period, plan.calendar, lang)
    files: dict[str, bytes] = {
        "results.json": results_json(plan.id, result),
        "results.xlsx": results_workbook(plan, result, phrases, label, issue_time),
    }

    context = PackContext(plan, data, history, phrases, issue_date, check_template(options.template),
                          draft_mark=draft_mark, register=build_register(data.periods, options.period),
                          plan_dir=Path(options.plan_dir))
    sectors = [plan.sector_by_id[s] for s in options.sectors] or plan.sectors
    plans = {sector.id: sector_charts(context, sector) for sector in sectors}
    executive_specs = executive_charts(context)
    specs = [spec for specs in plans.values() for spec in specs] + executive_specs
    progress(f"Rendering {len(specs)} charts")
    pngs = render_charts(specs)
    files.update({f"charts/{name}": png for name, png in pngs.items()})
    for number, sector in enumerate(sectors, start=1):
        progress(f"Writing pack {number}/{len(sectors)}: {sector.id}.docx")
        files[f"{sector.id}.docx"] = write_sector_pack(context, sector, plans[sector.id], pngs)
    progress(f"Writing the executive pack: {EXECUTIVE}.docx")
    files[f"{EXECUTIVE}.docx"] = write_executive_pack(context, executive_specs, pngs)
    return files


def prepare(options: BuildOptions, progress: Progress = _quiet) -> Loaded:
    """Return the loaded plan and data after checking every option; raises InputError/UsageError."""
    progress(f"Reading the plan and data of {options.plan_dir}")
    loaded = load(options.plan_dir)
    plan = loaded.plan
    check_period(loaded, options.period, options.plan_dir)
    unknown = [s for s in options.sectors if s not in plan.sector_by_id]
    if unknown:
        raise UsageError(f"--sector: unknown sector id {unknown[0]!r} (expected one of {', '.join(plan.sector_by_id)})")
    check_template(options.template)
    for warning in loaded.data.warnings:
        progress(str(warning))
    return loaded


def build(options: BuildOptions, progress: Progress = _quiet) -> Path:
    """Build every output of one period and return the folder they were published to.

    Raises InputError (invalid plan or data), UsageError (bad options); writes nothing then.
    """
    loaded = prepare(options, progress)
    files = render_outputs(loaded, options, resolve_issue_date(options.issue_date), progress=progress)
    folder = archive.period_folder(options.out_root, loaded.plan.id, options.period)
    progress(f"Writing {len(files)} files to {folder}")
    return archive.publish(folder, files)
