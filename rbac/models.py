"""RBAC: sales regions and provinces (more models come with the RBAC issue)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SalesRegion(models.Model):
    """A sales region (大区): east 华东, north 华北, … — a data-scope unit."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=50)
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("sales region")
        verbose_name_plural = _("sales regions")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name


class ProvinceQuerySet(models.QuerySet):
    def resolve(self, name: str) -> Province | None:
        """Find a province by short name (上海) or full name (上海市)."""
        name = (name or "").strip()
        if not name:
            return None
        return self.filter(models.Q(name=name) | models.Q(full_name=name)).first()


class Province(models.Model):
    """A provincial-level division (GB/T 2260 code) and the sales region it belongs to."""

    code = models.CharField(_("code"), max_length=2, unique=True)
    name = models.CharField(_("name"), max_length=20, unique=True)
    full_name = models.CharField(_("full name"), max_length=40, unique=True)
    region = models.ForeignKey(
        SalesRegion,
        verbose_name=_("sales region"),
        on_delete=models.PROTECT,
        related_name="provinces",
    )

    objects = ProvinceQuerySet.as_manager()

    class Meta:
        verbose_name = _("province")
        verbose_name_plural = _("provinces")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name
