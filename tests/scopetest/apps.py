from django.apps import AppConfig


class ScopeTestConfig(AppConfig):
    """A test-only app: scoped models that prove the scope mechanism end to end."""

    name = "tests.scopetest"
    label = "scopetest"
    verbose_name = "Scope test"

    def ready(self) -> None:
        from mall.core.scoping import declare_scope

        from . import models

        declare_scope(
            models.Ticket,
            region="region",
            department="department",
            owner="owner",
            grant=("site", "scopetest.work_site"),
        )
        declare_scope(models.Site, grant=("pk", "scopetest.work_site"))
        declare_scope(models.RegionOnlyTicket, region="region")
        declare_scope(models.TicketNote, region="ticket__region", owner="ticket__owner")
        declare_scope(models.Colour, unscoped=True)
        # models.Undeclared is deliberately not declared: nobody but superusers sees it.
