"""Permission codenames of the risk app (declared once; services and views read these)."""

from __future__ import annotations

VIEW_CASE = "risk.view_riskcase"
ADD_CASE = "risk.add_riskcase"
CHANGE_CASE = "risk.change_riskcase"  # handler, notes
DECIDE_CASE = "risk.decide_riskcase"  # confirm / dismiss
VIEW_EVIDENCE_PII = "risk.view_risk_evidence_pii"
VIEW_EVENT = "risk.view_riskevent"
VIEW_MARK = "risk.view_riskmark"
ADD_MARK = "risk.add_riskmark"
CHANGE_MARK = "risk.change_riskmark"  # revoke
VIEW_BLACKLIST = "risk.view_blacklistentry"
ADD_BLACKLIST = "risk.add_blacklistentry"
CHANGE_BLACKLIST = "risk.change_blacklistentry"  # revoke
VIEW_FREEZE = "risk.view_fundfreeze"
ADD_FREEZE = "risk.add_fundfreeze"
RELEASE_FREEZE = "risk.release_fundfreeze"
# Closing an abusive order is the orders app's action (orders.close_order).
CLOSE_ORDER = "orders.close_order"
