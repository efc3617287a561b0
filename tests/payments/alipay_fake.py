"""A local fake of Alipay's open platform gateway (tests only).

An ``http.server`` in a thread speaking the protocol: form-encoded requests signed with
the application's key (verified here with its public key, RSA2), JSON answers
``{"<method>_response": {...}, "sign": "…"}`` signed with the fake's own "Alipay" key
over the raw node text, trades and refunds kept in memory, a bill download URL.
``pay()`` / ``notification()`` build the signed form notifications Alipay sends.
Keys are generated here with ``cryptography``.
"""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from payments.gateways.alipay import rsa2_sign, rsa2_verify, sign_content

APP_ID = "2021000000000001"
SELLER_ID = "2088000000000001"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def bare_base64(pem: str) -> str:
    """The key as Alipay's key tool shows it: base64 without PEM lines."""
    return "".join(line for line in pem.splitlines() if not line.startswith("-----"))


class FakeAlipay:
    def __init__(self, *, app_key: rsa.RSAPrivateKey | None = None):
        self.app_key = app_key or new_key()  # the merchant application's key (ours)
        self.alipay_key = new_key()  # the platform's key (answers, notifications)
        self.trades: dict[str, dict] = {}
        self.requests: list[dict] = []  # every verified request's params
        self.bills: dict[str, bytes] = {}
        self.fail_status: int | None = None  # answer every request with this HTTP status
        self.bad_answer_sign = False
        self._lock = threading.Lock()
        self._counter = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    # --- lifecycle ----------------------------------------------------------------------

    def start(self) -> FakeAlipay:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def gateway_url(self) -> str:
        return f"{self.base_url}/gateway.do"

    def config(self, **extra) -> dict:
        return {
            "app_id": APP_ID,
            "seller_id": SELLER_ID,
            "private_key": private_pem(self.app_key),
            "alipay_public_key": public_pem(self.alipay_key),
            "gateway_url": self.gateway_url,
            "timeout_seconds": 5,
            **extra,
        }

    # --- the merchant side of the story ---------------------------------------------------

    def _trade_no(self) -> str:
        with self._lock:
            self._counter += 1
            return f"2026112822001400{self._counter:010d}"

    def open_trade(self, out_trade_no: str, total_amount: str) -> dict:
        """The payer opened the cashier: Alipay now knows the trade (WAIT_BUYER_PAY)."""
        trade = self.trades.get(out_trade_no)
        if trade is None:
            trade = {
                "out_trade_no": out_trade_no,
                "trade_no": self._trade_no(),
                "total_amount": total_amount,
                "trade_status": "WAIT_BUYER_PAY",
                "refunds": {},
                "buyer_id": "2088102177846880",
            }
            self.trades[out_trade_no] = trade
        return trade

    def pay(self, out_trade_no: str, total_amount: str = "100.00", **overrides) -> bytes:
        """The payer pays: the trade is TRADE_SUCCESS; answers the signed notification."""
        trade = self.open_trade(out_trade_no, total_amount)
        trade["trade_status"] = "TRADE_SUCCESS"
        trade["gmt_payment"] = "2026-11-28 20:01:02"
        return self.notification(trade, **overrides)

    def notification(self, trade: dict, *, key=None, **overrides) -> bytes:
        fields = {
            "notify_time": "2026-11-28 20:01:03",
            "notify_type": "trade_status_sync",
            "notify_id": f"ac05099524730693a8b330c5ecf72da{self._counter}",
            "charset": "utf-8",
            "version": "1.0",
            "sign_type": "RSA2",
            "app_id": APP_ID,
            "seller_id": SELLER_ID,
            "trade_no": trade["trade_no"],
            "out_trade_no": trade["out_trade_no"],
            "buyer_id": trade["buyer_id"],
            "buyer_logon_id": "159****5620",
            "trade_status": trade["trade_status"],
            "total_amount": trade["total_amount"],
            "receipt_amount": trade["total_amount"],
            "buyer_pay_amount": trade["total_amount"],
            "gmt_create": "2026-11-28 20:00:40",
            "gmt_payment": trade.get("gmt_payment", ""),
            "subject": "测试商品",
        }
        fields.update(overrides)
        return self.signed_form(fields, key=key)

    def signed_form(self, fields: dict, *, key=None) -> bytes:
        """The form Alipay posts: signed over the bytes of its declared charset."""
        fields = {k: v for k, v in fields.items() if v is not None}
        charset = "gbk" if str(fields.get("charset", "")).lower() in ("gbk", "gb2312") else "utf-8"
        text = sign_content(fields, exclude=("sign", "sign_type"))
        signature = (key or self.alipay_key).sign(
            text.encode(charset), padding.PKCS1v15(), hashes.SHA256()
        )
        fields["sign"] = base64.b64encode(signature).decode("ascii")
        return urllib.parse.urlencode(fields, encoding=charset).encode("ascii")

    # --- the server -------------------------------------------------------------------------

    def _answer(self, method: str, node: dict) -> bytes:
        name = method.replace(".", "_") + "_response"
        # Spaces after separators on purpose: the sign covers the raw text as sent.
        node_text = json.dumps(node, ensure_ascii=False, separators=(", ", ": "))
        signature = rsa2_sign(self.alipay_key, node_text)
        if self.bad_answer_sign:
            signature = rsa2_sign(new_key(), node_text)
        return f'{{"{name}": {node_text}, "sign": "{signature}"}}'.encode()

    def handle(self, method: str, biz: dict) -> dict:
        ok = {"code": "10000", "msg": "Success"}
        not_exist = {
            "code": "40004",
            "msg": "Business Failed",
            "sub_code": "ACQ.TRADE_NOT_EXIST",
            "sub_msg": "交易不存在",
        }
        number = biz.get("out_trade_no", "")
        trade = self.trades.get(number)
        if method == "alipay.trade.precreate":
            trade = self.open_trade(number, biz["total_amount"])
            return {**ok, "out_trade_no": number, "qr_code": f"https://qr.alipay.com/{number}"}
        if method == "alipay.trade.create":
            if not biz.get("buyer_id"):
                return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "ACQ.BUYER_ID"}
            trade = self.open_trade(number, biz["total_amount"])
            trade["buyer_id"] = biz["buyer_id"]
            return {**ok, "out_trade_no": number, "trade_no": trade["trade_no"]}
        if method == "alipay.trade.query":
            if trade is None:
                return not_exist
            answer = {
                **ok,
                "trade_no": trade["trade_no"],
                "out_trade_no": number,
                "buyer_logon_id": "159****5620",
                "trade_status": trade["trade_status"],
                "total_amount": trade["total_amount"],
                "buyer_pay_amount": trade["total_amount"]
                if trade["trade_status"] == "TRADE_SUCCESS"
                else "0.00",
                "buyer_user_id": trade["buyer_id"],
            }
            if trade.get("gmt_payment"):
                answer["send_pay_date"] = trade["gmt_payment"]
            return answer
        if method == "alipay.trade.close":
            if trade is None:
                return not_exist
            if trade["trade_status"] != "WAIT_BUYER_PAY":
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_STATUS_ERROR",
                    "sub_msg": "交易状态不合法",
                }
            trade["trade_status"] = "TRADE_CLOSED"
            return {**ok, "trade_no": trade["trade_no"], "out_trade_no": number}
        if method == "alipay.trade.refund":
            if trade is None:
                return not_exist
            if trade["trade_status"] not in ("TRADE_SUCCESS", "TRADE_FINISHED"):
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "ACQ.TRADE_STATUS_ERROR",
                }
            request_no = biz.get("out_request_no") or number
            refunds = trade["refunds"]
            amount = Decimal(biz["refund_amount"])
            change = "N"
            if request_no not in refunds:
                done = sum((Decimal(v) for v in refunds.values()), Decimal("0"))
                if done + amount > Decimal(trade["total_amount"]):
                    return {
                        "code": "40004",
                        "msg": "Business Failed",
                        "sub_code": "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL",
                        "sub_msg": "退款金额超限",
                    }
                refunds[request_no] = biz["refund_amount"]
                change = "Y"
            total = sum((Decimal(v) for v in refunds.values()), Decimal("0"))
            return {
                **ok,
                "trade_no": trade["trade_no"],
                "out_trade_no": number,
                "buyer_logon_id": "159****5620",
                "fund_change": change,
                "refund_fee": f"{total:.2f}",
                "gmt_refund_pay": "2026-11-28 21:00:00",
            }
        if method == "alipay.trade.fastpay.refund.query":
            if trade is None:
                return not_exist
            request_no = biz.get("out_request_no")
            if request_no not in trade["refunds"]:
                return {**ok}
            return {
                **ok,
                "trade_no": trade["trade_no"],
                "out_trade_no": number,
                "out_request_no": request_no,
                "total_amount": trade["total_amount"],
                "refund_amount": trade["refunds"][request_no],
                "refund_status": "REFUND_SUCCESS",
                "gmt_refund_pay": "2026-11-28 21:00:00",
            }
        if method == "alipay.data.dataservice.bill.downloadurl.query":
            day = biz.get("bill_date", "")
            if day not in self.bills:
                return {
                    "code": "40004",
                    "msg": "Business Failed",
                    "sub_code": "isp.bill_not_exist",
                    "sub_msg": "账单不存在",
                }
            return {**ok, "bill_download_url": f"{self.base_url}/bills/{day}.csv.zip"}
        return {"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-method"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # quiet tests
                return None

            def _send(self, status: int, body: bytes, content_type: str) -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self):  # the bill file
                if fake.fail_status:
                    return self._send(fake.fail_status, b"down", "text/plain")
                day = self.path.rsplit("/", 1)[-1].removesuffix(".csv.zip")
                if day not in fake.bills:
                    return self._send(404, b"not found", "text/plain")
                return self._send(200, fake.bills[day], "application/zip")

            def do_POST(self):
                if fake.fail_status:
                    return self._send(fake.fail_status, b"<html>bad gateway</html>", "text/html")
                length = int(self.headers.get("Content-Length") or 0)
                params = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
                method = params.get("method", "")
                text = sign_content(params, exclude=("sign",))
                if params.get("app_id") != APP_ID or not rsa2_verify(
                    [fake.app_key.public_key()], text, params.get("sign", "")
                ):
                    body = json.dumps(
                        {
                            "error_response": {
                                "code": "40002",
                                "msg": "Invalid Arguments",
                                "sub_code": "isv.invalid-signature",
                                "sub_msg": "验签出错",
                            }
                        },
                        ensure_ascii=False,
                    ).encode()
                    return self._send(200, body, "application/json;charset=utf-8")
                fake.requests.append(params)
                biz = json.loads(params.get("biz_content") or "{}")
                node = fake.handle(method, biz)
                return self._send(200, fake._answer(method, node), "application/json;charset=utf-8")

        return Handler
