"""Cursor pagination: stable under inserts, and no COUNT(*) over long tables."""
from rest_framework.pagination import CursorPagination


class ById(CursorPagination):
    ordering = "id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class NewestFirst(ById):
    ordering = "-id"
