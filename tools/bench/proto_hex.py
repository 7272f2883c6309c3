#!/usr/bin/env python3
"""Prints protobuf requests, given as JSON, serialized in hex for tools/go/bin/loadgen's -data-hex.

    tools/bench/proto_hex.py etimad.debts.v1.GetDebtRequest '{"debtId": "13"}' ['{...}' ...]

Several JSON arguments print comma-separated (loadgen sends them round robin). The stubs are
compiled from Protos/ with grpcio-tools into a temporary directory (login_pairs.py uses the
same compile_stubs).
"""
import importlib
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def compile_stubs():
    """Compiles every etimad proto to Python in a temporary directory put on sys.path; returns the
    module names of the compiled files."""
    out = tempfile.mkdtemp(prefix="etimad-bench-stubs-")
    protos = os.path.join(ROOT, "Protos")
    files = [os.path.join(d, f)[len(protos) + 1:] for d, _, fs in os.walk(os.path.join(protos, "etimad")) for f in fs]
    import grpc_tools
    include = os.path.join(os.path.dirname(grpc_tools.__file__), "_proto")
    subprocess.run([sys.executable, "-m", "grpc_tools.protoc", "-I", protos, "-I", include,
                    f"--python_out={out}", f"--grpc_python_out={out}", *files], check=True)
    sys.path.insert(0, out)
    return [f[:-len(".proto")].replace("/", ".") + "_pb2" for f in files if f.endswith(".proto")]


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    from google.protobuf import json_format, message_factory
    from google.protobuf import descriptor_pool
    for module in compile_stubs():
        importlib.import_module(module)
    descriptor = descriptor_pool.Default().FindMessageTypeByName(sys.argv[1])
    cls = message_factory.GetMessageClass(descriptor)
    print(",".join(json_format.Parse(text, cls()).SerializeToString().hex() for text in sys.argv[2:]))


if __name__ == "__main__":
    main()
