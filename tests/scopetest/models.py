"""Test-only scoped models (installed by mall/settings_test.py only)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Site(models.Model):
    """Stands in for a warehouse or sales channel: the target of object grants."""

    code = models.CharField(max_length=20, unique=True)

    class Meta:
        permissions = [("work_site", "Can work on the site")]

    def __str__(self) -> str:
        return self.code


class Ticket(models.Model):
    """A row with every scope path: region, department, owner and granted site."""

    title = models.CharField(max_length=100)
    region = models.ForeignKey("rbac.SalesRegion", on_delete=models.PROTECT)
    department = models.ForeignKey("rbac.Department", null=True, on_delete=models.PROTECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    site = models.ForeignKey(Site, null=True, on_delete=models.PROTECT)
    phone = models.CharField(max_length=20, blank=True)
    customer_name = models.CharField(max_length=50, blank=True)
    is_closed = models.BooleanField(default=False)

    class Meta:
        permissions = [
            ("close_ticket", "Can close tickets"),
            ("view_ticket_pii", "Can see ticket personal data"),
        ]

    def __str__(self) -> str:
        return self.title


class RegionOnlyTicket(models.Model):
    """A model whose rule can only express regions (other kinds must show nothing)."""

    title = models.CharField(max_length=100)
    region = models.ForeignKey("rbac.SalesRegion", on_delete=models.PROTECT)
    department = models.ForeignKey("rbac.Department", null=True, on_delete=models.PROTECT)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    is_closed = models.BooleanField(default=False)

    def __str__(self) -> str:
        return self.title


class TicketNote(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="notes")
    text = models.CharField(max_length=200)

    def __str__(self) -> str:
        return self.text


class Colour(models.Model):
    """Reference data: unscoped."""

    name = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.name


class Undeclared(models.Model):
    """No scope rule declared: fail closed."""

    name = models.CharField(max_length=20)

    def __str__(self) -> str:
        return self.name
