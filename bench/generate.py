"""Write a synthetic national plan, at a scale factor, for the benchmark.

    python bench/generate.py --scale 1 --out DIR [--seed N] [--force]

1× is 12 sectors, 48 objectives, 600 indicators, 60 entities and 120 projects, with eight quarters
of data (2024-Q1 … 2025-Q4, Gregorian): per period one indicators and one projects CSV per entity,
a challenges.csv (about one challenge per ten indicators) and a recommendations.csv (adoptions in
the first periods, status updates later). The scale multiplies every count (0.5× = 6 sectors,
300 indicators, …). Names are Arabic, composed from the word lists below; no external data.

The same scale and seed always give byte-identical files (one seeded ``random.Random``, no clock,
no hash-ordered iteration). Only the standard library and PyYAML (a dependency of ``review``).
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

#: Counts at 1× (the issue's definition of the scale).
BASE = {"sectors": 12, "objectives": 48, "indicators": 600, "entities": 60, "projects": 120}
YEARS = (2023, 2024, 2025)
PERIODS = [f"{year}-Q{q}" for year in (2024, 2025) for q in range(1, 5)]
#: Periods whose workshops adopt recommendations; later ones only follow them up.
ADOPTING = PERIODS[:4]
PLAN_ID = "bench-national-plan"
DEFAULT_SEED = 2024

# -- word lists ----------------------------------------------------------------------------------
# (sector id stem, Arabic, English, subject nouns used to compose objectives/indicators/projects)
SECTORS = [
    ("health", "الصحة", "Health", ["الرعاية الصحية الأولية", "المستشفيات المرجعية", "التحصين", "صحة الأم والطفل", "الأدوية والمستلزمات"]),
    ("education", "التعليم العام", "Education", ["المدارس الحكومية", "رياض الأطفال", "المعلمين المؤهلين", "المناهج الرقمية", "محو الأمية"]),
    ("higher-ed", "التعليم العالي والبحث العلمي", "Higher education", ["الجامعات", "البحث العلمي", "المنح الدراسية", "التعليم التقني", "براءات الاختراع"]),
    ("water", "المياه والصرف الصحي", "Water", ["شبكات المياه", "محطات التحلية", "الصرف الصحي", "السدود", "المياه الجوفية"]),
    ("energy", "الكهرباء والطاقة", "Energy", ["توليد الكهرباء", "الطاقة المتجددة", "شبكات التوزيع", "كفاءة الطاقة", "الربط الكهربائي"]),
    ("transport", "النقل والطرق", "Transport", ["الطرق الرئيسية", "الموانئ", "المطارات", "النقل العام", "السلامة المرورية"]),
    ("agriculture", "الزراعة والأمن الغذائي", "Agriculture", ["الإنتاج الزراعي", "الري الحديث", "الثروة الحيوانية", "المخزون الغذائي", "الإرشاد الزراعي"]),
    ("fisheries", "الثروة السمكية", "Fisheries", ["الإنزال السمكي", "الاستزراع السمكي", "موانئ الصيد", "الصادرات السمكية", "سلسلة التبريد"]),
    ("tourism", "السياحة والتراث", "Tourism", ["الزوار الوافدين", "الغرف الفندقية", "المواقع التراثية", "الفعاليات السياحية", "التراخيص السياحية"]),
    ("industry", "الصناعة التحويلية", "Manufacturing", ["المناطق الصناعية", "الصادرات الصناعية", "المصانع الجديدة", "المحتوى المحلي", "المنشآت الصغيرة"]),
    ("mining", "التعدين", "Mining", ["امتيازات التعدين", "إنتاج النحاس", "المحاجر", "المسح الجيولوجي", "تصاريح التعدين"]),
    ("housing", "الإسكان والتخطيط العمراني", "Housing", ["الوحدات السكنية", "الأراضي السكنية", "التمويل الإسكاني", "المخططات العمرانية", "البنية الأساسية للأحياء"]),
    ("social", "التنمية الاجتماعية", "Social development", ["الأسر المستفيدة", "الضمان الاجتماعي", "ذوي الإعاقة", "الجمعيات الأهلية", "كبار السن"]),
    ("labour", "العمل والتشغيل", "Labour", ["فرص العمل", "التدريب المهني", "الباحثين عن عمل", "التعمين", "سوق العمل"]),
    ("digital", "الاقتصاد الرقمي", "Digital economy", ["الخدمات الحكومية الإلكترونية", "النطاق العريض", "الأمن السيبراني", "الشركات الناشئة", "مراكز البيانات"]),
    ("finance", "المالية العامة", "Public finance", ["الإيرادات غير النفطية", "الدين العام", "الإنفاق الرأسمالي", "التحصيل الضريبي", "المشتريات الحكومية"]),
    ("investment", "الاستثمار والتجارة", "Investment", ["الاستثمار الأجنبي المباشر", "المناطق الحرة", "الصادرات غير النفطية", "السجلات التجارية", "الشراكة مع القطاع الخاص"]),
    ("environment", "البيئة والتغير المناخي", "Environment", ["المحميات الطبيعية", "جودة الهواء", "إدارة النفايات", "التشجير", "الانبعاثات"]),
    ("culture", "الثقافة والرياضة والشباب", "Culture and youth", ["المراكز الثقافية", "الأندية الرياضية", "البرامج الشبابية", "المكتبات العامة", "المنشآت الرياضية"]),
    ("justice", "العدل والشؤون القانونية", "Justice", ["القضايا المنظورة", "التوثيق الإلكتروني", "التشريعات", "الوساطة والتوفيق", "المحاكم المتخصصة"]),
    ("local", "التنمية المحلية", "Local development", ["الخدمات البلدية", "المحافظات", "الطرق الداخلية", "الأسواق المحلية", "الإنارة العامة"]),
    ("logistics", "الخدمات اللوجستية", "Logistics", ["المراكز اللوجستية", "السكك الحديدية", "التخليص الجمركي", "المستودعات", "الشحن الجوي"]),
    ("governance", "الحوكمة والأداء المؤسسي", "Governance", ["الأداء المؤسسي", "الرقابة الإدارية", "إدارة المخاطر", "الشفافية", "رضا المستفيدين"]),
    ("media", "الإعلام والاتصال", "Media", ["البث الإذاعي", "المحتوى الإعلامي", "الاتصال الحكومي", "المنصات الرقمية", "التدريب الإعلامي"]),
]
OBJECTIVE_VERBS = ["رفع كفاءة", "توسيع نطاق", "تحسين جودة", "تعزيز استدامة", "تطوير", "زيادة مساهمة", "حوكمة", "رقمنة"]
#: Entity name forms; a trailing "ل" is the preposition, joined to the topic (ل + الصحة → للصحة).
ENTITY_FORMS = [("وزارة", "Ministry of"), ("الهيئة العامة ل", "Public Authority for"), ("المؤسسة العامة ل", "Public Establishment for"),
                ("المركز الوطني ل", "National Centre for"), ("صندوق تنمية", "Development Fund for"), ("المديرية العامة ل", "Directorate General of")]
PLACES = ["المحافظة الشمالية", "المحافظة الجنوبية", "المنطقة الوسطى", "الساحل الشرقي", "المنطقة الغربية", "العاصمة",
          "الولايات الداخلية", "المنطقة الحدودية", "الجزر", "المنطقة الصحراوية"]
PROJECT_VERBS = ["إنشاء", "تطوير", "تأهيل", "توسعة", "تشغيل", "استكمال", "تحديث", "رقمنة"]
PROJECT_THINGS = ["مجمع", "منظومة", "شبكة", "مركز", "منصة", "برنامج", "مرافق", "محطة"]
FIRST_NAMES = ["أحمد", "سالم", "مريم", "خالد", "عائشة", "يوسف", "فاطمة", "هلال", "سعيد", "ليلى", "ناصر", "زينب"]
FAMILY_NAMES = ["الحارثي", "البلوشي", "الفارسي", "الرواحي", "الكندي", "المعمري", "الشكيلي", "الهنائي", "العامري", "الزدجالي"]
CATEGORIES = ["financial", "technical", "administrative", "legislative", "human_resources", "coordination", "data", "مالية", "فنية", "إدارية"]
SEVERITIES = ["high", "medium", "low", "عالية", "متوسطة", "منخفضة"]
CAUSES = ["تأخر اعتماد المخصصات المالية", "نقص الكوادر الفنية المتخصصة", "تأخر إجراءات الطرح والترسية",
          "ضعف التنسيق بين الجهات المعنية", "عدم اكتمال الإطار التشريعي", "تأخر توريد المعدات",
          "ضعف أنظمة جمع البيانات", "ارتفاع تكاليف التنفيذ عن التقديرات"]
REMEDIES = ["تشكيل فريق عمل مشترك لمتابعة التنفيذ", "إعادة جدولة الأنشطة وفق الأولويات", "طلب تعزيز مالي من الموازنة",
            "تسريع إجراءات المناقصات", "إعداد مسودة اللائحة التنفيذية", "التعاقد مع خبرات استشارية",
            "ربط أنظمة البيانات إلكترونياً بين الجهات"]
SUPPORT = ["", "", "قرار من مجلس الوزراء", "تعزيز مالي", "دعم فني من الجهات الشريكة", "تسهيل إجراءات التوظيف"]
RECOMMENDATIONS = ["إعداد خطة معالجة عاجلة لمؤشرات {s} المتأخرة", "تسريع استكمال مشاريع {s} المتعثرة",
                   "رفع كفاءة جمع البيانات لدى جهات {s}", "مراجعة مستهدفات {s} في ضوء الأداء الفعلي",
                   "تشكيل لجنة فنية لمتابعة تحديات {s}", "اعتماد آلية ربع سنوية لمتابعة إنفاق مشاريع {s}"]
STATUS_WORDS = {"in_progress": ["in_progress", "قيد التنفيذ"], "done": ["done", "منفذ"], "dropped": ["dropped", "ملغى"],
                "not_started": ["not_started", "لم يبدأ"]}
UPDATE_NOTES = ["", "تم تشكيل فريق العمل", "جارٍ استكمال الإجراءات", "أُنجز جزء من المتطلبات", "بانتظار الاعتماد"]

# Indicator kinds: (Arabic prefix, unit ar, unit en, measure, direction, low, high, decimals)
KINDS = [
    ("نسبة تغطية", "%", "%", "level", "up", 40, 85, 1),
    ("نسبة رضا المستفيدين عن", "%", "%", "level", "up", 55, 80, 1),
    ("عدد المستفيدين من", "مستفيد", "beneficiaries", "cumulative", "up", 2_000, 60_000, 0),
    ("عدد المعاملات المنجزة في", "معاملة", "transactions", "cumulative", "up", 500, 20_000, 0),
    ("حجم الإنفاق على", "مليون", "million", "cumulative", "up", 5, 400, 1),
    ("متوسط مدة إنجاز خدمات", "يوم", "days", "level", "down", 20, 120, 0),
    ("معدل الفاقد في", "%", "%", "level", "down", 10, 35, 1),
    ("عدد المرافق العاملة في", "مرفق", "facilities", "level", "up", 30, 900, 0),
]

ARABIC_DIGITS = str.maketrans("0123456789.,", "٠١٢٣٤٥٦٧٨٩٫٬")


@dataclass
class Indicator:
    id: str
    sector: str
    entity: str
    kind: tuple
    baseline: float
    targets: dict[int, float]
    performance: float
    quarterly_targets: dict[str, float] = field(default_factory=dict)


@dataclass
class Project:
    id: str
    sector: str
    entity: str
    budget: float
    start: int  # index into the quarter line, 0 = 2023-Q1
    end: int
    pace: float


def scaled_counts(scale: float) -> dict[str, int]:
    """Return the number of sectors, objectives, indicators, entities and projects at ``scale``."""
    if scale <= 0:
        raise ValueError(f"--scale: expected a positive number, got {scale!r}")
    sectors = max(1, round(BASE["sectors"] * scale))
    objectives = max(sectors, round(BASE["objectives"] * scale))
    return {"sectors": sectors, "objectives": objectives,
            "indicators": max(objectives, round(BASE["indicators"] * scale)),
            "entities": max(1, round(BASE["entities"] * scale)),
            "projects": round(BASE["projects"] * scale)}


def quarter_name(index: int) -> str:
    """Return the period of quarter ``index`` counted from 2023-Q1 (0)."""
    return f"{2023 + index // 4}-Q{index % 4 + 1}"


def split(total: int, parts: int) -> list[int]:
    """Return ``total`` split into ``parts`` near-equal whole counts."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def fmt(value: float, decimals: int, arabic: bool = False, grouped: bool = False) -> str:
    """Return a number as a focal point would type it (optionally grouped, or in Arabic-Indic digits)."""
    text = f"{value:,.{decimals}f}" if grouped else f"{value:.{decimals}f}"
    return text.translate(ARABIC_DIGITS) if arabic else text


def csv_text(header: list[str], rows: list[list]) -> str:
    """Return a CSV file's text with ``\\n`` line ends (deterministic on every platform)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


class Generator:
    """Compose one synthetic plan and its data from a seeded random stream."""

    def __init__(self, scale: float, seed: int = DEFAULT_SEED):
        self.scale = scale
        self.counts = scaled_counts(scale)
        # float(): scale 1 and 1.0 (an int from Python, a float from the command line) are one plan.
        self.rng = random.Random(f"{seed}:{float(scale)}")
        self.entities: list[dict] = []
        self.entity_style: dict[str, tuple[str, bool]] = {}
        self.sectors: list[dict] = []
        self.indicators: list[Indicator] = []
        self.projects: list[Project] = []

    # -- the plan ---------------------------------------------------------------------------------
    def sector_words(self, index: int) -> tuple[str, str, str, list[str]]:
        stem, ar, en, subjects = SECTORS[index % len(SECTORS)]
        if index >= len(SECTORS):
            round_ = index // len(SECTORS) + 1
            return f"{stem}-{round_}", f"{ar} ({round_})", f"{en} ({round_})", subjects
        return stem, ar, en, subjects

    def make_entities(self) -> None:
        rng, n_sectors = self.rng, self.counts["sectors"]
        for number in range(1, self.counts["entities"] + 1):
            home = (number - 1) % n_sectors
            _, sector_ar, sector_en, subjects = self.sector_words(home)
            form_ar, form_en = ENTITY_FORMS[(number - 1) // n_sectors % len(ENTITY_FORMS)]
            topic = sector_ar if (number - 1) // n_sectors == 0 else rng.choice(subjects)
            if form_ar.endswith(" ل"):
                name_ar = form_ar + (topic[1:] if topic.startswith("ال") else topic)
            else:
                name_ar = f"{form_ar} {topic}"
            entity_id = f"E{number:03d}"
            self.entities.append({
                "id": entity_id, "home": home,
                "name": {"ar": name_ar, "en": f"{form_en} {sector_en} ({entity_id})"},
                "focal_point": f"{rng.choice(FIRST_NAMES)} {rng.choice(FAMILY_NAMES)}",
                "email": f"focal.point@{entity_id.lower()}.example",
            })
            # How this entity's focal point writes files: header language, digits.
            self.entity_style[entity_id] = (rng.choice(["en", "en", "ar", "both"]), rng.random() < 0.2)

    def make_indicator(self, number: int, sector_id: str, entity: str, subject: str) -> tuple[Indicator, dict]:
        rng = self.rng
        kind = KINDS[rng.randrange(len(KINDS))]
        prefix, unit_ar, unit_en, measure, direction, low, high, decimals = kind
        baseline = rng.uniform(low, high)
        step = baseline * rng.uniform(0.03, 0.12)
        if direction == "down":
            step = -step
        targets = {}
        for offset, year in enumerate(YEARS, start=1):
            value = baseline + step * offset
            if unit_en == "%":
                value = min(value, 99.0)
            targets[year] = round(value, decimals)
        # Performance mix: most on track, some at risk, a tail behind.
        draw = rng.random()
        performance = rng.uniform(0.95, 1.12) if draw < 0.55 else rng.uniform(0.76, 0.95) if draw < 0.8 else rng.uniform(0.35, 0.75)
        indicator = Indicator(f"I{number:04d}", sector_id, entity, kind, round(baseline, decimals), targets, performance)
        entry = {"id": indicator.id, "name": f"{prefix} {subject}", "unit": unit_ar if unit_ar == "%" else {"ar": unit_ar, "en": unit_en},
                 "entity": entity, "direction": direction, "measure": measure}
        if measure == "level":
            entry["baseline"] = indicator.baseline
            entry["baseline_year"] = 2022
        entry["targets"] = dict(targets)
        if measure == "cumulative" and rng.random() < 0.1:
            # Year-to-date overrides for a seasonal indicator, the last quarter left to interpolation.
            shares = (0.2, 0.45, 0.7)
            indicator.quarterly_targets = {f"{year}-Q{q}": round(targets[year] * share, decimals)
                                           for year in (2024, 2025) for q, share in enumerate(shares, start=1)}
            entry["quarterly_targets"] = dict(indicator.quarterly_targets)
        if decimals:
            entry["decimals"] = decimals
        if rng.random() < 0.15:
            entry["weight"] = rng.choice([2, 3])
        if measure == "level" and rng.random() < 0.1:
            entry["method"] = "progress"
        return indicator, entry

    def make_sectors(self) -> None:
        rng, counts = self.rng, self.counts
        n_sectors = counts["sectors"]
        objectives_per = split(counts["objectives"], n_sectors)
        indicators_per_objective = split(counts["indicators"], counts["objectives"])
        projects_per = split(counts["projects"], n_sectors)
        by_home: dict[int, list[str]] = {s: [] for s in range(n_sectors)}
        for entity in self.entities:
            by_home[entity["home"]].append(entity["id"])
        all_entities = [e["id"] for e in self.entities]
        objective_number = indicator_number = project_number = 0
        for s in range(n_sectors):
            stem, ar, en, subjects = self.sector_words(s)
            sector_id = f"s{s + 1:02d}-{stem}"
            own = by_home[s] or all_entities
            sector = {"id": sector_id, "name": {"ar": ar, "en": en}, "lead_entity": own[0], "weight": 2 if s % 5 == 0 else 1,
                      "objectives": [], "projects": []}
            for o in range(objectives_per[s]):
                objective_number += 1
                subject = subjects[o % len(subjects)]
                objective = {"id": f"{sector_id}.o{o + 1}", "name": f"{OBJECTIVE_VERBS[(s + o) % len(OBJECTIVE_VERBS)]} {subject}",
                             "weight": 2 if o == 0 else 1, "indicators": []}
                for i in range(indicators_per_objective[objective_number - 1]):
                    indicator_number += 1
                    # One indicator in ten is reported by an entity of another sector.
                    entity = rng.choice(all_entities) if rng.random() < 0.1 else own[i % len(own)]
                    topic = subjects[(o + i) % len(subjects)] + ("" if i < len(subjects) else f" – {PLACES[i % len(PLACES)]}")
                    indicator, entry = self.make_indicator(indicator_number, sector_id, entity, topic)
                    self.indicators.append(indicator)
                    objective["indicators"].append(entry)
                sector["objectives"].append(objective)
            for p in range(projects_per[s]):
                project_number += 1
                start = rng.randrange(0, 8)  # 2023-Q1 … 2024-Q4
                end = start + rng.randrange(3, 10)
                project = Project(f"P{project_number:03d}", sector_id, own[p % len(own)],
                                  round(rng.uniform(1, 120), 1) * 1_000_000, start, end, rng.uniform(0.6, 1.08))
                self.projects.append(project)
                entry = {"id": project.id,
                         "name": f"{PROJECT_VERBS[p % len(PROJECT_VERBS)]} {rng.choice(PROJECT_THINGS)} {subjects[p % len(subjects)]} في {rng.choice(PLACES)}",
                         "entity": project.entity, "budget": project.budget,
                         "start": quarter_name(start), "end": quarter_name(end)}
                if rng.random() < 0.2:
                    # An S-curve: slow start, fast middle.
                    length = end - start + 1
                    curve = {quarter_name(start + k): round(100 * ((k + 1) / length) ** 1.5, 1) for k in range(length)}
                    entry["planned_progress"] = {k: v for k, v in curve.items() if k.startswith(("2024", "2025"))}
                sector["projects"].append(entry)
            self.sectors.append(sector)

    def plan(self) -> dict:
        """Return the plan as the mapping written to ``plan.yaml``."""
        return {
            "id": PLAN_ID,
            "title": {"ar": "متابعة الخطة الوطنية للتنمية (بيانات اصطناعية لقياس الأداء)",
                      "en": "National Development Plan follow-up (synthetic benchmark data)"},
            "organization": {"ar": "المكتب التنفيذي للرؤية الوطنية – المديرية العامة للمتابعة والتقييم",
                             "en": "Executive Office of the National Vision – Monitoring and Evaluation"},
            "notice": {"ar": "بيانات اصطناعية مولدة آلياً لقياس الأداء", "en": "Synthetic, machine-generated benchmark data"},
            "calendar": "gregorian", "language": "ar", "digits": "arabic",
            "classification": {"ar": "للاستخدام الداخلي", "en": "Internal use"},
            "currency": "OMR",
            "evaluation": {"on_track": 95, "at_risk": 75, "method": "ratio", "cap": 100},
            "entities": [{k: v for k, v in e.items() if k != "home"} for e in self.entities],
            "sectors": self.sectors,
        }

    # -- the data ---------------------------------------------------------------------------------
    def target_for(self, indicator: Indicator, year: int, quarter: int) -> float:
        """Return the indicator's target for a quarter (as SPEC §4.1 defines it)."""
        period = f"{year}-Q{quarter}"
        if period in indicator.quarterly_targets:
            return indicator.quarterly_targets[period]
        annual = indicator.targets[year]
        if indicator.kind[3] == "cumulative":
            return annual * quarter / 4
        start = indicator.targets.get(year - 1, indicator.baseline)
        return start + (annual - start) * quarter / 4

    def indicator_value(self, indicator: Indicator, year: int, quarter: int) -> float:
        """Return the value reported for a quarter: the target met at the indicator's pace, with noise."""
        pace = max(0.05, indicator.performance + self.rng.uniform(-0.06, 0.06))
        if indicator.kind[3] == "cumulative":
            ytd = self.target_for(indicator, year, quarter) - (self.target_for(indicator, year, quarter - 1) if quarter > 1 else 0)
            return max(0.0, ytd * pace)
        target = self.target_for(indicator, year, quarter)
        value = target * pace if indicator.kind[4] == "up" else target / pace
        return min(value, 100.0) if indicator.kind[1] == "%" else value

    def header(self, entity: str, english: list[str], arabic: list[str]) -> list[str]:
        language = self.entity_style[entity][0]
        if language == "ar":
            return arabic
        if language == "both":
            return [f"{e} / {a}" for e, a in zip(english, arabic)]
        return english

    def period_files(self, index: int, period: str, adopted: dict[str, dict]) -> dict[str, str]:
        """Return one period's data files as ``{file name: text}``."""
        rng = self.rng
        year, quarter = int(period[:4]), int(period[-1])
        last = index == len(PERIODS) - 1
        files: dict[str, str] = {}
        by_entity: dict[str, list[Indicator]] = {}
        for indicator in self.indicators:
            by_entity.setdefault(indicator.entity, []).append(indicator)
        behind: list[Indicator] = []
        for entity in self.entities:
            entity_id = entity["id"]
            arabic = self.entity_style[entity_id][1]
            # An entity now and then misses a quarter (never the last one, which the benchmark builds).
            if not last and rng.random() < 0.03:
                continue
            rows = []
            source = f"النظام الإحصائي – {entity['name']['ar']}"
            for indicator in by_entity.get(entity_id, []):
                value = self.indicator_value(indicator, year, quarter)
                decimals = indicator.kind[7]
                blank = rng.random() < 0.04
                note = "" if blank or rng.random() < 0.9 else rng.choice(CAUSES)
                if blank:
                    note = "البيانات قيد التدقيق"
                rows.append([indicator.id, "" if blank else fmt(value, decimals, arabic, grouped=value >= 10_000),
                             note, source])
                if indicator.performance < 0.75:
                    behind.append(indicator)
            if rows:
                files[f"indicators-{entity_id}.csv"] = csv_text(
                    self.header(entity_id, ["indicator_id", "value", "note", "source"], ["رمز المؤشر", "القيمة", "ملاحظات", "المصدر"]), rows)
            project_rows = []
            for project in (p for p in self.projects if p.entity == entity_id):
                current = 4 + index  # quarter index of this period (2024-Q1 = 4)
                length = project.end - project.start + 1
                planned = min(100.0, max(0.0, (current - project.start + 1) / length * 100))
                progress = min(100.0, planned * project.pace)
                spent = project.budget * progress / 100 * min(1.2, project.pace + 0.1)
                project_rows.append([project.id, fmt(progress, 0, arabic), fmt(spent, 0, arabic, grouped=True), ""])
            if project_rows:
                files[f"projects-{entity_id}.csv"] = csv_text(
                    self.header(entity_id, ["project_id", "progress", "spent", "note"], ["رمز المشروع", "نسبة الإنجاز", "المصروف", "ملاحظات"]),
                    project_rows)
        files["challenges.csv"] = self.challenges(behind)
        files["recommendations.csv"] = self.recommendations(index, period, adopted)
        return files

    def challenges(self, behind: list[Indicator]) -> str:
        """Return the challenges file: about one challenge per ten indicators, on those behind first."""
        rng = self.rng
        wanted = max(1, len(self.indicators) // 10)
        pool = list(behind)
        rng.shuffle(pool)
        rows = []
        for number in range(wanted):
            severity = rng.choice(SEVERITIES)
            if number % 4 == 3 and self.projects:
                project = rng.choice(self.projects)
                rows.append([project.sector, f"تأخر تنفيذ المشروع {project.id} عن الجدول الزمني", project.entity, "", project.id,
                             rng.choice(CATEGORIES), rng.choice(CAUSES), rng.choice(REMEDIES), severity, rng.choice(SUPPORT)])
                continue
            indicator = pool[number % len(pool)] if pool else rng.choice(self.indicators)
            rows.append([indicator.sector, f"انخفاض أداء المؤشر {indicator.id} عن المستهدف", indicator.entity, indicator.id, "",
                         rng.choice(CATEGORIES), rng.choice(CAUSES), rng.choice(REMEDIES), severity, rng.choice(SUPPORT)])
        return csv_text(["sector_id", "description", "entity_id", "indicator_id", "project_id", "category", "cause", "remedy",
                         "severity", "support_needed"], rows)

    def recommendations(self, index: int, period: str, adopted: dict[str, dict]) -> str:
        """Return the recommendations file: adoptions while ``period`` is in ADOPTING, updates of earlier ids."""
        rng = self.rng
        rows = []
        # Follow-up first: a status update for about half of the open recommendations adopted before.
        for rec_id, rec in adopted.items():
            if rec["status"] in ("done", "dropped") or rng.random() < 0.5:
                continue
            rec["status"] = rng.choices(["in_progress", "done", "dropped"], weights=[6, 3, 1])[0]
            rows.append([rec_id, "", "", "", "", rng.choice(STATUS_WORDS[rec["status"]]), rng.choice(UPDATE_NOTES)])
        if period in ADOPTING:
            year, quarter = period.split("-Q")
            for number, sector in enumerate(self.sectors, start=1):
                rec_id = f"R{year}-{quarter}-{number:02d}"
                text = rng.choice(RECOMMENDATIONS).format(s=sector["name"]["ar"])
                due = quarter_name(4 + index + rng.randrange(2, 5))
                rows.append([rec_id, text, sector["id"], sector["lead_entity"], due, "", ""])
                adopted[rec_id] = {"status": "not_started"}
        return csv_text(["id", "text", "sector_id", "owner_entity", "due_period", "status", "note"], rows)

    def write(self, out: Path) -> dict[str, int]:
        """Write ``plan.yaml`` and ``data/<period>/…`` under ``out``; return the counts written."""
        self.make_entities()
        self.make_sectors()
        out.mkdir(parents=True, exist_ok=True)
        header = (f"# Synthetic plan for the benchmark (bench/generate.py, scale {self.scale:g}).\n"
                  "# All names and figures are invented; they describe no real entity.\n")
        text = yaml.safe_dump(self.plan(), allow_unicode=True, sort_keys=False, width=200, default_flow_style=None)
        (out / "plan.yaml").write_text(header + text, encoding="utf-8", newline="\n")
        adopted: dict[str, dict] = {}
        for index, period in enumerate(PERIODS):
            folder = out / "data" / period
            folder.mkdir(parents=True, exist_ok=True)
            for name, content in self.period_files(index, period, adopted).items():
                (folder / name).write_text(content, encoding="utf-8", newline="\n")
        return {**self.counts, "periods": len(PERIODS)}


def generate(scale: float, out: Path, seed: int = DEFAULT_SEED, force: bool = False) -> dict[str, int]:
    """Write a synthetic plan at ``scale`` into ``out``; return its counts.

    Raises FileExistsError when ``out`` already holds a plan and ``force`` is false.
    """
    out = Path(out)
    if (out / "plan.yaml").exists() or (out / "data").exists():
        if not force:
            raise FileExistsError(f"{out}: already holds a plan (use --force to replace it)")
        (out / "plan.yaml").unlink(missing_ok=True)
        shutil.rmtree(out / "data", ignore_errors=True)
    return Generator(scale, seed).write(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="scale factor (1 = 12 sectors, 600 indicators; default 1)")
    parser.add_argument("--out", type=Path, required=True, help="folder to write plan.yaml and data/ into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    parser.add_argument("--force", action="store_true", help="replace a plan already in --out")
    args = parser.parse_args(argv)
    try:
        counts = generate(args.scale, args.out, args.seed, args.force)
    except (ValueError, FileExistsError) as exc:
        print(f"generate: {exc}", file=sys.stderr)
        return 2
    print(f"{args.out}: " + ", ".join(f"{v} {k}" for k, v in counts.items()), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
