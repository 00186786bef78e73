from __future__ import annotations

from billing.models import Plan


def plan_list_public() -> list[Plan]:
    return list(Plan.objects.filter(is_public=True, is_active=True))
