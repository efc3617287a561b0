"""Demo data of monitoring (DESIGN.md §7): roles' permissions, the default alert rules,
one resolved incident with its analysis report (closed), and one announcement.

Demo roles' monitoring permissions (``ROLE_PERMISSIONS``):

* tech lead (技术负责人): everything — on call for alerts, edits rules, records and
  works incidents, submits reports, closes them, writes announcements;
* ops lead (运营负责人): reads incidents, writes announcements;
* security auditor (安全审计员): reads rules, alerts, readings, incidents, announcements.

Idempotent: the incident and the announcement are looked up by title first.
"""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from . import permissions as perms

ROLE_PERMISSIONS = {
    "tech_lead": [
        perms.VIEW_READING,
        perms.VIEW_RULE,
        perms.CHANGE_RULE,
        perms.VIEW_ALERT,
        perms.RECEIVE_ALERTS,
        perms.VIEW_INCIDENT,
        perms.ADD_INCIDENT,
        perms.CHANGE_INCIDENT,
        perms.SUBMIT_REPORT,
        perms.CLOSE_INCIDENT,
        perms.VIEW_ANNOUNCEMENT,
        perms.ADD_ANNOUNCEMENT,
        perms.CHANGE_ANNOUNCEMENT,
    ],
    "ops_lead": [
        perms.VIEW_INCIDENT,
        perms.VIEW_ANNOUNCEMENT,
        perms.ADD_ANNOUNCEMENT,
        perms.CHANGE_ANNOUNCEMENT,
    ],
    "security_auditor": [
        perms.VIEW_READING,
        perms.VIEW_RULE,
        perms.VIEW_ALERT,
        perms.VIEW_INCIDENT,
        perms.VIEW_ANNOUNCEMENT,
    ],
}

INCIDENT_TITLE = "微信支付回调超时，部分订单支付状态延迟"
ANNOUNCEMENT_TITLE = "本周六 02:00–04:00 系统维护"


def seed_permissions() -> None:
    from rbac.demo import grant_role_permissions

    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def seed(*, stdout) -> None:
    seed_permissions()
    from mall.core.actors import system_actor

    from .models import AlertRule, Announcement, Incident
    from .services.alerts import alert_rules_install

    with transaction.atomic():
        alert_rules_install(actor=system_actor())
    users = get_user_model().objects.in_bulk(["tech_lead", "admin"], field_name="username")
    lead = users.get("tech_lead") or users.get("admin")
    if lead is None:
        stdout.write("  monitoring: the demo tech lead is missing; incident skipped")
        return
    lead = get_user_model().objects.get(pk=lead.pk)  # fresh permission cache
    with transaction.atomic():
        _incident(lead)
    with transaction.atomic():
        _announcement(lead)
    stdout.write(
        f"  monitoring: {AlertRule.objects.count()} alert rules, "
        f"{Incident.objects.count()} incidents, {Announcement.objects.count()} announcements"
    )


def _incident(lead) -> None:
    from .models import Incident, Severity
    from .services.incidents import (
        incident_close,
        incident_mitigate,
        incident_note_add,
        incident_open,
        incident_report_submit,
        incident_resolve,
    )

    if Incident.objects.filter(title=INCIDENT_TITLE).exists():
        return
    started = timezone.now() - timedelta(days=3, hours=2)
    incident = incident_open(
        actor=lead,
        title=INCIDENT_TITLE,
        severity=Severity.MAJOR,
        started_at=started,
        impact="约 40 分钟内约 120 笔微信支付订单的支付结果延迟确认，用户看到“待支付”。",
    )
    incident_note_add(
        actor=lead,
        incident=incident,
        body="运维 3 分钟内响应；定位为回调入口所在节点网络抖动，回调重试堆积。",
    )
    incident_mitigate(actor=lead, incident=incident, note="切换回调入口到备用节点，主动查询补单。")
    incident_resolve(
        actor=lead,
        incident=incident,
        resolution="网络恢复后回调积压清空；主动查询补齐全部订单支付状态。",
        ended_at=started + timedelta(minutes=42),
    )
    incident_report_submit(
        actor=lead,
        incident=incident,
        cause="回调入口节点所在机房交换机故障导致丢包。",
        analysis="回调只有一个入口节点；支付状态依赖回调，主动查询每 10 分钟一次，间隔过长。",
        improvements="回调入口双节点；待支付订单 2 分钟主动查询；渠道健康告警接入值班。",
    )
    incident_close(actor=lead, incident=incident)


def _announcement(lead) -> None:
    from .models import Announcement
    from .services.announcements import announcement_create

    if Announcement.objects.filter(title=ANNOUNCEMENT_TITLE).exists():
        return
    announcement_create(
        actor=lead,
        title=ANNOUNCEMENT_TITLE,
        body="维护期间后台与 API 暂停服务，定时任务顺延执行。请提前安排审核与发货。",
        is_for_all_staff=True,
        publish_at=timezone.now() - timedelta(hours=1),
        expire_at=timezone.now() + timedelta(days=7),
    )
