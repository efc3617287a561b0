"""Daily check-in under concurrency: one member tapping "sign in" on several devices at
once gets exactly one 201 and 409 for every other request — never a 500 or a 400,
and the points are granted once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.urls import reverse
from rest_framework.test import APIClient

from members.models import PointsEntry, PointsReason
from tests.conftest import requires_postgres

THREADS = 8


def _sign_in_in_threads(token: str) -> list[tuple[int, str | None]]:
    outcomes: list[tuple[int, str | None]] = []
    barrier = threading.Barrier(THREADS)
    lock = threading.Lock()

    def sign_in() -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait()
            response = client.post(reverse("store-sign-in"))
            body = response.json()
            code = body.get("error", {}).get("code") if response.status_code >= 400 else None
            result = (response.status_code, code)
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=sign_in) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_eight_parallel_check_ins_of_one_member_give_exactly_one_201_and_409_for_the_rest(
    make_member,
):
    from members.services import member_token_issue

    member = make_member("13912340000")
    token = member_token_issue(actor=member, member=member)

    outcomes = _sign_in_in_threads(token)

    assert len(outcomes) == THREADS
    assert sorted(outcomes, key=lambda o: o[0]) == [(201, None)] + [(409, "already_signed_in")] * (
        THREADS - 1
    )
    entries = PointsEntry.objects.filter(member=member, reason=PointsReason.SIGN_IN)
    assert entries.count() == 1
    member.refresh_from_db()
    assert member.points_balance == entries.get().points
