"""Virtual goods codes (卡密, seed 003): issue, reveal (audited), redeem, write off, void.

One ``VirtualCode`` per unit of a virtual line, issued when the order ships (or at
approval when ``orders.virtual_auto_ship`` is on — within the 24 h ship clock). The
code is random (``secrets``), stored encrypted (``VirtualCode.code``) with a keyed
lookup hash (``members.crypto.lookup_hash(code, purpose="virtual_code")``) to find
it at redemption. Screens show it masked; ``virtual_code_reveal`` (needs
``orders.reveal_virtual_code``) returns the plaintext and writes the audit entry
``virtual_code.reveal`` (also for "copy"). Statuses: 待兑换 ``issued`` → 已兑换
``redeemed`` → 待核销 ``pending_write_off`` → 已核销 ``written_off``; a refund voids
the codes not yet redeemed.
"""

from __future__ import annotations

import secrets

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mall.core.audit import audit
from mall.core.transitions import transition
from members.crypto import lookup_hash

from .. import permissions as perms
from ..exceptions import InvalidOrderInput, OrderNotFound, OrderStateConflict
from ..models import Order, VirtualCode
from ..selectors import virtual_code_list
from .review import _require

V = VirtualCode.Status
ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud on the phone
CODE_LENGTH = 16
HASH_PURPOSE = "virtual_code"


def _new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _i in range(CODE_LENGTH))
    return "-".join(raw[i : i + 4] for i in range(0, CODE_LENGTH, 4))


def virtual_code_masked(*, actor, code: VirtualCode) -> str:
    """The code as screens show it: first and last group only (``ABCD-****-****-WXYZ``)."""
    plain = code.code
    if len(plain) < 8:
        return "*" * len(plain)
    return f"{plain[:4]}-****-****-{plain[-4:]}"


def virtual_codes_issue(*, actor, order: Order) -> list[VirtualCode]:
    """Issue the missing codes of ``order``'s virtual lines (one per unit); idempotent.

    Runs inside the shipping or approving service's transaction (the order is
    locked there). One audit entry ``virtual_code.issue`` per order with the count.
    """
    issued: list[VirtualCode] = []
    for line in order.lines.filter(is_virtual=True).order_by("id"):
        have = VirtualCode.objects.filter(line=line).count()
        for _unit in range(max(0, line.quantity - line.refunded_quantity - have)):
            for _attempt in range(5):
                plain = _new_code()
                code = VirtualCode(
                    line=line,
                    order=order,
                    code_hash=lookup_hash(plain, purpose=HASH_PURPOSE),
                )
                code.code = plain
                try:
                    with transaction.atomic():
                        code.save(force_insert=True)
                except IntegrityError:  # a hash collision: draw again
                    continue
                issued.append(code)
                break
    if issued:
        audit(
            actor=actor,
            action="virtual_code.issue",
            target=order,
            data={"count": len(issued), "codes": [c.pk for c in issued]},
        )
    return issued


def _code_for(actor, code) -> VirtualCode:
    """A code ``actor`` may see (scoped), locked; by instance or id."""
    pk = getattr(code, "pk", code)
    found = virtual_code_list(actor=actor).select_for_update(of=("self",)).filter(pk=pk).first()
    if found is None:
        raise OrderNotFound()
    return found


@transaction.atomic
def virtual_code_reveal(*, actor, code: VirtualCode, purpose: str = "reveal") -> str:
    """Return the plaintext code (``orders.reveal_virtual_code``, in scope); audited.

    ``purpose`` is ``reveal`` (shown on screen) or ``copy`` (copied for the buyer).
    """
    _require(actor, perms.REVEAL_VIRTUAL_CODE)
    if purpose not in ("reveal", "copy"):
        raise InvalidOrderInput(fields={"purpose": [_("Choose reveal or copy.")]})
    found = _code_for(actor, code)
    audit(
        actor=actor,
        action="virtual_code.reveal",
        target=found,
        data={"order_no": found.order.order_no, "purpose": purpose},
    )
    return found.code


def _find_by_text(text: str) -> VirtualCode:
    digest = lookup_hash((text or "").strip().upper(), purpose=HASH_PURPOSE)
    found = (
        VirtualCode.objects.select_for_update().filter(code_hash=digest).first() if digest else None
    )
    if found is None:
        raise OrderNotFound(_("Code not found."))
    return found


@transaction.atomic
def virtual_code_redeem(*, actor, code: str, write_off_later: bool = False) -> VirtualCode:
    """Redeem a code by its text (the redemption partner, or staff with
    ``orders.change_virtualcode``): ``issued → redeemed``; with ``write_off_later`` the
    code then waits for the write-off (``pending_write_off``)."""
    _require(actor, "orders.change_virtualcode")
    found = _find_by_text(code)
    if found.status != V.ISSUED:
        raise OrderStateConflict(
            _("Only a code waiting to be redeemed can be redeemed."),
            extra={"status": found.status},
        )
    now = timezone.now()
    transition(
        found,
        V.REDEEMED,
        actor=actor,
        action="virtual_code.redeem",
        data={"order_no": found.order.order_no},
        redeemed_at=now,
    )
    if write_off_later:
        transition(
            found,
            V.PENDING_WRITE_OFF,
            actor=actor,
            action="virtual_code.redeem",
            data={"order_no": found.order.order_no},
        )
    return found


@transaction.atomic
def virtual_code_write_off(*, actor, code: VirtualCode) -> VirtualCode:
    """Write off a redeemed code (``orders.change_virtualcode``, in scope)."""
    _require(actor, "orders.change_virtualcode")
    found = _code_for(actor, code)
    if found.status not in (V.REDEEMED, V.PENDING_WRITE_OFF):
        raise OrderStateConflict(
            _("Only a redeemed code can be written off."), extra={"status": found.status}
        )
    transition(
        found,
        V.WRITTEN_OFF,
        actor=actor,
        action="virtual_code.write_off",
        data={"order_no": found.order.order_no},
        written_off_at=timezone.now(),
    )
    return found


def virtual_codes_void(*, actor, order: Order, line=None, quantity: int | None = None) -> int:
    """Void the unredeemed codes of ``order`` (or of one ``line``, at most ``quantity``)
    when they are refunded; returns how many. Called inside the refunding service's
    transaction (cancellation, after-sales)."""
    queryset = VirtualCode.objects.select_for_update().filter(order=order, status=V.ISSUED)
    if line is not None:
        queryset = queryset.filter(line=line)
    codes = list(queryset.order_by("-id"))
    if quantity is not None:
        codes = codes[: max(0, int(quantity))]
    for code in codes:
        transition(
            code,
            V.VOIDED,
            actor=actor,
            action="virtual_code.void",
            data={"order_no": order.order_no},
        )
    return len(codes)
