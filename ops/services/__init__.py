"""Every write of the ops app: audit log, system parameters, SLA clocks, staff inbox.

One module per area; import from the module (``from ops.services.sla import
sla_clock_start``). Reads served to people are in ``ops.selectors``; the parameter
registry and ``get_parameter`` (read by every app) stay in ``ops.parameters``.
"""
