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

CAMPAIGN_ACTIONS: dict = {
    "campaign.create": _("Campaign created"),
    "campaign.update": _("Campaign changed"),
    "campaign.submit": _("Campaign sent for approval"),
    "campaign.approve": _("Campaign approved"),
    "campaign.reject": _("Campaign sent back"),
    "campaign.cancel": _("Campaign cancelled"),
    "campaign.open": _("Campaign started"),
    "campaign.close": _("Campaign ended"),
    "campaign.budget_take": _("Campaign budget used by an order"),
    "campaign.budget_return": _("Campaign budget given back by a cancelled order"),
}
CAMPAIGN_TASKS: dict = {
    "orders: open campaigns": _("Start campaigns"),
    "orders.campaigns_open_due": _("Start campaigns"),
    "orders: close campaigns": _("End campaigns"),
    "orders.campaigns_close_due": _("End campaigns"),
}


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
