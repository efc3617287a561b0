"""Chinese labels of the codes risk writes (collected by ``mall.core.labels``).

Audit actions, staff notification kinds and scheduled tasks. Each part of the app
keeps its labels in its own section below (helpers add to their section only).
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    # --- cases and events (foundation) ---
    "risk.case_open": _("Risk case opened"),
    "risk.freeze": _("Order funds frozen"),
    "risk.freeze_release": _("Fund freeze released"),
    # --- decisions, marks, blacklist, closing orders (cases part) ---
    "risk.case_confirm": _("Risk case confirmed"),
    "risk.case_dismiss": _("Risk case dismissed"),
    "risk.case_take": _("Risk case taken"),
    "risk.case_note": _("Note added to a risk case"),
    "risk.case_close_orders": _("Abusive orders closed"),
    "risk.mark_add": _("Account risk mark added"),
    "risk.mark_revoke": _("Account risk mark revoked"),
    "risk.blacklist_add": _("Added to the blacklist"),
    "risk.blacklist_revoke": _("Removed from the blacklist"),
    "risk.orders_brushed": _("Orders flagged as brushed"),
    "risk.orders_unbrushed": _("Orders no longer flagged as brushed"),
    # --- SMS codes and rules (rules part) ---
    # --- daily scan (scan part) ---
}

NOTIFICATION_KINDS = {
    # --- cases and events (foundation) ---
    "risk.case_opened": _("Risk case opened"),
    # --- decisions, marks, blacklist, closing orders (cases part) ---
    # --- daily scan (scan part) ---
}

TASK_LABELS = {
    # --- rules housekeeping (rules part) ---
    "risk: attempt cleanup": _("Risk attempt cleanup"),
    "risk.attempts_purge": _("Risk attempt cleanup"),
    # --- daily scan (scan part) ---
    "risk: daily brushing scan": _("Daily brushing scan"),
    "risk.brushing_scan": _("Daily brushing scan"),
}
