"""Admin of sales channels, the promotion calendar and freight templates (through services)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from ops.models import AuditEntry
from orders.models import (
    ChannelLedgerEntry,
    FreightRule,
    FreightTemplate,
    PromotionPeriod,
    SalesChannel,
)

pytestmark = pytest.mark.django_db


def _button(obj, name: str) -> str:
    change = reverse("admin:orders_saleschannel_change", args=[obj.pk])
    return f"{change.removesuffix('change/')}{name.replace('_', '-')}/"


def test_a_channel_is_added_through_the_form_and_audited(admin_client_for, superuser):
    response = admin_client_for(superuser).post(
        reverse("admin:orders_saleschannel_add"),
        {
            "code": "jd-flagship",
            "name": "京东旗舰店",
            "kind": "jd",
            "storefront_user_id": "jd-001",
            "redeem_domain": "jd.example.com",
            "operator": "",
            "note": "",
        },
    )
    assert response.status_code == 302, response.content[:600]
    channel = SalesChannel.objects.get(code="jd-flagship")
    assert channel.balance_amount == Decimal("0.00")
    assert AuditEntry.objects.filter(action="sales_channel.create").count() == 1


def test_the_list_searches_and_filters_and_shows_labels(admin_client_for, superuser, make_channel):
    tmall = make_channel("tm-list", kind="tmall")
    make_channel("jd-list", kind="jd")
    client = admin_client_for(superuser)
    changelist = reverse("admin:orders_saleschannel_changelist")

    found = client.get(changelist + f"?q={tmall.name}")
    assert [c.code for c in found.context["cl"].result_list] == ["tm-list"]
    by_kind = client.get(changelist + "?kind__exact=jd")
    assert [c.code for c in by_kind.context["cl"].result_list] == ["jd-list"]
    html = client.get(changelist).content.decode()
    assert "天猫" in html and "启用" in html


def test_switching_off_with_unsettled_orders_is_refused_in_the_dialog(
    admin_client_for, superuser, make_channel, make_member, make_order, stocked_sku
):
    channel = make_channel()
    make_order(make_member(), [(stocked_sku(), 1)], status="pending_review", channel=channel)
    client = admin_client_for(superuser)

    refused = client.post(
        _button(channel, "switch_off"), {"_form_submitted": "on", "reason": "停业"}
    )
    assert refused.status_code == 200
    assert "未结算订单" in refused.content.decode()
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.ACTIVE


def test_switch_off_and_on_by_button_when_settled(admin_client_for, superuser, make_channel):
    channel = make_channel()
    client = admin_client_for(superuser)
    assert (
        client.post(
            _button(channel, "switch_off"), {"_form_submitted": "on", "reason": "合同到期"}
        ).status_code
        == 302
    )
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.DISABLED
    client.post(_button(channel, "switch_on"), {"_form_submitted": "on"})
    channel.refresh_from_db()
    assert channel.status == SalesChannel.Status.ACTIVE


def test_posting_to_the_balance_by_button_and_the_ledger_inline_shows_it(
    admin_client_for, superuser, make_channel
):
    channel = make_channel()
    client = admin_client_for(superuser)
    done = client.post(
        _button(channel, "post_to_ledger"),
        {
            "_form_submitted": "on",
            "kind": "settlement",
            "amount": "1234.56",
            "reference_no": "JS-20261128",
            "note": "11 月结算",
        },
    )
    assert done.status_code == 302, done.content[:600]
    channel.refresh_from_db()
    assert channel.balance_amount == Decimal("1234.56")
    overdraw = client.post(
        _button(channel, "post_to_ledger"),
        {"_form_submitted": "on", "kind": "withdrawal", "amount": "-2000", "reference_no": "TX1"},
    )
    assert overdraw.status_code == 200
    assert ChannelLedgerEntry.objects.filter(channel=channel).count() == 1
    page = client.get(reverse("admin:orders_saleschannel_change", args=[channel.pk]))
    assert "JS-20261128" in page.content.decode()


def test_a_promotion_period_is_added_through_the_calendar(admin_client_for, superuser):
    start = timezone.localtime() + timedelta(days=1)
    end = start + timedelta(days=3)
    response = admin_client_for(superuser).post(
        reverse("admin:orders_promotionperiod_add"),
        {
            "name": "双11",
            "starts_at_0": start.strftime("%Y-%m-%d"),
            "starts_at_1": "00:00:00",
            "ends_at_0": end.strftime("%Y-%m-%d"),
            "ends_at_1": "23:59:59",
        },
    )
    assert response.status_code == 302, response.content[:800]
    period = PromotionPeriod.objects.get(name="双11")
    assert period.created_by == superuser
    assert AuditEntry.objects.filter(action="promotion_period.create").exists()


def test_a_freight_template_with_region_rules_is_saved_through_services(
    admin_client_for, superuser
):
    from rbac.models import SalesRegion

    east = SalesRegion.objects.get(code="east")
    response = admin_client_for(superuser).post(
        reverse("admin:orders_freighttemplate_add"),
        {
            "name": "大件",
            "first_weight_grams": "2000",
            "first_fee_amount": "15.00",
            "extra_weight_grams": "1000",
            "extra_fee_amount": "5.00",
            "rules-TOTAL_FORMS": "1",
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
            "rules-0-region": str(east.pk),
            "rules-0-first_fee_amount": "10.00",
            "rules-0-extra_fee_amount": "3.50",
        },
    )
    assert response.status_code == 302, response.content[:1200]
    template = FreightTemplate.objects.get(name="大件")
    rule = FreightRule.objects.get(template=template)
    assert (rule.region, rule.first_fee_amount, rule.extra_fee_amount) == (
        east,
        Decimal("10.00"),
        Decimal("3.50"),
    )
    assert (
        AuditEntry.objects.filter(
            action__in=["freight_template.create", "freight_template.update"]
        ).count()
        == 2
    )


def test_making_a_template_the_default_takes_the_flag_from_the_previous_one(superuser):
    from orders.services.freight import freight_template_save

    previous = FreightTemplate.objects.get(is_default=True)
    new = freight_template_save(
        actor=superuser,
        name="新默认",
        is_default=True,
        first_weight_grams=1000,
        first_fee_amount="8",
        extra_weight_grams=500,
        extra_fee_amount="2",
    )
    previous.refresh_from_db()
    assert new.is_default and not previous.is_default
    assert FreightTemplate.objects.filter(is_default=True).count() == 1
