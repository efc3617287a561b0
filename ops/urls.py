from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import apis

router = SimpleRouter()
router.register(
    "api/v1/ops/parameters/change-requests",
    apis.ParameterChangeRequestViewSet,
    basename="ops-parameter-change",
)
router.register("api/v1/ops/sla-clocks", apis.SlaClockViewSet, basename="ops-sla-clock")
router.register(
    "api/v1/ops/notifications", apis.StaffNotificationViewSet, basename="ops-notification"
)

urlpatterns = [
    path("api/health/", apis.HealthView.as_view(), name="health"),
    path("api/v1/ops/parameters/", apis.ParameterListView.as_view(), name="ops-parameters"),
    path("", include(router.urls)),
]
