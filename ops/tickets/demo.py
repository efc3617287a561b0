"""Demo data of customer service (DESIGN.md §7): the roles' permissions and ten tickets in
every state, written through the services.

* ``cs_agent`` (客服, scope all): every ticket screen and step — enter, take, assign,
  reply, resolve, reopen, close, escalate;
* ``ops_lead`` (运营负责人, scope all): reads tickets, receives escalations and low
  ratings (``tickets.supervise_ticket``), escalates; breached ticket clocks reach them
  through the ops SLA scan (they hold ``ops.receive_sla_escalation``);
* regional order ops: read their region's tickets (the scope matrix).

Tickets (members ``13900000010`` … ``13900000019``): new ones (one a complaint), one
assigned, one in progress, one waiting for the member, one resolved, one closed and
rated 5 stars, a complaint closed and rated 2 stars, an escalated complaint and a ticket
entered by phone whose first reply is overdue (its clocks are moved back five hours:
demo data only, so the workbench tile has something to show).

Idempotent: each planted ticket is found by its subject; a second run adds nothing.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction

from . import permissions as perms

ROLE_PERMISSIONS = {
    "customer_service": [
        perms.VIEW_TICKET,
        perms.ADD_TICKET,
        perms.CHANGE_TICKET,
        perms.ASSIGN_TICKET,
        perms.ESCALATE_TICKET,
        "members.view_member",
        "orders.view_order",
        "orders.view_aftersale",
    ],
    "ops_lead": [perms.VIEW_TICKET, perms.ESCALATE_TICKET, perms.SUPERVISE_TICKET],
    "order_ops_east": [perms.VIEW_TICKET],
    "order_ops_north": [perms.VIEW_TICKET],
}

MEMBERS = slice(10, 20)  # demo members 13900000010 … 13900000019

# subject → (member index, kind, category, with an order, steps)
PLANTED = [
    ("包裹三天没有物流更新", 0, "ticket", "delivery", True, []),
    ("收到的电饭煲有异味，要求处理", 1, "complaint", "product", True, []),
    ("支付成功但订单显示未付款", 2, "ticket", "payment", True, ["assign"]),
    ("退货寄回后退款进度如何", 3, "ticket", "after_sales", True, ["assign", "progress"]),
    ("想修改订单收货地址", 4, "ticket", "order", True, ["reply"]),
    ("账号绑定的手机号无法修改", 5, "ticket", "account", False, ["resolve"]),
    ("快递员未送货上门", 6, "ticket", "delivery", True, ["resolve", "close", "rate5"]),
    (
        "客服答复敷衍，问题未解决",
        7,
        "complaint",
        "after_sales",
        True,
        ["resolve", "close", "rate2"],
    ),
    ("商品与描述严重不符，多次联系无果", 8, "complaint", "product", True, ["progress", "escalate"]),
    ("电话咨询：发票如何开具", 9, "ticket", "other", False, ["phone", "late"]),
]


def seed_permissions() -> None:
    from rbac.demo import grant_role_permissions

    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def seed(*, stdout) -> None:
    seed_permissions()
    from members.models import Member

    from .models import Ticket

    users = get_user_model().objects.in_bulk(["cs_agent", "ops_lead"], field_name="username")
    agent = users.get("cs_agent")
    lead = users.get("ops_lead")
    members = list(Member.objects.filter(phone_hash__isnull=False).order_by("id")[:100])
    if agent is None or len(members) < 20:
        stdout.write("  tickets: the demo staff or members are missing; tickets skipped")
        return
    agent = get_user_model().objects.get(pk=agent.pk)  # fresh permission cache
    lead = get_user_model().objects.get(pk=lead.pk) if lead else agent
    created = 0
    for subject, index, kind, category, with_order, steps in PLANTED:
        if Ticket.objects.filter(subject=subject).exists():
            continue
        with transaction.atomic():
            _plant(
                members[MEMBERS][index],
                agent,
                lead,
                subject=subject,
                kind=kind,
                category=category,
                with_order=with_order,
                steps=steps,
            )
        created += 1
    stdout.write(
        f"  tickets: {created} ticket(s) created; {Ticket.objects.count()} in all "
        f"({Ticket.objects.filter(kind='complaint').count()} complaints)"
    )


def _order_of(member):
    from orders.models import Order

    return Order.objects.filter(member=member).order_by("-id").first()


def _plant(member, agent, lead, *, subject, kind, category, with_order, steps) -> None:
    from .services import tickets as services

    order = _order_of(member) if with_order else None
    body = f"{subject}。请尽快处理，谢谢。"
    if "phone" in steps:
        ticket = services.ticket_create(
            actor=agent,
            member=member,
            kind=kind,
            category=category,
            source="phone",
            subject=subject,
            body=body,
            order=order,
        )
    else:
        ticket = services.ticket_create(
            actor=member,
            member=member,
            kind=kind,
            category=category,
            subject=subject,
            body=body,
            order=order,
        )
    for step in steps:
        if step == "assign":
            services.ticket_assign(actor=agent, ticket=ticket)
        elif step == "progress":
            services.ticket_reply(
                actor=agent,
                ticket=ticket,
                body="您好，已收到您的反馈，正在与仓库和物流核实，请稍候。",
                await_member=False,
            )
            services.ticket_reply(
                actor=agent, ticket=ticket, body="已联系仓库核实批次。", internal=True
            )
        elif step == "reply":
            services.ticket_reply(
                actor=agent,
                ticket=ticket,
                body="您好，请提供新的收货地址（省市区及详细地址），我们为您修改。",
            )
        elif step == "resolve":
            services.ticket_resolve(
                actor=agent, ticket=ticket, resolution="已为您处理完毕，如仍有问题请回复本工单。"
            )
        elif step == "close":
            services.ticket_close(actor=agent, ticket=ticket)
        elif step == "rate5":
            services.ticket_rate(actor=member, ticket=ticket, rating=5, comment="处理很及时")
        elif step == "rate2":
            services.ticket_rate(actor=member, ticket=ticket, rating=2, comment="等了太久")
        elif step == "escalate":
            services.ticket_escalate(
                actor=agent, ticket=ticket, reason="会员多次投诉，需主管介入协调退换"
            )
        elif step == "late":
            _move_back(ticket, hours=5)


def _move_back(ticket, *, hours: int) -> None:
    """Demo only: the ticket was opened ``hours`` ago (its running clocks too)."""
    from ops.models import SlaClock

    from .models import Ticket

    delta = timedelta(hours=hours)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=ticket.created_at - delta)
    clocks = SlaClock.objects.filter(
        subject_type=ContentType.objects.get_for_model(Ticket),
        subject_id=str(ticket.pk),
        closed_at__isnull=True,
    )
    for clock in clocks:
        SlaClock.objects.filter(pk=clock.pk).update(
            started_at=clock.started_at - delta, due_at=clock.due_at - delta
        )
