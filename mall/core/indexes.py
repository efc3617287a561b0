"""Indexes for admin searches on tables that grow without bound.

The admin's ``=field`` (``iexact``) and ``^field`` (``istartswith``) searches compile on
PostgreSQL to ``UPPER(col::text) = UPPER(%s)`` and ``UPPER(col::text) LIKE UPPER(%s)``.
A plain B-tree on ``col`` serves neither; :class:`SearchIndex` is the one that does:
``UPPER(col) text_pattern_ops`` on PostgreSQL (prefix ``LIKE`` under any collation, and
equality), a plain ``UPPER(col)`` index elsewhere (SQLite: demo and tests).
"""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper


class SearchIndex(models.Index):
    """``UPPER(field)`` for case-insensitive exact and prefix admin searches."""

    def __init__(self, *, field: str, name: str):
        self.field = field
        super().__init__(Upper(field), name=name)

    def create_sql(self, model, schema_editor, using="", **kwargs):
        if schema_editor.connection.vendor != "postgresql":
            return super().create_sql(model, schema_editor, using=using, **kwargs)
        # Written out: Django renders an operator class on an expression only with
        # django.contrib.postgres installed, which this project does not need.
        from django.db.backends.ddl_references import Statement, Table

        quote = schema_editor.quote_name
        return Statement(
            "CREATE INDEX%(concurrently)s %(name)s ON %(table)s "
            "(UPPER(%(column)s) text_pattern_ops)",
            concurrently=" CONCURRENTLY" if kwargs.get("concurrently") else "",
            name=quote(self.name),
            table=Table(model._meta.db_table, quote),
            column=quote(model._meta.get_field(self.field).column),
        )

    def deconstruct(self):
        path = f"{self.__class__.__module__}.{self.__class__.__name__}"
        return path, (), {"field": self.field, "name": self.name}

    def clone(self):
        return self.__class__(field=self.field, name=self.name)
