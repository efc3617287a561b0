"""Chinese labels of the codes promotions write (merged into ``orders.labels``).

Each part keeps its labels in its own section (helpers add to their section only).
"""

from django.utils.translation import gettext_lazy as _

ACTION_LABELS: dict = {}
NOTIFICATION_KINDS: dict = {}
TASK_LABELS: dict = {}

# --- flash sessions (flash.py, gate.py, tasks_flash.py) ---------------------------------

FLASH_ACTIONS: dict = {}
FLASH_TASKS: dict = {}


# --- campaigns (campaigns.py, tasks_campaigns.py) ---------------------------------------

CAMPAIGN_ACTIONS: dict = {}
CAMPAIGN_TASKS: dict = {}


# --- presale (presale.py, tasks_presale.py) ---------------------------------------------

PRESALE_ACTIONS: dict = {
    "order.pay_deposit": _("Presale deposit paid"),
    "order.presale_forfeit": _("Presale deposit forfeited"),
    "order.presale_missed": _("Presale cancelled: final payment not made in time"),
}
PRESALE_TASKS: dict = {
    "orders: cancel presales past their final payment": _(
        "Cancel presales whose final payment was missed"
    ),
    "orders.presales_cancel_missed_due": _("Cancel presales whose final payment was missed"),
}


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
