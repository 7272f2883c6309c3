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

import grpc
import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
PROTOS = REPO_ROOT / "Protos"

# Proto files (relative to PROTOS) that the tests use; protoc adds what they import.
STUB_SOURCES = (
    sorted(p.relative_to(PROTOS).as_posix() for p in (PROTOS / "etimad/type/v1").glob("*.proto"))
    + sorted(p.relative_to(PROTOS).as_posix() for p in (PROTOS / "etimad/platform/v1").glob("*.proto"))
    + ["grpc_protos/health/v1/health.proto", "grpc_protos/reflection/v1/reflection.proto"]
)

READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15
READY_LINE = re.compile(
    r"^etimadd ready public=(?P<public>\S+) agency=(?P<agency>\S+) metrics=(?P<metrics>\S+)"
    r" ca=(?P<ca>.+?) agency-ca=(?P<agency_ca>.+)$"
)

_stub_dir: str | None = None


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


@pytest.fixture(scope="session")
def daemon(tmp_path_factory: pytest.TempPathFactory):
    """Starts $ETIMAD_BIN serve on ephemeral ports; stops it with SIGTERM after the session."""
    binary = os.environ.get("ETIMAD_BIN")
    if not binary:
        pytest.fail("ETIMAD_BIN is not set: point it at the etimadd binary, e.g."
                    " ETIMAD_BIN=.build/debug/etimadd pytest Tests/Interop/python", pytrace=False)
    if not os.access(binary, os.X_OK):
        pytest.fail(f"ETIMAD_BIN={binary!r} is not an executable file", pytrace=False)

    data_dir = tmp_path_factory.mktemp("etimad-data")
    command = [binary, "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1",
               "--public-port", "0", "--agency-port", "0", "--metrics-port", "0"]
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, encoding="utf-8",
                               errors="replace")
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

    yield Daemon(
        public=ready["public"],
        agency=ready["agency"],
        metrics=ready["metrics"],
        ca_pem=Path(ready["ca"]).read_bytes(),
        agency_ca_pem=Path(ready["agency_ca"]).read_bytes(),
    )

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
def public_channel(daemon: Daemon):
    """A TLS channel to the public listener that trusts the daemon's CA, by host name."""
    credentials = grpc.ssl_channel_credentials(root_certificates=daemon.ca_pem)
    with grpc.secure_channel(f"localhost:{daemon.public_port}", credentials) as channel:
        grpc.channel_ready_future(channel).result(timeout=10)
        yield channel
