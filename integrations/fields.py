from __future__ import annotations

from typing import Any

from django.db import models

from integrations import crypto


class EncryptedJSONField(models.TextField):
    """A JSON object stored as one Fernet token; plaintext never reaches the database."""

    description = "JSON object encrypted with the credentials key"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("default", dict)
        kwargs.setdefault("blank", True)
        kwargs["editable"] = False
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[Any, ...]:
        name, path, args, kwargs = super().deconstruct()
        kwargs.pop("editable", None)
        return name, path, args, kwargs

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> dict:
        if not value:
            return {}
        return crypto.decrypt_json(value)

    def to_python(self, value: Any) -> dict:
        if isinstance(value, dict):
            return value
        if not value:
            return {}
        return crypto.decrypt_json(value)

    def get_prep_value(self, value: Any) -> str:
        if value is None:
            value = {}
        if not isinstance(value, dict):
            raise TypeError(f"EncryptedJSONField holds a dict, not {type(value).__name__}.")
        return crypto.encrypt_json(value)
