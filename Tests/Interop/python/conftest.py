"""Fixtures for the grpcio interop tests: stubs generated from Protos/, and the real daemon.

The daemon under test is the binary named by the ETIMAD_BIN environment variable. It is
started once per session on ephemeral ports in a fresh data directory, and must stop with
exit code 0 within 15 s of SIGTERM.

Python stubs are generated at configure time with grpc_tools.protoc into a temporary
directory that is put on sys.path, so test modules import them like any other module:

    from etimad.platform.v1 import platform_service_pb2
    from grpc_protos.health.v1 import health_pb2

Protos/grpc/... is mapped to the virtual directory grpc_protos/ because a top-level Python
package named `grpc` would clash with grpcio itself. Only the Python module names change;
the proto packages (grpc.health.v1, grpc.reflection.v1) and so the RPC paths are the same.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

REPO_ROOT = Path(__file__).resolve().parents[3]
PROTOS = REPO_ROOT / "Protos"

# Proto files (relative to PROTOS) that the tests use; protoc adds what they import.
# Every area's protos: a new area's tests find their stubs here without generating their own.
STUB_SOURCES = (
    sorted(p.relative_to(PROTOS).as_posix() for p in PROTOS.glob("etimad/*/v1/*.proto"))
    + ["grpc_protos/health/v1/health.proto", "grpc_protos/reflection/v1/reflection.proto"]
)

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
READY_LINE = re.compile(
    r"^etimadd ready public=(?P<public>\S+) agency=(?P<agency>\S+) metrics=(?P<metrics>\S+)"
    r" ca=(?P<ca>.+?) agency-ca=(?P<agency_ca>.+)$"
)

_stub_dir: str | None = None


def error_info(error: grpc.RpcError) -> error_details_pb2.ErrorInfo:
    """The google.rpc.ErrorInfo in the call's grpc-status-details-bin trailer."""
    status = rpc_status.from_call(error)
    assert status is not None, f"no grpc-status-details-bin trailer: {error}"
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info
    raise AssertionError(f"no ErrorInfo among the details: {status}")


# --------------------------------------------------------------------------- stubs


def generate_stubs(out_dir: str) -> None:
    """Runs `python -m grpc_tools.protoc` on STUB_SOURCES, writing modules into out_dir."""
    command = [
        sys.executable, "-m", "grpc_tools.protoc",
        f"--proto_path={PROTOS}",
        f"--proto_path=grpc_protos={PROTOS / 'grpc'}",
        f"--python_out={out_dir}",
        f"--grpc_python_out={out_dir}",
        *STUB_SOURCES,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise pytest.UsageError(
            "generating Python stubs failed (is grpcio-tools installed? see requirements.txt):\n"
            f"$ {' '.join(command)}\n{result.stdout}{result.stderr}"
        )


def pytest_configure(config: pytest.Config) -> None:
    global _stub_dir
    if _stub_dir is not None:
        return
    _stub_dir = tempfile.mkdtemp(prefix="etimad-interop-stubs-")
    generate_stubs(_stub_dir)
    sys.path.insert(0, _stub_dir)


def pytest_unconfigure(config: pytest.Config) -> None:
    global _stub_dir
    if _stub_dir is None:
        return
    if _stub_dir in sys.path:
        sys.path.remove(_stub_dir)
    shutil.rmtree(_stub_dir, ignore_errors=True)
    _stub_dir = None


# --------------------------------------------------------------------------- daemon


@dataclasses.dataclass(frozen=True)
class Daemon:
    """What the daemon announced in its ready line."""

    public: str  # host:port of the public TLS listener
    agency: str  # host:port of the agency (mutual TLS) listener
    metrics: str  # host:port of the Prometheus HTTP listener
    ca_pem: bytes  # the CA the server certificates chain to
    agency_ca_pem: bytes  # the CA that issues agency client certificates

    @property
    def public_port(self) -> int:
        return int(self.public.rsplit(":", 1)[1])

    @property
    def agency_port(self) -> int:
        return int(self.agency.rsplit(":", 1)[1])


class _Pipes:
    """Drains the daemon's stdout and stderr in threads so that it never blocks on a pipe."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.stdout_lines: queue.Queue[str | None] = queue.Queue()  # None: stdout closed
        self.stderr_tail: collections.deque[str] = collections.deque(maxlen=200)
        self._threads = [
            threading.Thread(target=self._drain_stdout, args=(process.stdout,), daemon=True),
            threading.Thread(target=self._drain_stderr, args=(process.stderr,), daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    def _drain_stdout(self, pipe) -> None:
        for line in pipe:
            self.stdout_lines.put(line.rstrip("\n"))
        self.stdout_lines.put(None)

    def _drain_stderr(self, pipe) -> None:
        for line in pipe:
            self.stderr_tail.append(line.rstrip("\n"))

    def join(self, timeout: float) -> None:
        for thread in self._threads:
            thread.join(timeout)

    def stderr_text(self) -> str:
        return "\n".join(self.stderr_tail)


def _wait_for_ready_line(process: subprocess.Popen[str], pipes: _Pipes) -> re.Match[str]:
    deadline = time.monotonic() + READY_TIMEOUT_S
    seen: list[str] = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no ready line within {READY_TIMEOUT_S} s")
        try:
            line = pipes.stdout_lines.get(timeout=remaining)
        except queue.Empty:
            continue
        if line is None:
            process.wait(timeout=5)
            raise RuntimeError(
                f"daemon closed stdout before its ready line (exit code {process.returncode});"
                f" stdout so far: {seen!r}"
            )
        match = READY_LINE.match(line)
        if match:
            return match
        seen.append(line)


def _etimad_binary() -> str:
    """$ETIMAD_BIN, checked; fails the session with a hint when it is missing."""
    binary = os.environ.get("ETIMAD_BIN")
    if not binary:
        pytest.fail("ETIMAD_BIN is not set: point it at the etimadd binary, e.g."
                    " ETIMAD_BIN=.build/debug/etimadd pytest Tests/Interop/python", pytrace=False)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"ETIMAD_BIN={binary!r} is not an executable file", pytrace=False)
    return binary


@contextlib.contextmanager
def _serving(binary: str, data_dir: Path, env: dict[str, str] | None = None) -> Iterator[Daemon]:
    """Runs `binary serve` on ephemeral ports in data_dir until the block ends, then stops it
    with SIGTERM and checks that it exits 0 within STOP_TIMEOUT_S."""
    command = [binary, "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1",
               "--public-port", "0", "--agency-port", "0", "--metrics-port", "0"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8",
                               errors="replace", env=env)
    pipes = _Pipes(process)
    try:
        ready = _wait_for_ready_line(process, pipes)
        problem = None
    except (TimeoutError, RuntimeError) as error:
        ready, problem = None, error
    if problem is not None:
        process.kill()
        process.wait()
        pipes.join(5)
        pytest.fail(f"{' '.join(command)}: {problem}\n--- stderr ---\n{pipes.stderr_text()}",
                    pytrace=False)

    try:
        yield Daemon(
            public=ready["public"],
            agency=ready["agency"],
            metrics=ready["metrics"],
            ca_pem=Path(ready["ca"]).read_bytes(),
            agency_ca_pem=Path(ready["agency_ca"]).read_bytes(),
        )
    except BaseException:
        process.kill()
        process.wait()
        pipes.join(5)
        raise

    process.send_signal(signal.SIGTERM)
    try:
        exit_code = process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pipes.join(5)
        pytest.fail(f"daemon did not stop within {STOP_TIMEOUT_S} s of SIGTERM\n"
                    f"--- stderr ---\n{pipes.stderr_text()}", pytrace=False)
    pipes.join(5)
    assert exit_code == 0, (f"daemon exited with {exit_code} after SIGTERM\n"
                            f"--- stderr ---\n{pipes.stderr_text()}")


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory):
    """Starts $ETIMAD_BIN serve on ephemeral ports; stops it with SIGTERM after the session."""
    binary = _etimad_binary()
    with _serving(binary, tmp_path_factory.mktemp("etimad-data")) as running:
        yield running


# --------------------------------------------------------------------------- demo daemon

DEMO_PASSWORD_HASH_LOG_N = "10"  # cheap password hashing: the demo accounts and every login
DEMO_ACCOUNTS_LINE = re.compile(r"^accounts \(password (?P<password>\S+)\): (?P<ids>.+)$")
DEMO_UNREGISTERED_LINE = re.compile(r"^unregistered persons to try registration: (?P<persons>.+)$")
DEMO_UNREGISTERED_PERSON = re.compile(r"(?P<id>\d{10}) born (?P<year>\d{4})-(?P<month>\d\d)-(?P<day>\d\d)")


@dataclasses.dataclass(frozen=True)
class UnregisteredPerson:
    """A person in the demo civil registry without an account, as `etimadd demo` lists them."""

    number: str
    birth_year: int
    birth_month: int
    birth_day: int


@dataclasses.dataclass(frozen=True)
class DemoDaemon:
    """A daemon serving a data directory seeded by `etimadd demo`, and what the demo announced."""

    daemon: Daemon
    data_dir: Path
    password: str  # of every demo account
    accounts: tuple[str, ...]  # ID numbers of the registered demo accounts
    unregistered: tuple[UnregisteredPerson, ...]  # persons that may register

    @property
    def sms_log(self) -> Path:
        return self.data_dir / "sms.log"

    def agency_certificate(self, code: str) -> tuple[bytes, bytes]:
        """The agency's client certificate chain and private key, PEM."""
        agencies = self.data_dir / "agencies"
        return (agencies / f"{code}.pem").read_bytes(), (agencies / f"{code}-key.pem").read_bytes()


def _parse_demo_output(stdout: str) -> tuple[str, tuple[str, ...], tuple[UnregisteredPerson, ...]]:
    password, accounts, unregistered = None, (), ()
    for line in stdout.splitlines():
        if match := DEMO_ACCOUNTS_LINE.match(line.strip()):
            password = match["password"]
            accounts = tuple(number.strip() for number in match["ids"].split(","))
        elif match := DEMO_UNREGISTERED_LINE.match(line.strip()):
            unregistered = tuple(
                UnregisteredPerson(m["id"], int(m["year"]), int(m["month"]), int(m["day"]))
                for m in DEMO_UNREGISTERED_PERSON.finditer(match["persons"])
            )
    if password is None or not accounts or not unregistered:
        pytest.fail(f"unexpected output of etimadd demo (no accounts or unregistered persons):\n"
                    f"{stdout}", pytrace=False)
    return password, accounts, unregistered


@pytest.fixture(scope="session")
def demo_daemon(tmp_path_factory: pytest.TempPathFactory):
    """Runs $ETIMAD_BIN demo, then serve, in a data directory of its own; for the session."""
    binary = _etimad_binary()
    data_dir = tmp_path_factory.mktemp("etimad-demo-data")
    env = {**os.environ, "ETIMAD_PASSWORD_HASH_LOG_N": DEMO_PASSWORD_HASH_LOG_N}
    command = [binary, "demo", "--data-dir", str(data_dir)]
    try:
        result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                encoding="utf-8", errors="replace", env=env, timeout=READY_TIMEOUT_S,
                                check=False)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command)} did not finish within {READY_TIMEOUT_S} s", pytrace=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {result.returncode}\n"
                    f"--- stdout ---\n{result.stdout}--- stderr ---\n{result.stderr}", pytrace=False)
    password, accounts, unregistered = _parse_demo_output(result.stdout)
    with _serving(binary, data_dir, env) as running:
        yield DemoDaemon(daemon=running, data_dir=data_dir, password=password,
                         accounts=accounts, unregistered=unregistered)


@pytest.fixture(scope="session")
def public_channel(daemon: Daemon):
    """A TLS channel to the public listener that trusts the daemon's CA, by host name."""
    credentials = grpc.ssl_channel_credentials(root_certificates=daemon.ca_pem)
    with grpc.secure_channel(f"localhost:{daemon.public_port}", credentials) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
