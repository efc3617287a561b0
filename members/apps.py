from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = _("Members")

    def ready(self) -> None:
        from django.core import checks

        from mall.core.scoping import declare_scope

        from . import (
            parameters,  # noqa: F401 - registers the system parameters
            workbench_items,  # noqa: F401 - registers the workbench chart
        )
        from .checks import notification_adapters_check, pii_keys_check
        from .models import (
            Address,
            BirthdayBenefit,
            Coupon,
            CouponTemplate,
            GrowthEntry,
            Level,
            LevelChange,
            Member,
            MemberToken,
            Notification,
            NotificationOptOut,
            PointsEntry,
            PointsLot,
            PointsLotUse,
        )
        from .services import transitions  # noqa: F401 - registers the status tables

        checks.register(pii_keys_check, checks.Tags.security, deploy=True)
        checks.register(notification_adapters_check, checks.Tags.security, deploy=True)

        # A member belongs to the sales region of their default address.
        declare_scope(Member, region="region")
        declare_scope(Address, region="region")
        for model in (
            GrowthEntry,
            LevelChange,
            PointsEntry,
            PointsLot,
            Coupon,
            Notification,
            NotificationOptOut,
            BirthdayBenefit,
            MemberToken,
        ):
            declare_scope(model, region="member__region")
        declare_scope(PointsLotUse, region="entry__member__region")
        declare_scope(CouponTemplate, unscoped=True)
        declare_scope(Level, unscoped=True)

        from .rfm import rfm_ready  # RFM (issue 17): parameters, labels, scopes

        rfm_ready()
