#!/usr/bin/env python3
"""Crash tester: kills a real etimadd with SIGKILL under write load and checks what survived.

Each cycle runs agencies' writers over mutual TLS against the daemon (debts RecordPayment on a
few small debts and payments RecordMovement on a few payments, both contended, plus fresh
payments RecordPayment), records every acknowledged request, kills the daemon with SIGKILL at
a random moment, restarts it on the same data directory and verifies:

- every acknowledged write is there exactly once: replaying its request_id returns the very
  same answer (a lost write would be made anew, with another id or time) and creates nothing;
- a request whose answer was lost in the kill is applied at most once (replayed, it is either
  answered or refused, and the ledgers below still add up);
- ledger invariants: a debt's balance = amount due - its movements, never negative, PAID
  exactly at zero, no SADAD reference credited twice; a payment's parts add up to what was
  paid, none negative, and match its movements;
- after the last cycle, `PRAGMA integrity_check` is ok.

    tools/crash/crash.py                         # 20 cycles, .build/release/etimadd if built
    tools/crash/crash.py --cycles 3 --bin .build/debug/etimadd
    tools/crash/crash.py --group-commit off     # each write commits alone

Needs grpcio and grpcio-tools (Tests/Interop/python/requirements.txt). Exits 1 on any loss,
duplicate or broken invariant, after printing a summary line.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "Tests/Interop/python"))
import conftest  # noqa: E402  (stub generation and the daemon's ready line, shared with the interop tests)

import grpc  # noqa: E402

DEBTS_AGENCY = "MOF"
PAYMENTS_AGENCY = "MOI-PASSPORTS"
SECTOR, SERVICE, SERVICE_PRICE = "PASSPORTS", "EXIT_REENTRY", 20_000
DEBT_AMOUNT = 6_000  # small balances: writers run them down to zero and get refusals
DEBTS = 8
PAYMENTS = 4
CALL_TIMEOUT_S = 20


@dataclass
class Journal:
    """What the writers saw in one cycle."""

    acked: list[tuple[str, object, bytes]] = field(default_factory=list)  # method, request, answer
    unknown: list[tuple[str, object]] = field(default_factory=list)  # killed before an answer
    refused: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


class Daemon:
    """etimadd serve on ephemeral ports over a data directory; killed or stopped by the tester."""

    def __init__(self, binary: str, data_dir: Path, serve_args: list[str], group_commit: str = "on") -> None:
        command = [binary, "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--public-port", "0",
                   "--agency-port", "0", "--metrics-port", "-1", "--log-level", "warning", *serve_args]
        env = {**os.environ, "ETIMAD_GROUP_COMMIT": group_commit}
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, errors="replace", env=env)
        self.pipes = conftest._Pipes(self.process)
        ready = conftest._wait_for_ready_line(self.process, self.pipes)
        self.agency_port = int(ready["agency"].rsplit(":", 1)[1])
        self.ca = Path(ready["ca"]).read_bytes()

    def channel(self, data_dir: Path, agency: str) -> grpc.Channel:
        certificate = (data_dir / "agencies" / f"{agency}.pem").read_bytes()
        key = (data_dir / "agencies" / f"{agency}-key.pem").read_bytes()
        credentials = grpc.ssl_channel_credentials(root_certificates=self.ca, private_key=key,
                                                   certificate_chain=certificate)
        channel = grpc.secure_channel(f"localhost:{self.agency_port}", credentials)
        grpc.channel_ready_future(channel).result(timeout=30)
        return channel

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()
        self.pipes.join(5)

    def stop(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(timeout=60)
        self.pipes.join(5)
        return code


class Tester:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.random = random.Random(args.seed)
        self.data_dir = Path(tempfile.mkdtemp(prefix="etimad-crash-"))
        self.all_acked: list[tuple[str, object, bytes]] = []
        self.debt_ids: list[str] = []
        self.payment_ids: list[str] = []
        self.problems: list[str] = []
        self.counts = {"acked": 0, "unknown": 0, "refused": 0, "replayed": 0}
        from etimad.debts.v1 import debt_pb2, debt_service_pb2, debt_service_pb2_grpc
        from etimad.payments.v1 import payment_service_pb2, payment_service_pb2_grpc
        from etimad.type.v1 import calendar_date_pb2, money_pb2, person_id_pb2
        self.debt_pb2, self.dpb, self.dgrpc = debt_pb2, debt_service_pb2, debt_service_pb2_grpc
        self.ppb, self.pgrpc = payment_service_pb2, payment_service_pb2_grpc
        self.calendar_date_pb2, self.money_pb2, self.person_id_pb2 = calendar_date_pb2, money_pb2, person_id_pb2

    # ------------------------------------------------------------------ setup

    def seed(self) -> None:
        env = {**os.environ, "ETIMAD_PASSWORD_HASH_LOG_N": "10"}
        demo = subprocess.run([self.args.bin, "demo", "--data-dir", str(self.data_dir)], capture_output=True,
                              text=True, env=env, check=True)
        _, accounts, _ = conftest._parse_demo_output(demo.stdout)
        self.debtor = accounts[0]
        daemon = Daemon(self.args.bin, self.data_dir, self.args.serve_arg, self.args.group_commit)
        try:
            with daemon.channel(self.data_dir, DEBTS_AGENCY) as channel:
                debts = self.dgrpc.DebtServiceStub(channel)
                due = datetime.date.today() + datetime.timedelta(days=90)
                for index in range(DEBTS):
                    details = self.debt_pb2.DebtDetails(
                        debtor_id=self.person_id_pb2.PersonId(number=self.debtor), debtor_name="مدين اختبار الانهيار",
                        category=self.debt_pb2.DEBT_CATEGORY_FEE, reason="رسوم خدمة", amount=self._sar(DEBT_AMOUNT),
                        due_date=self.calendar_date_pb2.CalendarDate(year=due.year, month=due.month, day=due.day),
                        sadad_bill_number=f"77{index:08d}")
                    debt = debts.CreateDebt(self.dpb.CreateDebtRequest(request_id=_id(), debt=details),
                                            metadata=_employee("crash-maker"), timeout=CALL_TIMEOUT_S).debt
                    debts.SubmitDebt(self.dpb.SubmitDebtRequest(request_id=_id(), debt_id=debt.id),
                                     metadata=_employee("crash-maker"), timeout=CALL_TIMEOUT_S)
                    debts.ApproveDebt(self.dpb.ApproveDebtRequest(request_id=_id(), debt_id=debt.id),
                                      metadata=_employee("crash-checker"), timeout=CALL_TIMEOUT_S)
                    self.debt_ids.append(debt.id)
            with daemon.channel(self.data_dir, PAYMENTS_AGENCY) as channel:
                payments = self.pgrpc.GovernmentPaymentServiceStub(channel)
                for _ in range(PAYMENTS):
                    payment = payments.RecordPayment(self._new_payment(), metadata=_employee("crash-teller"),
                                                     timeout=CALL_TIMEOUT_S).payment
                    self.payment_ids.append(payment.payment_id)
        finally:
            daemon.stop()

    # ------------------------------------------------------------------ load

    def _sar(self, halalas: int):
        return self.money_pb2.Money(currency_code="SAR", amount_halalas=halalas)

    def _new_payment(self):
        request = self.ppb.RecordPaymentRequest(
            request_id=_id(), sector_code=SECTOR, service_code=SERVICE,
            beneficiary=self.person_id_pb2.PersonId(number=self.debtor), customer_number="7000000001",
            sadad_reference=f"CR-{uuid.uuid4().hex[:20]}", amount=self._sar(SERVICE_PRICE))
        request.paid_time.FromSeconds(int(time.time()) - 60)
        return request

    def _next_call(self, rng: random.Random, debts, payments):
        choice = rng.random()
        if choice < 0.45:
            request = self.dpb.RecordPaymentRequest(
                request_id=_id(), debt_id=rng.choice(self.debt_ids),
                amount=self._sar(rng.randint(50, 700)), sadad_reference=f"CR{uuid.uuid4().hex[:16].upper()}")
            return "debts.RecordPayment", debts.RecordPayment, request, _employee("crash-teller")
        if choice < 0.85:
            kind = rng.choice([self.ppb.MOVEMENT_KIND_CONSUMED, self.ppb.MOVEMENT_KIND_CANCELLED])
            request = self.ppb.RecordMovementRequest(
                request_id=_id(), payment_id=rng.choice(self.payment_ids), kind=kind,
                amount=self._sar(rng.randint(50, 900)), note="crash test")
            return "payments.RecordMovement", payments.RecordMovement, request, _employee("crash-teller")
        return "payments.RecordPayment", payments.RecordPayment, self._new_payment(), _employee("crash-teller")

    def writer(self, daemon: Daemon, journal: Journal, stop: threading.Event, seed: float) -> None:
        rng = random.Random(seed)
        try:
            debts_channel = daemon.channel(self.data_dir, DEBTS_AGENCY)
            payments_channel = daemon.channel(self.data_dir, PAYMENTS_AGENCY)
        except grpc.FutureTimeoutError:
            return
        debts = self.dgrpc.DebtServiceStub(debts_channel)
        payments = self.pgrpc.GovernmentPaymentServiceStub(payments_channel)
        try:
            while not stop.is_set():
                name, method, request, metadata = self._next_call(rng, debts, payments)
                try:
                    answer = method(request, metadata=metadata, timeout=CALL_TIMEOUT_S)
                except grpc.RpcError as error:
                    if error.code() in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS):
                        with journal.lock:
                            journal.refused += 1
                        continue
                    with journal.lock:
                        journal.unknown.append((name, request))
                    if stop.is_set() or error.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED,
                                                         grpc.StatusCode.DEADLINE_EXCEEDED):
                        return
                    self.problems.append(f"{name} failed with {error.code().name}: {error.details()}")
                    return
                with journal.lock:
                    journal.acked.append((name, request, answer.SerializeToString(deterministic=True)))
                    # New payments become targets of movements too (and of the ledger checks)
                    if name == "payments.RecordPayment":
                        self.payment_ids.append(answer.payment.payment_id)
        finally:
            debts_channel.close()
            payments_channel.close()

    # ------------------------------------------------------------------ checks

    def replay(self, daemon: Daemon, acked, unknown) -> None:
        with daemon.channel(self.data_dir, DEBTS_AGENCY) as dc, daemon.channel(self.data_dir, PAYMENTS_AGENCY) as pc:
            debts = self.dgrpc.DebtServiceStub(dc)
            payments = self.pgrpc.GovernmentPaymentServiceStub(pc)
            methods = {"debts.RecordPayment": debts.RecordPayment, "payments.RecordMovement": payments.RecordMovement,
                       "payments.RecordPayment": payments.RecordPayment}
            for name, request, answer in acked:
                try:
                    again = methods[name](request, metadata=_employee("crash-teller"), timeout=CALL_TIMEOUT_S)
                except grpc.RpcError as error:
                    self.problems.append(f"LOST: acknowledged {name} {request.request_id} now {error.code().name}")
                    continue
                self.counts["replayed"] += 1
                if again.SerializeToString(deterministic=True) != answer:
                    self.problems.append(f"LOST: acknowledged {name} {request.request_id} answered differently on replay")
            for name, request in unknown:
                try:
                    methods[name](request, metadata=_employee("crash-teller"), timeout=CALL_TIMEOUT_S)
                except grpc.RpcError as error:
                    if error.code() not in (grpc.StatusCode.FAILED_PRECONDITION, grpc.StatusCode.ALREADY_EXISTS):
                        self.problems.append(f"{name} {request.request_id} replay failed: {error.code().name}")

    def check_ledgers(self, daemon: Daemon) -> None:
        with daemon.channel(self.data_dir, DEBTS_AGENCY) as dc, daemon.channel(self.data_dir, PAYMENTS_AGENCY) as pc:
            debts = self.dgrpc.DebtServiceStub(dc)
            for debt_id in self.debt_ids:
                debt = debts.GetDebt(self.dpb.GetDebtRequest(debt_id=debt_id), metadata=_employee("crash-auditor"),
                                     timeout=CALL_TIMEOUT_S).debt
                movements, token = [], ""
                while True:
                    page = debts.ListDebtMovements(
                        self.dpb.ListDebtMovementsRequest(debt_id=debt_id, page_size=100, page_token=token),
                        metadata=_employee("crash-auditor"), timeout=CALL_TIMEOUT_S)
                    movements += page.movements
                    token = page.next_page_token
                    if not token:
                        break
                balance = debt.balance.amount_halalas
                moved = sum(m.balance_delta.amount_halalas for m in movements)
                references = [m.sadad_reference for m in movements if m.sadad_reference]
                if balance != DEBT_AMOUNT + moved:
                    self.problems.append(f"debt {debt_id}: balance {balance} != {DEBT_AMOUNT} + movements {moved}")
                if balance < 0:
                    self.problems.append(f"debt {debt_id}: negative balance {balance}")
                if (debt.state == self.debt_pb2.DEBT_STATE_PAID) != (balance == 0):
                    self.problems.append(f"debt {debt_id}: state {debt.state} with balance {balance}")
                if len(references) != len(set(references)):
                    self.problems.append(f"DUPLICATE: debt {debt_id} credited twice with one SADAD reference")
            payments = self.pgrpc.GovernmentPaymentServiceStub(pc)
            for payment_id in self.payment_ids:
                found = payments.GetPayment(self.ppb.GetPaymentRequest(payment_id=payment_id),
                                            metadata=_employee("crash-auditor"), timeout=CALL_TIMEOUT_S)
                b = found.payment.balance
                parts = [b.available.amount_halalas, b.refundable.amount_halalas, b.refund_pending.amount_halalas,
                         b.consumed.amount_halalas, b.refunded.amount_halalas]
                by_kind: dict[int, int] = {}
                for movement in found.movements:
                    by_kind[movement.kind] = by_kind.get(movement.kind, 0) + movement.amount.amount_halalas
                if min(parts) < 0 or sum(parts) != b.paid.amount_halalas:
                    self.problems.append(f"payment {payment_id}: parts {parts} do not add up to {b.paid.amount_halalas}")
                if b.consumed.amount_halalas != by_kind.get(self.ppb.MOVEMENT_KIND_CONSUMED, 0):
                    self.problems.append(f"payment {payment_id}: consumed {b.consumed.amount_halalas} != its movements")
                cancelled = b.refundable.amount_halalas + b.refund_pending.amount_halalas + b.refunded.amount_halalas
                if cancelled != by_kind.get(self.ppb.MOVEMENT_KIND_CANCELLED, 0):
                    self.problems.append(f"payment {payment_id}: cancelled parts {cancelled} != its movements")

    # ------------------------------------------------------------------ run

    def run(self) -> int:
        started = time.monotonic()
        self.seed()
        for cycle in range(1, self.args.cycles + 1):
            daemon = Daemon(self.args.bin, self.data_dir, self.args.serve_arg, self.args.group_commit)
            journal, stop = Journal(), threading.Event()
            writers = [threading.Thread(target=self.writer, args=(daemon, journal, stop, self.random.random()))
                       for _ in range(self.args.writers)]
            for thread in writers:
                thread.start()
            # Kill once enough writes were acknowledged, at a random moment after that
            deadline = time.monotonic() + 60
            while len(journal.acked) < self.args.min_acked and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(self.random.uniform(0, self.args.max_delay))
            daemon.kill()
            stop.set()
            for thread in writers:
                thread.join(CALL_TIMEOUT_S + 10)
            restarted = Daemon(self.args.bin, self.data_dir, self.args.serve_arg, self.args.group_commit)
            try:
                # Every acknowledged write of this cycle, and a sample of the earlier ones
                earlier = self.random.sample(self.all_acked, min(len(self.all_acked), 200))
                self.replay(restarted, journal.acked + earlier, journal.unknown)
                self.check_ledgers(restarted)
            finally:
                restarted.kill()
            self.all_acked += journal.acked
            self.counts["acked"] += len(journal.acked)
            self.counts["unknown"] += len(journal.unknown)
            self.counts["refused"] += journal.refused
            print(f"cycle {cycle}: acked {len(journal.acked)}, answer lost {len(journal.unknown)}, "
                  f"refused {journal.refused}; problems so far {len(self.problems)}", flush=True)
        final = Daemon(self.args.bin, self.data_dir, self.args.serve_arg, self.args.group_commit)
        code = final.stop()
        if code != 0:
            self.problems.append(f"the daemon exited {code} after SIGTERM")
        with sqlite3.connect(self.data_dir / "etimad.sqlite") as db:
            integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        if integrity != "ok":
            self.problems.append(f"integrity_check: {integrity}")
        lost = sum(1 for p in self.problems if p.startswith("LOST"))
        duplicated = sum(1 for p in self.problems if p.startswith("DUPLICATE"))
        for problem in self.problems[:50]:
            print("PROBLEM:", problem)
        print(f"crash test (group commit {self.args.group_commit}): {self.args.cycles} cycles, acked {self.counts['acked']}, "
              f"replayed {self.counts['replayed']}, answer lost in the kill {self.counts['unknown']}, "
              f"refused {self.counts['refused']}, lost {lost}, duplicated {duplicated}, "
              f"other problems {len(self.problems) - lost - duplicated}, integrity {integrity}, "
              f"{time.monotonic() - started:.0f} s")
        if not self.args.keep:
            import shutil
            shutil.rmtree(self.data_dir, ignore_errors=True)
        else:
            print(f"data directory kept: {self.data_dir}")
        return 1 if self.problems else 0


def _id() -> str:
    return str(uuid.uuid4())


def _employee(name: str) -> list[tuple[str, str]]:
    return [("x-etimad-employee", name)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    release, debug = ROOT / ".build/release/etimadd", ROOT / ".build/debug/etimadd"
    parser.add_argument("--bin", default=str(release if release.exists() else debug), help="the etimadd binary")
    parser.add_argument("--cycles", type=int, default=20)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--min-acked", type=int, default=30, help="acknowledged writes before a kill may come")
    parser.add_argument("--max-delay", type=float, default=1.5, help="longest wait after that, in seconds")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--serve-arg", action="append", default=[], help="an extra flag for etimadd serve")
    parser.add_argument("--group-commit", choices=["on", "off"], default="on", help="the daemon's group_commit")
    parser.add_argument("--keep", action="store_true", help="keep the data directory")
    args = parser.parse_args()
    stubs = tempfile.mkdtemp(prefix="etimad-crash-stubs-")
    conftest.generate_stubs(stubs)
    sys.path.insert(0, stubs)
    return Tester(args).run()


if __name__ == "__main__":
    sys.exit(main())
