"""Malformed input against the whole contract, over grpcio (issue 12, "Done when").

For every method of every service in the contract - read from the descriptors of the stubs
conftest.py generates from Protos/ (every etimad.* service, grpc.health.v1.Health and server
reflection v1 and v1alpha) - this module sends, as raw bytes through generic grpcio calls:

- the empty message, random bytes, and mutated encodings (bit flips, truncation, extension,
  insertion, splices) of a valid-ish message built from the descriptor (ids harvested from
  the daemon's own answers, so that seeds reach past the first lookup);
- structural wire-format attacks: unterminated and 20,000-deep groups, unmatched end groups,
  lengths past the end or of 2^64-1, 11-byte varints, field number 0 and 2^29, invalid wire
  types, 100,000 unknown fields, every field with a wrong wire type;
- the valid-ish message with one field overridden at the wire level (appended, so it wins):
  every numeric field at its extremes (int32/int64 min and max, -1, uint64 max, out-of-range
  varints, NaN and infinities for doubles, unknown enum numbers), every
  google.protobuf.Timestamp field (nested ones too) at seconds INT64_MIN, INT64_MAX,
  -62135596801, 253402300800 and nanos -1, 1e9, 2^31-1, every CalendarDate, Money and
  FieldMask at odd values, every string field over-long (100 KB ASCII or Arabic, one 1 MB per
  method), invalid UTF-8 and nasty short strings, every repeated field with 10,000 elements;
- messages generated from the descriptor with every field random, nested recursively;
- the known killer of issue 12: `2a0b0880808080808080808001` to DebtService/ListDebts as MOF.

Each method is sent as each kind of caller the daemon's access table admits (found by asking:
a caller refused with SIGN_IN_REQUIRED or CALLER_NOT_ALLOWED is not admitted): anonymous on the
public port, a signed-in individual with a bearer token, an agency over mutual TLS on the
agency port with `x-etimad-employee` (the sector MOI-TRAFFIC for payments, MOF elsewhere).
Callers the table refuses get a few cases too, to exercise the refusal path.

Every call must: answer within the limit (1 s in long mode, 5 s in the default short mode, or
ETIMAD_FUZZ_MAX_SECONDS), with a status other than INTERNAL, UNKNOWN, DEADLINE_EXCEEDED,
CANCELLED (a stream reset by the server) and UNAVAILABLE without the daemon's own status
details (a dead or dropped connection); keep its trailers (grpc-message, percent-encoded, and
grpc-status-details-bin, base64, with HPACK's 32 bytes per entry) under 8 KiB. After each batch
the process must still run and answer Health/Check SERVING. A daemon that dies is restarted on
the same data so that one test reports every failing method; its stderr tail is in the report.

The daemon is a dedicated one (its own data directory seeded by `etimadd demo --accounts 40`),
so the fuzz disturbs no other test's data; it runs with SWIFT_BACKTRACE=enable=no (a crash ends
the process at once instead of after 10-40 s of backtrace) unless SWIFT_BACKTRACE is set.

Modes (environment):
  ETIMAD_FUZZ_ITERATIONS=N   long mode: N random, N mutated and N/4 random-bytes cases per
                             method and caller, every extreme value and long string for every
                             field, and the 1 s limit. Unset: short mode, the CI default.
  ETIMAD_FUZZ_SEED=S         the seed (default 1212); printed in every failure, to replay.
  ETIMAD_FUZZ_MAX_SECONDS=T  the answer-time limit instead of the mode's.
  ETIMAD_FUZZ_REPORT=path    also append every failure, with the full request hex, as JSON lines.

Run (short):  ETIMAD_BIN=$PWD/.build/debug/etimadd python3 -m pytest -q -p no:cacheprovider \
                  Tests/Interop/python/test_malformed.py
Run (long):   ETIMAD_FUZZ_ITERATIONS=200 ETIMAD_BIN=... python3 -m pytest -q Tests/Interop/python/test_malformed.py
One method:   ... pytest Tests/Interop/python/test_malformed.py -k 'DebtService/ListDebts'
"""

from __future__ import annotations

import base64
import dataclasses
import importlib
import json
import math
import os
import random
import re
import signal
import struct
import subprocess
import time
import unicodedata
import uuid
from pathlib import Path
from typing import Iterator

import grpc
import pytest
from google.protobuf import descriptor as descriptor_mod
from google.protobuf import message_factory
from google.rpc import error_details_pb2, status_pb2

import conftest

# --------------------------------------------------------------------------- modes

SEED = int(os.environ.get("ETIMAD_FUZZ_SEED", "1212"))
ITERATIONS = int(os.environ.get("ETIMAD_FUZZ_ITERATIONS", "0") or 0)
LONG = ITERATIONS > 0
MAX_SECONDS = float(os.environ.get("ETIMAD_FUZZ_MAX_SECONDS") or (1.0 if LONG else 5.0))
CALL_TIMEOUT_S = max(5.0, MAX_SECONDS + 1.0)
REPORT = os.environ.get("ETIMAD_FUZZ_REPORT")

RANDOM_MESSAGES = ITERATIONS if LONG else 6
MUTATIONS = ITERATIONS if LONG else 10
RANDOM_BYTES = max(3, ITERATIONS // 4) if LONG else 3
MANY = 100_000 if LONG else 10_000  # elements of a repeated field
LONG_STRING = 100 * 1024
HUGE_STRING = 1024 * 1024
OVERSIZE = 4 * 1024 * 1024 + 512 * 1024  # over gRPC's default 4 MiB receive limit
TRAILER_LIMIT = 8 * 1024
MAX_CRASHES_PER_TEST = 3
DEMO_ACCOUNTS = 150 if LONG else 40  # wrong current passwords may lock accounts: sign-in moves on
EMPLOYEE = "fuzz-employee"
AGENCY_BY_SERVICE = {"etimad.payments.v1.GovernmentPaymentService": "MOI-TRAFFIC"}
DEFAULT_AGENCY = "MOF"
KILLER_HEX = "2a0b0880808080808080808001"

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
UINT32_MAX, UINT64_MAX = 2**32 - 1, 2**64 - 1

CHANNEL_OPTIONS = [
    # Let any trailer through so that its real size is measured here (grpcio's defaults would
    # turn a big one into a client-side RESOURCE_EXHAUSTED and hide the daemon's status).
    ("grpc.max_metadata_size", 16 * 1024 * 1024),
    ("grpc.absolute_max_metadata_size", 16 * 1024 * 1024),
    ("grpc.max_receive_message_length", -1),
    ("grpc.max_send_message_length", -1),
    ("grpc.enable_retries", 0),
]

# --------------------------------------------------------------------------- the contract

FD = descriptor_mod.FieldDescriptor


@dataclasses.dataclass(frozen=True)
class Method:
    service: str
    name: str
    input: descriptor_mod.Descriptor
    output: descriptor_mod.Descriptor
    client_streaming: bool
    server_streaming: bool
    path_service: str  # the service name on the wire (reflection v1alpha reuses v1's messages)

    @property
    def path(self) -> str:
        return f"/{self.path_service}/{self.name}"

    @property
    def full_name(self) -> str:
        return f"{self.path_service}/{self.name}"

    @property
    def short(self) -> str:
        return f"{self.path_service.rsplit('.', 1)[-1]}/{self.name}"

    @property
    def kind(self) -> str:
        if self.client_streaming:
            return "bidi"
        return "server_stream" if self.server_streaming else "unary"


def _stub_module(proto: str) -> str:
    return proto[: -len(".proto")].replace("/", ".") + "_pb2"


def contract_methods() -> list[Method]:
    """Every method of every service in the stubs conftest generated from Protos/."""
    methods: list[Method] = []
    for proto in conftest.STUB_SOURCES:
        module = importlib.import_module(_stub_module(proto))
        for service in module.DESCRIPTOR.services_by_name.values():
            names = [service.full_name]
            if service.full_name == "grpc.reflection.v1.ServerReflection":
                names.append("grpc.reflection.v1alpha.ServerReflection")  # same messages on the wire
            for wire_name in names:
                for method in service.methods:
                    methods.append(Method(service.full_name, method.name, method.input_type,
                                          method.output_type, method.client_streaming,
                                          method.server_streaming, wire_name))
    return methods


# Methods that end or endanger the individual's session (and may lock the account) go last.
SESSION_ENDING = ("etimad.identity.v1.IdentityService/Logout", "etimad.identity.v1.IdentityService/RevokeSession",
                  "etimad.identity.v1.IdentityService/ChangePassword")
METHODS = sorted(contract_methods(), key=lambda m: m.full_name in SESSION_ENDING)
_CLASSES: dict[str, type] = {}


def message_class(desc: descriptor_mod.Descriptor) -> type:
    if desc.full_name not in _CLASSES:
        _CLASSES[desc.full_name] = message_factory.GetMessageClass(desc)
    return _CLASSES[desc.full_name]


def _repeated(field: FD) -> bool:
    if hasattr(field, "is_repeated"):  # protobuf >= 5.29; `label` is deprecated
        return bool(field.is_repeated)
    return field.label == FD.LABEL_REPEATED


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


# --------------------------------------------------------------------------- wire format


def varint(value: int) -> bytes:
    value &= (1 << 64) - 1
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def tag(number: int, wire_type: int) -> bytes:
    return varint((number << 3) | wire_type)


def length_delimited(number: int, payload: bytes) -> bytes:
    return tag(number, 2) + varint(len(payload)) + payload


def _zigzag(value: int) -> int:
    return ((value << 1) ^ (value >> 63)) & ((1 << 64) - 1)


VARINT_TYPES = {FD.TYPE_INT32, FD.TYPE_INT64, FD.TYPE_UINT32, FD.TYPE_UINT64, FD.TYPE_ENUM, FD.TYPE_BOOL}
FIXED32_TYPES = {FD.TYPE_FIXED32, FD.TYPE_SFIXED32, FD.TYPE_FLOAT}
FIXED64_TYPES = {FD.TYPE_FIXED64, FD.TYPE_SFIXED64, FD.TYPE_DOUBLE}
LEN_TYPES = {FD.TYPE_STRING, FD.TYPE_BYTES, FD.TYPE_MESSAGE}


def wire_type_of(field: FD) -> int:
    if field.type in VARINT_TYPES or field.type in (FD.TYPE_SINT32, FD.TYPE_SINT64):
        return 0
    if field.type in FIXED64_TYPES:
        return 1
    if field.type in FIXED32_TYPES:
        return 5
    return 2


def encode_scalar(field: FD, value) -> bytes:
    """The field's tag and value; integers may be out of the declared range on purpose."""
    number = field.number
    if field.type in VARINT_TYPES:
        return tag(number, 0) + varint(int(value))
    if field.type in (FD.TYPE_SINT32, FD.TYPE_SINT64):
        return tag(number, 0) + varint(_zigzag(int(value)))
    if field.type == FD.TYPE_DOUBLE:
        return tag(number, 1) + struct.pack("<d", value)
    if field.type == FD.TYPE_FLOAT:
        return tag(number, 5) + struct.pack("<f", value)
    if field.type in (FD.TYPE_FIXED64, FD.TYPE_SFIXED64):
        return tag(number, 1) + struct.pack("<Q", int(value) & UINT64_MAX)
    if field.type in (FD.TYPE_FIXED32, FD.TYPE_SFIXED32):
        return tag(number, 5) + struct.pack("<I", int(value) & UINT32_MAX)
    payload = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else bytes(value)
    return length_delimited(number, payload)


def wrap(path: tuple[FD, ...], leaf: bytes) -> bytes:
    """leaf (the encoding of path[-1]) nested in the messages of path[:-1]. Appended to an
    encoding, it merges into the singular messages on the way and its value wins."""
    for field in reversed(path[:-1]):
        leaf = length_delimited(field.number, leaf)
    return leaf


def path_name(path: tuple[FD, ...]) -> str:
    return ".".join(field.name for field in path)


LEAF_MESSAGES = {"google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask",
                 "etimad.type.v1.CalendarDate", "etimad.type.v1.Money"}


def field_paths(desc: descriptor_mod.Descriptor, prefix: tuple[FD, ...] = (),
                seen: tuple[str, ...] = ()) -> Iterator[tuple[FD, ...]]:
    """Every field reachable from desc, depth first; a message type already on the path is not
    entered again, and the well-known leaf messages are entered too (their numbers)."""
    for field in desc.fields:
        path = prefix + (field,)
        yield path
        if field.type == FD.TYPE_MESSAGE and field.message_type.full_name not in seen and len(path) < 6:
            yield from field_paths(field.message_type, path, seen + (desc.full_name,))


# --------------------------------------------------------------------------- values

ARABIC = "منصة اعتماد للمدفوعات الحكومية والديون والمنافسات "
NASTY_STRINGS = [
    "\x00", "\x00" * 64, "'; DROP TABLE debts; --", "%s%s%s%n%n", "../../../../etc/passwd",
    "\u202e\u0627\u0644\u0645\u0628\u0644\u063a", "٠١٢٣٤٥٦٧٨٩", "١١٠٠٠٠٠٠٠٧", "  ", "\t\r\n",
    "\U0001F600" * 50, "A" * 257, "ـــــــ", "ﷺ" * 100, "e\u0301" * 100, "9" * 40, "-1", "1e309",
    "NaN", "SA" + "0" * 22, "+966500000000", "=HYPERLINK(\"x\")", "\ufeff", "\ud7ff\ue000\uffff",
]
INVALID_UTF8 = [b"\xff\xfe", b"\xc0\x80", b"\xed\xa0\x80", b"abc\x80", b"\xf4\x90\x80\x80"]

EXTREMES = {
    FD.TYPE_INT32: [INT32_MIN, INT32_MAX, -1, INT64_MAX, UINT64_MAX],
    FD.TYPE_INT64: [INT64_MIN, INT64_MAX, -1, INT64_MIN + 1, 10**13 + 1, 10**15],
    FD.TYPE_UINT32: [UINT32_MAX, UINT64_MAX, 2**32],
    FD.TYPE_UINT64: [UINT64_MAX, INT64_MAX + 1],
    FD.TYPE_SINT32: [INT32_MIN, INT32_MAX, -1],
    FD.TYPE_SINT64: [INT64_MIN, INT64_MAX, -1],
    FD.TYPE_FIXED32: [UINT32_MAX], FD.TYPE_SFIXED32: [INT32_MIN, INT32_MAX],
    FD.TYPE_FIXED64: [UINT64_MAX], FD.TYPE_SFIXED64: [INT64_MIN, INT64_MAX],
    FD.TYPE_ENUM: [-1, INT32_MAX, INT32_MIN, 9999],
    FD.TYPE_BOOL: [2, UINT64_MAX],
    FD.TYPE_DOUBLE: [math.nan, math.inf, -math.inf, -0.0, 1.7976931348623157e308, 5e-324],
    FD.TYPE_FLOAT: [math.nan, math.inf, -math.inf, 3.4e38],
}

TIMESTAMP_EXTREMES = [  # (seconds, nanos)
    (INT64_MIN, 0), (INT64_MAX, 0), (-62135596801, 0), (253402300800, 0),
    (-62135596800, 0), (253402300799, 999_999_999),  # the valid range's ends
    (0, -1), (0, 10**9), (0, INT32_MAX), (1_700_000_000, INT32_MIN),
    (INT64_MIN, -1), (INT64_MAX, INT32_MAX), (INT64_MIN + 1, 999_999_999), (-1, -1),
]
DURATION_EXTREMES = [(INT64_MIN, 0), (INT64_MAX, 0), (315_576_000_001, 0), (-315_576_000_001, 0),
                     (1, -1), (-1, 1), (0, 10**9), (0, INT32_MIN)]
CALENDAR_DATES = [  # (year, month, day, calendar)
    (0, 0, 0, 0), (2025, 2, 30, 1), (2024, 2, 29, 1), (1447, 13, 1, 2), (1447, 12, 30, 2),
    (INT32_MAX, 12, 31, 1), (INT32_MIN, 1, 1, 1), (10000, 1, 1, 1), (1, 1, 1, 1), (9999, 12, 31, 1),
    (1300, 1, 1, 2), (1600, 12, 30, 2), (2027, -1, -1, 1), (2027, 1, 1, INT32_MAX),
]
MONEY = [("SAR", INT64_MAX), ("SAR", INT64_MIN), ("SAR", -1), ("SAR", 10**13 + 1), ("SAR", 10**15),
         ("USD", 100), ("sar", 100), ("", 100), ("ريال", 100), ("SAR\x00", 100)]


def string_value(rng: random.Random, length: int, arabic: bool) -> str:
    unit = ARABIC if arabic else "Etimad fuzz 0123456789 "
    text = unit * (length // len(unit.encode("utf-8")) + 1)
    start = rng.randrange(len(unit))
    return text[start:][: length if not arabic else length // 2]


# --------------------------------------------------------------------------- seeds


@dataclasses.dataclass
class Known:
    """Values harvested from the daemon's answers, by field name, for valid-ish seeds."""

    values: dict[str, list[str]] = dataclasses.field(default_factory=dict)

    def add(self, key: str, value: str) -> None:
        if value and len(value) <= 200:
            bucket = self.values.setdefault(key, [])
            if value not in bucket and len(bucket) < 30:
                bucket.append(value)

    def harvest(self, message, depth: int = 0) -> None:
        if depth > 6:
            return
        type_key = _snake(message.DESCRIPTOR.name)
        fields = {field.name: value for field, value in message.ListFields()}
        if isinstance(fields.get("code"), str) and isinstance(fields.get("agency_code"), str):
            self.add(f"sector_code@{fields['agency_code']}", fields["code"])  # a payments sector
        if isinstance(fields.get("code"), str) and isinstance(fields.get("sector_code"), str):
            self.add(f"service_code@{fields['sector_code']}", fields["code"])  # a sector's service
        for field, value in message.ListFields():
            values = value if _repeated(field) else [value]
            for item in values:
                if field.type == FD.TYPE_MESSAGE:
                    self.harvest(item, depth + 1)
                elif field.type == FD.TYPE_STRING:
                    self.add(field.name, item)
                    if field.name in ("id", "code"):
                        self.add(f"{type_key}_{field.name}", item)

    def pick(self, rng: random.Random, *keys: str) -> str | None:
        for key in keys:
            if self.values.get(key):
                return rng.choice(self.values[key])
        return None


@dataclasses.dataclass
class SeedContext:
    known: Known
    person: str  # the ID number in PersonId fields and debtor/requester numbers
    password: str
    services: list[str]
    agency: str | None = None  # the calling agency's code, for its own sector in seeds


def seed_string(field: FD, parent: descriptor_mod.Descriptor, rng: random.Random, ctx: SeedContext) -> str:
    name = field.name
    if name == "request_id":
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))
    if parent.full_name == "etimad.type.v1.PersonId" and name == "number":
        return ctx.person
    if name in ("debtor_id_number", "requester_id_number"):
        return ctx.person
    if name == "currency_code":
        return "SAR"
    if name == "sector_code" and ctx.agency:
        sector = ctx.known.pick(rng, f"sector_code@{ctx.agency}")
        if sector:
            return sector
    if name == "service_code" and ctx.agency:
        sector = ctx.known.pick(rng, f"sector_code@{ctx.agency}")
        service = ctx.known.pick(rng, f"service_code@{sector}") if sector else None
        if service:
            return service
    if name == "service" and parent.full_name.startswith("grpc.health"):
        return rng.choice(ctx.services + [""])
    if name in ("file_containing_symbol", "file_containing_extension", "list_services", "containing_type"):
        return rng.choice(ctx.services)
    if name == "file_by_filename":
        return "etimad/debts/v1/debt_service.proto"
    if name == "password":
        return ctx.password
    if name in ("current_password",):
        return "Wrong-2026x"  # never the real one: the fuzz must not change a password
    if name == "new_password":
        return "Fuzz2026pass"
    if name == "iban":
        return "SA0380000000608010167519"
    if name == "mobile":
        return "0501234567"
    if name == "email":
        return "fuzz@example.sa"
    if name == "code":
        known = ctx.known.pick(rng, f"{_snake(parent.name)}_code")
        return known or "".join(rng.choice("0123456789") for _ in range(6))
    if name == "sadad_reference" or name == "payment_reference":
        return f"FZ{rng.getrandbits(40):010x}"
    if name in ("page_token", "next_page_token"):
        return ""
    known = ctx.known.pick(rng, name, name.removesuffix("_number") + "_id") if name != "id" else None
    if known is None and name.endswith("_id"):
        known = ctx.known.pick(rng, name.removesuffix("_id") + "_id")
    if known is not None:
        return known
    if name.endswith("_code"):
        return ctx.known.pick(rng, name) or "MOF"
    return rng.choice(["اختبار آلي", "fuzz seed", "طلب تعديل بيانات", "note"])


def fill_seed(message, rng: random.Random, ctx: SeedContext, depth: int = 0) -> None:
    """A plausible value in every field (nested messages recursively, repeated fields with one
    element, one member of each oneof)."""
    desc = message.DESCRIPTOR
    name = desc.full_name
    if name == "google.protobuf.Timestamp":
        message.seconds = int(time.time()) + rng.randint(-30 * 86400, 30 * 86400)
        return
    if name == "google.protobuf.Duration":
        message.seconds = 3600
        return
    if name == "google.protobuf.FieldMask":
        message.paths.append("reason")
        return
    if name == "etimad.type.v1.CalendarDate":
        message.year, message.month, message.day, message.calendar = 2027, rng.randint(1, 12), rng.randint(1, 28), 1
        return
    if name == "etimad.type.v1.Money":
        message.currency_code, message.amount_halalas = "SAR", rng.choice([100, 5_000, 20_000, 150_000])
        return
    chosen = {}
    for oneof in desc.oneofs:
        if len(oneof.fields) > 1 or not oneof.name.startswith("_"):
            chosen[oneof.full_name] = rng.choice(list(oneof.fields))
    for field in desc.fields:
        oneof = field.containing_oneof
        if oneof is not None and oneof.full_name in chosen and chosen[oneof.full_name] is not field:
            continue
        repeated = _repeated(field)
        if field.type == FD.TYPE_MESSAGE:
            if depth >= 4:
                continue
            target = getattr(message, field.name)
            child = target.add() if repeated else target
            fill_seed(child, rng, ctx, depth + 1)
            if not repeated and oneof is not None:
                getattr(message, field.name).SetInParent()
            continue
        value = seed_scalar(field, desc, rng, ctx)
        if repeated:
            getattr(message, field.name).append(value)
        else:
            setattr(message, field.name, value)


def seed_scalar(field: FD, parent: descriptor_mod.Descriptor, rng: random.Random, ctx: SeedContext):
    if field.type == FD.TYPE_STRING:
        return seed_string(field, parent, rng, ctx)
    if field.type == FD.TYPE_BYTES:
        return b"fuzz"
    if field.type == FD.TYPE_BOOL:
        return rng.random() < 0.5
    if field.type == FD.TYPE_ENUM:
        values = [v.number for v in field.enum_type.values if v.number != 0]
        return values[0] if values else 0
    if field.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return 1.5
    name = field.name
    if name == "page_size":
        return 10
    if "count" in name or "instalment" in name:
        return 3
    if "halalas" in name or "amount" in name or "price" in name:
        return 10_000
    return 1


def build_seed(desc: descriptor_mod.Descriptor, rng: random.Random, ctx: SeedContext) -> bytes:
    return build_seed_message(desc, rng, ctx).SerializeToString()


def build_seed_message(desc: descriptor_mod.Descriptor, rng: random.Random, ctx: SeedContext):
    message = message_class(desc)()
    fill_seed(message, rng, ctx)
    return message


# --------------------------------------------------------------------------- random messages


def random_scalar(field: FD, rng: random.Random):
    if field.type in (FD.TYPE_STRING, FD.TYPE_BYTES):
        length = rng.choice([0, 1, 3, 10, 64, 300, 4096, 20_000])
        kind = rng.random()
        if kind < 0.1 and field.type == FD.TYPE_STRING:
            return rng.choice(INVALID_UTF8) * max(1, length // 4)
        if kind < 0.3:
            return rng.choice(NASTY_STRINGS)
        if kind < 0.5:
            return string_value(rng, length, arabic=True)
        if kind < 0.6:
            return "".join(chr(rng.choice([rng.randint(0x20, 0xD7FF), rng.randint(0xE000, 0x10FFFF)]))
                           for _ in range(min(length, 500)))
        return "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789-_ .") for _ in range(length))
    pool = EXTREMES.get(field.type, [0])
    roll = rng.random()
    if roll < 0.4:
        return rng.choice(pool)
    if field.type in (FD.TYPE_DOUBLE, FD.TYPE_FLOAT):
        return rng.uniform(-1e6, 1e6)
    if field.type == FD.TYPE_ENUM:
        return rng.choice([v.number for v in field.enum_type.values] + [rng.randint(-5, 50)])
    if field.type == FD.TYPE_BOOL:
        return rng.randint(0, 1)
    if roll < 0.7:
        return rng.randint(-3, 100)
    return rng.getrandbits(64) - 2**63


def random_message(desc: descriptor_mod.Descriptor, rng: random.Random, depth: int = 0) -> bytes:
    """Wire bytes of desc with random fields (out-of-range numbers included), recursively."""
    if desc.full_name in ("google.protobuf.Timestamp", "google.protobuf.Duration") and rng.random() < 0.6:
        seconds, nanos = rng.choice(TIMESTAMP_EXTREMES if "Timestamp" in desc.full_name else DURATION_EXTREMES)
        return tag(1, 0) + varint(seconds) + tag(2, 0) + varint(nanos)
    out = bytearray()
    for field in desc.fields:
        if rng.random() < 0.3:
            continue
        count = rng.choice([1, 1, 2, 3]) if _repeated(field) else 1
        for _ in range(count):
            if field.type == FD.TYPE_MESSAGE:
                if depth >= 5:
                    continue
                out += length_delimited(field.number, random_message(field.message_type, rng, depth + 1))
            else:
                out += encode_scalar(field, random_scalar(field, rng))
    if rng.random() < 0.1:  # an unknown field
        out += tag(rng.choice([99, 1000, 19000, 2**29 - 1]), 0) + varint(rng.getrandbits(64))
    return bytes(out)


# --------------------------------------------------------------------------- cases


@dataclasses.dataclass(frozen=True)
class Case:
    label: str
    payload: bytes


def mutate(seed: bytes, rng: random.Random) -> tuple[str, bytes]:
    data = bytearray(seed or b"\x00")
    kind = rng.choice(["flip", "flip", "truncate", "extend", "insert", "splice", "byte", "delete"])
    if kind == "flip":
        bits = rng.randint(1, 4)
        for _ in range(bits):
            position = rng.randrange(len(data) * 8)
            data[position // 8] ^= 1 << (position % 8)
        return f"{bits} bit(s) flipped", bytes(data)
    if kind == "truncate":
        cut = rng.randrange(len(data))
        return f"truncated to {cut} bytes", bytes(data[:cut])
    if kind == "extend":
        tail = rng.randbytes(rng.choice([1, 2, 5, 17, 100]))
        return f"extended by {len(tail)} random bytes", bytes(data) + tail
    if kind == "insert":
        at = rng.randrange(len(data) + 1)
        junk = rng.randbytes(rng.randint(1, 8))
        return f"{len(junk)} random bytes inserted at {at}", bytes(data[:at] + junk + data[at:])
    if kind == "splice":
        a, b = sorted(rng.randrange(len(data) + 1) for _ in range(2))
        return f"bytes {a}:{b} repeated", bytes(data[:b] + data[a:b] + data[b:])
    if kind == "delete":
        a, b = sorted(rng.randrange(len(data) + 1) for _ in range(2))
        return f"bytes {a}:{b} deleted", bytes(data[:a] + data[b:])
    at = rng.randrange(len(data))
    data[at] = rng.choice([0x00, 0x7F, 0x80, 0xFF])
    return f"byte {at} set to {data[at]:#04x}", bytes(data)


def structural_cases() -> list[Case]:
    unknown_group_start, unknown_group_end = tag(1000, 3), tag(1000, 4)
    return [
        Case("empty message", b""),
        Case("20000 nested unterminated groups (unknown field 1000)", unknown_group_start * 20_000),
        Case("5000 nested balanced groups", unknown_group_start * 5_000 + unknown_group_end * 5_000),
        Case("unmatched end group", unknown_group_end),
        Case("end group of another field", tag(1000, 3) + tag(1001, 4)),
        Case("length 2^64-1 on field 1", tag(1, 2) + varint(UINT64_MAX)),
        Case("length 2^31 past the end on field 1", tag(1, 2) + varint(2**31) + b"x"),
        Case("length past the end on unknown field", tag(1000, 2) + varint(100) + b"abc"),
        Case("11-byte varint on field 1", tag(1, 0) + b"\xff" * 10 + b"\x01"),
        Case("unterminated varint", tag(1, 0) + b"\xff\xff\xff"),
        Case("field number 0", b"\x00\x01"),
        Case("field number 2^29-1", tag(2**29 - 1, 0) + b"\x01"),
        Case("field number 2^29 (too big)", varint((2**29) << 3) + b"\x01"),
        Case("wire type 6", tag(1000, 6) + b"\x01"),
        Case("wire type 7", tag(1000, 7) + b"\x01"),
        Case("100000 unknown varint fields", (tag(1000, 0) + b"\x01") * 100_000),
        Case("reserved field number 19000", tag(19000, 2) + varint(3) + b"abc"),
        Case("a 4-byte tag with only 2 bytes", b"\xff\xff"),
    ]


class CaseBuilder:
    """The cases for one method and one caller, deterministic from the seed."""

    def __init__(self, method: Method, caller: str, ctx: SeedContext):
        self.method = method
        self.rng = random.Random(f"{SEED}:{method.full_name}:{caller}")
        self.ctx = ctx
        self.seed_message = build_seed_message(method.input, self.rng, ctx)

    @property
    def seed(self) -> bytes:
        """The valid-ish message with a fresh request_id each time, so that no case is refused
        as a retry of an earlier one with other content (REQUEST_ID_REUSED) before the fields
        are read."""
        fields = self.method.input.fields_by_name
        if "request_id" in fields:
            self.seed_message.request_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        for name in ("sadad_reference", "payment_reference"):  # unique per agency
            if name in fields and fields[name].type == FD.TYPE_STRING:
                setattr(self.seed_message, name, f"FZ{self.rng.getrandbits(40):010x}")
        return self.seed_message.SerializeToString()

    def refused_caller_cases(self) -> list[Case]:
        """A few cases for a caller the access table refuses: the refusal path must hold too."""
        cases = [Case("valid-ish seed", self.seed), Case("empty message", b""),
                 Case("64 random bytes", self.rng.randbytes(64))]
        strings = [p for p in field_paths(self.method.input) if p[-1].type == FD.TYPE_STRING]
        if strings:
            path = strings[0]
            cases.append(Case(f"{path_name(path)} = 1 MB ASCII",
                              self.seed + wrap(path, encode_scalar(path[-1], "x" * HUGE_STRING))))
        cases += self.timestamp_cases()[:2]
        return cases

    def cases(self) -> Iterator[Case]:
        rng, desc = self.rng, self.method.input
        yield Case("valid-ish seed", self.seed)
        yield from structural_cases()
        for length in [1, 5, 64, 1024][: RANDOM_BYTES] + [rng.randint(1, 4096) for _ in range(RANDOM_BYTES - 4)]:
            yield Case(f"{length} random bytes", rng.randbytes(length))
        for _ in range(MUTATIONS):
            label, payload = mutate(self.seed, rng)
            yield Case(f"seed {label}", payload)
        for number in range(RANDOM_MESSAGES):
            yield Case(f"random message #{number} from the descriptor", random_message(desc, rng))
        yield from self.timestamp_cases()
        yield from self.value_cases()
        yield from self.string_cases()
        yield from self.repeated_cases()
        yield from self.wire_type_cases()

    def timestamp_cases(self) -> list[Case]:
        cases = []
        for path in field_paths(self.method.input):
            field = path[-1]
            if field.type != FD.TYPE_MESSAGE:
                continue
            kind = field.message_type.full_name
            if kind not in ("google.protobuf.Timestamp", "google.protobuf.Duration"):
                continue
            extremes = TIMESTAMP_EXTREMES if kind.endswith("Timestamp") else DURATION_EXTREMES
            for seconds, nanos in extremes:
                leaf = length_delimited(field.number, tag(1, 0) + varint(seconds) + tag(2, 0) + varint(nanos))
                cases.append(Case(f"{path_name(path)} = {kind.rsplit('.', 1)[-1]}(seconds={seconds}, nanos={nanos})",
                                  self.seed + wrap(path, leaf)))
        return cases

    def value_cases(self) -> Iterator[Case]:
        for path in field_paths(self.method.input):
            field = path[-1]
            if field.type == FD.TYPE_MESSAGE:
                kind = field.message_type.full_name
                if kind == "etimad.type.v1.CalendarDate":
                    for year, month, day, calendar in CALENDAR_DATES:
                        body = b"".join(tag(n, 0) + varint(v) for n, v in ((1, year), (2, month), (3, day), (4, calendar)))
                        yield Case(f"{path_name(path)} = CalendarDate({year}, {month}, {day}, calendar {calendar})",
                                   self.seed + wrap(path, length_delimited(field.number, body)))
                elif kind == "etimad.type.v1.Money":
                    for currency, amount in MONEY:
                        body = length_delimited(1, currency.encode()) + tag(2, 0) + varint(amount)
                        yield Case(f"{path_name(path)} = Money({currency!r}, {amount})",
                                   self.seed + wrap(path, length_delimited(field.number, body)))
                elif kind == "google.protobuf.FieldMask":
                    for label, paths in [("unknown path", ["no_such_field"]), ("empty path", [""]),
                                         ("deep path", [".".join(["a"] * 1000)]),
                                         (f"{MANY} paths", [f"p{i}" for i in range(MANY)]),
                                         ("Arabic path", ["سبب"]), ("wildcard", ["*"])]:
                        body = b"".join(length_delimited(1, p.encode()) for p in paths)
                        yield Case(f"{path_name(path)} = FieldMask({label})",
                                   self.seed + wrap(path, length_delimited(field.number, body)))
                continue
            for value in EXTREMES.get(field.type, []):
                leaf = encode_scalar(field, value)
                yield Case(f"{path_name(path)} = {value!r}", self.seed + wrap(path, leaf))
                if _repeated(field) and field.type != FD.TYPE_STRING:
                    packed = length_delimited(field.number, varint(value) * 3) if field.type in VARINT_TYPES else b""
                    if packed:
                        yield Case(f"{path_name(path)} packed [{value!r}] * 3", self.seed + wrap(path, packed))

    def string_cases(self) -> Iterator[Case]:
        rng = self.rng
        strings = [p for p in field_paths(self.method.input) if p[-1].type in (FD.TYPE_STRING, FD.TYPE_BYTES)]
        for index, path in enumerate(strings):
            field = path[-1]
            lengths = [(LONG_STRING, False), (LONG_STRING, True), (HUGE_STRING, False), (HUGE_STRING, True)] \
                if LONG else [(LONG_STRING, index % 2 == 1)]
            for length, arabic in lengths:
                text = string_value(rng, length, arabic)
                yield Case(f"{path_name(path)} = {len(text.encode())} bytes of {'Arabic' if arabic else 'ASCII'}",
                           self.seed + wrap(path, encode_scalar(field, text)))
            for text in (NASTY_STRINGS if LONG else [rng.choice(NASTY_STRINGS)]):
                yield Case(f"{path_name(path)} = {text[:40]!r}", self.seed + wrap(path, encode_scalar(field, text)))
            if field.type == FD.TYPE_STRING:
                for bad in (INVALID_UTF8 if LONG else [INVALID_UTF8[index % len(INVALID_UTF8)]]):
                    yield Case(f"{path_name(path)} = invalid UTF-8 {bad.hex()}",
                               self.seed + wrap(path, encode_scalar(field, bad)))
        if strings:
            path = rng.choice(strings)
            arabic = rng.random() < 0.5
            text = string_value(rng, HUGE_STRING, arabic)
            yield Case(f"{path_name(path)} = {len(text.encode())} bytes of {'Arabic' if arabic else 'ASCII'}",
                       self.seed + wrap(path, encode_scalar(path[-1], text)))
            every = b"".join(wrap(p, encode_scalar(p[-1], string_value(rng, 4096, True))) for p in strings)
            yield Case("every string field = 4 KB of Arabic", self.seed + every)
            yield Case(f"{path_name(path)} = {OVERSIZE} bytes (over 4 MiB)",
                       self.seed + wrap(path, encode_scalar(path[-1], b"y" * OVERSIZE)))

    def repeated_cases(self) -> Iterator[Case]:
        for path in field_paths(self.method.input):
            field = path[-1]
            if not _repeated(field):
                continue
            if field.type == FD.TYPE_MESSAGE:
                element = build_seed(field.message_type, self.rng, self.ctx)
                one = length_delimited(field.number, element)
            elif field.type == FD.TYPE_STRING:
                one = encode_scalar(field, "fuzz-element")
            else:
                one = encode_scalar(field, 1)
            yield Case(f"{path_name(path)} with {MANY} elements", self.seed + wrap(path, one * MANY))

    def wire_type_cases(self) -> Iterator[Case]:
        bodies = {0: varint(1), 1: b"\x01" * 8, 2: varint(2) + b"\x08\x01", 3: b"", 5: b"\x01" * 4}
        for path in field_paths(self.method.input):
            field = path[-1]
            wrong = [w for w in bodies if w != wire_type_of(field)]
            for wire_type in (wrong if LONG else [self.rng.choice(wrong)]):
                leaf = tag(field.number, wire_type) + bodies[wire_type]
                if wire_type == 3:
                    leaf += tag(field.number, 4)
                yield Case(f"{path_name(path)} with wire type {wire_type}", self.seed + wrap(path, leaf))


# --------------------------------------------------------------------------- the daemon

SMS_CODE = re.compile(r": (\d{6})")


def _sms_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8", errors="replace").split("\n")[:-1]
    except FileNotFoundError:
        return []


def _ascii_digits(text: str) -> str:
    return "".join(str(unicodedata.digit(c)) for c in text if unicodedata.digit(c, None) is not None)


def _status_details(trailers) -> status_pb2.Status | None:
    for key, value in trailers or ():
        if key == "grpc-status-details-bin":
            status = status_pb2.Status()
            try:
                status.ParseFromString(value)
            except Exception:  # noqa: BLE001 - a malformed detail is reported by the size check
                return None
            return status
    return None


def _reason(trailers) -> str | None:
    status = _status_details(trailers)
    if status is None:
        return None
    for detail in status.details:
        if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            detail.Unpack(info)
            return info.reason
    return None


def _percent_encoded_length(text: str) -> int:
    return sum(1 if 0x20 <= b <= 0x7E and b != 0x25 else 3 for b in text.encode("utf-8", "surrogatepass"))


def trailer_size(details: str | None, trailers) -> int:
    """The trailers' size as HPACK counts it: name + value + 32 per entry, grpc-message
    percent-encoded and binary values base64-encoded as on the wire."""
    size = len("grpc-status") + 2 + 32
    if details:
        size += len("grpc-message") + _percent_encoded_length(details) + 32
    for key, value in trailers or ():
        length = len(base64.b64encode(value).rstrip(b"=")) if key.endswith("-bin") else len(value)
        size += len(key) + length + 32
    return size


@dataclasses.dataclass
class Outcome:
    code: grpc.StatusCode
    details: str | None
    trailers: tuple
    elapsed: float
    reason: str | None = None
    messages: int = 0


class Target:
    """The dedicated daemon, its channels and the individual's session; restartable."""

    def __init__(self, binary: str, data_dir: Path, env: dict[str, str], password: str,
                 accounts: tuple[str, ...]):
        self.binary, self.data_dir, self.env, self.password = binary, data_dir, env, password
        self.victim = accounts[0]  # fuzzed sign-in seeds name this one; it may get locked
        self.logins = list(accounts[1:])  # the individual signs in with these, in turn
        self.process: subprocess.Popen | None = None
        self.pipes = None
        self.channels: dict[str, grpc.Channel] = {}
        self.token: str | None = None
        self.crashes: list[str] = []
        self.known = Known()
        self.admitted: dict[str, dict[str, bool]] = {}

    # ---- process

    def start(self) -> None:
        command = [self.binary, "serve", "--data-dir", str(self.data_dir), "--host", "127.0.0.1",
                   "--public-port", "0", "--agency-port", "0", "--metrics-port", "0"]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE, text=True, encoding="utf-8",
                                        errors="replace", env=self.env)
        self.pipes = conftest._Pipes(self.process)
        try:
            ready = conftest._wait_for_ready_line(self.process, self.pipes)
        except (TimeoutError, RuntimeError) as error:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"{' '.join(command)}: {error}\n--- stderr ---\n{self.pipes.stderr_text()}", pytrace=False)
        self.ca = Path(ready["ca"]).read_bytes()
        self.public_port = int(ready["public"].rsplit(":", 1)[1])
        self.agency_port = int(ready["agency"].rsplit(":", 1)[1])
        for channel in self.channels.values():
            channel.close()
        self.channels = {}
        self.token = None

    def stop(self) -> tuple[int | None, str]:
        for channel in self.channels.values():
            channel.close()
        self.channels = {}
        if self.process is None or self.process.poll() is not None:
            return (self.process.returncode if self.process else None), self.stderr()
        self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=conftest.STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            code = None
        self.pipes.join(5)
        return code, self.stderr()

    def stderr(self) -> str:
        return self.pipes.stderr_text() if self.pipes else ""

    def exited(self) -> bool:
        return self.process is None or self.process.poll() is not None

    def serving(self) -> bool:
        """The process runs and answers Health/Check SERVING within 2 s."""
        if self.exited():
            return False
        from grpc_protos.health.v1 import health_pb2
        check = self.channel("anonymous").unary_unary(
            "/grpc.health.v1.Health/Check", request_serializer=lambda b: b,
            response_deserializer=health_pb2.HealthCheckResponse.FromString)
        try:
            answer = check(b"", timeout=2)
        except grpc.RpcError:
            return False
        return answer.status == health_pb2.HealthCheckResponse.SERVING

    def ensure_up(self, why: str) -> bool:
        """Restarts a daemon that died or stopped answering; returns True if it had to."""
        if self.serving():
            return False
        time.sleep(0.5)  # one more chance: a loaded machine
        if self.serving():
            return False
        code = self.process.poll() if self.process else None
        if code is None and self.process is not None:
            self.process.kill()
            self.process.wait()
        tail = "\n".join(self.stderr().splitlines()[-40:])
        self.crashes.append(f"{why}: exit {self.process.returncode if self.process else None}\n{tail}")
        self.start()
        return True

    # ---- callers

    def channel(self, caller: str) -> grpc.Channel:
        if caller not in self.channels:
            if caller.startswith("agency:"):
                code = caller.split(":", 1)[1]
                agencies = self.data_dir / "agencies"
                credentials = grpc.ssl_channel_credentials(
                    root_certificates=self.ca, private_key=(agencies / f"{code}-key.pem").read_bytes(),
                    certificate_chain=(agencies / f"{code}.pem").read_bytes())
                address = f"localhost:{self.agency_port}"
            else:
                credentials = grpc.ssl_channel_credentials(root_certificates=self.ca)
                address = f"localhost:{self.public_port}"
            channel = grpc.secure_channel(address, credentials, options=CHANNEL_OPTIONS)
            grpc.channel_ready_future(channel).result(timeout=10)
            self.channels[caller] = channel
        return self.channels[caller]

    def metadata(self, caller: str, language: str) -> list[tuple[str, str]]:
        metadata = [("accept-language", language)]
        if caller == "individual":
            metadata.append(("authorization", f"Bearer {self.session()}"))
        elif caller.startswith("agency:"):
            metadata.append(("x-etimad-employee", EMPLOYEE))
        return metadata

    def session(self) -> str:
        if self.token is None:
            self.token = self.log_in()
        return self.token

    def log_in(self) -> str:
        """Signs in with the first demo account that still can (the fuzz may lock one)."""
        from etimad.identity.v1 import identity_service_pb2 as identity_pb2
        from etimad.identity.v1 import identity_service_pb2_grpc as identity_grpc
        from etimad.type.v1 import person_id_pb2
        identity = identity_grpc.IdentityServiceStub(self.channel("anonymous"))
        problems = []
        for number in list(self.logins):
            sms_log = self.data_dir / "sms.log"
            before = len(_sms_lines(sms_log))
            try:
                challenge = identity.StartLogin(identity_pb2.StartLoginRequest(
                    request_id=str(uuid.uuid4()), person_id=person_id_pb2.PersonId(number=number),
                    password=self.password), timeout=10).challenge
            except grpc.RpcError as error:
                problems.append(f"{number}: {error.code()} {error.details()}")
                self.logins.remove(number)
                continue
            last_four = _ascii_digits(challenge.masked_mobile)[-4:]
            deadline, code = time.monotonic() + 10, None
            while code is None and time.monotonic() < deadline:
                for line in _sms_lines(sms_log)[before:]:
                    to = _ascii_digits(line.split(" to=", 1)[-1].split(" ", 1)[0])
                    match = SMS_CODE.search(line)
                    if to.endswith(last_four) and match:
                        code = match[1]
                time.sleep(0.05)
            if code is None:
                problems.append(f"{number}: no SMS")
                continue
            verified = identity.VerifyLogin(identity_pb2.VerifyLoginRequest(
                request_id=str(uuid.uuid4()), ticket=challenge.ticket, code=code), timeout=10)
            return verified.access_token
        pytest.fail(f"no demo account could sign in: {problems}", pytrace=False)

    def session_alive(self) -> bool:
        call = self.channel("individual").unary_unary(
            "/etimad.identity.v1.IdentityService/WhoAmI", request_serializer=lambda b: b,
            response_deserializer=lambda b: b)
        try:
            call(b"", timeout=5, metadata=[("authorization", f"Bearer {self.token}")])
        except grpc.RpcError as error:
            return error.code() != grpc.StatusCode.UNAUTHENTICATED
        return True

    # ---- calls

    def invoke(self, method: Method, caller: str, payload: bytes, language: str = "ar") -> Outcome:
        outcome = self._invoke(method, caller, payload, language)
        if caller == "individual" and outcome.code == grpc.StatusCode.UNAUTHENTICATED and not self.session_alive():
            self.token = None  # the fuzz logged the session out (Logout, ChangePassword, ...): again
            outcome = self._invoke(method, caller, payload, language)
        return outcome

    def _invoke(self, method: Method, caller: str, payload: bytes, language: str) -> Outcome:
        channel = self.channel(caller)
        metadata = self.metadata(caller, language)
        identity = lambda b: b  # noqa: E731
        started = time.monotonic()
        messages = 0
        try:
            if method.kind == "unary":
                _, call = channel.unary_unary(method.path, request_serializer=identity,
                                              response_deserializer=identity).with_call(
                    payload, timeout=CALL_TIMEOUT_S, metadata=metadata)
                elapsed = time.monotonic() - started
                return Outcome(grpc.StatusCode.OK, call.details(), tuple(call.trailing_metadata() or ()),
                               elapsed, messages=1)
            if method.kind == "server_stream":
                stream = channel.unary_stream(method.path, request_serializer=identity,
                                              response_deserializer=identity)(
                    payload, timeout=CALL_TIMEOUT_S, metadata=metadata)
            else:
                stream = channel.stream_stream(method.path, request_serializer=identity,
                                               response_deserializer=identity)(
                    iter([payload]), timeout=CALL_TIMEOUT_S, metadata=metadata)
            elapsed = None
            for _ in stream:
                messages += 1
                if elapsed is None:
                    elapsed = time.monotonic() - started  # the answer time is the first message's
                if method.full_name == "grpc.health.v1.Health/Watch":
                    stream.cancel()  # an endless stream by design: the first answer is enough
                    return Outcome(grpc.StatusCode.OK, None, (), elapsed, messages=messages)
            return Outcome(stream.code(), stream.details(), tuple(stream.trailing_metadata() or ()),
                           elapsed if elapsed is not None else time.monotonic() - started, messages=messages)
        except grpc.RpcError as error:
            elapsed = time.monotonic() - started
            trailers = tuple(error.trailing_metadata() or ())
            return Outcome(error.code(), error.details(), trailers, elapsed, _reason(trailers), messages)


# --------------------------------------------------------------------------- fixture


def _agency_for(method: Method) -> str:
    return f"agency:{AGENCY_BY_SERVICE.get(method.service, DEFAULT_AGENCY)}"


def _callers_for(method: Method) -> list[str]:
    return ["anonymous", "individual", _agency_for(method)]


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    binary = conftest._etimad_binary()
    data_dir = tmp_path_factory.mktemp("etimad-fuzz-data")
    env = {**os.environ, "ETIMAD_PASSWORD_HASH_LOG_N": conftest.DEMO_PASSWORD_HASH_LOG_N,
           "ETIMAD_SIGN_IN_RATE_PER_PEER": "100000", "ETIMAD_SIGN_IN_RATE_PER_ID": "100000"}
    env.setdefault("SWIFT_BACKTRACE", "enable=no")
    command = [binary, "demo", "--data-dir", str(data_dir), "--accounts", str(DEMO_ACCOUNTS)]
    result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True, encoding="utf-8",
                            errors="replace", env=env, timeout=conftest.READY_TIMEOUT_S * 2, check=False)
    if result.returncode != 0:
        pytest.fail(f"{' '.join(command)} exited with {result.returncode}\n{result.stdout}{result.stderr}",
                    pytrace=False)
    password, accounts, _ = conftest._parse_demo_output(result.stdout)
    running = Target(binary, data_dir, env, password, accounts)
    running.start()
    _harvest(running)
    yield running
    code, stderr = running.stop()
    assert code == 0, f"the fuzzed daemon exited with {code} after SIGTERM\n--- stderr ---\n{stderr[-4000:]}"


def _harvest(target: Target) -> None:
    """Reads the demo's ids (debts, payments, tenders, requests, sessions, codes) with empty
    List/Search/Get requests, so that seeds name records that exist."""
    for method in METHODS:
        if method.kind != "unary" or not method.service.startswith("etimad."):
            continue
        if not method.name.startswith(("List", "Search", "Get")):
            continue
        for caller in _callers_for(method):
            outcome_payload = _call_for_response(target, method, caller)
            if outcome_payload is not None:
                try:
                    target.known.harvest(message_class(method.output).FromString(outcome_payload))
                except Exception:  # noqa: BLE001 - a seed without ids is still a seed
                    pass


def _call_for_response(target: Target, method: Method, caller: str) -> bytes | None:
    call = target.channel(caller).unary_unary(method.path, request_serializer=lambda b: b,
                                              response_deserializer=lambda b: b)
    try:
        return call(b"", timeout=CALL_TIMEOUT_S, metadata=target.metadata(caller, "en"))
    except grpc.RpcError:
        target.ensure_up(f"harvest {method.short} as {caller}")
        return None


def _seed_context(target: Target) -> SeedContext:
    services = sorted({m.service for m in METHODS})
    return SeedContext(known=target.known, person=target.victim, password=target.password, services=services)


def _context_for(ctx: SeedContext, target: Target, method: Method, caller: str) -> SeedContext:
    """Sign-in seeds name the victim account (whatever they do to it, the fuzz signs in with
    others); other seeds name the signed-in individual, so that what an agency call stores
    (say, a payment of INT64_MAX) is what that individual's reads then meet."""
    person = target.victim if method.service.startswith("etimad.identity.") else target.logins[0]
    return dataclasses.replace(ctx, person=person,
                               agency=caller.split(":", 1)[1] if caller.startswith("agency:") else None)


# --------------------------------------------------------------------------- checks

REFUSED = {(grpc.StatusCode.UNAUTHENTICATED, "SIGN_IN_REQUIRED"), (grpc.StatusCode.PERMISSION_DENIED, "CALLER_NOT_ALLOWED")}
BAD_CODES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN, grpc.StatusCode.DEADLINE_EXCEEDED,
             grpc.StatusCode.CANCELLED, grpc.StatusCode.DATA_LOSS}


def problems_of(outcome: Outcome) -> list[str]:
    problems = []
    if outcome.elapsed >= MAX_SECONDS:
        problems.append(f"answered after {outcome.elapsed:.2f} s (limit {MAX_SECONDS} s)")
    if outcome.code == grpc.StatusCode.CANCELLED:
        problems.append("status CANCELLED: the daemon reset the stream (an over-size message should be"
                        " RESOURCE_EXHAUSTED, issue 12 item 5)")
    elif outcome.code in BAD_CODES:
        problems.append(f"status {outcome.code.name}")
    if outcome.code == grpc.StatusCode.UNAVAILABLE and _status_details(outcome.trailers) is None:
        problems.append("status UNAVAILABLE without the daemon's status details (connection dropped?)")
    if outcome.code == grpc.StatusCode.RESOURCE_EXHAUSTED and "metadata" in (outcome.details or "").lower():
        problems.append("trailers over grpcio's metadata limit")
    size = trailer_size(outcome.details, outcome.trailers)
    if size >= TRAILER_LIMIT:
        problems.append(f"trailers of {size} bytes (limit {TRAILER_LIMIT})")
    return problems


def describe(method: Method, caller: str, case: Case, outcome: Outcome | None, problems: list[str]) -> str:
    payload = case.payload  # whole when short; else head and tail (an override is appended)
    hexed = payload.hex() if len(payload) <= 256 else f"{payload[:48].hex()}…{payload[-48:].hex()}"
    got = "" if outcome is None else (
        f" -> {outcome.code.name} {(outcome.reason or '')} in {outcome.elapsed:.3f} s,"
        f" message {(outcome.details or '')[:120]!r}")
    return (f"{method.full_name} as {caller}: {case.label} [{len(case.payload)} bytes, hex {hexed}]{got}:"
            f" {'; '.join(problems)}")


def _report(method: Method, caller: str, case: Case, outcome: Outcome | None, problems: list[str]) -> None:
    if not REPORT:
        return
    with open(REPORT, "a", encoding="utf-8") as out:
        out.write(json.dumps({
            "seed": SEED, "method": method.full_name, "caller": caller, "case": case.label,
            "hex": case.payload.hex() if len(case.payload) <= 4096 else case.payload[:4096].hex() + "…",
            "length": len(case.payload), "status": outcome.code.name if outcome else None,
            "reason": outcome.reason if outcome else None,
            "elapsed": round(outcome.elapsed, 3) if outcome else None, "problems": problems,
        }, ensure_ascii=False) + "\n")


def run_cases(target: Target, method: Method, caller: str, cases: Iterator[Case], failures: list[str]) -> int:
    """Sends every case; appends a line per failing one; restarts a daemon that died."""
    sent = crashes = 0
    for index, case in enumerate(cases):
        outcome = target.invoke(method, caller, case.payload, language="ar" if index % 2 == 0 else "en")
        sent += 1
        problems = problems_of(outcome)
        suspicious = problems or outcome.code == grpc.StatusCode.UNAVAILABLE
        if (suspicious or index % 50 == 49) and target.ensure_up(f"after {method.full_name} as {caller}: {case.label}"):
            problems.append("the daemon died or stopped answering Health/Check (restarted); stderr tail:\n    "
                            + target.crashes[-1].replace("\n", "\n    ")[-3000:])
            crashes += 1
        if problems:
            failures.append(describe(method, caller, case, outcome, problems))
            _report(method, caller, case, outcome, problems)
        if crashes >= MAX_CRASHES_PER_TEST:
            failures.append(f"{method.full_name} as {caller}: stopped after {crashes} crashes")
            break
    if target.ensure_up(f"after the batch {method.full_name} as {caller}"):
        failures.append(f"{method.full_name} as {caller}: the daemon was down after the batch:\n"
                        + target.crashes[-1][-3000:])
    return sent


def admitted_callers(target: Target, method: Method) -> dict[str, bool]:
    """Asks the daemon's access table: which callers does it admit for the method?"""
    if method.full_name not in target.admitted:
        answers = {}
        for caller in _callers_for(method):
            outcome = target.invoke(method, caller, b"", "en")
            answers[caller] = (outcome.code, outcome.reason) not in REFUSED
        target.admitted[method.full_name] = answers
    return target.admitted[method.full_name]


def param_id(method: Method) -> str:
    """The test's parameter id: 'DebtService/ListDebts', 'Health/Check', ... for pytest -k."""
    return method.full_name.split(".v1.", 1)[-1].replace("grpc.reflection.v1alpha.", "v1alpha.")


def _fail_report(failures: list[str], method: Method, sent: int) -> str:
    shown = failures[:30]
    more = f"\n  … and {len(failures) - len(shown)} more" if len(failures) > len(shown) else ""
    return (f"{len(failures)} of {sent} malformed calls to {method.full_name} failed"
            f" (ETIMAD_FUZZ_SEED={SEED}{f' ETIMAD_FUZZ_ITERATIONS={ITERATIONS}' if LONG else ''}"
            f" pytest -k '{param_id(method)}'):\n  " + "\n  ".join(shown) + more)


# --------------------------------------------------------------------------- tests


def _method(full_name: str) -> Method:
    return next(m for m in METHODS if m.full_name == full_name)


def test_known_killer_timestamp_on_list_debts(target):
    # The bytes of issue 12: ListDebtsRequest.create_time_from.seconds = INT64_MIN, sent by MOF.
    method = _method("etimad.debts.v1.DebtService/ListDebts")
    case = Case("issue 12's killer: create_time_from.seconds = INT64_MIN", bytes.fromhex(KILLER_HEX))
    failures: list[str] = []
    run_cases(target, method, "agency:MOF", iter([case]), failures)
    assert not failures, _fail_report(failures, method, 1)


def test_contract_covers_every_served_service(target):
    # What the daemon serves (reflection) is what this module fuzzes, so a new service is covered.
    from grpc_protos.reflection.v1 import reflection_pb2, reflection_pb2_grpc
    stub = reflection_pb2_grpc.ServerReflectionStub(target.channel("anonymous"))
    answers = list(stub.ServerReflectionInfo(iter([reflection_pb2.ServerReflectionRequest(list_services="")]),
                                             timeout=10))
    served = {service.name for answer in answers for service in answer.list_services_response.service}
    fuzzed = {method.path_service for method in METHODS}
    assert served, "reflection listed no service"
    assert served <= fuzzed, f"served but not fuzzed (no stubs in conftest.STUB_SOURCES?): {served - fuzzed}"


@pytest.mark.parametrize("method", METHODS, ids=[param_id(m) for m in METHODS])
def test_malformed_input(target, method: Method):
    failures: list[str] = []
    sent = 0
    ctx = _seed_context(target)
    admitted = admitted_callers(target, method)
    assert any(admitted.values()) or method.service.startswith("grpc."), \
        f"{method.full_name}: no caller admitted by the access table: {admitted}"
    for caller, allowed in admitted.items():
        builder = CaseBuilder(method, caller, _context_for(ctx, target, method, caller))
        cases = builder.cases() if allowed else iter(builder.refused_caller_cases())
        sent += run_cases(target, method, caller, cases, failures)
    assert not failures, _fail_report(failures, method, sent)
