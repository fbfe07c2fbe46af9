"""Optional plan fields of the pack's furniture: the approval block and the distribution list."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from review.model.plan import Approval, Plan


def minimal(**extra) -> dict:
    plan = {"id": "p", "title": "خطة", "organization": "جهة",
            "entities": [{"id": "E1", "name": "جهة"}],
            "sectors": [{"id": "s1", "name": "قطاع", "objectives": [
                {"id": "o1", "name": "هدف", "indicators": [
                    {"id": "I1", "name": "مؤشر", "entity": "E1", "direction": "up", "measure": "level", "targets": {}}]}]}]}
    plan.update(extra)
    return plan


def test_approval_and_distribution_are_optional():
    plan = Plan.model_validate(minimal())
    assert plan.approval is None and plan.distribution == []


def test_approval_lines_and_distribution_are_read():
    plan = Plan.model_validate(minimal(
        approval={"prepared_by": {"name": "أ. منى", "title": {"ar": "أخصائية", "en": "Specialist"}},
                  "approved_by": {"name": "د. عبدالله"}},
        distribution=["رئيس الورشة", {"ar": "قادة القطاعات", "en": "Sector leads"}]))
    assert isinstance(plan.approval, Approval)
    assert plan.approval.prepared_by.title.en == "Specialist"
    assert plan.approval.reviewed_by is None and plan.approval.approved_by.title is None
    assert [d.ar for d in plan.distribution] == ["رئيس الورشة", "قادة القطاعات"]


def test_unknown_approval_role_is_refused():
    with pytest.raises(ValidationError, match="signed_by"):
        Plan.model_validate(minimal(approval={"signed_by": {"name": "x"}}))
