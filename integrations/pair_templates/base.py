"""Pre-built pair templates: the flows of one integration pair with their default mappings.

Plain data, versioned with the code (no Django). A tenant creates an integration pair from a
template; each ``FlowTemplate`` becomes a flow with its mapping document as version 1 and its
lookup tables as editable tables. (Named ``pair_templates`` because an app's ``templates/``
folder is where Django looks for HTML templates.)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Trigger = Literal["webhook", "poll", "schedule"]
ConflictRule = Literal["source_wins", "newest_wins"]


@dataclass(frozen=True)
class FollowUp:
    """An action after a successful write, e.g. writing the new order number back."""

    action: str                       # connector method name on the named system
    system: str                       # which side it runs on (usually the source)
    args: dict[str, Any] = field(default_factory=dict)   # mapping-style value specs
    description: str = ""


@dataclass(frozen=True)
class LinkSource:
    """One flow's record links feeding a link table: which id is the key, which the value."""

    flow: str                         # a flow key in the same pair
    key: Literal["source_id", "target_id", "natural_key"]
    value: Literal["source_id", "target_id"]


@dataclass(frozen=True)
class LinkTable:
    """A lookup table the pipeline fills from record links before a mapping runs.

    The mapping engine never fetches; a record that points at a record another flow synced
    (an order line's product, an order's customer) reads the other system's id from here.
    A miss is a lookup problem: the record waits or is dead-lettered, never written wrong.
    """

    name: str
    sources: tuple[LinkSource, ...]
    description: str = ""


@dataclass(frozen=True)
class FlowTemplate:
    key: str                          # unique within the pair: "sales-order-bp-to-infor"
    name: str                         # "Sales orders: Brightpearl → Infor"
    entity: str                       # canonical entity: sales_order, product, customer, ...
    source: str                       # Connection.System value
    target: str
    trigger: Trigger
    mapping: dict[str, Any]           # a mapping document (integrations/mapping/README.md)
    events: tuple[str, ...] = ()      # source webhook events for trigger="webhook"
    poll_interval_s: int | None = None   # for trigger="poll"/"schedule"
    lookups: dict[str, dict[str, Any]] = field(default_factory=dict)   # default tables
    follow_ups: tuple[FollowUp, ...] = ()
    depends_on: tuple[str, ...] = ()  # flow keys whose records must exist in the target first
    conflict_rule: ConflictRule = "source_wins"   # for entities synced both ways
    natural_key: str | None = None    # source path stored on each record link (e.g. the SKU)
    enabled_by_default: bool = True
    description: str = ""
    # The flow's step document (integrations/workflow/); None: the fixed pipeline of checks,
    # this mapping and these follow-ups, which a pair created from the template saves as the
    # flow's steps version 1.
    steps: dict[str, Any] | None = None


@dataclass(frozen=True)
class PairTemplate:
    key: str                          # "brightpearl-infor"
    name: str                         # "Brightpearl + Infor"
    partner: str                      # Connection.System of the partner
    version: int
    description: str
    flows: tuple[FlowTemplate, ...]
    link_tables: tuple[LinkTable, ...] = ()

    def flow(self, key: str) -> FlowTemplate:
        for flow in self.flows:
            if flow.key == key:
                return flow
        raise KeyError(f"Template {self.key!r} has no flow {key!r}.")
