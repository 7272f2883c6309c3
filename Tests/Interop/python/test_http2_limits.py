"""HTTP/2 limits as grpcio meets them (issue 12, items 3 and 4): a client that exceeds the
stream limit or the header-list limit loses that call at most, never the connection.

The wire-level cases (streams opened before the SETTINGS ACK, beyond the limit after it) are
in Tests/EtimadServerTests/FrameGuardTests.swift; grpcio keeps the rules, so here it shows what
a real client sees.
"""

from __future__ import annotations

import concurrent.futures
import threading

import grpc
import pytest

from grpc_protos.health.v1 import health_pb2, health_pb2_grpc

# Generous: the answers come at once; a loaded debug build still answers within seconds.
RPC_TIMEOUT_S = 30
STREAM_LIMIT = 100
SERVING = health_pb2.HealthCheckResponse.SERVING


def fresh_channel(daemon) -> grpc.Channel:
    credentials = grpc.ssl_channel_credentials(root_certificates=daemon.ca_pem)
    return grpc.secure_channel(f"localhost:{daemon.public_port}", credentials)


def test_calls_beyond_the_stream_limit_at_connect_all_succeed(daemon):
    # Given 150 Watch streams started on a fresh channel before it connects: grpcio opens
    # them as soon as the connection is up, possibly before the server's SETTINGS arrive
    calls = 150
    with fresh_channel(daemon) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        watches = [stub.Watch(health_pb2.HealthCheckRequest(), timeout=120) for _ in range(calls)]
        first_messages: list[health_pb2.HealthCheckResponse | None] = [None] * calls
        errors: list[grpc.RpcError] = []
        served = threading.Semaphore(0)

        def read_first(index: int) -> None:
            try:
                first_messages[index] = next(watches[index])
            except grpc.RpcError as error:
                errors.append(error)
            served.release()

        try:
            with concurrent.futures.ThreadPoolExecutor(max_workers=calls) as pool:
                for index in range(calls):
                    pool.submit(read_first, index)
                # When the first 100 are served (the rest wait, or were refused and retried),
                # each served stream is closed to make room for the others
                for _ in range(STREAM_LIMIT):
                    assert served.acquire(timeout=RPC_TIMEOUT_S * 2), "fewer than 100 streams served"
                assert not errors, f"{len(errors)} failed: {errors[0].code()} {errors[0].details()}"
                for index, message in enumerate(first_messages):
                    if message is not None:
                        watches[index].cancel()
                # Then every call is served: none failed with the connection
                for _ in range(calls - STREAM_LIMIT):
                    assert served.acquire(timeout=RPC_TIMEOUT_S * 2), "a call got no answer"
            assert not errors, f"{len(errors)} of {calls} failed: {errors[0].code()} {errors[0].details()}"
            assert all(message is not None and message.status == SERVING for message in first_messages)
        finally:
            for watch in watches:
                watch.cancel()


@pytest.mark.parametrize(
    "metadata",
    [
        [("x-large", "a" * 20_000)],
        [(f"x-h-{index:03d}", "v" * 20) for index in range(300)],
    ],
    ids=["one 20 KiB header", "300 small headers"],
)
def test_header_list_beyond_the_limit_fails_that_call_alone(daemon, metadata):
    with fresh_channel(daemon) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        # Given a Watch stream held open on the channel
        watch = stub.Watch(health_pb2.HealthCheckRequest(), timeout=120)
        assert next(watch).status == SERVING
        # When a call on the same channel carries more metadata than the advertised 16 KiB
        with pytest.raises(grpc.RpcError) as raised:
            stub.Check(health_pb2.HealthCheckRequest(), metadata=metadata, timeout=RPC_TIMEOUT_S)
        # Then that call is refused as too large (not left to its deadline)
        assert raised.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED, raised.value.details()
        # And the connection lives: the held stream is still open, and a new call is served
        assert stub.Check(health_pb2.HealthCheckRequest(), timeout=RPC_TIMEOUT_S).status == SERVING
        assert watch.is_active(), f"the held stream ended: {watch.code()} {watch.details()}"
        watch.cancel()
        assert watch.code() == grpc.StatusCode.CANCELLED
