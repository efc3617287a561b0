"""Permission codenames of the reports app (declared once; services and views read these)."""

from __future__ import annotations

VIEW_DASHBOARD = "reports.view_dashboard"  # the dashboard page and API, in the reader's scope
VIEW_REPORT = "reports.view_report"  # archived mall-wide reports (also needs scope "all")
VIEW_SUBSCRIPTION = "reports.view_reportsubscription"
ADD_SUBSCRIPTION = "reports.add_reportsubscription"
DELETE_SUBSCRIPTION = "reports.delete_reportsubscription"
