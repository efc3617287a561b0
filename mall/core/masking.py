"""Masking of personal data (脱敏) for people without ``members.view_member_pii``."""

from __future__ import annotations

PII_PERMISSION = "members.view_member_pii"


def mask_phone(phone: str | None) -> str:
    if not phone:
        return ""
    if len(phone) >= 7:
        return f"{phone[:3]}****{phone[-4:]}"
    return "*" * len(phone)


def mask_name(name: str | None) -> str:
    if not name:
        return ""
    if len(name) == 1:
        return "*"
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(number: str | None) -> str:
    if not number:
        return ""
    if len(number) <= 8:
        return "*" * len(number)
    return f"{number[:4]}{'*' * (len(number) - 8)}{number[-4:]}"


def mask_address(detail: str | None) -> str:
    if not detail:
        return ""
    keep = min(6, max(1, len(detail) // 3))
    return detail[:keep] + "****"


def can_view_pii(user) -> bool:
    return bool(user and getattr(user, "is_active", False) and user.has_perm(PII_PERMISSION))


# --- the reveal policy: one per request / export / admin page ---------------------------

MASKERS = {
    "phone": mask_phone,
    "name": mask_name,
    "id_number": mask_id_number,
    "address": mask_address,
}


class PiiPolicy:
    """Decide for one reader whether personal data is shown, and audit what was shown.

    ``value(obj, field, raw, kind)`` returns ``raw`` for a reader holding the PII
    permission (and remembers the record) or the masked value otherwise.
    :meth:`flush` writes one ``pii.reveal`` audit entry per model listing the records
    and fields shown (who, which records, why — the reason the reader gave, e.g. the
    ``X-PII-Reason`` header or ``?reason=``). Call it once the output is produced.
    """

    def __init__(self, user, *, reason: str = "", permission: str = PII_PERMISSION):
        self.user = user
        self.reason = (reason or "").strip()[:500]
        self.permission = permission
        self.reveal = bool(
            user is not None and getattr(user, "is_active", False) and user.has_perm(permission)
        )
        self._revealed: dict[str, dict[str, set]] = {}
        self._announced = False

    def value(self, obj, field: str, raw, kind: str = "phone"):
        if raw in (None, ""):
            return raw
        if not self.reveal:
            return MASKERS[kind](str(raw))
        if self._announced:
            return raw  # recorded up front by announce()
        label = obj._meta.label_lower if hasattr(obj, "_meta") else type(obj).__name__
        entry = self._revealed.setdefault(label, {"records": set(), "fields": set()})
        entry["records"].add(str(getattr(obj, "pk", "")))
        entry["fields"].add(field)
        return raw

    @property
    def revealed(self) -> dict[str, dict[str, set]]:
        return self._revealed

    def announce(self, *, object_type: str, records, fields, context: str = "") -> bool:
        """Audit a reveal *before* it happens (a streamed export: the entry must exist
        before the first byte leaves, and a failure to write it must stop the export).

        Writes one ``pii.reveal`` entry for ``records`` and ``fields`` if this reader
        sees plaintext and there is anything to show; later :meth:`value` calls
        record nothing more. Returns whether an entry was written.
        """
        fields = sorted(set(fields))
        if not self.reveal or not fields:
            return False
        self._revealed = {
            object_type: {"records": {str(pk) for pk in records}, "fields": set(fields)}
        }
        written = self.flush(context=context) > 0
        self._announced = True
        return written

    def flush(self, *, context: str = "") -> int:
        """Audit what was revealed since the last flush; return the number of entries."""
        if not self._revealed:
            return 0
        from django.db import transaction

        from .audit import audit

        count = 0
        with transaction.atomic():
            for label, entry in sorted(self._revealed.items()):
                records = sorted(entry["records"], key=lambda pk: (len(pk), pk))
                audit(
                    actor=self.user,
                    action="pii.reveal",
                    object_type=label,
                    object_id=records[0] if len(records) == 1 else "",
                    data={
                        "records": records,
                        "fields": sorted(entry["fields"]),
                        "reason": self.reason,
                        "context": context,
                    },
                )
                count += 1
        self._revealed = {}
        return count


def pii_reason_from_request(request) -> str:
    """The reason a reader gave for seeing personal data (header or query parameter)."""
    if request is None:
        return ""
    header = request.headers.get("X-PII-Reason", "") if hasattr(request, "headers") else ""
    params = getattr(request, "query_params", None) or getattr(request, "GET", {})
    return header or params.get("pii_reason", "")
