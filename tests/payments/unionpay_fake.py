"""A local fake of the UnionPay online gateway 5.1.0 (tests only).

An ``http.server`` in a thread: form-encoded requests signed with the merchant's key
(verified here against the merchant certificate, ``certId`` = its serial), answers in
UnionPay's raw ``k=v&…`` form signed by a "UnionPay" signing certificate that chains to
a root and an intermediate CA generated here with ``cryptography``; orders in memory;
``pay()`` / ``notification()`` build the form notifications UnionPay posts to backUrl.
"""

from __future__ import annotations

import base64
import threading
import urllib.parse
import zlib
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from payments.gateways.unionpay import sign_text, unionpay_sign

MER_ID = "777290058110048"
UNIONPAY_CN = "041@Z12345678@中国银联股份有限公司@00000001"


def new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def make_cert(
    common_name: str,
    key: rsa.RSAPrivateKey,
    *,
    issuer: x509.Certificate | None = None,
    issuer_key: rsa.RSAPrivateKey | None = None,
    ca: bool = False,
    days_valid: tuple[int, int] = (-1, 365),
) -> x509.Certificate:
    now = datetime.now(UTC)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer.subject if issuer is not None else name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now + timedelta(days=days_valid[0]))
        .not_valid_after(now + timedelta(days=days_valid[1]))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    return builder.sign(issuer_key or key, hashes.SHA256())


def pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def key_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


class CertChain:
    """Root CA → intermediate CA → a signing certificate (UnionPay's, or a forger's)."""

    def __init__(self, root_name: str = "CFCA TEST ROOT"):
        self.root_key = new_key()
        self.root = make_cert(root_name, self.root_key, ca=True, days_valid=(-10, 3650))
        self.middle_key = new_key()
        self.middle = make_cert(
            "CFCA TEST OCA1", self.middle_key, issuer=self.root, issuer_key=self.root_key, ca=True
        )

    def signing(self, *, cn: str = UNIONPAY_CN, days_valid=(-1, 365)):
        key = new_key()
        cert = make_cert(
            cn, key, issuer=self.middle, issuer_key=self.middle_key, days_valid=days_valid
        )
        return key, cert


class FakeUnionPay:
    def __init__(self):
        self.chain = CertChain()
        self.sign_key, self.sign_cert = self.chain.signing()
        self.merchant_key = new_key()
        self.merchant_cert = make_cert("merchant " + MER_ID, self.merchant_key)
        self.orders: dict[str, dict] = {}  # orderId → order (consumes and refunds)
        self.requests: list[dict] = []
        self.files: dict[str, bytes] = {}  # settleDate MMDD → zip bytes
        self.fail_status: int | None = None
        self._lock = threading.Lock()
        self._counter = 0
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self) -> FakeUnionPay:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def config(self, **extra) -> dict:
        return {
            "mer_id": MER_ID,
            "merchant_cert": pem(self.merchant_cert),
            "merchant_key": key_pem(self.merchant_key),
            "root_cert": pem(self.chain.root),
            "middle_cert": pem(self.chain.middle),
            "gateway_url": self.base_url,
            "file_url": f"{self.base_url}/file/",
            "front_url": "https://mall.example.com/pay/done",
            "timeout_seconds": 5,
            **extra,
        }

    # --- messages --------------------------------------------------------------------------

    def _query_id(self) -> str:
        with self._lock:
            self._counter += 1
            return f"6826112820010{self._counter:08d}"

    def signed(self, fields: dict, *, key=None, cert=None) -> dict:
        fields = {k: v for k, v in fields.items() if v is not None}
        fields["signMethod"] = "01"
        fields["signPubKeyCert"] = pem(cert or self.sign_cert)
        fields["signature"] = unionpay_sign(key or self.sign_key, fields)
        return fields

    def verifies_merchant(self, fields: dict) -> bool:
        if fields.get("certId") != str(self.merchant_cert.serial_number):
            return False
        import hashlib

        digest = hashlib.sha256(sign_text(fields).encode()).hexdigest().encode()
        try:
            self.merchant_cert.public_key().verify(
                base64.b64decode(fields.get("signature", "")),
                digest,
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
        except (InvalidSignature, ValueError):
            return False
        return True

    def open_order(self, order_id: str, txn_amt: str, txn_time: str) -> dict:
        order = self.orders.get(order_id)
        if order is None:
            order = {
                "orderId": order_id,
                "txnTime": txn_time,
                "txnAmt": txn_amt,
                "txnType": "01",
                "queryId": self._query_id(),
                "origRespCode": "05",  # waiting for the payer
            }
            self.orders[order_id] = order
        return order

    def pay(self, order_id: str, txn_amt: str = "10000", *, resp_code="00", **overrides) -> bytes:
        """The card holder pays: answers the signed back notification (form body)."""
        txn_time = overrides.pop("txnTime", None) or f"{order_id[2:10]}000000"
        order = self.open_order(order_id, txn_amt, txn_time)
        order["origRespCode"] = resp_code
        return self.notification(order, respCode=resp_code, **overrides)

    def notification(self, order: dict, *, key=None, cert=None, **overrides) -> bytes:
        fields = {
            "version": "5.1.0",
            "encoding": "UTF-8",
            "bizType": "000201",
            "txnType": order["txnType"],
            "txnSubType": "01" if order["txnType"] == "01" else "00",
            "accessType": "0",
            "merId": MER_ID,
            "orderId": order["orderId"],
            "txnTime": order["txnTime"],
            "txnAmt": order["txnAmt"],
            "currencyCode": "156",
            "queryId": order["queryId"],
            "respCode": "00",
            "respMsg": "成功[0000000]",
            "settleAmt": order["txnAmt"],
            "settleCurrencyCode": "156",
            "settleDate": order["txnTime"][4:8],
            "traceNo": "123456",
            "traceTime": order["txnTime"][4:14],
            "accNo": "6216***********0018",
            "payCardType": "01",
        }
        if order.get("origQryId"):
            fields["origQryId"] = order["origQryId"]
        fields.update(overrides)
        return urllib.parse.urlencode(self.signed(fields, key=key, cert=cert)).encode("ascii")

    # --- the server ----------------------------------------------------------------------------

    def handle(self, path: str, fields: dict) -> dict:
        base = {
            "version": "5.1.0",
            "encoding": "UTF-8",
            "merId": MER_ID,
            "accessType": "0",
            "txnType": fields.get("txnType", ""),
            "txnSubType": fields.get("txnSubType", ""),
            "bizType": fields.get("bizType", ""),
            "orderId": fields.get("orderId", ""),
            "txnTime": fields.get("txnTime", ""),
        }
        if path.endswith("appTransReq.do"):
            order = self.open_order(fields["orderId"], fields["txnAmt"], fields["txnTime"])
            return {**base, "respCode": "00", "respMsg": "成功", "tn": f"TN{order['queryId']}"}
        if path.endswith("queryTrans.do"):
            order = self.orders.get(fields["orderId"])
            if order is None or order["txnTime"] != fields["txnTime"]:
                return {**base, "respCode": "34", "respMsg": "查无此交易"}
            return {
                **base,
                "respCode": "00",
                "respMsg": "成功",
                "txnType": order["txnType"],
                "txnAmt": order["txnAmt"],
                "queryId": order["queryId"],
                "origRespCode": order["origRespCode"],
                "origRespMsg": "成功" if order["origRespCode"] == "00" else "处理中",
                "accNo": "6216***********0018",
            }
        if path.endswith("backTransReq.do"):
            original = next(
                (o for o in self.orders.values() if o["queryId"] == fields.get("origQryId")), None
            )
            if original is None or original["origRespCode"] != "00":
                return {**base, "respCode": "35", "respMsg": "原交易不存在或状态不正确"}
            refunded = sum(
                int(o["txnAmt"])
                for o in self.orders.values()
                if o.get("origQryId") == original["queryId"]
            )
            if fields["orderId"] not in self.orders:
                if refunded + int(fields["txnAmt"]) > int(original["txnAmt"]):
                    return {**base, "respCode": "12", "respMsg": "退货金额超限"}
                self.orders[fields["orderId"]] = {
                    "orderId": fields["orderId"],
                    "txnTime": fields["txnTime"],
                    "txnAmt": fields["txnAmt"],
                    "txnType": "04",
                    "queryId": self._query_id(),
                    "origQryId": original["queryId"],
                    "origRespCode": "00",
                }
            refund = self.orders[fields["orderId"]]
            return {**base, "respCode": "00", "respMsg": "成功", "queryId": refund["queryId"]}
        if path.startswith("/file"):
            content = self.files.get(fields.get("settleDate", ""))
            if content is None:
                return {**base, "respCode": "98", "respMsg": "文件不存在"}
            return {
                **base,
                "respCode": "00",
                "respMsg": "成功",
                "fileName": f"INN{fields['settleDate']}_{MER_ID}.zip",
                "fileContent": base64.b64encode(zlib.compress(content)).decode(),
            }
        return {**base, "respCode": "10", "respMsg": "报文格式错误"}

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return None

            def _send(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "text/plain;charset=UTF-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self):
                if fake.fail_status:
                    return self._send(fake.fail_status, b"unavailable")
                length = int(self.headers.get("Content-Length") or 0)
                fields = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode("utf-8")))
                if fields.get("merId") != MER_ID or not fake.verifies_merchant(fields):
                    # UnionPay answers a signature failure unsigned.
                    return self._send(200, "respCode=11&respMsg=验证签名失败".encode())
                fake.requests.append({"path": self.path, **fields})
                answer = fake.signed(fake.handle(self.path, fields))
                # Raw k=v&… (values not percent-encoded), as UnionPay answers.
                text = "&".join(f"{k}={v}" for k, v in answer.items())
                return self._send(200, text.encode("utf-8"))

        return Handler
