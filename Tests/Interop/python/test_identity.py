"""The identity service over grpcio: individuals sign in with a password and an SMS code,
register against the civil registry, and log out; agencies are known by their client
certificate on the mutual-TLS port and must name the acting employee.

Every test here runs against the `demo_daemon` fixture (conftest.py): `etimadd demo` seeds a
civil registry, agencies with client certificates and accounts, then `etimadd serve` serves
that data directory. One-time codes are read from the data directory's sms.log, where the
daemon's file SMS gateway writes them.

Run: ETIMAD_BIN=/path/to/etimadd pytest Tests/Interop/python
"""

from __future__ import annotations

import re
import time
import unicodedata
import uuid

import grpc
import pytest
from google.rpc import error_details_pb2

import conftest

# Generated at configure time by conftest.py.
from etimad.identity.v1 import identity_service_pb2 as identity_pb2
from etimad.identity.v1 import identity_service_pb2_grpc as identity_pb2_grpc
from etimad.type.v1 import calendar_date_pb2, person_id_pb2

RPC_TIMEOUT_S = 10
SMS_TIMEOUT_S = 5
SMS_LINE = re.compile(r"^\S+ to=(?P<to>\S+) ")
SMS_CODE = re.compile(r": (\d{6})\.")

EMPLOYEE = "emp-42"
AGENCY = "MOF"
# A valid national ID (Luhn check digit right) that no demo account has.
UNKNOWN_NATIONAL_ID = "1012345672"
NEW_PASSWORD = "Qamar2027fajr"

Kind = identity_pb2.WhoAmIResponse.Kind


# --------------------------------------------------------------------------- helpers


def _request_id() -> str:
    return str(uuid.uuid4())


def _person(number: str) -> person_id_pb2.PersonId:
    return person_id_pb2.PersonId(number=number)


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


def _ascii_digits(text: str) -> str:
    """The digits of text, in ASCII (a masked mobile might use Arabic-Indic digits)."""
    return "".join(str(unicodedata.digit(c)) for c in text if unicodedata.digit(c, None) is not None)


def _complete_sms_lines(sms_log) -> list[str]:
    """The lines of sms.log that have been written out completely (ended by a newline)."""
    try:
        text = sms_log.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return []
    return text.split("\n")[:-1]


def _await_code(sms_log, lines_before: int, masked_mobile: str) -> str:
    """The code of the first SMS after line lines_before to the mobile number masked_mobile."""
    last_digits = _ascii_digits(masked_mobile)[-4:]
    assert len(last_digits) == 4, f"masked mobile {masked_mobile!r} shows no last four digits"
    deadline = time.monotonic() + SMS_TIMEOUT_S
    while True:
        for line in _complete_sms_lines(sms_log)[lines_before:]:
            match = SMS_LINE.match(line)
            if match and _ascii_digits(match["to"]).endswith(last_digits):
                code = SMS_CODE.search(line)
                assert code, f"no code in the SMS {line!r}"
                return code[1]
        if time.monotonic() > deadline:
            new_lines = _complete_sms_lines(sms_log)[lines_before:]
            pytest.fail(f"no SMS to {masked_mobile} in {sms_log} within {SMS_TIMEOUT_S} s;"
                        f" new lines: {new_lines!r}")
        time.sleep(0.05)



def _refusal(call, *args, **kwargs) -> tuple[grpc.RpcError, error_details_pb2.ErrorInfo]:
    """Makes a call that must fail; returns the error and its ErrorInfo."""
    with pytest.raises(grpc.RpcError) as raised:
        call(*args, timeout=RPC_TIMEOUT_S, **kwargs)
    return raised.value, conftest.error_info(raised.value)


def _log_in(identity, demo, number: str, password: str) -> identity_pb2.VerifyLoginResponse:
    """Signs in with the ID and password, then the code the daemon sent by SMS."""
    lines_before = len(_complete_sms_lines(demo.sms_log))
    started = identity.StartLogin(
        identity_pb2.StartLoginRequest(request_id=_request_id(), person_id=_person(number),
                                       password=password),
        timeout=RPC_TIMEOUT_S,
    )
    challenge = started.challenge
    assert challenge.ticket, started
    assert challenge.purpose == identity_pb2.TICKET_PURPOSE_LOGIN, started
    code = _await_code(demo.sms_log, lines_before, challenge.masked_mobile)
    verified = identity.VerifyLogin(
        identity_pb2.VerifyLoginRequest(request_id=_request_id(), ticket=challenge.ticket, code=code),
        timeout=RPC_TIMEOUT_S,
    )
    assert verified.access_token, verified
    return verified


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def demo(demo_daemon):
    return demo_daemon


@pytest.fixture(scope="module")
def identity(demo):
    """The identity service on the public port (TLS, trusting the daemon's CA)."""
    credentials = grpc.ssl_channel_credentials(root_certificates=demo.daemon.ca_pem)
    with grpc.secure_channel(f"localhost:{demo.daemon.public_port}", credentials) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield identity_pb2_grpc.IdentityServiceStub(channel)


@pytest.fixture(scope="module")
def agency_identity(demo):
    """The identity service on the agency port, with the MOF client certificate."""
    certificate, key = demo.agency_certificate(AGENCY)
    ca_pem = (demo.data_dir / "tls" / "ca.pem").read_bytes()
    credentials = grpc.ssl_channel_credentials(root_certificates=ca_pem, private_key=key,
                                               certificate_chain=certificate)
    with grpc.secure_channel(f"localhost:{demo.daemon.agency_port}", credentials) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield identity_pb2_grpc.IdentityServiceStub(channel)


def test_demo_output_was_understood(demo):
    # Given the demo's announcement, parsed by the fixture
    # Then it names accounts with a password and persons that may register, all distinct
    assert demo.password and len(demo.accounts) >= 4, demo
    assert demo.unregistered, demo
    numbers = list(demo.accounts) + [person.number for person in demo.unregistered]
    assert len(set(numbers)) == len(numbers), numbers
    assert UNKNOWN_NATIONAL_ID not in numbers


# --------------------------------------------------------------------------- individuals


def test_individual_logs_in_with_password_and_sms_code(identity, demo):
    # Given a registered account
    number = demo.accounts[0]
    # When its owner signs in with the password and the code sent to the mobile on record
    verified = _log_in(identity, demo, number, demo.password)
    # Then the token identifies the individual and the session just opened
    me = identity.WhoAmI(identity_pb2.WhoAmIRequest(), metadata=_bearer(verified.access_token),
                         timeout=RPC_TIMEOUT_S)
    assert me.kind == Kind.KIND_INDIVIDUAL, me
    assert me.account.person_id.number == number, me
    assert me.account.state == identity_pb2.ACCOUNT_STATE_ACTIVE, me
    assert me.session.current, me
    if verified.session.session_id:
        assert me.session.session_id == verified.session.session_id, (me, verified)


def test_new_person_registers_then_logs_in(identity, demo):
    # Given a person in the civil registry without an account
    person = demo.unregistered[0]
    lines_before = len(_complete_sms_lines(demo.sms_log))
    # When they start a registration with their ID, birth date, email and a password
    started = identity.StartRegistration(
        identity_pb2.StartRegistrationRequest(
            request_id=_request_id(),
            person_id=_person(person.number),
            birth_date=calendar_date_pb2.CalendarDate(
                year=person.birth_year, month=person.birth_month, day=person.birth_day),
            email="newcomer@example.sa",
            password=NEW_PASSWORD,
        ),
        timeout=RPC_TIMEOUT_S,
    )
    challenge = started.challenge
    assert challenge.ticket, started
    assert challenge.purpose == identity_pb2.TICKET_PURPOSE_REGISTRATION, started
    # And complete it with the code sent to the mobile on record
    code = _await_code(demo.sms_log, lines_before, challenge.masked_mobile)
    completed = identity.CompleteRegistration(
        identity_pb2.CompleteRegistrationRequest(request_id=_request_id(), ticket=challenge.ticket,
                                                 code=code),
        timeout=RPC_TIMEOUT_S,
    )
    # Then the account is active, for that person
    assert completed.account.person_id.number == person.number, completed
    assert completed.account.state == identity_pb2.ACCOUNT_STATE_ACTIVE, completed
    assert completed.account.email == "newcomer@example.sa", completed
    # And they can sign in with the new password
    verified = _log_in(identity, demo, person.number, NEW_PASSWORD)
    me = identity.WhoAmI(identity_pb2.WhoAmIRequest(), metadata=_bearer(verified.access_token),
                         timeout=RPC_TIMEOUT_S)
    assert me.kind == Kind.KIND_INDIVIDUAL, me
    assert me.account.person_id.number == person.number, me


def test_wrong_password_and_unknown_id_get_the_same_answer(identity, demo):
    # Given a registered account with a wrong password, and an ID without an account
    wrong_password = identity_pb2.StartLoginRequest(
        request_id=_request_id(), person_id=_person(demo.accounts[1]), password="NotIt2026x")
    unknown_id = identity_pb2.StartLoginRequest(
        request_id=_request_id(), person_id=_person(UNKNOWN_NATIONAL_ID), password=demo.password)
    # When each tries to sign in
    wrong_error, wrong_info = _refusal(identity.StartLogin, wrong_password)
    unknown_error, unknown_info = _refusal(identity.StartLogin, unknown_id)
    # Then both are refused UNAUTHENTICATED with reason INVALID_CREDENTIALS
    assert wrong_error.code() == grpc.StatusCode.UNAUTHENTICATED, wrong_error
    assert wrong_info.reason == "INVALID_CREDENTIALS", wrong_info
    # And nothing tells the two apart
    assert unknown_error.code() == wrong_error.code(), unknown_error
    assert (unknown_info.reason, unknown_info.domain) == (wrong_info.reason, wrong_info.domain)
    assert unknown_error.details() == wrong_error.details()


def test_logout_revokes_the_token(identity, demo):
    # Given a signed-in individual whose token works
    token = _log_in(identity, demo, demo.accounts[2], demo.password).access_token
    me = identity.WhoAmI(identity_pb2.WhoAmIRequest(), metadata=_bearer(token), timeout=RPC_TIMEOUT_S)
    assert me.kind == Kind.KIND_INDIVIDUAL, me
    # When they log out with it
    identity.Logout(identity_pb2.LogoutRequest(request_id=_request_id()), metadata=_bearer(token),
                    timeout=RPC_TIMEOUT_S)
    # Then the token is refused UNAUTHENTICATED with reason INVALID_TOKEN
    error, info = _refusal(identity.WhoAmI, identity_pb2.WhoAmIRequest(), metadata=_bearer(token))
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error
    assert info.reason == "INVALID_TOKEN", info


# --------------------------------------------------------------------------- agencies


def test_agency_is_known_by_its_certificate_and_employee(agency_identity):
    # Given an agency client with MOF's certificate on the mutual-TLS port
    # When it asks who it is, naming the acting employee
    me = agency_identity.WhoAmI(identity_pb2.WhoAmIRequest(),
                                metadata=[("x-etimad-employee", EMPLOYEE)], timeout=RPC_TIMEOUT_S)
    # Then it is that agency, acting through that employee
    assert me.kind == Kind.KIND_AGENCY, me
    assert me.agency_code == AGENCY, me
    assert me.employee == EMPLOYEE, me
    assert me.agency_name.ar or me.agency_name.en, me


def test_agency_call_without_employee_is_refused(agency_identity):
    # Given an agency client with a valid certificate
    # When it calls without naming the acting employee
    error, info = _refusal(agency_identity.WhoAmI, identity_pb2.WhoAmIRequest())
    # Then the call is refused UNAUTHENTICATED with reason EMPLOYEE_REQUIRED
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error
    assert info.reason == "EMPLOYEE_REQUIRED", info


def test_bearer_token_on_agency_port_is_refused(identity, agency_identity, demo):
    # Given an individual's valid access token
    token = _log_in(identity, demo, demo.accounts[3], demo.password).access_token
    # When it is sent on the agency port, by an agency client naming its employee
    error, info = _refusal(agency_identity.WhoAmI, identity_pb2.WhoAmIRequest(),
                           metadata=[("x-etimad-employee", EMPLOYEE), *_bearer(token)])
    # Then the call is refused UNAUTHENTICATED with reason TOKEN_ON_AGENCY_PORT
    assert error.code() == grpc.StatusCode.UNAUTHENTICATED, error
    assert info.reason == "TOKEN_ON_AGENCY_PORT", info
