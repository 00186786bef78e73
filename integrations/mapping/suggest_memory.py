"""A mapping memory: which source field known mappings read for a target field.

Plain Python (no Django). A corpus of mapping documents (the pair templates' default mappings
shipped in the package, and in the product the tenant's own saved mapping versions) is read
as correspondences: target system + field ↔ source system + field (Brightpearl ``contactId``
↔ BigCommerce ``customer_id``). A correspondence also counts the other way round (a mapping
from SYSPRO to Brightpearl says which Brightpearl field fills a SYSPRO one), since the same
two fields are paired whichever way the data flows.

The memory answers one question, :meth:`MappingMemory.score`: how likely a candidate source
field is for a target field, as a smoothed share of the correspondences known for the
target, at four levels from the most specific to the most general:

1. the full paths, with both systems (``taSopHdrIvcInsert.ADDRESS1`` ↔
   ``parties.delivery.addressLine1``);
2. the field names without their wrappers, with their roles, and both systems
   (``ADDRESS1`` ↔ ``addressLine1`` of a delivery party);
3. the target's words (any target system) ↔ the source field's name in its system
   (``customer number`` ↔ Brightpearl ``contactId``);
4. words only: the target's words ↔ the source's words, any systems.

The best level, discounted the more general it is, is the signal.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# How much each level's evidence is worth against the exact one, and the smoothing: a share
# is count / (all counts for the target + ALPHA), so one mapping seen once says less than
# five that agree.
LEVEL_WEIGHTS = (1.0, 0.9, 0.75, 0.6)
ALPHA = 0.25
REVERSE_WEIGHT = 1.0
WORD_WEIGHT = 1.0
_LEVEL_WORDS = ("this field in known mappings", "this field's name in known mappings",
                "fields named like this in known mappings", "similar words in known mappings")
_PLAIN = re.compile(r"(\$root\.)?[A-Za-z_][A-Za-z0-9_]*(\[\d*\])?"
                    r"(\.[A-Za-z_][A-Za-z0-9_]*(\[\d*\])?)*\Z")


@dataclass(frozen=True)
class Correspondence:
    """One target field of one mapping read from one source field."""

    target_system: str
    target_path: str      # as the editor writes it: ``rows[].productId``
    source_system: str
    source_path: str      # as the rule reads it: ``productId``, ``$root.id``, ``a[0].b``


# --- what a document maps ---------------------------------------------------------------------
def rule_sources(spec: Any) -> tuple[str, ...]:
    """The source fields one rule reads by name: its ``from``, the paths of a ``concat`` or
    ``coalesce``, a list's ``each``; nothing for constants, calculations and conditions."""
    if isinstance(spec, str):
        return (spec,) if _PLAIN.match(spec) else ()
    if not isinstance(spec, dict):
        return ()
    found: list[str] = []
    for key in ("from", "each"):
        if isinstance(spec.get(key), str):
            found.append(spec[key])
    for shape in ("concat", "coalesce"):
        for part in spec.get(shape) or () if isinstance(spec.get(shape), list) else ():
            if isinstance(part, str):
                found.append(part)
            elif isinstance(part, dict) and isinstance(part.get("from"), str) and not (
                    set(part) - {"from", "transform", "default", "required"}):
                found.append(part["from"])
    return tuple(p for p in dict.fromkeys(found) if _PLAIN.match(p))


def document_sources(document: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """Every target path the document maps (``rows[].productId`` for a field of each line)
    with the source paths its rule reads; fields that read none are left out."""
    found: dict[str, tuple[str, ...]] = {}
    fields = document.get("fields")
    if isinstance(fields, dict):
        for path, spec in _walk(fields, ""):
            sources = rule_sources(spec)
            if sources:
                found[path] = sources
    return found


def _walk(fields: Mapping[str, Any], parent: str) -> Iterator[tuple[str, Any]]:
    for name, spec in fields.items():
        path = f"{parent}{name}"
        yield path, spec
        if isinstance(spec, dict) and isinstance(spec.get("object"), dict):
            yield from _walk(spec["object"], f"{path}.")
        elif isinstance(spec, dict) and "each" in spec and isinstance(spec.get("fields"), dict):
            yield from _walk(spec["fields"], f"{path}[].")


def correspondences(document: Mapping[str, Any]) -> list[Correspondence]:
    """The correspondences of one mapping document (its source and target systems from its
    ``source`` and ``target``)."""
    source = str((document.get("source") or {}).get("system") or "").lower()
    target = str((document.get("target") or {}).get("system") or "").lower()
    return [Correspondence(target, path, source, read)
            for path, reads in document_sources(document).items() for read in reads]


# --- keys at each level -----------------------------------------------------------------------
def _norm(path: str) -> str:
    """``$root.a[0].b`` and ``a[].b`` are ``a.b``: where the field sits, not how it is read."""
    return re.sub(r"\[\d*\]", "", path.removeprefix("$root.")).lower()


@dataclass(frozen=True)
class _Keys:
    path: str                    # system:full path
    name: str                    # system:name without wrappers|roles
    words: str                   # the leaf's words|roles, any system
    each: tuple[tuple[str, float], ...]   # each word|roles with its weight


@lru_cache(maxsize=8192)
def _keys(system: str, path: str) -> _Keys:
    from integrations.mapping.suggest import _GENERIC, GENERIC_WEIGHT, _Field

    field = _Field.of(path)
    roles = ",".join(sorted(field.roles))
    leaf = sorted(field.leaf)
    each = tuple((f"{word}|{roles}", GENERIC_WEIGHT if word in _GENERIC else 1.0)
                 for word in leaf)
    return _Keys(f"{system}:{_norm(path)}", f"{system}:{field.label.lower()}|{roles}",
                 f"{' '.join(leaf)}|{roles}", each)


class MappingMemory:
    """Correspondence counts at four levels; build it with :meth:`of` or :meth:`of_documents`.

    A share is conditioned on the source system at the first three levels (which BigCommerce
    field fills Brightpearl's ``reference``, not which field of any system), on nothing at the
    last (words for words)."""

    def __init__(self) -> None:
        # Levels 0-3 as in the module's docstring, and 4: each target word for a source name.
        self._pairs: list[Counter[tuple[str, str]]] = [Counter() for _ in range(5)]
        self._totals: list[Counter[tuple[str, str]]] = [Counter() for _ in range(5)]
        self.size = 0

    @classmethod
    def of(cls, groups: Iterable[Iterable[Correspondence]]) -> MappingMemory:
        """A memory of several mappings, one group of correspondences per mapping: the same
        correspondence counts once per mapping (all versions of one mapping are one group)."""
        memory = cls()
        for group in groups:
            for seen in set(group):
                memory._add(seen.target_system, seen.target_path, seen.source_system,
                            seen.source_path, 1.0)
                memory._add(seen.source_system, seen.source_path, seen.target_system,
                            seen.target_path, REVERSE_WEIGHT)
                memory.size += 1
        return memory

    @classmethod
    def of_documents(cls, documents: Iterable[Mapping[str, Any]]) -> MappingMemory:
        return cls.of(correspondences(document) for document in documents)

    def _add(self, target_system: str, target_path: str, source_system: str,
             source_path: str, weight: float) -> None:
        target, source = _keys(target_system, target_path), _keys(source_system, source_path)
        for level, (t_key, s_key, given) in enumerate(self._level_keys(
                target, source, source_system)):
            self._pairs[level][(t_key, s_key)] += weight
            self._totals[level][(t_key, given)] += weight
        for word, _ in target.each:
            self._pairs[4][(word, source.name)] += weight
            self._totals[4][(word, source_system)] += weight

    @staticmethod
    def _level_keys(target: _Keys, source: _Keys, source_system: str
                    ) -> tuple[tuple[str, str, str], ...]:
        return ((target.path, source.path, source_system),
                (target.name, source.name, source_system),
                (target.words, source.name, source_system),
                (target.words, source.words, ""))

    def knows(self, target_system: str, target_path: str, source_system: str = "") -> bool:
        """Whether any known mapping says anything about a field like this target."""
        target = _keys(target_system.lower(), target_path)
        system = source_system.lower()
        return any(self._totals[level][key] for level, key in enumerate((
            (target.path, system), (target.name, system), (target.words, system),
            (target.words, "")))) or any(self._totals[4][(w, system)] for w, _ in target.each)

    def score(self, target_system: str, target_path: str, source_system: str,
              source_path: str) -> tuple[float, str]:
        """The signal (0-1) that ``source_path`` fills ``target_path``, and a reason."""
        shares = self.levels(target_system, target_path, source_system, source_path)
        best, reason = 0.0, ""
        for level, (share, count) in enumerate(shares):
            if share > best:
                best, reason = share, _reason(level, count)
        return best, reason

    def levels(self, target_system: str, target_path: str, source_system: str,
               source_path: str) -> tuple[tuple[float, float], ...]:
        """Each level's discounted share (levels 0-3, then word by word) with its count: what
        :meth:`score` takes the best of, and what the learned ranker reads one by one."""
        target = _keys(target_system.lower(), target_path)
        source = _keys(source_system.lower(), source_path)
        found = []
        for level, (t_key, s_key, given) in enumerate(self._level_keys(
                target, source, source_system.lower())):
            count = self._pairs[level].get((t_key, s_key), 0.0)
            share = LEVEL_WEIGHTS[level] * count / (
                self._totals[level][(t_key, given)] + ALPHA) if count else 0.0
            found.append((share, count))
        # Word by word: each of the target's words for the source field's name, a generic word
        # (id, code) counting for less.
        weights = sum(w for _, w in target.each)
        share = 0.0
        if weights:
            for word, weight in target.each:
                count = self._pairs[4].get((word, source.name), 0.0)
                if count:
                    total = self._totals[4][(word, source_system.lower())]
                    share += weight * count / (total + ALPHA)
            share = WORD_WEIGHT * share / weights
        found.append((share, 1.0))
        return tuple(found)


def _reason(level: int, count: float) -> str:
    if level == 4:
        return "read for fields with these words in known mappings"
    times = round(count)
    return f"read for {_LEVEL_WORDS[level]} ({times} time{'s' * (times != 1)})"


# --- the shipped corpus -----------------------------------------------------------------------
@lru_cache(maxsize=1)
def template_correspondences() -> dict[tuple[str, str], list[Correspondence]]:
    """The pair templates' default mappings, one group per (pair, flow) (read once a
    process: do not change the lists)."""
    from integrations.pair_templates import template_list

    return {(template.key, flow.key): correspondences(flow.mapping)
            for template in template_list() for flow in template.flows}


@lru_cache(maxsize=1)
def shipped_memory() -> MappingMemory:
    """The memory of the default mappings shipped in the package (built once a process)."""
    return MappingMemory.of(template_correspondences().values())


def memory_with(documents: Iterable[tuple[Any, Mapping[str, Any]]]) -> MappingMemory:
    """The shipped memory plus ``documents`` (pairs of a mapping's key and one of its
    documents, e.g. a tenant's saved versions: versions of one mapping count once)."""
    groups: dict[Any, list[Correspondence]] = defaultdict(list)
    for key, document in documents:
        if isinstance(document, Mapping):
            groups[key].extend(correspondences(document))
    return MappingMemory.of([*template_correspondences().values(), *groups.values()])
