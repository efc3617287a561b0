"""Models of customer service (客服): tickets and complaints with their message thread.

* :class:`Ticket` — one member's request or complaint (客服工单 / 投诉), from the
  storefront or entered by staff (phone, online chat …). Optional links to one of the
  member's orders and after-sales cases. Status: open → assigned / in progress →
  waiting for the member → resolved → closed (reopen from resolved); the table is in
  ``services/transitions.py``. Two SLA clocks run on it (first response, resolution).
  Scoped by sales region: the linked order's, else the member's (docs/TICKETS.md).
* :class:`TicketMessage` — the thread: member replies, staff replies and internal
  notes (never shown to the member).

Contracts and decisions: docs/TICKETS.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from mall.core.models import TimeStampedModel

SUBJECT_MAX = 200
BODY_MAX = 4000


class Ticket(TimeStampedModel):
    """A customer-service ticket or complaint (客服工单)."""

    class Kind(models.TextChoices):
        TICKET = "ticket", pgettext_lazy("ticket kind", "service request")
        COMPLAINT = "complaint", pgettext_lazy("ticket kind", "complaint")

    class Category(models.TextChoices):
        ORDER = "order", pgettext_lazy("ticket category", "order")
        DELIVERY = "delivery", pgettext_lazy("ticket category", "delivery")
        AFTER_SALES = "after_sales", pgettext_lazy("ticket category", "after-sales")
        PRODUCT = "product", pgettext_lazy("ticket category", "product")
        PAYMENT = "payment", pgettext_lazy("ticket category", "payment")
        ACCOUNT = "account", pgettext_lazy("ticket category", "account")
        OTHER = "other", pgettext_lazy("ticket category", "other")

    class Source(models.TextChoices):
        STOREFRONT = "storefront", pgettext_lazy("ticket source", "storefront")
        PHONE = "phone", pgettext_lazy("ticket source", "phone call")
        CHAT = "chat", pgettext_lazy("ticket source", "online chat")
        EMAIL = "email", pgettext_lazy("ticket source", "e-mail")
        OTHER = "other", pgettext_lazy("ticket source", "other channel")

    class Priority(models.TextChoices):
        LOW = "low", pgettext_lazy("ticket priority", "low")
        NORMAL = "normal", pgettext_lazy("ticket priority", "normal")
        HIGH = "high", pgettext_lazy("ticket priority", "high")
        URGENT = "urgent", pgettext_lazy("ticket priority", "urgent")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("ticket status", "new")
        ASSIGNED = "assigned", pgettext_lazy("ticket status", "assigned")
        IN_PROGRESS = "in_progress", pgettext_lazy("ticket status", "in progress")
        WAITING_MEMBER = "waiting_member", pgettext_lazy("ticket status", "waiting for member")
        RESOLVED = "resolved", pgettext_lazy("ticket status", "resolved")
        CLOSED = "closed", pgettext_lazy("ticket status", "closed")

    ticket_no = models.CharField(_("ticket number"), max_length=24, unique=True)
    kind = models.CharField(
        pgettext_lazy("ticket field", "ticket type"),
        max_length=10,
        choices=Kind.choices,
        default=Kind.TICKET,
    )
    category = models.CharField(
        pgettext_lazy("ticket field", "classification"), max_length=20, choices=Category.choices
    )
    source = models.CharField(
        pgettext_lazy("ticket field", "source"),
        max_length=12,
        choices=Source.choices,
        default=Source.STOREFRONT,
    )
    priority = models.CharField(
        pgettext_lazy("ticket field", "priority"),
        max_length=10,
        choices=Priority.choices,
        default=Priority.NORMAL,
    )
    status = models.CharField(
        pgettext_lazy("ticket field", "status"),
        max_length=20,
        choices=Status.choices,
        default=Status.OPEN,
    )
    subject = models.CharField(pgettext_lazy("ticket field", "subject"), max_length=SUBJECT_MAX)
    body = models.TextField(pgettext_lazy("ticket field", "description"), max_length=BODY_MAX)
    member = models.ForeignKey(
        "members.Member",
        verbose_name=_("member"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    order = models.ForeignKey(
        "orders.Order",
        verbose_name=_("order"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    after_sale = models.ForeignKey(
        "orders.AfterSale",
        verbose_name=pgettext_lazy("ticket field", "after-sales case"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    region = models.ForeignKey(
        "rbac.SalesRegion",
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("ticket field", "assignee"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("ticket field", "entered by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    first_response_at = models.DateTimeField(
        pgettext_lazy("ticket field", "first response at"), null=True, blank=True
    )
    resolution = models.TextField(
        pgettext_lazy("ticket field", "resolution"), max_length=BODY_MAX, blank=True
    )
    resolved_at = models.DateTimeField(
        pgettext_lazy("ticket field", "resolved at"), null=True, blank=True
    )
    closed_at = models.DateTimeField(
        pgettext_lazy("ticket field", "closed at"), null=True, blank=True
    )
    close_reason = models.CharField(
        pgettext_lazy("ticket field", "closing reason"), max_length=300, blank=True
    )
    reopened_count = models.PositiveSmallIntegerField(
        pgettext_lazy("ticket field", "times reopened"), default=0
    )
    escalated_at = models.DateTimeField(
        pgettext_lazy("ticket field", "escalated at"), null=True, blank=True
    )
    escalated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("ticket field", "escalated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    escalation_reason = models.CharField(
        pgettext_lazy("ticket field", "escalation reason"), max_length=300, blank=True
    )
    rating = models.PositiveSmallIntegerField(
        pgettext_lazy("ticket field", "satisfaction"), null=True, blank=True
    )
    rating_comment = models.CharField(
        pgettext_lazy("ticket field", "satisfaction comment"), max_length=500, blank=True
    )
    rated_at = models.DateTimeField(
        pgettext_lazy("ticket field", "rated at"), null=True, blank=True
    )

    class Meta:
        verbose_name = pgettext_lazy("ticket model", "customer service ticket")
        verbose_name_plural = pgettext_lazy("ticket model", "customer service tickets")
        ordering = ["-id"]
        permissions = [
            ("assign_ticket", _("Can assign tickets to other agents")),
            ("escalate_ticket", _("Can escalate tickets")),
            ("supervise_ticket", _("Receives ticket escalations and low ratings")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="tickets_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rated_at__isnull=False),
                name="tickets_rating_has_time",
            ),
        ]
        indexes = [
            models.Index(fields=["region", "status", "-id"], name="tickets_region_status_id"),
            models.Index(fields=["member", "-id"], name="tickets_member_id"),
            models.Index(fields=["assignee", "status"], name="tickets_assignee_status"),
            models.Index(fields=["category", "created_at"], name="tickets_category_created"),
        ]

    def __str__(self) -> str:
        # the number only: the subject is the member's own words (clocks and the audit
        # log label the ticket with this)
        return self.ticket_no

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class TicketMessage(models.Model):
    """One message of a ticket's thread: a member's reply, a staff reply or an internal note."""

    class Author(models.TextChoices):
        MEMBER = "member", pgettext_lazy("ticket message author", "member")
        STAFF = "staff", pgettext_lazy("ticket message author", "customer service")
        SYSTEM = "system", pgettext_lazy("ticket message author", "system")

    ticket = models.ForeignKey(
        Ticket,
        verbose_name=pgettext_lazy("ticket model", "customer service ticket"),
        on_delete=models.CASCADE,
        related_name="messages",
    )
    author_kind = models.CharField(
        pgettext_lazy("ticket message field", "from"), max_length=10, choices=Author.choices
    )
    staff = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=pgettext_lazy("ticket message field", "staff member"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    is_internal = models.BooleanField(
        pgettext_lazy("ticket message field", "internal note"), default=False
    )
    body = models.TextField(pgettext_lazy("ticket message field", "message"), max_length=BODY_MAX)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("ticket model", "ticket message")
        verbose_name_plural = pgettext_lazy("ticket model", "ticket messages")
        ordering = ["id"]
        default_permissions = ()
        constraints = [
            models.CheckConstraint(
                condition=Q(is_internal=False) | Q(author_kind="staff"),
                name="tickets_internal_only_staff",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()} {self.created_at:%Y-%m-%d %H:%M}"
