"""Redacting secrets from records before they leave through the API.

Transaction logs keep the source and target records as written, for fixing and replaying; a
record can carry credentials (an ERP user's password field, a token in a custom field) or card
data. What the API shows replaces the value of any key that names one with ``"[redacted]"``,
at any depth.
"""

from __future__ import annotations

import re
from typing import Any

REDACTED = "[redacted]"
_SECRET_KEY = re.compile(
    r"pass(word|wd)?$|secret|token|api[_-]?key|authori[sz]ation|credential|private[_-]?key"
    r"|card[_-]?(number|no)|^pan$|cvv|cvc|iban|ssn|social[_-]?security",
    re.IGNORECASE,
)


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: REDACTED if isinstance(key, str) and _SECRET_KEY.search(key)
                and value[key] not in (None, "") else redact(item)
                for key, item in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value
