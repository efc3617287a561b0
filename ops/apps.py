from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("System management")

    def ready(self) -> None:
        from mall.core.audit import register_recorder

        from . import receivers  # noqa: F401 - connects the login/logout receivers
        from .services import audit_entry_record

        register_recorder(audit_entry_record)
