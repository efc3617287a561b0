"""Status labels in lists (``mall.core.admin.status_display``) and the list's count label."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.contrib import admin
from django.template.loader import get_template
from django.utils import translation
from unfold.utils import display_for_label

from mall.core.admin import ScopedModelAdmin, status_display
from mall.core.models import FileJob

COLUMN = status_display(
    "status",
    {FileJob.Status.SUCCEEDED: "success", FileJob.Status.FAILED: "danger"},
)


def _render(column, obj) -> str:
    value = column(obj)
    return display_for_label(value, "-", column.label)


def test_a_status_shows_its_translated_label_in_its_colour_never_its_code():
    with translation.override("zh-hans"):
        html = _render(COLUMN, FileJob(status=FileJob.Status.FAILED))
        label = str(FileJob.Status.FAILED.label)
    assert label in html and "失败" in html
    assert "bg-red-100" in html  # danger
    assert ">failed<" not in html.replace(" ", "").replace("\n", "")


def test_a_status_without_a_colour_is_a_grey_label_with_its_text():
    with translation.override("zh-hans"):
        html = _render(COLUMN, FileJob(status=FileJob.Status.QUEUED))
        label = str(FileJob.Status.QUEUED.label)
    assert label in html
    assert "queued" not in html
    assert "bg-base-500/8" in html  # the theme's neutral label


def test_the_column_is_titled_by_the_field_and_sorts_by_it():
    class JobAdmin(ScopedModelAdmin):
        job_status = status_display("status", {FileJob.Status.RUNNING: "info"})
        list_display = ["name", "job_status"]

    model_admin = JobAdmin(FileJob, admin.site)
    column = model_admin.job_status
    with translation.override("zh-hans"):
        assert str(column.short_description) == str(FileJob._meta.get_field("status").verbose_name)
    assert column.admin_order_field == "status"
    # As a method the column is called with (self, obj).
    assert column(FileJob(status=FileJob.Status.RUNNING))[0] == "running"


def test_an_unknown_colour_is_refused_when_the_admin_is_written():
    with pytest.raises(ValueError, match="unknown status colour"):
        status_display("status", {"failed": "red"})


def test_the_list_count_shows_the_estimate_label_of_big_tables():
    template = get_template("unfold/helpers/pagination_default.html")
    assert Path(template.origin.name).is_relative_to(Path(settings.BASE_DIR) / "templates")
    opts = FileJob._meta

    def page(count_label: str) -> str:
        cl = SimpleNamespace(
            paginator=SimpleNamespace(count_label=count_label), result_count=7, opts=opts
        )
        return template.render({"cl": cl, "pagination_required": False})

    assert "约 1,000,000" in page("约 1,000,000")
    assert "7" in page("") and "约" not in page("")
