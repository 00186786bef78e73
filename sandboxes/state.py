"""In-memory state: system → account → entity table → id → record, plus tokens.

Records are plain dicts in the emulated system's own shape; the table keeps creation and
modification times beside them so every system can answer "modified since" queries the same way.
Everything here is JSON-serialisable so the whole store can be written to ``--state-file``.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

RecordId = int | str


class Table:
    """One entity's records for one account, with an id sequence and timestamps."""

    def __init__(self, entity: str, *, first_id: int = 1) -> None:
        self.entity = entity
        self.records: dict[RecordId, dict[str, Any]] = {}
        self.created: dict[RecordId, float] = {}
        self.updated: dict[RecordId, float] = {}
        self.next_seq = first_id
        # field -> value -> ids, built on the first ``by(field, ...)``: see ``by``.
        self._indexes: dict[str, dict[Any, dict[RecordId, None]]] = {}

    def __len__(self) -> int:
        return len(self.records)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self.records

    def next_id(self) -> int:
        value = self.next_seq
        self.next_seq += 1
        return value

    def insert(self, record: dict[str, Any], *, record_id: RecordId | None = None) -> RecordId:
        """Store ``record`` under ``record_id`` (or the next sequence number) and return the id."""
        if record_id is None:
            record_id = self.next_id()
        elif isinstance(record_id, int) and record_id >= self.next_seq:
            self.next_seq = record_id + 1
        now = time.time()
        self._unindex(record_id)
        self.records[record_id] = record
        self.created[record_id] = now
        self.updated[record_id] = now
        self._index(record_id, record)
        return record_id

    def get(self, record_id: RecordId) -> dict[str, Any] | None:
        return self.records.get(record_id)

    def touch(self, record_id: RecordId) -> None:
        """Mark a record modified now (call after mutating it in place)."""
        self.updated[record_id] = time.time()

    def replace(self, record_id: RecordId, record: dict[str, Any]) -> None:
        self._unindex(record_id)
        self.records[record_id] = record
        self._index(record_id, record)
        self.touch(record_id)

    def delete(self, record_id: RecordId) -> dict[str, Any] | None:
        self._unindex(record_id)
        self.created.pop(record_id, None)
        self.updated.pop(record_id, None)
        return self.records.pop(record_id, None)

    def ids(self) -> list[RecordId]:
        return list(self.records)

    def values(self) -> Iterator[dict[str, Any]]:
        return iter(self.records.values())

    def items(self) -> Iterator[tuple[RecordId, dict[str, Any]]]:
        return iter(self.records.items())

    def find(self, predicate: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
        return [r for r in self.records.values() if predicate(r)]

    def by(self, name: str, value: Any) -> list[dict[str, Any]]:
        """Records whose field ``name`` is ``value``, in the order they were stored, through
        an index kept from the first call on: a payment or note looking up its order's others
        would otherwise scan the whole table, which made seeding quadratic. Only for fields a
        record keeps from insert to delete (an order id): edits made in place are not seen."""
        index = self._indexes.get(name)
        if index is None:
            index = self._indexes[name] = {}
            for rid, record in self.records.items():
                index.setdefault(record.get(name), {})[rid] = None
        return [self.records[rid] for rid in index.get(value, ())]

    def _index(self, record_id: RecordId, record: dict[str, Any]) -> None:
        for name, index in self._indexes.items():
            index.setdefault(record.get(name), {})[record_id] = None

    def _unindex(self, record_id: RecordId) -> None:
        old = self.records.get(record_id)
        if old is None:
            return
        for name, index in self._indexes.items():
            index.get(old.get(name), {}).pop(record_id, None)

    def modified_since(self, since: float) -> list[RecordId]:
        """Ids whose last modification is at or after ``since`` (epoch seconds)."""
        return [rid for rid, ts in self.updated.items() if ts >= since]

    def dump(self) -> dict[str, Any]:
        return {
            "next_seq": self.next_seq,
            "rows": [
                [rid, rec, self.created[rid], self.updated[rid]]
                for rid, rec in self.records.items()
            ],
        }

    @classmethod
    def load(cls, entity: str, data: dict[str, Any]) -> Table:
        table = cls(entity, first_id=data["next_seq"])
        for rid, rec, created, updated in data["rows"]:
            table.records[rid] = rec
            table.created[rid] = created
            table.updated[rid] = updated
        return table


@dataclass
class Account:
    """One emulated account / store / tenant / company of a system."""

    name: str
    credentials: dict[str, Any] = field(default_factory=dict)
    # Free-form per-account settings a system keeps (store id, plan, company name...).
    settings: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    # First id per entity for tables not created yet (systems set it once, e.g. 1000).
    first_ids: dict[str, int] = field(default_factory=dict)

    def table(self, entity: str) -> Table:
        table = self.tables.get(entity)
        if table is None:
            table = self.tables[entity] = Table(entity, first_id=self.first_ids.get(entity, 1))
        return table

    def counts(self) -> dict[str, int]:
        return {name: len(t) for name, t in sorted(self.tables.items())}

    def clear(self) -> None:
        self.tables.clear()

    def dump(self) -> dict[str, Any]:
        return {
            "credentials": self.credentials,
            "settings": self.settings,
            "first_ids": self.first_ids,
            "tables": {name: t.dump() for name, t in self.tables.items()},
        }

    @classmethod
    def load(cls, name: str, data: dict[str, Any]) -> Account:
        account = cls(
            name=name,
            credentials=data.get("credentials", {}),
            settings=data.get("settings", {}),
            first_ids=data.get("first_ids", {}),
        )
        for entity, tdata in data.get("tables", {}).items():
            account.tables[entity] = Table.load(entity, tdata)
        return account


@dataclass
class Token:
    """An issued credential (access token, refresh token, authorization code, session id)."""

    value: str
    account: str
    kind: str
    expires_at: float | None
    data: dict[str, Any] = field(default_factory=dict)
    revoked: bool = False

    @property
    def expired(self) -> bool:
        return self.revoked or (self.expires_at is not None and time.time() >= self.expires_at)


class SystemState:
    """All accounts and tokens of one system."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[str, Token] = {}

    def account(self, name: str) -> Account | None:
        return self.accounts.get(name)

    def account_create(self, name: str, credentials: dict[str, Any] | None = None) -> Account:
        account = self.accounts.get(name)
        if account is None:
            account = self.accounts[name] = Account(name=name)
        if credentials:
            account.credentials.update(credentials)
        return account

    def account_delete(self, name: str) -> None:
        self.accounts.pop(name, None)
        for value in [v for v, t in self.tokens.items() if t.account == name]:
            del self.tokens[value]

    def token_issue(
        self,
        account: str,
        kind: str,
        *,
        ttl_s: float | None,
        data: dict[str, Any] | None = None,
        value: str | None = None,
        nbytes: int = 24,
    ) -> Token:
        """Create and remember a token; ``ttl_s=None`` never expires."""
        token = Token(
            value=value or secrets.token_urlsafe(nbytes),
            account=account,
            kind=kind,
            expires_at=None if ttl_s is None else time.time() + ttl_s,
            data=dict(data or {}),
        )
        self.tokens[token.value] = token
        return token

    def token_get(self, value: str, kind: str | None = None) -> Token | None:
        """The token with this value (expired ones included: check ``.expired``)."""
        token = self.tokens.get(value)
        if token is None or (kind is not None and token.kind != kind):
            return None
        return token

    def token_revoke(self, value: str) -> None:
        token = self.tokens.get(value)
        if token is not None:
            token.revoked = True

    def tokens_expire(self, account: str | None = None, kinds: tuple[str, ...] = ()) -> int:
        """Expire every live token (of ``account`` / of ``kinds`` if given); return how many."""
        now = time.time()
        count = 0
        for token in self.tokens.values():
            if account is not None and token.account != account:
                continue
            if kinds and token.kind not in kinds:
                continue
            if not token.expired:
                token.expires_at = now - 1
                count += 1
        return count

    def counts(self) -> dict[str, dict[str, int]]:
        return {name: acc.counts() for name, acc in sorted(self.accounts.items())}

    def dump(self) -> dict[str, Any]:
        return {
            "accounts": {name: acc.dump() for name, acc in self.accounts.items()},
            "tokens": [
                [t.value, t.account, t.kind, t.expires_at, t.data, t.revoked]
                for t in self.tokens.values()
            ],
        }

    def load(self, data: dict[str, Any]) -> None:
        self.accounts = {
            name: Account.load(name, adata) for name, adata in data.get("accounts", {}).items()
        }
        self.tokens = {}
        for value, account, kind, expires_at, tdata, revoked in data.get("tokens", []):
            self.tokens[value] = Token(value, account, kind, expires_at, tdata, revoked)
