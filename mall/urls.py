"""URL map: the admin, the API (staff, storefront, finance, callbacks), the schema.

Each app's ``urls.py`` holds its full paths under ``api/`` so an app can serve both
staff (``api/v1/<app>/``) and storefront (``api/v1/store/``) endpoints.
"""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import SimpleRouter

from mall.core import auth_views, job_apis, twofactor_views
from mall.core.exceptions import api_route_not_found

jobs_router = SimpleRouter()
jobs_router.register("jobs", job_apis.FileJobViewSet, basename="file-job")

handler400 = "mall.core.exceptions.json_or_html_400"
handler403 = "mall.core.exceptions.json_or_html_403"
handler404 = "mall.core.exceptions.json_or_html_404"
handler500 = "mall.core.exceptions.json_or_html_500"

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
    # Last: any other path under /api/ is a 404 in the API error shape, in DEBUG too
    # (Django's debug 404 page would otherwise list every route to a stranger).
    re_path(r"^api/", api_route_not_found),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
