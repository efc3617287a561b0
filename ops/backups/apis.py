"""Staff API of backups under ``/api/v1/backups/`` (read only).

* ``backups/`` — list (``?kind=&status=``) and detail ``{id}/``;
* ``backups/restore-checks/`` — list (``?status=``) and detail ``{id}/``.

Staff token or session with ``backups.view_backup`` (restore checks:
``backups.view_restorecheck``); a missing row or malformed id is 404 ``not_found``.
Backups are run by the schedule, the admin buttons and ``manage.py backup_now``.
"""

from __future__ import annotations

from django.urls import include, path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import SimpleRouter

from mall.core.api import ScopedViewSet

from . import permissions as perms
from . import selectors
from .filters import BackupFilter, RestoreCheckFilter
from .serializers import BackupSerializer, RestoreCheckSerializer

TAGS = ["backups"]


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=BackupSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=BackupSerializer),
)
class BackupViewSet(ScopedViewSet):
    """Backups, newest first."""

    serializer_class = BackupSerializer
    list_selector = selectors.backup_list
    get_selector = selectors.backup_get
    filterset_class = BackupFilter
    required_permissions = {"list": [perms.VIEW_BACKUP], "retrieve": [perms.VIEW_BACKUP]}


@extend_schema_view(
    list=extend_schema(tags=TAGS, responses=RestoreCheckSerializer(many=True)),
    retrieve=extend_schema(tags=TAGS, responses=RestoreCheckSerializer),
)
class RestoreCheckViewSet(ScopedViewSet):
    """Restore checks, newest first."""

    serializer_class = RestoreCheckSerializer
    list_selector = selectors.restore_check_list
    get_selector = selectors.restore_check_get
    filterset_class = RestoreCheckFilter
    required_permissions = {
        "list": [perms.VIEW_RESTORE_CHECK],
        "retrieve": [perms.VIEW_RESTORE_CHECK],
    }


router = SimpleRouter()
router.register("backups/restore-checks", RestoreCheckViewSet, basename="backups-restore-check")
router.register("backups", BackupViewSet, basename="backups-backup")

urlpatterns = [path("api/v1/", include(router.urls))]
