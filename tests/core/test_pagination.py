import pytest

from mall.core.models import JobRun


@pytest.fixture
def runs(db):
    JobRun.objects.bulk_create(JobRun(name=f"job{i}", status="succeeded") for i in range(5))


@pytest.mark.parametrize("bad", ["0", "-1", "201", "abc", "null", ""])
def test_a_page_size_outside_1_to_200_is_a_400(rf, runs, bad):
    from rest_framework.request import Request

    from mall.core.pagination import DefaultCursorPagination

    request = Request(rf.get("/api/v1/x/", {"page_size": bad}))
    with pytest.raises(Exception) as caught:
        DefaultCursorPagination().paginate_queryset(JobRun.objects.all(), request)
    assert caught.value.get_codes() == {"page_size": ["invalid"]}


def test_pages_follow_the_cursor_in_the_documented_shape(rf, runs):
    from rest_framework.request import Request

    from mall.core.pagination import DefaultCursorPagination

    paginator = DefaultCursorPagination()
    page = paginator.paginate_queryset(
        JobRun.objects.all(), Request(rf.get("/x/", {"page_size": "2"}))
    )
    response = paginator.get_paginated_response([run.name for run in page])

    assert response.data["results"] == ["job4", "job3"]
    assert response.data["previous"] is None
    assert "cursor=" in response.data["next"]


def _next_cursor(rf) -> str:
    from urllib.parse import parse_qs, urlsplit

    from rest_framework.request import Request

    from mall.core.pagination import DefaultCursorPagination

    paginator = DefaultCursorPagination()
    paginator.paginate_queryset(JobRun.objects.all(), Request(rf.get("/x/", {"page_size": "2"})))
    link = paginator.get_paginated_response([]).data["next"]
    return parse_qs(urlsplit(link).query)["cursor"][0]


def test_the_next_cursor_leads_to_the_next_page(rf, runs):
    from rest_framework.request import Request

    from mall.core.pagination import DefaultCursorPagination

    cursor = _next_cursor(rf)
    page = DefaultCursorPagination().paginate_queryset(
        JobRun.objects.all(), Request(rf.get("/x/", {"page_size": "2", "cursor": cursor}))
    )
    assert [run.name for run in page] == ["job2", "job1"]


def _forgeries(genuine: str) -> list[str]:
    from base64 import b64encode

    value, _sep, signature = genuine.rpartition(":")
    made_up = b64encode(b"p=99999999999999999999999").decode()
    return [
        "not-a-cursor",
        "%%%",
        made_up,  # an unsigned cursor of the client's making (DRF's own format)
        f"{made_up}:{signature}",  # another position under a genuine signature
        f"{value}:{signature[:-2]}xx",  # a tampered signature
        genuine[:-1],  # truncated
        "\x00",
    ]


def test_a_forged_or_undecodable_cursor_is_a_400(rf, runs):
    from rest_framework.exceptions import ValidationError
    from rest_framework.request import Request

    from mall.core.pagination import DefaultCursorPagination

    for forged in _forgeries(_next_cursor(rf)):
        request = Request(rf.get("/x/", {"cursor": forged}))
        with pytest.raises(ValidationError) as caught:
            DefaultCursorPagination().paginate_queryset(JobRun.objects.all(), request)
        assert caught.value.get_codes() == {"cursor": ["invalid"]}, forged
