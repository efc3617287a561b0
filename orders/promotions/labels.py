"""Chinese labels of the codes promotions write (merged into ``orders.labels``).

Each part keeps its labels in its own section (helpers add to their section only).
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict = {}
NOTIFICATION_KINDS: dict = {}
TASK_LABELS: dict = {}

# --- flash sessions (flash.py, gate.py, tasks_flash.py) ---------------------------------

FLASH_ACTIONS: dict = {
    "flash_session.create": _("Flash-sale session created"),
    "flash_session.update": _("Flash-sale session changed"),
    "flash_session.submit": _("Flash-sale session sent for approval"),
    "flash_session.approve": _("Flash-sale session approved"),
    "flash_session.reject": _("Flash-sale session sent back"),
    "flash_session.cancel": _("Flash-sale session cancelled"),
    "flash_session.open": _("Flash-sale session opened"),
    "flash_session.quota_lowered": _("Flash-sale quota lowered to the stock"),
    "flash_session.close": _("Flash-sale session ended"),
    "flash_session.units_returned": _("Flash-sale units returned by a cancellation"),
}
FLASH_TASKS: dict = {
    "promotions: open flash sessions": _("Open flash-sale sessions"),
    "promotions.flash_open_due": _("Open flash-sale sessions"),
    "promotions: close flash sessions": _("End flash-sale sessions"),
    "promotions.flash_close_due": _("End flash-sale sessions"),
    "promotions: reconcile flash gates": _("Reconcile the flash-sale gates"),
    "promotions.flash_gates_reconcile": _("Reconcile the flash-sale gates"),
}


# --- campaigns (campaigns.py, tasks_campaigns.py) ---------------------------------------

CAMPAIGN_ACTIONS: dict = {}
CAMPAIGN_TASKS: dict = {}


# --- presale (presale.py, tasks_presale.py) ---------------------------------------------

PRESALE_ACTIONS: dict = {}
PRESALE_TASKS: dict = {}


# --- results (results.py) ---------------------------------------------------------------

RESULTS_ACTIONS: dict = {}
RESULTS_NOTIFICATIONS: dict = {}


# --- discovery: events, recommendations, pre-heat, hot items (tasks_discovery.py) -------

DISCOVERY_ACTIONS: dict = {}
DISCOVERY_NOTIFICATIONS: dict = {}
DISCOVERY_TASKS: dict = {}


for _part in (FLASH_ACTIONS, CAMPAIGN_ACTIONS, PRESALE_ACTIONS, RESULTS_ACTIONS, DISCOVERY_ACTIONS):
    ACTION_LABELS.update(_part)
for _part in (RESULTS_NOTIFICATIONS, DISCOVERY_NOTIFICATIONS):
    NOTIFICATION_KINDS.update(_part)
for _part in (FLASH_TASKS, CAMPAIGN_TASKS, PRESALE_TASKS, DISCOVERY_TASKS):
    TASK_LABELS.update(_part)
