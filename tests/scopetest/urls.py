"""The project's URLs plus the test app's API (``@pytest.mark.urls`` / settings_test)."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from mall.urls import urlpatterns as project_urlpatterns

from . import api

router = SimpleRouter()
router.register("api/v1/scopetest/tickets", api.TicketViewSet, basename="scopetest-ticket")
router.register(
    "api/v1/scopetest/region-tickets",
    api.RegionOnlyTicketViewSet,
    basename="scopetest-regionticket",
)

# before the project's, whose last pattern answers every other /api/ path with a 404
urlpatterns = [path("", include(router.urls)), *project_urlpatterns]
