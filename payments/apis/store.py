"""The storefront's pay endpoint and the channels' callbacks (no auth; verified).

=========================================================  ============================
``POST api/v1/store/orders/{order_no}/pay/`` (Idem.-Key)   start paying (member token)
``POST api/v1/payments/notify/{channel}/``                 a channel's payment notice
``POST api/v1/payments/notify/{channel}/refund/``          a channel's refund notice
=========================================================  ============================

The callbacks answer in the channel's own form (``Gateway.notify_answer``): WeChat Pay
v3 JSON ``{"code": "SUCCESS"}`` / ``{"code": "FAIL", "message"}``, Alipay plain
``success`` / ``fail``, the sandbox per ../shared/API.md.
"""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from mall.core.actors import system_actor
from mall.core.context import client_ip_from_meta
from mall.core.exceptions import ApplicationError, NotFound
from mall.core.idempotency import idempotent
from mall.core.throttling import ClientIpScopedRateThrottle
from members.authentication import MemberTokenAuthentication
from members.permissions import IsMember

from ..gateways import GATEWAY_CLASSES, available_channels
from ..models import Channel, Scene
from ..services.transactions import payment_notify


class PayInput(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices, default=Channel.SANDBOX)
    scene = serializers.ChoiceField(choices=Scene.choices, default=Scene.JSAPI)
    payer_id = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=64,
        help_text="The payer's openid (WeChat JSAPI / mini-program), when the channel needs it",
    )


class PayStartSerializer(serializers.Serializer):
    transaction_no = serializers.CharField()
    channel = serializers.CharField()
    amount = serializers.CharField()
    status = serializers.CharField()
    pay_params = serializers.DictField()


class SandboxNotifyInput(serializers.Serializer):
    """Documentation of the sandbox notification body (verified from the raw body)."""

    transaction_no = serializers.CharField()
    channel_trade_no = serializers.CharField()
    amount = serializers.CharField(help_text='e.g. "299.00"')
    status = serializers.CharField(help_text="SUCCESS | FAILED")
    paid_at = serializers.DateTimeField(required=False)
    nonce = serializers.CharField(required=False)


class NotifyAnswerSerializer(serializers.Serializer):
    code = serializers.CharField()


class OrderPayView(APIView):
    authentication_classes = [MemberTokenAuthentication]
    permission_classes = [IsMember]

    @extend_schema(request=PayInput, responses=PayStartSerializer, tags=["storefront"])
    @idempotent
    def post(self, request, order_no: str):
        """Start paying one of the member's orders (Idempotency-Key)."""
        from orders.selectors import order_get

        from ..services.transactions import payment_start

        serializer = PayInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        order = order_get(actor=request.user, order_no=order_no)
        answer = payment_start(
            actor=request.user,
            order=order,
            channel=data["channel"],
            scene=data["scene"],
            payer_id=data["payer_id"],
        )
        return Response(answer)


# Channels that never call us back (the member balance is our own ledger).
NO_CALLBACKS = ("balance",)
# A channel's notification is a few kilobytes; anything far larger is not one (and is
# refused before it is stored).
MAX_NOTIFY_BYTES = 64 * 1024


class NotificationTooLarge(ApplicationError):
    code = "too_large"
    status_code = 413
    default_message = _("The notification is too large.")


def _channel_or_404(channel: str) -> str:
    """A configured channel that sends notifications; 404 for anything else (nothing is
    recorded for a channel we do not use)."""
    if channel not in GATEWAY_CLASSES or channel in NO_CALLBACKS:
        raise NotFound()
    if channel not in available_channels():
        raise NotFound()
    return channel


def _body(request) -> bytes:
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_NOTIFY_BYTES:
        raise NotificationTooLarge()
    body = request.body
    if len(body) > MAX_NOTIFY_BYTES:
        raise NotificationTooLarge()
    return body


class NotifyThrottle(ClientIpScopedRateThrottle):
    """Per sender IP (``payment_notify`` rate): a flood of forged notices cannot fill the
    callback log; the channels' own retries stay far below it."""

    scope = "payment_notify"


CHANNEL_PARAM = OpenApiParameter("channel", str, OpenApiParameter.PATH, enum=list(GATEWAY_CLASSES))


class _ChannelNotifyView(APIView):
    """A channel's notification: verified with the channel's keys by ``handle`` (the
    service), answered in the channel's own form."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [NotifyThrottle]

    def handle(self, **kwargs):  # pragma: no cover - each subclass names its service
        raise NotImplementedError

    def answer(self, request, channel: str) -> HttpResponse:
        answer = self.handle(
            actor=system_actor(),
            channel=_channel_or_404(channel),
            headers=request.headers,
            body=_body(request),
            remote_ip=client_ip_from_meta(request.META),
        )
        return HttpResponse(answer.body, status=answer.status, content_type=answer.content_type)


class NotifyView(_ChannelNotifyView):
    @extend_schema(
        auth=[],
        parameters=[CHANNEL_PARAM],
        request=SandboxNotifyInput,
        responses={200: NotifyAnswerSerializer},
        tags=["payments"],
    )
    def post(self, request, channel: str):
        """A channel's payment notification, verified with the channel's keys."""
        return self.answer(request, channel)

    def handle(self, **kwargs):
        return payment_notify(**kwargs)


class RefundNotifyView(_ChannelNotifyView):
    @extend_schema(
        auth=[],
        parameters=[CHANNEL_PARAM],
        request=None,
        responses={200: NotifyAnswerSerializer},
        tags=["payments"],
    )
    def post(self, request, channel: str):
        """A channel's refund notification, verified with the channel's keys."""
        return self.answer(request, channel)

    def handle(self, **kwargs):
        from ..services.refunds import refund_notify

        return refund_notify(**kwargs)


urlpatterns = [
    path("api/v1/store/orders/<str:order_no>/pay/", OrderPayView.as_view(), name="store-order-pay"),
    path(
        "api/v1/payments/notify/<str:channel>/",
        NotifyView.as_view(),
        name="payments-notify",
    ),
    path(
        "api/v1/payments/notify/<str:channel>/refund/",
        RefundNotifyView.as_view(),
        name="payments-refund-notify",
    ),
]
