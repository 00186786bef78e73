"""The registry of pair templates: one module per pair (shared file: add yours)."""

from __future__ import annotations

import importlib

from integrations.pair_templates.base import (
    FlowTemplate,
    FollowUp,
    LinkSource,
    LinkTable,
    PairTemplate,
)

TEMPLATE_MODULES: list[str] = [
    "integrations.pair_templates.brightpearl_infor",
    "integrations.pair_templates.brightpearl_syspro",
    "integrations.pair_templates.brightpearl_dynamics_gp",
    "integrations.pair_templates.brightpearl_salesforce",
    "integrations.pair_templates.brightpearl_bigcommerce",
]

__all__ = ["FlowTemplate", "FollowUp", "LinkSource", "LinkTable", "PairTemplate", "template_get",
           "template_list"]


def template_list() -> list[PairTemplate]:
    return [importlib.import_module(path).TEMPLATE for path in TEMPLATE_MODULES]


def template_get(key: str) -> PairTemplate:
    for template in template_list():
        if template.key == key:
            return template
    raise LookupError(f"No pair template {key!r}.")
