"""The daemon speaks standard gRPC: grpcio (the C-core Python client) is the reference client.

Run: ETIMAD_BIN=/path/to/etimadd pytest Tests/Interop/python
"""

from __future__ import annotations

import ipaddress
import re
import socket
import ssl
import time
import urllib.request

import grpc
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool
from google.rpc import error_details_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from grpc_status import rpc_status

# Generated at configure time by conftest.py.
from etimad.platform.v1 import platform_service_pb2, platform_service_pb2_grpc
from etimad.type.v1 import person_id_pb2
from grpc_protos.health.v1 import health_pb2, health_pb2_grpc
from grpc_protos.reflection.v1 import reflection_pb2, reflection_pb2_grpc

RPC_TIMEOUT_S = 10
PLATFORM_SERVICE = "etimad.platform.v1.PlatformService"
PLATFORM_FILE = "etimad/platform/v1/platform_service.proto"
ARABIC_LETTER = re.compile(r"[\u0621-\u064A]")

SERVING = health_pb2.HealthCheckResponse.SERVING

# A valid national ID (first digit 1, Luhn check digit 2) and the same number in
# Arabic-Indic digits.
VALID_NATIONAL_ID = "1012345672"
VALID_NATIONAL_ID_ARABIC_INDIC = "١٠١٢٣٤٥٦٧٢"
# A valid Al Rajhi Bank IBAN (bank code 80), as a person would type it.
VALID_IBAN_TYPED = "SA03 8000 0000 6080 1016 7519"
VALID_IBAN = "SA0380000000608010167519"


def luhn_is_valid(number: str) -> bool:
    """The check the daemon applies to national IDs and iqamas (used here to vet test data)."""
    total = 0
    for index, character in enumerate(number):
        digit = int(character)
        if index % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return total % 10 == 0


def test_test_data_is_what_it_claims():
    assert luhn_is_valid(VALID_NATIONAL_ID)
    assert not luhn_is_valid("1234567890")


# --------------------------------------------------------------------------- stubs


@pytest.fixture(scope="module")
def health(public_channel):
    return health_pb2_grpc.HealthStub(public_channel)


@pytest.fixture(scope="module")
def platform(public_channel):
    return platform_service_pb2_grpc.PlatformServiceStub(public_channel)


@pytest.fixture(scope="module")
def reflection_v1(public_channel):
    return reflection_pb2_grpc.ServerReflectionStub(public_channel)


# --------------------------------------------------------------------------- 1. health


@pytest.mark.parametrize("service", ["", PLATFORM_SERVICE], ids=["overall", "platform"])
def test_health_check_reports_serving(health, service):
    # Given a running daemon
    # When a client checks the overall health or the platform service's
    response = health.Check(health_pb2.HealthCheckRequest(service=service), timeout=RPC_TIMEOUT_S)
    # Then it is SERVING
    assert response.status == SERVING


def test_more_concurrent_calls_than_the_stream_limit_all_succeed(daemon, public_channel):
    # Given 101 Watch streams held open on ONE channel (the server allows 100 at once)
    stub = health_pb2_grpc.HealthStub(public_channel)
    watches = [stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=60) for _ in range(101)]
    try:
        # When each reads its first message (the 101st only once a stream is free)
        for watch in watches[:100]:
            assert next(watch).status == SERVING
        watches[0].cancel()
        # Then none failed: the 101st waited for a stream instead of the connection being reset
        assert next(watches[100]).status == SERVING
        watches[1].cancel()
        assert stub.Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT_S).status == SERVING
    finally:
        for watch in watches:
            watch.cancel()


def test_long_service_name_error_keeps_trailers_small(health):
    # Given a 12 KB service name (the testers sent 4 MiB and got a 2.6 MB trailer)
    request = health_pb2.HealthCheckRequest(service="x" * 12_000)
    # When a client checks it
    with pytest.raises(grpc.RpcError) as raised:
        health.Check(request, timeout=RPC_TIMEOUT_S)
    # Then the real error arrives (grpcio would report RESOURCE_EXHAUSTED for huge trailers)
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND
    trailers = raised.value.trailing_metadata() or ()
    assert sum(len(k) + len(v) for k, v in trailers) + len(raised.value.details() or "") < 8 * 1024


@pytest.mark.parametrize("size", [3_000_000, 9_000_000], ids=["3MB", "9MB"])
def test_oversize_request_is_resource_exhausted(health, size):
    # Given a request far above the 64 KiB request limit (and above the transport's 4 MiB)
    request = health_pb2.HealthCheckRequest(service="x" * size)
    started = time.monotonic()
    with pytest.raises(grpc.RpcError) as raised:
        health.Check(request, timeout=RPC_TIMEOUT_S)
    # Then it is refused as too large, at once, and the connection goes on
    assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert time.monotonic() - started < RPC_TIMEOUT_S
    assert health.Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT_S).status == SERVING


def test_health_check_of_unknown_service_is_not_found(health):
    # Given a service name the daemon does not serve
    request = health_pb2.HealthCheckRequest(service="no.such.Service")
    # When a client checks it
    with pytest.raises(grpc.RpcError) as raised:
        health.Check(request, timeout=RPC_TIMEOUT_S)
    # Then the call fails with NOT_FOUND
    assert raised.value.code() == grpc.StatusCode.NOT_FOUND


def test_health_list_reports_overall_and_platform_service(health):
    # When a client lists the health of every service
    response = health.List(health_pb2.HealthListRequest(), timeout=RPC_TIMEOUT_S)
    # Then the overall status and the platform service's are there, SERVING
    statuses = {name: entry.status for name, entry in response.statuses.items()}
    assert statuses.get("") == SERVING, statuses
    assert statuses.get(PLATFORM_SERVICE) == SERVING, statuses


# --------------------------------------------------------------------------- 2. reflection


def test_reflection_lists_standard_and_etimad_services(public_channel):
    # Given grpcio-reflection's client (it speaks grpc.reflection.v1alpha)
    database = ProtoReflectionDescriptorDatabase(public_channel)
    # When it lists the services
    services = set(database.get_services())
    # Then the standard services and ours are there
    assert {
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
        PLATFORM_SERVICE,
    } <= services, services


def test_reflection_describes_platform_service_with_its_dependencies(public_channel):
    # Given a descriptor pool fed by reflection only (file_containing_symbol, then the
    # files it imports: etimad/type/v1/*.proto and google/protobuf/timestamp.proto)
    pool = descriptor_pool.DescriptorPool(ProtoReflectionDescriptorDatabase(public_channel))
    # When it resolves the platform service
    service = pool.FindServiceByName(PLATFORM_SERVICE)
    # Then its methods and their message types, imported ones included, are complete
    assert {"GetServerInfo", "ValidateIdentifiers"} <= set(service.methods_by_name)
    request = service.methods_by_name["ValidateIdentifiers"].input_type
    assert request.full_name == "etimad.platform.v1.ValidateIdentifiersRequest"
    assert {"person_id", "iban", "mobile"} <= set(request.fields_by_name)
    person_id = request.fields_by_name["person_id"].message_type
    assert person_id.full_name == "etimad.type.v1.PersonId"
    assert {"type", "number"} <= set(person_id.fields_by_name)
    assert person_id.fields_by_name["type"].enum_type.values_by_name["PERSON_ID_TYPE_IQAMA"].number == 2
    info = service.methods_by_name["GetServerInfo"].output_type
    assert info.fields_by_name["server_time"].message_type.full_name == "google.protobuf.Timestamp"
    assert info.fields_by_name["name"].message_type.full_name == "etimad.type.v1.LocalizedText"


def _reflect_v1(stub, request):
    """One request on grpc.reflection.v1.ServerReflection/ServerReflectionInfo."""
    responses = list(stub.ServerReflectionInfo(iter([request]), timeout=RPC_TIMEOUT_S))
    assert len(responses) == 1
    return responses[0]


def test_reflection_v1_lists_services(reflection_v1):
    # When a client asks the v1 reflection service to list services
    response = _reflect_v1(reflection_v1, reflection_pb2.ServerReflectionRequest(list_services=""))
    # Then the answer lists the standard services and ours
    assert response.WhichOneof("message_response") == "list_services_response", response
    services = {service.name for service in response.list_services_response.service}
    assert {"grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", PLATFORM_SERVICE} <= services


def test_reflection_v1_returns_file_by_filename(reflection_v1):
    # When a client asks the v1 reflection service for the platform service's file
    request = reflection_pb2.ServerReflectionRequest(file_by_filename=PLATFORM_FILE)
    response = _reflect_v1(reflection_v1, request)
    # Then the file is among the descriptors returned, with the service and its imports
    assert response.WhichOneof("message_response") == "file_descriptor_response", response
    files = {}
    for serialized in response.file_descriptor_response.file_descriptor_proto:
        file = descriptor_pb2.FileDescriptorProto.FromString(serialized)
        files[file.name] = file
    platform_file = files[PLATFORM_FILE]
    assert platform_file.package == "etimad.platform.v1"
    assert [service.name for service in platform_file.service] == ["PlatformService"]
    assert {"etimad/type/v1/person_id.proto", "google/protobuf/timestamp.proto"} <= set(
        platform_file.dependency
    )


def test_reflection_v1_reports_unknown_file_as_not_found(reflection_v1):
    # When a client asks the v1 reflection service for a file that does not exist
    request = reflection_pb2.ServerReflectionRequest(file_by_filename="no/such/file.proto")
    response = _reflect_v1(reflection_v1, request)
    # Then the stream answers with an error response NOT_FOUND
    assert response.WhichOneof("message_response") == "error_response", response
    assert response.error_response.error_code == grpc.StatusCode.NOT_FOUND.value[0]


# --------------------------------------------------------------------------- 3. rich errors

INVALID_IDENTIFIERS = platform_service_pb2.ValidateIdentifiersRequest(
    person_id=person_id_pb2.PersonId(number="1234567890"),  # wrong Luhn check digit
    iban="SA00123",
    mobile="12345",
)


def _validate_invalid_identifiers(platform, accept_language):
    """Calls ValidateIdentifiers with three bad fields; returns the error and its details."""
    with pytest.raises(grpc.RpcError) as raised:
        platform.ValidateIdentifiers(
            INVALID_IDENTIFIERS,
            metadata=[("accept-language", accept_language)],
            timeout=RPC_TIMEOUT_S,
        )
    error = raised.value
    status = rpc_status.from_call(error)
    assert status is not None, "no grpc-status-details-bin trailer"
    details = {}
    for detail in status.details:
        for kind in (error_details_pb2.ErrorInfo, error_details_pb2.BadRequest,
                     error_details_pb2.LocalizedMessage):
            if detail.Is(kind.DESCRIPTOR):
                message = kind()
                detail.Unpack(message)
                details[kind] = message
    return error, status, details


def test_invalid_identifiers_are_all_reported_as_bad_request(platform):
    # Given a request whose ID, IBAN and mobile are all invalid
    # When the client validates it
    error, status, details = _validate_invalid_identifiers(platform, "ar")
    # Then the call fails with INVALID_ARGUMENT
    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert status.code == grpc.StatusCode.INVALID_ARGUMENT.value[0]
    # And the details say why, machine-readably
    info = details.get(error_details_pb2.ErrorInfo)
    assert info is not None, status
    assert (info.reason, info.domain) == ("INVALID_FIELDS", "platform.etimad.sa")
    # And every bad field is reported at once, each with a description
    bad_request = details.get(error_details_pb2.BadRequest)
    assert bad_request is not None, status
    violations = {v.field: v.description for v in bad_request.field_violations}
    assert {"person_id.number", "iban", "mobile"} <= set(violations), violations
    assert all(violations[field] for field in ("person_id.number", "iban", "mobile")), violations


def test_error_message_is_arabic_for_arabic_callers(platform):
    # Given a caller that prefers Arabic
    # When its request has invalid fields
    _, status, details = _validate_invalid_identifiers(platform, "ar")
    # Then the localized message is in Arabic
    localized = details.get(error_details_pb2.LocalizedMessage)
    assert localized is not None, status
    assert localized.locale == "ar"
    assert ARABIC_LETTER.search(localized.message), localized.message


def test_error_message_is_english_for_english_callers(platform):
    # Given a caller that prefers American then any English
    # When its request has invalid fields
    _, status, details = _validate_invalid_identifiers(platform, "en-US,en;q=0.9")
    # Then the localized message is in English
    localized = details.get(error_details_pb2.LocalizedMessage)
    assert localized is not None, status
    assert localized.locale == "en"
    assert localized.message and not ARABIC_LETTER.search(localized.message), localized.message


def test_valid_identifiers_are_normalised(platform):
    # Given a national ID without its type, an IBAN typed with spaces, a local mobile number
    request = platform_service_pb2.ValidateIdentifiersRequest(
        person_id=person_id_pb2.PersonId(number=VALID_NATIONAL_ID),
        iban=VALID_IBAN_TYPED,
        mobile="0501234567",
    )
    # When the client validates them
    response = platform.ValidateIdentifiers(request, timeout=RPC_TIMEOUT_S)
    # Then the type is inferred, the IBAN compacted, the mobile in E.164, the bank named
    assert response.person_id.type == person_id_pb2.PERSON_ID_TYPE_NATIONAL_ID
    assert response.person_id.number == VALID_NATIONAL_ID
    assert response.iban == VALID_IBAN
    assert response.mobile == "+966501234567"
    assert "Rajhi" in response.bank_name.en, response.bank_name
    assert ARABIC_LETTER.search(response.bank_name.ar), response.bank_name


def test_arabic_indic_digits_are_normalised(platform):
    # Given a national ID typed in Arabic-Indic digits
    request = platform_service_pb2.ValidateIdentifiersRequest(
        person_id=person_id_pb2.PersonId(number=VALID_NATIONAL_ID_ARABIC_INDIC),
    )
    # When the client validates it
    response = platform.ValidateIdentifiers(request, timeout=RPC_TIMEOUT_S)
    # Then the number comes back in ASCII digits, its type inferred
    assert response.person_id.number == VALID_NATIONAL_ID
    assert response.person_id.type == person_id_pb2.PERSON_ID_TYPE_NATIONAL_ID


# --------------------------------------------------------------------------- 4. server info


def test_server_info_describes_the_platform(platform):
    # When a client asks for the server's info
    before = time.time()
    info = platform.GetServerInfo(platform_service_pb2.GetServerInfoRequest(), timeout=RPC_TIMEOUT_S)
    after = time.time()
    # Then it names its version, services, Hijri date and time zone, and tells the time
    assert info.version
    assert PLATFORM_SERVICE in info.services
    assert re.fullmatch(r"14\d\d-\d\d-\d\d", info.hijri_date), info.hijri_date
    assert info.time_zone == "Asia/Riyadh"
    assert info.name.ar and info.name.en
    server_time = info.server_time.seconds + info.server_time.nanos / 1e9
    assert before - 60 <= server_time <= after + 60


# --------------------------------------------------------------------------- 5. agency port


def test_agency_port_refuses_client_without_certificate(daemon):
    # Given a client that trusts the daemon's CA but has no client certificate
    credentials = grpc.ssl_channel_credentials(root_certificates=daemon.ca_pem)
    with grpc.secure_channel(f"localhost:{daemon.agency_port}", credentials) as channel:
        # When it calls the agency port
        with pytest.raises(grpc.RpcError) as raised:
            health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT_S
            )
    # Then the TLS handshake is refused and the call fails UNAVAILABLE
    assert raised.value.code() == grpc.StatusCode.UNAVAILABLE, raised.value


# --------------------------------------------------------------------------- 6. metrics

PROMETHEUS_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?P<labels>.*)\})?\s+(?P<value>\S+)")
PROMETHEUS_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def _scrape(metrics_address):
    """Returns [(name, {label: value}, value)] from the daemon's /metrics."""
    with urllib.request.urlopen(f"http://{metrics_address}/metrics", timeout=RPC_TIMEOUT_S) as reply:
        assert reply.status == 200
        text = reply.read().decode("utf-8")
    samples = []
    for line in text.splitlines():
        match = PROMETHEUS_SAMPLE.match(line)
        if match:
            labels = dict(PROMETHEUS_LABEL.findall(match["labels"] or ""))
            samples.append((match["name"], labels, float(match["value"])))
    return samples


def test_metrics_count_handled_health_checks(daemon, health):
    # Given a health check that succeeded
    health.Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT_S)
    wanted = {"grpc_service": "grpc.health.v1.Health", "grpc_method": "Check",
              "grpc_code": "OK", "grpc_type": "unary"}
    # When Prometheus scrapes the metrics port (the counter may trail the response a little)
    deadline = time.monotonic() + 5
    while True:
        handled = [value for name, labels, value in _scrape(daemon.metrics)
                   if name == "grpc_server_handled_total"
                   and all(labels.get(k) == v for k, v in wanted.items())]
        if (handled and handled[0] >= 1) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    # Then grpc_server_handled_total counts it under go-grpc-prometheus labels
    assert handled and handled[0] >= 1, f"no grpc_server_handled_total{wanted} >= 1"


# --------------------------------------------------------------------------- TLS


@pytest.mark.parametrize("server_name", ["localhost", "127.0.0.1"])
def test_server_certificate_is_valid_for_loopback_names(daemon, server_name):
    # Given a TLS client that trusts only the daemon's CA and checks the host name
    context = ssl.create_default_context(cadata=daemon.ca_pem.decode("ascii"))
    context.set_alpn_protocols(["h2"])
    # When it connects to the public port under a loopback name
    with socket.create_connection(("127.0.0.1", daemon.public_port), timeout=RPC_TIMEOUT_S) as sock:
        with context.wrap_socket(sock, server_hostname=server_name) as tls:
            certificate = tls.getpeercert()
            protocol = tls.selected_alpn_protocol()
    # Then the certificate verifies, names localhost, 127.0.0.1 and ::1, and h2 is spoken
    names = {(kind, ipaddress.ip_address(value.strip()) if kind == "IP Address" else value)
             for kind, value in certificate["subjectAltName"]}
    assert ("DNS", "localhost") in names, names
    assert ("IP Address", ipaddress.ip_address("127.0.0.1")) in names, names
    assert ("IP Address", ipaddress.ip_address("::1")) in names, names
    assert protocol == "h2"
