"""Login throughput against a running daemon: StartLogin + VerifyLogin pairs, with the code
read from the file SMS gateway (DATA_DIR/sms.log), at a given concurrency for a fixed time.

    python3 tools/bench/login_pairs.py --addr localhost:7443 --data-dir DIR --ids 1100000007,... \
        --password Etimad2026 --concurrency 16 --seconds 20
    python3 tools/bench/login_pairs.py ... --token-only      # one login, prints the access token

Prints JSON: pairs, seconds, pairs_per_s, p50_ms, p99_ms, errors. Needs grpcio and
grpcio-tools (Tests/Interop/python/requirements.txt); stubs are generated into a temp dir.
"""
import argparse
import json
import os
import re
import sys
import threading
import time
import uuid

import grpc


def stubs():
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from proto_hex import compile_stubs
    compile_stubs()
    from etimad.identity.v1 import identity_service_pb2 as pb, identity_service_pb2_grpc as rpc
    return pb, rpc


class SMSLog:
    """Finds the code sent to a mobile in sms.log after a given line count."""

    def __init__(self, path):
        self.path = path
        self.lock = threading.Lock()

    def lines(self):
        try:
            with open(self.path, "rb") as f:
                data = f.read()
        except FileNotFoundError:
            return []
        # Only complete lines: the gateway may be half way through writing the last one.
        return data[: data.rfind(b"\n") + 1].decode("utf-8").splitlines()

    def code_for(self, masked_suffix, after, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            for line in self.lines()[after:]:
                if line.split(" ")[1].endswith(masked_suffix):
                    match = re.search(r": (\d{6})\.", line)
                    if match:
                        return match.group(1), line
            time.sleep(0.005)
        raise TimeoutError("no SMS")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--addr", required=True)
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--ids", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--token-only", action="store_true")
    args = parser.parse_args()

    pb, rpc = stubs()
    ca = open(os.path.join(args.data_dir, "tls", "ca.pem"), "rb").read()
    channel = grpc.secure_channel(args.addr, grpc.ssl_channel_credentials(root_certificates=ca))
    stub = rpc.IdentityServiceStub(channel)
    sms = SMSLog(os.path.join(args.data_dir, "sms.log"))
    ids = args.ids.split(",")
    used = set()

    def login(id_number):
        before = len(sms.lines())
        start = stub.StartLogin(pb.StartLoginRequest(request_id=str(uuid.uuid4()), person_id={"number": id_number},
                                                     password=args.password), timeout=30)
        suffix = start.challenge.masked_mobile[-4:]
        while True:
            code, line = sms.code_for(suffix, before)
            with sms.lock:
                # Two workers may log in the same person: each takes a line only once.
                if line not in used:
                    used.add(line)
                    break
            before += 1
        return stub.VerifyLogin(pb.VerifyLoginRequest(request_id=str(uuid.uuid4()), ticket=start.challenge.ticket,
                                                      code=code), timeout=30).access_token

    if args.token_only:
        print(login(ids[0]))
        return

    latencies, errors = [], {}
    lock = threading.Lock()
    stop = time.time() + args.seconds

    def worker(index):
        # Each worker signs in its own person, so that codes by mobile are never ambiguous.
        while time.time() < stop:
            began = time.perf_counter()
            try:
                login(ids[index % len(ids)])
                with lock:
                    latencies.append(time.perf_counter() - began)
            except Exception as error:  # noqa: BLE001 - counted by kind
                key = error.code().name if isinstance(error, grpc.RpcError) else type(error).__name__
                with lock:
                    errors[key] = errors.get(key, 0) + 1

    began = time.time()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(args.concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.time() - began
    latencies.sort()
    pick = lambda q: round(latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000, 1) if latencies else None
    print(json.dumps({"pairs": len(latencies), "seconds": round(elapsed, 2),
                      "pairs_per_s": round(len(latencies) / elapsed, 1), "p50_ms": pick(0.5), "p99_ms": pick(0.99),
                      "errors": errors}))


main()
