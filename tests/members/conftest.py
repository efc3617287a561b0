"""Fixtures of the members tests: members made through the services, API clients."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client
from rest_framework.test import APIClient

PASSWORD = "mall-demo-2026"
_phones = itertools.count(13800000000)


@pytest.fixture
def make_member(db):
    from members.services import address_create, member_register

    def make(phone: str | None = None, *, province: str | None = None, **kwargs):
        member = member_register(
            actor=None, phone=phone or str(next(_phones)), password=PASSWORD, **kwargs
        )
        if province:
            address_create(
                actor=member,
                member=member,
                name="张三",
                phone=member.phone,
                province=province,
                city="市",
                detail="幸福路 1 号",
            )
            member.refresh_from_db()
        return member

    return make


@pytest.fixture
def member(make_member):
    return make_member("13912345678", name="李小龙")


@pytest.fixture
def member_client():
    def login(member) -> APIClient:
        from members.services import member_token_issue

        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Bearer {member_token_issue(actor=member, member=member)}"
        )
        return client

    return login


@pytest.fixture
def admin_client_for():
    """A Django test client logged in as ``user`` (admin pages)."""

    def login(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return login
