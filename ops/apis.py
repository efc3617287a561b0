"""Ops endpoints: the health check."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return "ok"


def _check_cache() -> str:
    key = f"health:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=10)
    value = cache.get(key)
    cache.delete(key)
    if value != "1":
        raise RuntimeError("cache did not return what was stored")
    return "ok"


def _check_broker() -> str:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return "eager"
    from mall.celery import app

    with app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, interval_start=0, timeout=2)
    return "ok"


CHECKS = {"database": _check_database, "cache": _check_cache, "broker": _check_broker}


class HealthView(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        responses={
            200: inline_serializer(
                "Health",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
            503: inline_serializer(
                "HealthFailing",
                {"status": serializers.CharField(), "checks": serializers.DictField()},
            ),
        },
    )
    def get(self, request):
        """Report whether the database, the cache and the broker answer."""
        results: dict[str, str] = {}
        for name, check in CHECKS.items():
            try:
                results[name] = check()
            except Exception as exc:  # noqa: BLE001 - any failure is "failing", by name
                results[name] = f"failing: {type(exc).__name__}"
        healthy = all(not value.startswith("failing") for value in results.values())
        return Response(
            {"status": "ok" if healthy else "failing", "checks": results},
            status=200 if healthy else 503,
        )
