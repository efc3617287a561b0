"""``/api/v1/rbac/``: staff, roles, departments, grants, requests, access reviews."""

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from . import apis, views

router = SimpleRouter()
router.register("regions", apis.SalesRegionViewSet, basename="rbac-region")
router.register("departments", apis.DepartmentViewSet, basename="rbac-department")
router.register("roles", apis.RoleViewSet, basename="rbac-role")
router.register("staff", apis.StaffProfileViewSet, basename="rbac-staff")
router.register("role-assignments", apis.RoleAssignmentViewSet, basename="rbac-assignment")
router.register(
    "permission-requests", apis.PermissionRequestViewSet, basename="rbac-permission-request"
)
router.register("access-reviews", apis.AccessReviewViewSet, basename="rbac-access-review")

urlpatterns = [
    path("i18n/staff-language/", views.language_set, name="rbac-language"),
    path("api/v1/rbac/me/", apis.MeView.as_view(), name="rbac-me"),
    path("api/v1/rbac/", include(router.urls)),
]
