"""A fake sandbox payment server for the tests: ``http.server`` in a thread.

Speaks the sandbox server protocol of ``payments.gateways.sandbox`` (signed JSON
answers, ``X-Sandbox-Signature``):

* ``GET /trades/{no}`` → the trade (``status``, ``amount``, ``channel_trade_no``,
  ``paid_at``), 404 when it does not know it;
* ``POST /trades/{no}/close`` → closes an unpaid trade (409 when it is paid; a trade
  in ``paid_before_close`` is paid by its payer just before the close arrives).

``down = True`` answers 503 to everything (a channel outage); ``requests`` lists what
was asked, ``(method, path)``.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from payments.gateways.sandbox import SIGNATURE_HEADER, sandbox_sign


class SandboxServer:
    def __init__(self, secret: str):
        self.secret = secret
        self.trades: dict[str, dict] = {}
        self.requests: list[tuple[str, str]] = []
        self.down = False
        # Trades the payer pays just before our close arrives (the close then fails).
        self.paid_before_close: set[str] = set()
        self._lock = threading.Lock()
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def pay(self, transaction_no: str, amount: str, *, trade_no: str = "", paid_at: str = ""):
        """The payer paid at the channel (its notification may be lost)."""
        with self._lock:
            self.trades[transaction_no] = {
                "status": "SUCCESS",
                "amount": amount,
                "channel_trade_no": trade_no or f"SBXQ{transaction_no}",
                "paid_at": paid_at or "2026-11-28T10:00:00+08:00",
            }

    def open(self, transaction_no: str, amount: str) -> None:
        """The payer opened the trade but has not paid."""
        with self._lock:
            self.trades[transaction_no] = {"status": "NOTPAY", "amount": amount}

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                return

            def _answer(self, status: int, data: dict | None = None) -> None:
                body = json.dumps(data or {}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.send_header(SIGNATURE_HEADER, sandbox_sign(server.secret, body))
                self.end_headers()
                self.wfile.write(body)

            def _route(self, method: str) -> None:
                with server._lock:
                    server.requests.append((method, self.path))
                    if server.down:
                        self._answer(503, {"error": "down"})
                        return
                    parts = self.path.strip("/").split("/")
                    if len(parts) < 2 or parts[0] != "trades":
                        self._answer(404)
                        return
                    trade = server.trades.get(parts[1])
                    if method == "GET" and len(parts) == 2:
                        if trade is None:
                            self._answer(404, {"error": "ORDER_NOT_EXIST"})
                        else:
                            self._answer(200, trade)
                        return
                    if method == "POST" and parts[2:] == ["close"]:
                        if parts[1] in server.paid_before_close and trade is not None:
                            trade.update(
                                status="SUCCESS",
                                channel_trade_no=f"SBXQ{parts[1]}",
                                paid_at="2026-11-28T10:00:00+08:00",
                            )
                        if trade is not None and trade["status"] == "SUCCESS":
                            self._answer(409, {"error": "ORDER_PAID"})
                            return
                        server.trades[parts[1]] = {"status": "CLOSED", **(trade or {})}
                        server.trades[parts[1]]["status"] = "CLOSED"
                        self._answer(200, {"status": "CLOSED"})
                        return
                    self._answer(404)

            def do_GET(self) -> None:
                self._route("GET")

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self._route("POST")

        return Handler
