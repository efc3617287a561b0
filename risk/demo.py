"""Demo data of the risk app (DESIGN.md §7): the ``risk_officer`` login's permissions and
planted cases of each kind (the scan part fills ``seed`` beyond the permissions).

Demo roles' risk permissions (``ROLE_PERMISSIONS``):

* risk officer (风控专员, scope all): every risk screen and step — cases (take, note,
  confirm, dismiss, report), events, marks, the blacklist, fund freezes (freeze,
  release), closing abusive orders; orders read (to follow a case to its order);
* ops lead (运营负责人): reads cases, events and freezes;
* regional order ops: reads their region's cases (the scope matrix).
"""

from __future__ import annotations

from . import permissions as perms

ROLE_PERMISSIONS = {
    "risk_officer": [
        perms.VIEW_CASE,
        perms.ADD_CASE,
        perms.CHANGE_CASE,
        perms.DECIDE_CASE,
        perms.VIEW_EVENT,
        perms.VIEW_MARK,
        perms.ADD_MARK,
        perms.CHANGE_MARK,
        perms.VIEW_BLACKLIST,
        perms.ADD_BLACKLIST,
        perms.CHANGE_BLACKLIST,
        perms.VIEW_FREEZE,
        perms.ADD_FREEZE,
        perms.RELEASE_FREEZE,
        perms.CLOSE_ORDER,
        "orders.freeze_order",
        "orders.view_order",
        "orders.view_aftersale",
        "members.view_member",
        "payments.view_paymenttransaction",
    ],
    "ops_lead": [perms.VIEW_CASE, perms.VIEW_EVENT, perms.VIEW_FREEZE],
    "order_ops_east": [perms.VIEW_CASE],
    "order_ops_north": [perms.VIEW_CASE],
}


def seed_permissions() -> None:
    from rbac.demo import grant_role_permissions

    for role, permissions in ROLE_PERMISSIONS.items():
        grant_role_permissions(role, permissions)


def seed(*, stdout) -> None:
    seed_permissions()
