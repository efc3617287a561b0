"""Showing members' personal data to staff: masked unless permitted, every reveal audited.

:class:`PiiPolicy` is made once per request (or export, or admin page): ``value()``
returns the plaintext to a reader holding ``members.view_member_pii`` and remembers
what was shown, or the masked value (``138****0001``) to anyone else; ``flush()``
writes one ``pii.reveal`` audit entry per model listing the records and fields shown
and the reason the reader gave (``X-PII-Reason`` header or ``?pii_reason=``).
"""

from __future__ import annotations

from django.db import transaction

from mall.core import masking
from mall.core.audit import audit

MASKERS = {
    "phone": masking.mask_phone,
    "name": masking.mask_name,
    "id_number": masking.mask_id_number,
    "address": masking.mask_address,
}


def mask(kind: str, raw: str) -> str:
    return MASKERS[kind](raw) if raw else raw


class PiiPolicy:
    def __init__(self, user, *, reason: str = "") -> None:
        self.user = user
        self.reason = (reason or "").strip()[:500]
        self.reveal = masking.can_view_pii(user)
        self._revealed: dict[str, dict[str, set]] = {}

    def value(self, obj, field: str, raw, kind: str = "phone"):
        if raw in (None, ""):
            return raw
        if not self.reveal:
            return mask(kind, str(raw))
        label = obj._meta.label_lower
        entry = self._revealed.setdefault(label, {"records": set(), "fields": set()})
        entry["records"].add(str(obj.pk))
        entry["fields"].add(field)
        return raw

    def flush(self, *, context: str = "") -> int:
        """Audit what was revealed since the last flush; return the entries written."""
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


def reason_from_request(request) -> str:
    header = request.headers.get("X-PII-Reason", "")
    params = getattr(request, "query_params", None) or request.GET
    return header or params.get("pii_reason", "")
