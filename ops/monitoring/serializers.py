"""Serializers of the monitoring staff API (output only; every write is in the admin)."""

from __future__ import annotations

from rest_framework import serializers

from mall.core.people import person_name

from .metrics import metric_label
from .models import Alert, Announcement, Incident, IncidentNote


class AlertSerializer(serializers.ModelSerializer):
    rule = serializers.CharField(source="rule.code", read_only=True)
    rule_name = serializers.CharField(source="rule.name", read_only=True)
    metric = serializers.CharField(source="rule.metric", read_only=True)
    metric_label = serializers.SerializerMethodField()
    # codes as plain strings (no schema enum named after another app's "status")
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    severity = serializers.CharField(read_only=True)
    severity_label = serializers.CharField(source="get_severity_display", read_only=True)

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "rule_name",
            "metric",
            "metric_label",
            "status",
            "status_label",
            "severity",
            "severity_label",
            "opened_value",
            "last_value",
            "opened_at",
            "last_seen_at",
            "resolved_at",
        ]
        read_only_fields = fields

    def get_metric_label(self, alert) -> str:
        return metric_label(alert.rule.metric)


class IncidentSerializer(serializers.ModelSerializer):
    # codes as plain strings (no schema enum named after another app's "status")
    status = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    severity = serializers.CharField(read_only=True)
    severity_label = serializers.CharField(source="get_severity_display", read_only=True)
    reported_by = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "incident_no",
            "title",
            "severity",
            "severity_label",
            "status",
            "status_label",
            "started_at",
            "ended_at",
            "resolved_at",
            "reported_by",
            "report_submitted_at",
            "closed_at",
        ]
        read_only_fields = fields

    def get_reported_by(self, incident) -> str:
        return person_name(incident.reported_by)


class IncidentNoteSerializer(serializers.ModelSerializer):
    author = serializers.SerializerMethodField()

    class Meta:
        model = IncidentNote
        fields = ["at", "author", "body"]
        read_only_fields = fields

    def get_author(self, note) -> str:
        return person_name(note.author)


class IncidentDetailSerializer(IncidentSerializer):
    notes = serializers.SerializerMethodField()

    class Meta(IncidentSerializer.Meta):
        fields = [
            *IncidentSerializer.Meta.fields,
            "impact",
            "resolution",
            "report_cause",
            "report_analysis",
            "report_improvements",
            "notes",
        ]
        read_only_fields = fields

    def get_notes(self, incident) -> list[dict]:
        notes = incident.notes.select_related("author").order_by("at", "id")
        return IncidentNoteSerializer(notes, many=True).data


class AnnouncementSerializer(serializers.ModelSerializer):
    class Meta:
        model = Announcement
        fields = ["id", "title", "body", "publish_at", "expire_at"]
        read_only_fields = fields
