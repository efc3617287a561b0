"""The monthly access review."""

from __future__ import annotations

from datetime import date

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit

from .. import permissions as perms
from ..exceptions import (
    RequestNotPending,
)
from ..models import (
    Role,
    RoleAssignment,
)
from ._base import (
    User,
    _require,
)


def _effective_permissions(user) -> list[str]:
    if user.is_superuser:
        return ["*"]
    return sorted(user.get_all_permissions())


@transaction.atomic
def access_review_generate(*, actor, period: date | None = None):
    """Produce the access review of ``period``'s month (default: this month); idempotent.

    One line per staff account (active or not, superusers included): department,
    roles with their expiry, effective permissions, data scope and object grants.
    Running it again for a month returns the existing review unchanged.
    """
    from ..models import AccessReview, AccessReviewLine
    from ..scoping import object_grants_describe, scope_describe

    _require(actor, perms.ADD_ACCESS_REVIEW)
    period = (period or timezone.localdate()).replace(day=1)
    review, created = AccessReview.objects.get_or_create(
        period=period, defaults={"created_by": actor if actor and actor.pk else None}
    )
    if not created:
        return review
    users = (
        User.objects.filter(Q(is_staff=True) | Q(is_superuser=True))
        .select_related("staff_profile__department")
        .order_by("username")
    )
    lines = []
    for user in users:
        profile = getattr(user, "staff_profile", None)
        roles = [
            {
                "code": a.role.code,
                "name": a.role.name,
                "expires_at": a.expires_at.isoformat() if a.expires_at else None,
                "source": a.source,
            }
            for a in RoleAssignment.objects.filter(user=user).select_related("role")
        ]
        held = {r["code"] for r in roles}
        roles += [
            {"code": role.code, "name": role.name, "expires_at": None, "source": "department"}
            for role in Role.objects.filter(group__user=user).exclude(code__in=held)
        ]
        lines.append(
            AccessReviewLine(
                review=review,
                user=user,
                username=user.get_username(),
                department=profile.department.name if profile and profile.department else "",
                roles=roles,
                permissions=_effective_permissions(user),
                scope=scope_describe(user),
                object_grants=object_grants_describe(user),
                is_superuser=user.is_superuser,
            )
        )
    AccessReviewLine.objects.bulk_create(lines)
    audit(
        actor=actor,
        action="rbac.access_review_generate",
        target=review,
        data={"period": period, "lines": len(lines)},
    )
    return review


@transaction.atomic
def access_review_sign_off(*, actor, review):
    """Record who signed the review off; a review is signed once."""
    from ..models import AccessReview

    _require(actor, perms.SIGN_OFF_ACCESS_REVIEW)
    review = AccessReview.objects.select_for_update().get(pk=review.pk)
    if review.signed_off_at is not None:
        raise RequestNotPending(_("The review has already been signed off."))
    review.signed_off_by = actor
    review.signed_off_at = timezone.now()
    review.save(update_fields=["signed_off_by", "signed_off_at"])
    audit(actor=actor, action="rbac.access_review_sign_off", target=review)
    return review
