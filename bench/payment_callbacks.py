"""Verified sandbox payment callbacks through gunicorn on PostgreSQL.

Run from the project root::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mall .venv/bin/python bench/payment_callbacks.py

It creates (once) and migrates a scratch database (``mall_bench_callbacks`` by
default) on the server of ``DATABASE_URL``, places ``sum(--senders) × --requests``
unpaid orders (in-process: ``order_place`` then ``payment_start`` on the sandbox
channel, one transaction each), starts gunicorn (``--gunicorn-workers`` processes) on
that database with the sandbox channel on (``PAYMENT_SANDBOX_SECRET``), and for each
sender count of ``--senders`` (1, 8) runs in the same run:

* **callbacks**: every sender posts ``--requests`` correctly signed sandbox
  notifications (``POST /api/v1/payments/notify/sandbox/``), each paying a distinct
  order: the callback record (encrypted body), the HMAC verification, the health
  sample, ``payment_apply`` under the order and transaction row locks, the order's
  ``pending_payment → paid → pending_review``, its clocks, timeline and audit entries;
* **rejected** (the receipt floor, same endpoint, same senders): as many callbacks with
  a wrong signature — record, verification, sample, 401, nothing applied.

Beside them, in the same process and run, the **bare signature verification** of the
same bodies: HMAC-SHA256 (the sandbox's scheme), the sandbox gateway's whole
``parse_notify`` (verify + parse), and RSA-SHA256 with a 2048-bit key (PKCS#1 v1.5, as
WeChat Pay v3 and Alipay sign) for comparison. It prints p50/p95 latency and rate, and
checks the outcome: every callback answered 200 ``{"code": "SUCCESS"}``, every order
paid exactly once (one ``payment.paid`` and one ``order.pay`` audit entry each, status
``pending_review``), every rejected one 401, no 5xx.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.order_place import (  # noqa: E402 - after the path is set
    ADDRESS,
    _bench_database_url,
    _ensure_database,
    _fixture,
    _setup_django,
    _start_gunicorn,
)

NOTIFY_PATH = "/api/v1/payments/notify/sandbox/"


def _post(url: str, body: bytes, signature: str) -> tuple[int, float, bytes]:
    request = urllib.request.Request(  # noqa: S310 - http://127.0.0.1
        url,
        data=body,
        headers={"Content-Type": "application/json", "X-Sandbox-Signature": signature},
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310 - our URL
            content = answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        content = error.read()
        status = error.code
    return status, time.perf_counter() - started, content


def _run(senders: int, requests: int, call) -> dict:
    """``senders`` threads each making ``requests`` calls; latency and throughput."""
    latencies: list[float] = []
    statuses: list[int] = []
    bodies: list[bytes] = []
    lock = threading.Lock()
    barrier = threading.Barrier(senders + 1)

    def sender(number: int) -> None:
        barrier.wait()
        for index in range(requests):
            status, seconds, content = call(number, index)
            with lock:
                latencies.append(seconds)
                statuses.append(status)
                bodies.append(content)

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(senders)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "per_second": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 1),
        "p95_ms": round(ordered[max(0, int(len(ordered) * 0.95) - 1)] * 1000, 1),
        "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "answers": {b.decode()[:60]: bodies.count(b) for b in set(bodies)},
    }


def _rate(work, items: list, seconds: float = 1.0) -> dict:
    """Run ``work(item)`` over ``items`` again and again for ``seconds``: ops/s, µs/op."""
    done = 0
    started = time.perf_counter()
    while time.perf_counter() - started < seconds:
        for item in items:
            work(item)
        done += len(items)
    elapsed = time.perf_counter() - started
    return {"per_second": round(done / elapsed), "us_per_op": round(elapsed / done * 1e6, 1)}


def _verification_rates(secret: str, bodies: list[bytes]) -> dict:
    import hashlib
    import hmac

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    from payments.gateways.sandbox import SIGNATURE_HEADER, SandboxGateway, sandbox_sign

    signed = [(body, sandbox_sign(secret, body)) for body in bodies]

    def hmac_verify(item) -> None:
        body, signature = item
        expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature):
            raise AssertionError("HMAC mismatch")

    gateway = SandboxGateway({"secret": secret})

    def parse(item) -> None:
        body, signature = item
        gateway.parse_notify(headers={SIGNATURE_HEADER: signature}, body=body)

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = key.public_key()
    rsa_signed = [(body, key.sign(body, padding.PKCS1v15(), hashes.SHA256())) for body in bodies]

    def rsa_verify(item) -> None:
        body, signature = item
        public.verify(signature, body, padding.PKCS1v15(), hashes.SHA256())

    return {
        "hmac_sha256_verify": _rate(hmac_verify, signed),
        "sandbox_parse_notify": _rate(parse, signed),
        "rsa2048_sha256_verify": _rate(rsa_verify, rsa_signed),
    }


def _orders(count: int, members: int) -> list[tuple[str, str, str]]:
    """``count`` unpaid orders, each with its sandbox transaction:
    (order_no, transaction_no, amount)."""
    from django.db import connection

    from members.models import Member
    from orders.services.placement import order_place
    from payments.services.transactions import payment_start

    sku, _warehouse, _tokens = _fixture(count + 10, members)
    buyers = list(Member.objects.order_by("-id")[:members])
    placed = []
    for number in range(count):
        member = buyers[number % len(buyers)]
        order = order_place(actor=member, address=ADDRESS, lines=[{"sku": sku.code, "quantity": 1}])
        answer = payment_start(actor=member, order=order, channel="sandbox")
        placed.append((order.order_no, answer["transaction_no"], answer["amount"]))
    connection.close()
    return placed


def _body(transaction_no: str, amount: str) -> bytes:
    from django.utils import timezone

    return json.dumps(
        {
            "transaction_no": transaction_no,
            "channel_trade_no": f"SBXB{secrets.token_hex(8).upper()}",
            "amount": amount,
            "status": "SUCCESS",
            "paid_at": timezone.now().isoformat(),
            "nonce": secrets.token_hex(8),
        }
    ).encode()


def _check(placed: list[tuple[str, str, str]]) -> dict:
    from django.db.models import Count

    from ops.models import AuditEntry
    from orders.models import Order
    from payments.models import CallbackRecord, PaymentTransaction

    order_nos = [order_no for order_no, _t, _a in placed]
    numbers = [number for _o, number, _a in placed]
    orders = Order.objects.filter(order_no__in=order_nos)
    txns = PaymentTransaction.objects.filter(transaction_no__in=numbers)
    order_ids = [str(pk) for pk in orders.values_list("pk", flat=True)]
    txn_ids = [str(pk) for pk in txns.values_list("pk", flat=True)]

    def once(action: str, ids: list[str]) -> bool:
        counts = (
            AuditEntry.objects.filter(action=action, object_id__in=ids)
            .values("object_id")
            .annotate(n=Count("id"))
        )
        return len(counts) == len(ids) and all(row["n"] == 1 for row in counts)

    return {
        "orders_pending_review": orders.filter(status=Order.Status.PENDING_REVIEW).count(),
        "transactions_paid": txns.filter(status=PaymentTransaction.Status.PAID).count(),
        "paid_audit_once": once("payment.paid", txn_ids),
        "order_pay_audit_once": once("order.pay", order_ids),
        "records_applied": CallbackRecord.objects.filter(
            transaction__in=txns, outcome="applied", verified=True
        ).count(),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--senders", default="1,8", help="concurrent senders (default 1,8)")
    parser.add_argument("--requests", type=int, default=40, help="callbacks per sender (40)")
    parser.add_argument("--gunicorn-workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--port", type=int, default=8793)
    parser.add_argument("--database", default="mall_bench_callbacks", help="scratch database")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args()
    counts = [int(c) for c in args.senders.split(",") if c.strip()]

    secret = os.environ.setdefault("PAYMENT_SANDBOX_SECRET", "bench-sandbox-secret")
    # Every sender is 127.0.0.1: lift the per-IP callback throttle (3000/min in
    # production) so the bench measures the callbacks, not the throttle.
    os.environ.setdefault("THROTTLE_PAYMENT_NOTIFY", "1000000/min")
    base_url = os.environ.get("DATABASE_URL", "")
    database_url = _bench_database_url(base_url, args.database)
    _ensure_database(base_url, args.database)
    _setup_django(database_url)

    total = sum(counts) * args.requests
    placed = _orders(total, max(counts))
    bodies = [_body(number, amount) for _o, number, amount in placed]
    verification = _verification_rates(secret, bodies)

    server = _start_gunicorn(database_url, args.port, args.gunicorn_workers)
    # Rejected callbacks are logged (a warning each): drain gunicorn's stderr pipe, or its
    # workers block writing to a full pipe.
    log_tail: list[str] = []

    def drain() -> None:
        for line in server.stderr:
            log_tail.append(line.decode(errors="replace"))
            del log_tail[:-50]

    threading.Thread(target=drain, daemon=True).start()
    url = f"http://127.0.0.1:{args.port}{NOTIFY_PATH}"
    rows = []
    offset = 0
    try:
        from payments.gateways.sandbox import sandbox_sign

        _post(url, b"{}", "0" * 64)  # warm up
        for senders in counts:
            mine = bodies[offset : offset + senders * args.requests]
            offset += senders * args.requests

            def pay(number: int, index: int, mine=mine) -> tuple[int, float, bytes]:
                body = mine[number * args.requests + index]
                return _post(url, body, sandbox_sign(secret, body))

            def forged(number: int, index: int, mine=mine) -> tuple[int, float, bytes]:
                return _post(url, mine[number * args.requests + index], "0" * 64)

            rejected = _run(senders, args.requests, forged)
            callbacks = _run(senders, args.requests, pay)
            rows.append(
                {
                    "senders": senders,
                    "callbacks": callbacks,
                    "rejected": rejected,
                    "ratio_p95": round(callbacks["p95_ms"] / rejected["p95_ms"], 2),
                    "ratio_rate": round(callbacks["per_second"] / rejected["per_second"], 3),
                }
            )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

    outcome = _check(placed)
    errors = sum(
        count
        for row in rows
        for part in ("callbacks", "rejected")
        for status, count in row[part]["statuses"].items()
        if int(status) >= 500
    )
    answered_ok = sum(row["callbacks"]["statuses"].get("200", 0) for row in rows)
    rejected_ok = sum(row["rejected"]["statuses"].get("401", 0) for row in rows)
    ok = (
        answered_ok == total
        and rejected_ok == total
        and not errors
        and outcome["orders_pending_review"] == total
        and outcome["transactions_paid"] == total
        and outcome["records_applied"] == total
        and outcome["paid_audit_once"]
        and outcome["order_pay_audit_once"]
    )
    figures = {
        "gunicorn_workers": args.gunicorn_workers,
        "requests_per_sender": args.requests,
        "rows": rows,
        "verification": verification,
        "outcome": outcome,
        "server_errors": errors,
        "ok": ok,
    }
    if args.json:
        print(json.dumps(figures, indent=2, ensure_ascii=False))
    else:
        print(
            f"sandbox callbacks via gunicorn ({args.gunicorn_workers} workers), "
            f"{args.requests} callbacks per sender, each paying a distinct order"
        )
        print("  senders | paid p50 / p95 ms | callbacks/s | 401 p50 / p95 ms | 401/s | p95 ×")
        for row in rows:
            c, r = row["callbacks"], row["rejected"]
            print(
                f"  {row['senders']:>7} | {c['p50_ms']:>7} / {c['p95_ms']:<8} | "
                f"{c['per_second']:>11} | {r['p50_ms']:>6} / {r['p95_ms']:<8} | "
                f"{r['per_second']:>5} | {row['ratio_p95']}"
            )
        print("  bare verification of the same bodies (one thread, in-process):")
        for name, rate in verification.items():
            print(f"    {name:<24} {rate['per_second']:>9}/s  {rate['us_per_op']:>8} µs")
        print(
            f"  answered 200: {answered_ok} of {total}; 401: {rejected_ok} of {total}; "
            f"5xx {errors}; {outcome}"
        )
        print("  result: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
