"""Output shapes of the backups staff API (read only)."""

from __future__ import annotations

from rest_framework import serializers

from .models import Backup, RestoreCheck


class BackupSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Backup
        fields = [
            "id",
            "kind",
            "kind_label",
            "trigger",
            "status",
            "status_label",
            "day",
            "engine",
            "size_bytes",
            "sha256",
            "media_sha256",
            "offsite_copied",
            "started_at",
            "finished_at",
            "duration_seconds",
            "error",
        ]
        read_only_fields = fields


class RestoreCheckSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = RestoreCheck
        fields = [
            "id",
            "backup",
            "status",
            "status_label",
            "checks",
            "table_counts",
            "started_at",
            "finished_at",
            "duration_seconds",
            "error",
        ]
        read_only_fields = fields
