"""The debts service over grpcio: an agency on mutual TLS registers a debt (created and
submitted by one employee, approved by another), the debtor signs in, finds it among their
debts and pays part of it (a PAYMENT change request the agency approves); a SADAD payment
notification settles more, and one above the balance is refused with the balance in ErrorInfo.

Runs against the `demo_daemon` fixture (conftest.py). The debts stubs are generated here, into
the session's stub directory, so that conftest's list of protos stays as it is.

Run: ETIMAD_BIN=/path/to/etimadd pytest Tests/Interop/python/test_debts.py
"""

from __future__ import annotations

import time
import uuid

import grpc
import pytest

import conftest

from etimad.debts.v1 import debt_pb2  # noqa: E402
from etimad.debts.v1 import debt_service_pb2 as debts_pb2  # noqa: E402
from etimad.debts.v1 import debt_service_pb2_grpc as debts_pb2_grpc  # noqa: E402
from etimad.identity.v1 import identity_service_pb2 as identity_pb2  # noqa: E402
from etimad.identity.v1 import identity_service_pb2_grpc as identity_pb2_grpc  # noqa: E402
from etimad.type.v1 import calendar_date_pb2, money_pb2, person_id_pb2  # noqa: E402

RPC_TIMEOUT_S = 10
SMS_TIMEOUT_S = 5
AGENCY = "MOF"


def _request_id() -> str:
    return str(uuid.uuid4())


def _sar(halalas: int) -> money_pb2.Money:
    return money_pb2.Money(currency_code="SAR", amount_halalas=halalas)


def _employee(name: str) -> list[tuple[str, str]]:
    return [("x-etimad-employee", name)]


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]



def _sms_lines(demo) -> list[str]:
    try:
        return demo.sms_log.read_text(encoding="utf-8", errors="replace").split("\n")[:-1]
    except FileNotFoundError:
        return []


def _log_in(identity, demo, number: str) -> str:
    """Signs in with the ID, the demo password and the code sent by SMS; returns the token."""
    before = len(_sms_lines(demo))
    challenge = identity.StartLogin(
        identity_pb2.StartLoginRequest(request_id=_request_id(),
                                       person_id=person_id_pb2.PersonId(number=number),
                                       password=demo.password),
        timeout=RPC_TIMEOUT_S).challenge
    last_four = "".join(c for c in challenge.masked_mobile if c.isdigit())[-4:]
    deadline = time.monotonic() + SMS_TIMEOUT_S
    code = None
    while code is None:
        for line in _sms_lines(demo)[before:]:
            to = line.split(" to=", 1)[-1].split(" ", 1)[0]
            if to.endswith(last_four) and ": " in line:
                digits = line.split(": ", 1)[1][:6]
                if digits.isdigit():
                    code = digits
        if code is None:
            assert time.monotonic() < deadline, f"no SMS to {challenge.masked_mobile}"
            time.sleep(0.05)
    verified = identity.VerifyLogin(
        identity_pb2.VerifyLoginRequest(request_id=_request_id(), ticket=challenge.ticket, code=code),
        timeout=RPC_TIMEOUT_S)
    assert verified.access_token
    return verified.access_token


@pytest.fixture(scope="module")
def demo(demo_daemon):
    return demo_daemon


@pytest.fixture(scope="module")
def agency_debts(demo):
    """DebtService on the agency port with the MOF client certificate (mutual TLS)."""
    certificate, key = demo.agency_certificate(AGENCY)
    credentials = grpc.ssl_channel_credentials(root_certificates=demo.daemon.ca_pem, private_key=key,
                                               certificate_chain=certificate)
    with grpc.secure_channel(f"localhost:{demo.daemon.agency_port}", credentials) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield debts_pb2_grpc.DebtServiceStub(channel)


@pytest.fixture(scope="module")
def public_channel_demo(demo):
    credentials = grpc.ssl_channel_credentials(root_certificates=demo.daemon.ca_pem)
    with grpc.secure_channel(f"localhost:{demo.daemon.public_port}", credentials) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel


def test_agency_registers_and_debtor_pays_part(demo, agency_debts, public_channel_demo):
    debtor_id = demo.accounts[1]
    maker, checker = _employee("py-maker"), _employee("py-checker")

    # Given a debt the agency creates and submits (employee py-maker)
    created = agency_debts.CreateDebt(debts_pb2.CreateDebtRequest(
        request_id=_request_id(),
        debt=debt_pb2.DebtDetails(
            debtor_id=person_id_pb2.PersonId(number=debtor_id), debtor_name="مدين تجريبي",
            category=debt_pb2.DEBT_CATEGORY_FEE, reason="رسوم خدمة غير مسددة", amount=_sar(150_000),
            due_date=calendar_date_pb2.CalendarDate(year=2027, month=1, day=31),
            sadad_bill_number="9988776655")),
        metadata=maker, timeout=RPC_TIMEOUT_S).debt
    assert created.state == debt_pb2.DEBT_STATE_DRAFT, created
    submitted = agency_debts.SubmitDebt(
        debts_pb2.SubmitDebtRequest(request_id=_request_id(), debt_id=created.id),
        metadata=maker, timeout=RPC_TIMEOUT_S).debt
    assert submitted.state == debt_pb2.DEBT_STATE_UNDER_REVIEW

    # The same employee cannot approve it (four eyes); another one does
    with pytest.raises(grpc.RpcError) as refused:
        agency_debts.ApproveDebt(debts_pb2.ApproveDebtRequest(request_id=_request_id(), debt_id=created.id),
                                 metadata=maker, timeout=RPC_TIMEOUT_S)
    assert refused.value.code() == grpc.StatusCode.PERMISSION_DENIED
    assert conftest.error_info(refused.value).reason == "SAME_EMPLOYEE"
    approved = agency_debts.ApproveDebt(
        debts_pb2.ApproveDebtRequest(request_id=_request_id(), debt_id=created.id),
        metadata=checker, timeout=RPC_TIMEOUT_S).debt
    assert approved.state == debt_pb2.DEBT_STATE_OUTSTANDING
    assert approved.approved_by == "py-checker"

    # When the debtor signs in, the debt is among theirs
    identity = identity_pb2_grpc.IdentityServiceStub(public_channel_demo)
    debts = debts_pb2_grpc.DebtServiceStub(public_channel_demo)
    token = _log_in(identity, demo, debtor_id)
    mine = debts.ListMyDebts(debts_pb2.ListMyDebtsRequest(page_size=100), metadata=_bearer(token),
                             timeout=RPC_TIMEOUT_S).debts
    listed = [debt for debt in mine if debt.id == created.id]
    assert len(listed) == 1, [debt.id for debt in mine]
    assert listed[0].balance.amount_halalas == 150_000
    assert listed[0].created_by == ""  # the agency's employees are not shown to the debtor

    # And pays part of it: a PAYMENT change request the agency approves
    request = debts.CreateChangeRequest(debts_pb2.CreateChangeRequestRequest(
        request_id=_request_id(), debt_id=created.id, kind=debt_pb2.CHANGE_REQUEST_KIND_PAYMENT,
        amount=_sar(40_000), payment_reference="BANK-778", reason="دفعت جزءًا عبر البنك"),
        metadata=_bearer(token), timeout=RPC_TIMEOUT_S)
    assert request.change_request.state == debt_pb2.REQUEST_STATE_PENDING
    assert request.debt.under_review
    decided = agency_debts.ApproveChangeRequest(debts_pb2.ApproveChangeRequestRequest(
        request_id=_request_id(), change_request_id=request.change_request.id),
        metadata=checker, timeout=RPC_TIMEOUT_S)
    assert decided.movement.kind == debt_pb2.MOVEMENT_KIND_PAYMENT
    assert decided.debt.balance.amount_halalas == 110_000

    # A SADAD notification settles more; one above the balance is refused whole, with the balance
    agency_debts.RecordPayment(debts_pb2.RecordPaymentRequest(
        request_id=_request_id(), debt_id=created.id, amount=_sar(10_000), sadad_reference="PY0001"),
        metadata=maker, timeout=RPC_TIMEOUT_S)
    with pytest.raises(grpc.RpcError) as over:
        agency_debts.RecordPayment(debts_pb2.RecordPaymentRequest(
            request_id=_request_id(), debt_id=created.id, amount=_sar(100_001), sadad_reference="PY0002"),
            metadata=maker, timeout=RPC_TIMEOUT_S)
    assert over.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    info = conftest.error_info(over.value)
    assert info.reason == "AMOUNT_EXCEEDS_BALANCE"
    assert info.metadata["balance_halalas"] == "100000"

    # Then the debtor sees the payments and what is left
    debt = debts.GetDebt(debts_pb2.GetDebtRequest(debt_id=created.id), metadata=_bearer(token),
                         timeout=RPC_TIMEOUT_S).debt
    assert debt.state == debt_pb2.DEBT_STATE_OUTSTANDING
    assert debt.paid_amount.amount_halalas == 50_000
    assert debt.balance.amount_halalas == 100_000
    assert not debt.under_review
    movements = debts.ListDebtMovements(debts_pb2.ListDebtMovementsRequest(debt_id=created.id),
                                        metadata=_bearer(token), timeout=RPC_TIMEOUT_S).movements
    assert [m.balance_after.amount_halalas for m in movements] == [110_000, 100_000]


def test_debtor_cannot_see_anothers_debt(demo, agency_debts, public_channel_demo):
    # Given the demo's debts of the first account, read by the agency that registered them
    identity = identity_pb2_grpc.IdentityServiceStub(public_channel_demo)
    debts = debts_pb2_grpc.DebtServiceStub(public_channel_demo)
    owner = demo.accounts[2]
    token = _log_in(identity, demo, owner)
    theirs = debts.ListMyDebts(debts_pb2.ListMyDebtsRequest(), metadata=_bearer(token),
                               timeout=RPC_TIMEOUT_S).debts
    assert theirs, "the demo seeds debts for every account"
    # The demo shows the debtor every state they can see, a plan and pending requests
    assert {debt.state for debt in theirs} == {debt_pb2.DEBT_STATE_OUTSTANDING, debt_pb2.DEBT_STATE_PAID,
                                               debt_pb2.DEBT_STATE_CANCELLED}, theirs
    assert any(debt.plan_state == debt_pb2.INSTALMENT_PLAN_STATE_ACTIVE for debt in theirs), theirs
    assert any(debt.under_review for debt in theirs), theirs
    # and the agency's drafts and debts under review stay hidden from them
    assert all(debt.state not in (debt_pb2.DEBT_STATE_DRAFT, debt_pb2.DEBT_STATE_UNDER_REVIEW) for debt in theirs)
    other = _log_in(identity, demo, demo.accounts[3])
    # When another individual asks for one of them, it does not exist for them
    with pytest.raises(grpc.RpcError) as hidden:
        debts.GetDebt(debts_pb2.GetDebtRequest(debt_id=theirs[0].id), metadata=_bearer(other),
                      timeout=RPC_TIMEOUT_S)
    assert hidden.value.code() == grpc.StatusCode.NOT_FOUND
