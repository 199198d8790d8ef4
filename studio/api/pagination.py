"""Cursor pagination: stable under inserts, and no COUNT(*) over long tables."""
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination


class ById(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000

    def decode_cursor(self, request):
        """DRF's, plus: the position (an id) must be a whole number within a bigint, or the cursor is invalid
        (a crafted cursor with 1e999 or 30 digits reached the database and answered 500)."""
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            text = str(cursor.position)
            digits = text[1:] if text.startswith("-") else text
            if not digits.isdigit() or not -(2**63) <= int(text) < 2**63:
                raise NotFound(self.invalid_cursor_message)
        return cursor


class NewestFirst(ById):
    ordering = "-id"
