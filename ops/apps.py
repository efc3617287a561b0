from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OpsConfig(AppConfig):
    name = "ops"
    verbose_name = _("System management")

    def ready(self) -> None:
        from django.core import checks

        from mall.core.audit import register_recorder
        from mall.core.models import JobRun
        from mall.core.parameters import register_parameter_reader
        from mall.core.scoping import declare_scope

        from . import (
            defaults,  # noqa: F401 - registers ops parameters and SLA kinds
            receivers,  # noqa: F401 - connects the login/logout receivers
            workbench_items,  # noqa: F401 - the workbench entry and ops' tiles
        )
        from .audit_chain import audit_entry_record
        from .checks import audit_keys_check
        from .models import (
            AuditEntry,
            ParameterChangeRequest,
            SlaClock,
            SlaClockExtension,
            StaffNotification,
            SystemParameter,
        )
        from .parameters import get_parameter

        register_recorder(audit_entry_record)
        register_parameter_reader(get_parameter)
        checks.register(audit_keys_check, checks.Tags.security, deploy=True)

        # The audit log names objects of every scope: an "all"-scope role (auditors)
        # sees every entry, anybody else only the entries of their own actions.
        declare_scope(AuditEntry, owner="actor")
        # Job runs are operational metadata without business data.
        declare_scope(JobRun, unscoped=True)
        # Parameters are global settings: the function permission decides.
        declare_scope(SystemParameter, unscoped=True)
        declare_scope(ParameterChangeRequest, unscoped=True)
        # SLA clocks follow the subject's sales region; clocks without a region are
        # seen only by the "all" scope (and by their owner through "self").
        declare_scope(SlaClock, region="region", owner="owner")
        declare_scope(SlaClockExtension, region="clock__region", owner="clock__owner")
        # The inbox is personal: selectors also narrow to the recipient for every scope.
        declare_scope(StaffNotification, owner="recipient")
