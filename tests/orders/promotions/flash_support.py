"""Fixtures of the flash-sale tests: a creator, an approver and a session made to run."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from orders.permissions import (
    ADD_FLASH_SESSION,
    APPROVE_FLASH_SESSION,
    CHANGE_FLASH_SESSION,
    VIEW_FLASH_SESSION,
)

_names = itertools.count(1)


@pytest.fixture
def marketing(make_staff):
    return make_staff(
        "marketing-t", perms=(VIEW_FLASH_SESSION, ADD_FLASH_SESSION, CHANGE_FLASH_SESSION)
    )


@pytest.fixture
def ops_lead(make_staff):
    return make_staff(
        "ops-lead-t",
        perms=(VIEW_FLASH_SESSION, CHANGE_FLASH_SESSION, APPROVE_FLASH_SESSION),
    )


@pytest.fixture
def flash_session(marketing, ops_lead):
    """``make(items, starts_in=…, minutes=…, open=True)``: a session, approved and opened.

    ``items`` are ``(sku, flash_price, quota, per_member_limit)``; ``starts_in`` (a
    timedelta, default one minute ago) and ``open`` decide how far its life goes.
    """
    from orders.promotions.flash import (
        flash_session_approve,
        flash_session_create,
        flash_session_open,
        flash_session_submit,
    )

    def make(items, *, starts_in=None, minutes: int = 60, open: bool = True, approve=True):
        now = timezone.now()
        starts_at = now + (starts_in if starts_in is not None else timedelta(minutes=-1))
        session = flash_session_create(
            actor=marketing,
            name=f"秒杀 {next(_names)}",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            unpaid_minutes=5,
            items=[
                {"sku": sku, "flash_price": price, "quota": quota, "per_member_limit": limit}
                for sku, price, quota, limit in items
            ],
        )
        if approve:
            flash_session_submit(actor=marketing, session=session)
            flash_session_approve(actor=ops_lead, session=session)
        if open:
            flash_session_open(actor=marketing, session=session)
        session.refresh_from_db()
        return session

    return make
