"""The status tables of risk's models (registered with the kernel's transitions)."""

from __future__ import annotations

from mall.core.transitions import register_transitions

from ..models import FundFreeze, RiskCase

C = RiskCase.Status
CASE_TRANSITIONS = register_transitions(
    RiskCase,
    {
        C.OPEN: {C.CONFIRMED, C.DISMISSED},
        C.CONFIRMED: set(),
        C.DISMISSED: set(),
    },
)

F = FundFreeze.Status
FREEZE_TRANSITIONS = register_transitions(
    FundFreeze,
    {
        F.ACTIVE: {F.RELEASED},
        F.RELEASED: set(),
    },
)
