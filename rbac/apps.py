from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RbacConfig(AppConfig):
    name = "rbac"
    verbose_name = _("Permissions")
