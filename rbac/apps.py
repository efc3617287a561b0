from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RbacConfig(AppConfig):
    name = "rbac"
    verbose_name = _("Permissions")

    def ready(self) -> None:
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group, Permission

        from mall.core.scoping import declare_scope, register_scoper

        from . import models
        from .scoping import scope_queryset

        register_scoper(scope_queryset)

        # Reference data: visible to whoever holds the function permission.
        for model in (models.SalesRegion, models.Province, models.Department, models.Role):
            declare_scope(model, unscoped=True)
        declare_scope(Group, unscoped=True)
        declare_scope(Permission, unscoped=True)
        declare_scope(models.AccessReview, unscoped=True)
        declare_scope(models.AccessReviewLine, unscoped=True)
        # People and their grants: by department, and one's own rows.
        declare_scope(get_user_model(), department="staff_profile__department", owner="pk")
        declare_scope(models.StaffProfile, department="department", owner="user")
        from mall.core.models import StaffToken

        declare_scope(StaffToken, department="user__staff_profile__department", owner="user")
        declare_scope(
            models.RoleAssignment, department="user__staff_profile__department", owner="user"
        )
        from guardian.models import UserObjectPermission

        declare_scope(
            UserObjectPermission, department="user__staff_profile__department", owner="user"
        )
        declare_scope(
            models.PermissionRequest,
            department="requester__staff_profile__department",
            owner="requester",
        )

        from django.contrib.auth.signals import user_logged_in

        from . import services  # noqa: F401  (declares the status transition tables)
        from .middleware import remember_staff_language

        user_logged_in.connect(remember_staff_language, dispatch_uid="rbac_staff_language")

        # django-guardian's rows are "object grants" here (its own names are English).
        UserObjectPermission._meta.verbose_name = _("object grant")
        UserObjectPermission._meta.verbose_name_plural = _("object grants")
