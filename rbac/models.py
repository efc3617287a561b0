"""RBAC: sales regions, departments, staff profiles, roles, grants, requests, reviews."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class ScopeKind(models.TextChoices):
    """A role's data scope (数据范围), DESIGN.md §4."""

    ALL = "all", _("all data")
    DEPARTMENT = "department", _("own department")
    DEPARTMENT_AND_BELOW = "department_and_below", _("own department and below")
    REGIONS = "regions", _("chosen sales regions")
    SELF = "self", _("own rows only")
    GRANTED_OBJECTS = "granted_objects", _("granted objects only")
    NONE = "none", _("no data (function permissions only)")


class Role(models.Model):
    """A named set of function permissions (a Django group) with a data scope."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    group = models.OneToOneField(
        Group, verbose_name=_("permission group"), on_delete=models.PROTECT, related_name="role"
    )
    department = models.ForeignKey(
        "Department",
        verbose_name=_("restricted to department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="restricted_roles",
        help_text=_("Only staff of this department (or its sub-departments) may hold the role."),
    )
    scope_kind = models.CharField(
        _("data scope"), max_length=30, choices=ScopeKind.choices, default=ScopeKind.NONE
    )
    regions = models.ManyToManyField(
        SalesRegion, verbose_name=_("sales regions"), blank=True, related_name="roles"
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["code"]
        permissions = [
            ("assign_role", _("Can assign and revoke roles")),
            ("grant_object_permission", _("Can grant per-object permissions")),
            ("change_user_permissions", _("Can give users extra permissions")),
        ]

    def __str__(self) -> str:
        return self.name  # what people read in lists, filters and dropdowns; the code is for APIs


class Department(models.Model):
    """A department (部门) in the staff tree; ``path`` is the materialised ancestry."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    path = models.CharField(_("tree path"), max_length=255, db_index=True, editable=False)
    head = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("department head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="headed_departments",
    )
    default_roles = models.ManyToManyField(
        Role,
        verbose_name=_("default roles"),
        blank=True,
        related_name="default_for_departments",
        help_text=_("Members of this department hold these roles automatically."),
    )
    sort_order = models.PositiveSmallIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: Department) -> bool:
        """True when this department is ``other`` or below it."""
        return bool(other.path) and self.path.startswith(other.path)


class StaffProfile(models.Model):
    """The HR side of a staff account (员工档案)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="staff_profile",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="members",
    )
    employee_number = models.CharField(_("employee number"), max_length=30, unique=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    joined_on = models.DateField(_("joined on"), null=True, blank=True)
    left_on = models.DateField(_("left on"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    deactivation_reason = models.CharField(_("deactivation reason"), max_length=500, blank=True)
    # The admin's language for this person (中文/English); empty: the browser decides.
    language = models.CharField(
        _("display language"), max_length=10, blank=True, choices=settings.LANGUAGES
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")
        ordering = ["employee_number"]
        permissions = [("deactivate_staff", _("Can deactivate staff who leave"))]

    def __str__(self) -> str:
        return f"{self.employee_number} {self.user.get_username()}"

    @property
    def name(self) -> str:
        """The person's name as staff read it (姓+名, ``mall.core.people``)."""
        from mall.core.people import full_name

        return full_name(self.user.first_name, self.user.last_name)


class RoleAssignment(models.Model):
    """One role held by one user, optionally until ``expires_at``."""

    class Source(models.TextChoices):
        MANUAL = "manual", _("assigned by an administrator")
        REQUEST = "request", _("approved permission request")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="role_assignments",
    )
    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.PROTECT, related_name="assignments"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True, db_index=True)
    source = models.CharField(
        _("source"), max_length=10, choices=Source.choices, default=Source.MANUAL
    )

    class Meta:
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        ordering = ["-granted_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="rbac_assignment_user_role")
        ]

    def __str__(self) -> str:
        return f"{self.user} → {self.role.code}"


class PermissionRequest(models.Model):
    """A staff member asks for a role; granted after two different approvers say yes."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")
        CANCELLED = "cancelled", pgettext_lazy("permission request", "cancelled")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requester"),
        on_delete=models.CASCADE,
        related_name="permission_requests",
    )
    role = models.ForeignKey(
        Role, verbose_name=_("role"), on_delete=models.PROTECT, related_name="requests"
    )
    reason = models.TextField(_("reason"))
    grant_expires_at = models.DateTimeField(_("grant expires at"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    head_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by department head"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    head_approved_at = models.DateTimeField(_("department head approved at"), null=True)
    tech_approver = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("approved by tech lead"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    tech_approved_at = models.DateTimeField(_("tech lead approved at"), null=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejected by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    rejection_reason = models.TextField(_("rejection reason"), blank=True)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True, db_index=True)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("permission request")
        verbose_name_plural = _("permission requests")
        ordering = ["-created_at"]
        permissions = [
            ("approve_permission_request", _("Can approve permission requests as tech lead"))
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.requester} → {self.role.code}"


class AccessReview(models.Model):
    """A monthly access review (权限复核): every grant listed for sign-off."""

    period = models.DateField(_("period (first day of month)"), unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_off_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed off by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    signed_off_at = models.DateTimeField(_("signed off at"), null=True, blank=True)

    class Meta:
        verbose_name = _("access review")
        verbose_name_plural = _("access reviews")
        ordering = ["-period"]
        permissions = [("sign_off_access_review", _("Can sign off access reviews"))]

    def __str__(self) -> str:
        return self.period.strftime("%Y-%m")


class AccessReviewLine(models.Model):
    """One staff account in an access review, as it stood when the review ran."""

    review = models.ForeignKey(
        AccessReview,
        verbose_name=_("access review"),
        on_delete=models.CASCADE,
        related_name="lines",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    username = models.CharField(_("username"), max_length=150)
    department = models.CharField(_("department"), max_length=100, blank=True)
    roles = models.JSONField(_("roles"), default=list)
    permissions = models.JSONField(_("effective permissions"), default=list)
    scope = models.JSONField(_("data scope"), default=list)
    object_grants = models.JSONField(_("object grants"), default=list)
    is_superuser = models.BooleanField(_("superuser"), default=False)

    class Meta:
        verbose_name = _("access review line")
        verbose_name_plural = _("access review lines")
        ordering = ["review", "username"]
        constraints = [
            models.UniqueConstraint(fields=["review", "username"], name="rbac_review_line_user")
        ]

    def __str__(self) -> str:
        return f"{self.review} {self.username}"
