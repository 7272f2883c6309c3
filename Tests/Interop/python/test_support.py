"""The support service over grpcio: an anonymous requester solves the server's proof-of-work
challenge and opens a ticket, gets its number at once, and follows it up with the code the
daemon sends by SMS.

Runs against a daemon of its own (a small challenge, so that Python's hashlib solves it in a
moment; the default of 20 bits costs about a million hashes).

Run: ETIMAD_BIN=/path/to/etimadd pytest Tests/Interop/python/test_support.py
"""

from __future__ import annotations

import hashlib
import os
import re
import time
import uuid

import grpc
import pytest

import conftest

from etimad.support.v1 import support_service_pb2 as support_pb2
from etimad.support.v1 import support_service_pb2_grpc as support_pb2_grpc

RPC_TIMEOUT_S = 20
SMS_TIMEOUT_S = 20
CHALLENGE_BITS = 12
MOBILE = "0561234567"


@pytest.fixture(scope="module")
def support_daemon(tmp_path_factory: pytest.TempPathFactory):
    env = {**os.environ, "ETIMAD_SUPPORT_CHALLENGE_BITS": str(CHALLENGE_BITS)}
    data_dir = tmp_path_factory.mktemp("etimad-support")
    with conftest._serving(conftest._etimad_binary(), data_dir, env) as running:
        yield running, data_dir


@pytest.fixture(scope="module")
def stub(support_daemon):
    running, _ = support_daemon
    credentials = grpc.ssl_channel_credentials(root_certificates=running.ca_pem)
    with grpc.secure_channel(f"localhost:{running.public_port}", credentials) as channel:
        yield support_pb2_grpc.SupportServiceStub(channel)


def solve(challenge: str, bits: int) -> int:
    """The nonce: SHA-256(challenge UTF-8 || nonce as 8 bytes big-endian) starts with `bits` zero bits."""
    prefix = hashlib.sha256(challenge.encode())
    for nonce in range(1 << 40):
        digest = prefix.copy()
        digest.update(nonce.to_bytes(8, "big"))
        if int.from_bytes(digest.digest(), "big") >> (256 - bits) == 0:
            return nonce
    raise AssertionError("unsolvable")


def form(**solution) -> support_pb2.OpenTicketRequest:
    return support_pb2.OpenTicketRequest(
        request_id=str(uuid.uuid4()),
        requester=support_pb2.Requester(
            name="Sara Al-Qahtani",
            document=support_pb2.RequesterDocument(type=support_pb2.DOCUMENT_TYPE_PASSPORT, number="P1234567"),
            mobile=MOBILE, email="sara@example.sa"),
        main_service_code="account", sub_service_code="account.sign_in",
        request_type=support_pb2.REQUEST_TYPE_TECHNICAL_PROBLEM,
        title="No verification code", details="The sign-in code does not arrive on my phone.",
        **solution)


def sms_code(data_dir, number: str) -> str:
    deadline = time.monotonic() + SMS_TIMEOUT_S
    while time.monotonic() < deadline:
        log = (data_dir / "sms.log").read_text(encoding="utf-8") if (data_dir / "sms.log").exists() else ""
        for line in log.splitlines():
            if number in line and (match := re.search(r": (\d{6})\.", line)):
                return match.group(1)
        time.sleep(0.05)
    raise AssertionError(f"no code for {number} in sms.log")


def test_anonymous_ticket_with_a_solved_challenge(stub, support_daemon):
    _, data_dir = support_daemon
    with pytest.raises(grpc.RpcError) as refused:
        stub.OpenTicket(form(), timeout=RPC_TIMEOUT_S)
    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert conftest.error_info(refused.value).reason == "CHALLENGE_REQUIRED"

    challenge = stub.GetChallenge(support_pb2.GetChallengeRequest(), timeout=RPC_TIMEOUT_S)
    assert challenge.difficulty_bits == CHALLENGE_BITS
    solution = support_pb2.ChallengeSolution(challenge=challenge.challenge,
                                             nonce=solve(challenge.challenge, challenge.difficulty_bits))
    ticket = stub.OpenTicket(form(challenge=solution), timeout=RPC_TIMEOUT_S).ticket
    assert re.fullmatch(r"ET-\d{4}-\d{6}", ticket.number)
    assert ticket.status == support_pb2.TICKET_STATUS_OPEN
    assert ticket.requester.document.number == "P1234567"

    with pytest.raises(grpc.RpcError) as reused:
        stub.OpenTicket(form(challenge=solution), timeout=RPC_TIMEOUT_S)
    assert reused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert conftest.error_info(reused.value).reason == "CHALLENGE_USED"

    # Anonymous follow-up: the code by SMS, then a ticket token.
    stub.SendTicketAccessCode(support_pb2.SendTicketAccessCodeRequest(
        request_id=str(uuid.uuid4()), ticket_number=ticket.number), timeout=RPC_TIMEOUT_S)
    code = sms_code(data_dir, ticket.number)
    token = stub.VerifyTicketAccess(support_pb2.VerifyTicketAccessRequest(
        ticket_number=ticket.number, code=code), timeout=RPC_TIMEOUT_S).ticket_token
    seen = stub.GetTicket(support_pb2.GetTicketRequest(ticket_number=ticket.number, ticket_token=token),
                          timeout=RPC_TIMEOUT_S).ticket
    assert seen.number == ticket.number and seen.title == "No verification code"
