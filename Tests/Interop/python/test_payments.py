"""Government payments over grpcio: a sector agency records a payment on the mutual-TLS port;
a demo account signs in, searches its payments page by page, reads its balance, and consumes
an export stream (CSV and JSON Lines).

Runs against the `demo_daemon` fixture (conftest.py): `etimadd demo` seeds accounts, demo
payments and the Ministry of Interior sector agencies with their certificates. The payments
stubs are generated here from Protos/ (conftest generates the identity and type stubs).

Run: ETIMAD_BIN=/path/to/etimadd pytest Tests/Interop/python/test_payments.py
"""

from __future__ import annotations

import csv
import io
import json
import re
import time
import unicodedata
import uuid
from pathlib import Path

import grpc
import pytest
from google.protobuf import timestamp_pb2


from etimad.identity.v1 import identity_service_pb2 as identity_pb2  # noqa: E402
from etimad.identity.v1 import identity_service_pb2_grpc as identity_pb2_grpc  # noqa: E402
from etimad.payments.v1 import payment_service_pb2 as payments_pb2  # noqa: E402
from etimad.payments.v1 import payment_service_pb2_grpc as payments_pb2_grpc  # noqa: E402
from etimad.type.v1 import money_pb2, person_id_pb2  # noqa: E402

RPC_TIMEOUT_S = 10
SECTOR_AGENCY = "MOI-PASSPORTS"
SMS_LINE = re.compile(r"^\S+ to=(?P<to>\S+) ")
SMS_CODE = re.compile(r": (\d{6})\.")


def _request_id() -> str:
    return str(uuid.uuid4())


def _digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if unicodedata.digit(c, None) is not None)


def _await_code(sms_log: Path, lines_before: int, masked_mobile: str) -> str:
    last = _digits(masked_mobile)[-4:]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        text = sms_log.read_text(encoding="utf-8") if sms_log.exists() else ""
        for line in text.split("\n")[:-1][lines_before:]:
            match = SMS_LINE.match(line)
            if match and _digits(match["to"]).endswith(last):
                return SMS_CODE.search(line)[1]
        time.sleep(0.05)
    pytest.fail(f"no SMS to {masked_mobile}")


@pytest.fixture(scope="module")
def signed_in(demo_daemon):
    """(payments stub on the public port, bearer metadata, the account's ID number)."""
    number = demo_daemon.accounts[-1]
    credentials = grpc.ssl_channel_credentials(root_certificates=demo_daemon.daemon.ca_pem)
    with grpc.secure_channel(f"localhost:{demo_daemon.daemon.public_port}", credentials) as channel:
        identity = identity_pb2_grpc.IdentityServiceStub(channel)
        before = len(demo_daemon.sms_log.read_text(encoding="utf-8").split("\n")[:-1]) \
            if demo_daemon.sms_log.exists() else 0
        started = identity.StartLogin(identity_pb2.StartLoginRequest(
            request_id=_request_id(), person_id=person_id_pb2.PersonId(number=number),
            password=demo_daemon.password), timeout=RPC_TIMEOUT_S)
        code = _await_code(demo_daemon.sms_log, before, started.challenge.masked_mobile)
        verified = identity.VerifyLogin(identity_pb2.VerifyLoginRequest(
            request_id=_request_id(), ticket=started.challenge.ticket, code=code), timeout=RPC_TIMEOUT_S)
        yield payments_pb2_grpc.GovernmentPaymentServiceStub(channel), \
            [("authorization", f"Bearer {verified.access_token}")], number


@pytest.fixture(scope="module")
def sector(demo_daemon):
    """The payments service on the agency port with the passports sector's certificate."""
    certificate, key = demo_daemon.agency_certificate(SECTOR_AGENCY)
    credentials = grpc.ssl_channel_credentials(root_certificates=(demo_daemon.data_dir / "tls" / "ca.pem").read_bytes(),
                                               private_key=key, certificate_chain=certificate)
    with grpc.secure_channel(f"localhost:{demo_daemon.daemon.agency_port}", credentials) as channel:
        yield payments_pb2_grpc.GovernmentPaymentServiceStub(channel), [("x-etimad-employee", "emp-py")]


def _search_all(stub, metadata, **filter_fields):
    payments, token = [], ""
    while True:
        page = stub.SearchPayments(payments_pb2.SearchPaymentsRequest(
            filter=payments_pb2.PaymentFilter(**filter_fields), page_size=3, page_token=token),
            metadata=metadata, timeout=RPC_TIMEOUT_S)
        payments += page.payments
        token = page.next_page_token
        if not token:
            return payments


def test_sector_records_and_individual_searches_pages(signed_in, sector):
    stub, bearer, number = signed_in
    agency, employee = sector
    paid = timestamp_pb2.Timestamp()
    paid.FromSeconds(int(time.time()) - 120)
    recorded = agency.RecordPayment(payments_pb2.RecordPaymentRequest(
        request_id=_request_id(), sector_code="PASSPORTS", service_code="EXIT_REENTRY",
        beneficiary=person_id_pb2.PersonId(number=number), customer_number="7000000001",
        sadad_reference=f"PY-{uuid.uuid4().hex[:10]}", amount=money_pb2.Money(currency_code="SAR", amount_halalas=20000),
        paid_time=paid), metadata=employee, timeout=RPC_TIMEOUT_S).payment
    assert recorded.state == payments_pb2.PAYMENT_STATE_PAID

    everything = _search_all(stub, bearer)
    assert recorded.payment_id in [p.payment_id for p in everything]
    assert all(p.beneficiary.number == number for p in everything)
    times = [(p.paid_time.seconds, int(p.payment_id)) for p in everything]
    assert times == sorted(times, reverse=True), "newest first"
    passports = _search_all(stub, bearer, sector_code="PASSPORTS")
    assert {p.sector_code for p in passports} == {"PASSPORTS"}


def test_balance_adds_up(signed_in):
    stub, bearer, _ = signed_in
    balance = stub.GetBalance(payments_pb2.GetBalanceRequest(), metadata=bearer, timeout=RPC_TIMEOUT_S)
    assert balance.payment_count > 0
    for part in [balance.total] + [s.balance for s in balance.sectors]:
        parts = [part.available, part.refundable, part.refund_pending, part.consumed, part.refunded]
        assert sum(m.amount_halalas for m in parts) == part.paid.amount_halalas
    assert sum(s.balance.paid.amount_halalas for s in balance.sectors) == balance.total.paid.amount_halalas


def test_export_stream_matches_search(signed_in):
    stub, bearer, _ = signed_in
    searched = _search_all(stub, bearer)
    stream = stub.ExportPayments(payments_pb2.ExportPaymentsRequest(format=payments_pb2.EXPORT_FORMAT_CSV),
                                 metadata=bearer, timeout=RPC_TIMEOUT_S)
    chunks = list(stream)
    assert chunks[0].expected_rows == len(searched)
    data = b"".join(c.data for c in chunks)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert [r["payment_id"] for r in rows] == [p.payment_id for p in searched]
    assert [int(r["amount_halalas"]) for r in rows] == [p.amount.amount_halalas for p in searched]
    assert all(r["amount_sar"] == f"{int(r['amount_halalas']) // 100}.{int(r['amount_halalas']) % 100:02d}"
               for r in rows)

    lines = b"".join(c.data for c in stub.ExportPayments(
        payments_pb2.ExportPaymentsRequest(format=payments_pb2.EXPORT_FORMAT_JSON_LINES, arabic_headers=True),
        metadata=bearer, timeout=RPC_TIMEOUT_S)).decode("utf-8").splitlines()
    objects = [json.loads(line) for line in lines]
    assert [o["payment_id"] for o in objects] == [p.payment_id for p in searched]
    assert [o["service_name"] for o in objects] == [p.service_name.ar for p in searched]


def test_reversed_period_is_invalid_argument(signed_in):
    stub, bearer, _ = signed_in
    later, earlier = timestamp_pb2.Timestamp(seconds=2_000_000_000), timestamp_pb2.Timestamp(seconds=1_000_000_000)
    with pytest.raises(grpc.RpcError) as raised:
        stub.SearchPayments(payments_pb2.SearchPaymentsRequest(
            filter=payments_pb2.PaymentFilter(paid_from=later, paid_to=earlier)), metadata=bearer,
            timeout=RPC_TIMEOUT_S)
    assert raised.value.code() == grpc.StatusCode.INVALID_ARGUMENT
