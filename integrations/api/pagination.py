"""Cursor pagination for every list: stable under inserts (logs grow while clients page)."""

from __future__ import annotations

from rest_framework.pagination import CursorPagination


class ApiPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = "-pk"
