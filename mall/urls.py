"""URL map: the admin, the API (staff, storefront, finance, callbacks), the schema.

Each app's ``urls.py`` holds its full paths under ``api/`` so an app can serve both
staff (``api/v1/<app>/``) and storefront (``api/v1/store/``) endpoints.
"""

import logging

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from mall.core import auth_views, exceptions, job_apis, twofactor_views
from mall.core.exceptions import api_route_not_found

logger = logging.getLogger(__name__)

jobs_router = SimpleRouter()
jobs_router.register("jobs", job_apis.FileJobViewSet, basename="file-job")

# --- error pages ------------------------------------------------------------------------
# Under /api/: the API error shape (mall.core.exceptions). Under /admin/ for active
# staff: the page inside the admin frame (sidebar, user menu), templates/admin/mall/
# error.html. Anywhere else: a plain page, templates/mall/error.html. The words
# (templates/mall/error_message.html) are general on purpose: a 404 for a row outside
# the reader's scope reads exactly like one for a row that does not exist, and no page
# repeats the exception's message.
_ICONS = {400: "block", 403: "lock", 404: "search_off", 500: "error"}


def _in_admin_frame(request) -> bool:
    if not request.path.startswith("/admin/"):
        return False
    try:
        user = request.user
        return bool(user.is_authenticated and user.is_active and user.is_staff)
    except Exception:  # noqa: BLE001 - an error page must render even when auth cannot
        return False


def _error_page(request, status: int):
    context = {"status": status, "icon": _ICONS[status]}
    if _in_admin_frame(request):
        try:
            page = render_to_string(
                "admin/mall/error.html",
                {**admin.site.each_context(request), **context},
                request=request,
            )
            return HttpResponse(page, status=status)
        except Exception:  # e.g. the database is what failed: the plain page below
            logger.exception("admin error page could not render; plain page instead")
    return HttpResponse(render_to_string("mall/error.html", context), status=status)


def error_400(request, exception=None):
    if request.path.startswith("/api/"):
        return exceptions.json_or_html_400(request, exception)
    return _error_page(request, 400)


def error_403(request, exception=None):
    if request.path.startswith("/api/"):
        return exceptions.json_or_html_403(request, exception)
    return _error_page(request, 403)


def error_404(request, exception=None):
    if request.path.startswith("/api/"):
        return exceptions.json_or_html_404(request, exception)
    return _error_page(request, 404)


def error_500(request):
    if request.path.startswith("/api/"):
        return exceptions.json_or_html_500(request)
    return _error_page(request, 500)


handler400 = "mall.urls.error_400"
handler403 = "mall.urls.error_403"
handler404 = "mall.urls.error_404"
handler500 = "mall.urls.error_500"

urlpatterns = [
    path("admin/2fa/enrol/", twofactor_views.two_factor_enrol, name="two-factor-enrol"),
    path("admin/2fa/verify/", twofactor_views.two_factor_verify_view, name="two-factor-verify"),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
    path("api/v1/auth/token/", auth_views.TokenLoginView.as_view(), name="auth-token"),
    path("api/v1/auth/logout/", auth_views.TokenLogoutView.as_view(), name="auth-logout"),
    path("api/v1/", include(jobs_router.urls)),
    path(
        "api/v1/auth/tokens/",
        auth_views.StaffTokenViewSet.as_view({"get": "list"}),
        name="auth-tokens",
    ),
    path(
        "api/v1/auth/tokens/<str:pk>/",
        auth_views.StaffTokenViewSet.as_view({"get": "retrieve"}),
        name="auth-token-detail",
    ),
    path(
        "api/v1/auth/tokens/<str:pk>/revoke/",
        auth_views.StaffTokenViewSet.as_view({"post": "revoke"}),
        name="auth-token-revoke",
    ),
    path("", include("ops.urls")),
    path("", include("rbac.urls")),
    path("", include("catalog.urls")),
    path("", include("dispatch.urls")),
    path("", include("members.urls")),
    path("", include("orders.urls")),
    path("", include("payments.urls")),
    path("", include("risk.urls")),
    path("", include("ops.backups.urls")),
    path("", include("ops.reports.urls")),
    path("", include("ops.monitoring.urls")),
    path("", include("ops.tickets.urls")),
    # Last: any other path under /api/ is a 404 in the API error shape, in DEBUG too
    # (Django's debug 404 page would otherwise list every route to a stranger).
    re_path(r"^api/", api_route_not_found),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
