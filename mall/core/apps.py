from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "mall.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib import admin

        from . import jobs  # noqa: F401 - registers the JobRun status table

        admin.site.site_header = _("Mall back office")
        admin.site.site_title = _("Mall back office")
        admin.site.index_title = _("Operations")
