"""The status tables of monitoring's models (registered with the kernel's transitions)."""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import Alert, Incident

A = Alert.Status
ALERT_TRANSITIONS = register_transitions(
    Alert,
    {
        A.FIRING: {A.RESOLVED},
        A.RESOLVED: set(),
    },
)

I = Incident.Status  # noqa: E741
INCIDENT_TRANSITIONS = register_transitions(
    Incident,
    {
        I.OPEN: {I.MITIGATED, I.RESOLVED},
        I.MITIGATED: {I.RESOLVED},
        I.RESOLVED: {I.CLOSED},
        I.CLOSED: set(),
    },
)
