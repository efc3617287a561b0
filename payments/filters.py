"""Query filters of the finance endpoints (``mall.core.filters`` style).

* ``/api/v1/payments/transactions/?status=&channel=&purpose=&paid_after=&paid_before=
  &created_after=&created_before=&order_no=&transaction_no=``
* ``/api/v1/payments/refunds/?status=&channel=&source=&created_after=&created_before=
  &succeeded_after=&succeeded_before=&refund_no=&transaction_no=&order_no=``
* ``/api/v1/payments/settlements/?channel=&status=&date_from=&date_to=``
* ``/api/v1/payments/anomalies/?kind=&status=&channel=``
* ``/api/v1/payments/callbacks/?channel=&kind=&outcome=&verified=&received_after=
  &received_before=&reference_no=``

Numbers are matched exactly (their unique indexes serve them). The rows filtered are
the list selector's, already inside the caller's scope.
"""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from mall.core.filters import FilterSet, IsoDateTimeFilter, StrictBooleanFilter

from .models import (
    CallbackRecord,
    Channel,
    PaymentAnomaly,
    PaymentTransaction,
    Refund,
    Settlement,
)

NUMBER_MAX = 32


@extend_schema_field(OpenApiTypes.STR)
class CodeChoiceFilter(django_filters.ChoiceFilter):
    """A code from a fixed list (validated; a plain string in the schema so the schema's
    enums of other apps keep their names)."""


def _number(field_name: str, label) -> django_filters.CharFilter:
    return django_filters.CharFilter(field_name=field_name, max_length=NUMBER_MAX, label=label)


class TransactionFilter(FilterSet):
    status = CodeChoiceFilter(choices=PaymentTransaction.Status.choices, label=_("status"))
    channel = CodeChoiceFilter(choices=Channel.choices, label=_("payment channel"))
    purpose = CodeChoiceFilter(choices=PaymentTransaction.Purpose.choices, label=_("purpose"))
    paid_after = IsoDateTimeFilter(field_name="paid_at", lookup_expr="gte", label=_("paid from"))
    paid_before = IsoDateTimeFilter(field_name="paid_at", lookup_expr="lt", label=_("paid before"))
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("created from")
    )
    created_before = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("created before")
    )
    order_no = _number("order__order_no", _("order number"))
    transaction_no = _number("transaction_no", _("transaction number"))

    class Meta:
        model = PaymentTransaction
        fields: list[str] = []


class RefundFilter(FilterSet):
    status = CodeChoiceFilter(choices=Refund.Status.choices, label=_("status"))
    channel = CodeChoiceFilter(choices=Channel.choices, label=_("payment channel"))
    source = CodeChoiceFilter(choices=Refund.Source.choices, label=_("source"))
    created_after = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("created from")
    )
    created_before = IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("created before")
    )
    succeeded_after = IsoDateTimeFilter(
        field_name="succeeded_at", lookup_expr="gte", label=_("refunded from")
    )
    succeeded_before = IsoDateTimeFilter(
        field_name="succeeded_at", lookup_expr="lt", label=_("refunded before")
    )
    refund_no = _number("refund_no", _("refund number"))
    transaction_no = _number("transaction__transaction_no", _("transaction number"))
    order_no = _number("order__order_no", _("order number"))

    class Meta:
        model = Refund
        fields: list[str] = []


class SettlementFilter(FilterSet):
    channel = CodeChoiceFilter(choices=Channel.choices, label=_("payment channel"))
    status = CodeChoiceFilter(choices=Settlement.Status.choices, label=_("status"))
    date_from = django_filters.DateFilter(
        field_name="business_date", lookup_expr="gte", label=_("business date from")
    )
    date_to = django_filters.DateFilter(
        field_name="business_date", lookup_expr="lte", label=_("business date to")
    )

    class Meta:
        model = Settlement
        fields: list[str] = []


class AnomalyFilter(FilterSet):
    kind = CodeChoiceFilter(choices=PaymentAnomaly.Kind.choices, label=_("type"))
    status = CodeChoiceFilter(choices=PaymentAnomaly.Status.choices, label=_("status"))
    channel = CodeChoiceFilter(choices=Channel.choices, label=_("payment channel"))

    class Meta:
        model = PaymentAnomaly
        fields: list[str] = []


class CallbackFilter(FilterSet):
    channel = CodeChoiceFilter(choices=Channel.choices, label=_("payment channel"))
    kind = CodeChoiceFilter(choices=CallbackRecord.Kind.choices, label=_("type"))
    outcome = CodeChoiceFilter(
        choices=CallbackRecord.Outcome.choices, label=pgettext_lazy("payments", "outcome")
    )
    verified = StrictBooleanFilter(field_name="verified", label=_("signature valid"))
    received_after = IsoDateTimeFilter(
        field_name="received_at", lookup_expr="gte", label=_("received from")
    )
    received_before = IsoDateTimeFilter(
        field_name="received_at", lookup_expr="lt", label=_("received before")
    )
    reference_no = django_filters.CharFilter(
        field_name="reference_no", max_length=64, label=_("transaction / refund number")
    )

    class Meta:
        model = CallbackRecord
        fields: list[str] = []
