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

CAMPAIGN_ACTIONS: dict = {
    "campaign.create": _("Campaign created"),
    "campaign.update": _("Campaign changed"),
    "campaign.submit": _("Campaign sent for approval"),
    "campaign.approve": _("Campaign approved"),
    "campaign.reject": _("Campaign sent back"),
    "campaign.cancel": _("Campaign cancelled"),
    "campaign.stop": _("Campaign stopped early"),
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

PRESALE_ACTIONS: dict = {
    "order.pay_deposit": _("Presale deposit paid"),
    "order.presale_forfeit": _("Presale deposit forfeited"),
    "order.presale_missed": _("Presale cancelled: final payment not made in time"),
    "order.presale_window_extend": _("Presale final payment window extended after a freeze"),
}
PRESALE_TASKS: dict = {
    "orders: cancel presales past their final payment": _(
        "Cancel presales whose final payment was missed"
    ),
    "orders.presales_cancel_missed_due": _("Cancel presales whose final payment was missed"),
}


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
