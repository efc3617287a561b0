"""``/api/v1/jobs/``: the caller's export and import jobs, their status and their file.

Only the person who asked sees a job; any other id — another person's included —
is 404 ``job_not_found``. ``…/download/`` answers 409 ``job_not_finished`` while the
job runs and 410 ``job_file_expired`` once the retention clean-up deleted the file.
"""

from __future__ import annotations

from django.http import FileResponse
from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from .filejobs import file_job_download, file_job_get, file_job_list
from .models import FileJob
from .pagination import DefaultCursorPagination
from .permissions import IsStaffUser


class FileJobSerializer(serializers.ModelSerializer):
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = FileJob
        fields = [
            "id",
            "kind",
            "name",
            "status",
            "progress",
            "rows_done",
            "rows_total",
            "result",
            "error",
            "status_url",
            "download_url",
            "created_at",
            "started_at",
            "finished_at",
            "expires_at",
        ]
        read_only_fields = fields

    def _url(self, name: str, job: FileJob) -> str:
        path = reverse(name, args=[job.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path

    def get_status_url(self, job: FileJob) -> str:
        return self._url("file-job-detail", job)

    def get_download_url(self, job: FileJob) -> str | None:
        if job.status in (FileJob.Status.QUEUED, FileJob.Status.RUNNING) or not job.result_file:
            return None
        return self._url("file-job-download", job)


def file_job_accepted_body(job: FileJob, request) -> dict:
    """The ``202`` body of a request that became a job: ``job`` (its id) and the status."""
    return {"job": job.pk, **FileJobSerializer(job, context={"request": request}).data}


class FileJobViewSet(viewsets.GenericViewSet):
    """The caller's own export and import jobs (newest first)."""

    serializer_class = FileJobSerializer
    permission_classes = [IsStaffUser]
    pagination_class = DefaultCursorPagination
    lookup_value_regex = r"\d+"
    ordering = "-id"

    def get_queryset(self):
        return file_job_list(actor=self.request.user)

    @extend_schema(responses=FileJobSerializer(many=True), tags=["jobs"])
    def list(self, request):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(responses=FileJobSerializer, tags=["jobs"])
    def retrieve(self, request, pk=None):
        """Status of one job: ``progress`` 0–100, ``rows_done``, then ``download_url``."""
        return Response(self.get_serializer(file_job_get(actor=request.user, pk=pk)).data)

    @extend_schema(
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY)},
        tags=["jobs"],
    )
    @action(detail=True, methods=["get"])
    def download(self, request, pk=None):
        """The job's file (export result, or an import's error report); audited."""
        job = file_job_get(actor=request.user, pk=pk)
        handle, name = file_job_download(actor=request.user, job=job)
        return FileResponse(handle, as_attachment=True, filename=name)
