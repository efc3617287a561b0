from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class CoreConfig(AppConfig):
    name = "mall.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from django.contrib import admin

        from . import (
            filejobs,  # noqa: F401 - registers the FileJob status table
            jobs,  # noqa: F401 - registers the JobRun status table
        )
        from .models import FileJob
        from .scoping import declare_scope

        # Export/import jobs are personal: the selectors also narrow to the requester.
        declare_scope(FileJob, owner="requested_by")

        # Chinese name order on every page, Django's and the theme's included
        # (mall.core.people): "刘运营", not "运营 刘".
        from django.contrib.auth import get_user_model

        from .people import full_name

        def get_full_name(user) -> str:
            return full_name(user.first_name, user.last_name)

        get_user_model().get_full_name = get_full_name
        # The theme greets with the short name: the whole name (陈仓), not the given name.
        get_user_model().get_short_name = get_full_name

        # Third-party models that name themselves in English only (mall.core.admin).
        from .admin import relabel_third_party_models

        relabel_third_party_models()

        admin.site.site_header = _("Mall back office")
        admin.site.site_title = _("Mall back office")
        # The index is the workbench (ops.workbench): its header says so.
        admin.site.index_title = pgettext_lazy("admin navigation", "Workbench")
