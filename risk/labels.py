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
    # --- SMS codes and rules (rules part) ---
    # --- daily scan (scan part) ---
    "risk.orders_brushed": _("Orders flagged as brushed"),
    "risk.orders_unbrushed": _("Brushed flag removed from orders"),
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
