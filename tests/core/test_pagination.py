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
