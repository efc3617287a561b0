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

PRESALE_ACTIONS: dict = {}
PRESALE_TASKS: dict = {}


# --- results (results.py) ---------------------------------------------------------------

RESULTS_ACTIONS: dict = {
    "promotion_results.export": _("Promotion review report downloaded"),
}
RESULTS_NOTIFICATIONS: dict = {}


# --- discovery: events, recommendations, pre-heat, hot items (tasks_discovery.py) -------

DISCOVERY_ACTIONS: dict = {
    "promotions.recommendations_rebuild": _("Recommendations recomputed"),
    "promotions.preheat_send": _("Pre-heat notices sent"),
}
DISCOVERY_NOTIFICATIONS: dict = {
    "promotions.hot_item": _("Hot item running low during a promotion"),
}
DISCOVERY_TASKS: dict = {
    # schedule entries (tasks_discovery.SCHEDULE)
    "promotions: recommendations": _("Recommendations (bought together, for you)"),
    "promotions: pre-heat notices": _("Pre-heat notices to members"),
    "promotions: hot-item stock alerts": _("Hot-item stock alerts"),
    # job runs (mall.core.jobs.job_run names)
    "promotions.recommendations_rebuild": _("Recommendations (bought together, for you)"),
    "promotions.preheat_send": _("Pre-heat notices to members"),
    "promotions.hot_item_alerts_send": _("Hot-item stock alerts"),
}


for _part in (FLASH_ACTIONS, CAMPAIGN_ACTIONS, PRESALE_ACTIONS, RESULTS_ACTIONS, DISCOVERY_ACTIONS):
    ACTION_LABELS.update(_part)
for _part in (RESULTS_NOTIFICATIONS, DISCOVERY_NOTIFICATIONS):
    NOTIFICATION_KINDS.update(_part)
for _part in (FLASH_TASKS, CAMPAIGN_TASKS, PRESALE_TASKS, DISCOVERY_TASKS):
    TASK_LABELS.update(_part)
