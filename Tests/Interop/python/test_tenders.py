"""The tenders service over grpcio: anyone, anonymous included, browses the published
competitions with Arabic-aware search; drafts stay with their agency.

Runs against the `demo_daemon` fixture (conftest.py): `etimadd demo` publishes realistic
tenders of the demo agencies (and one draft each), then `etimadd serve` serves them.

Run: ETIMAD_BIN=/path/to/etimadd pytest Tests/Interop/python/test_tenders.py
"""

from __future__ import annotations

import grpc
import pytest


from etimad.tenders.v1 import tender_service_pb2 as tenders_pb2  # noqa: E402
from etimad.tenders.v1 import tender_service_pb2_grpc as tenders_pb2_grpc  # noqa: E402

RPC_TIMEOUT_S = 10
Status = tenders_pb2.TenderStatus


@pytest.fixture(scope="module")
def anonymous(demo_daemon):
    credentials = grpc.ssl_channel_credentials(root_certificates=demo_daemon.daemon.ca_pem)
    with grpc.secure_channel(f"localhost:{demo_daemon.daemon.public_port}", credentials) as channel:
        yield tenders_pb2_grpc.TenderServiceStub(channel)


def _all(stub, **filters) -> list:
    found, token = [], ""
    while True:
        page = stub.SearchTenders(tenders_pb2.SearchTendersRequest(page_size=7, page_token=token, **filters),
                                  timeout=RPC_TIMEOUT_S)
        found.extend(page.tenders)
        token = page.next_page_token
        if not token:
            return found


def test_lookups_for_anonymous_callers(anonymous):
    regions = anonymous.ListRegions(tenders_pb2.ListRegionsRequest(), timeout=RPC_TIMEOUT_S).regions
    assert len(regions) == 13
    assert regions[0].name.ar == "الرياض" and regions[0].name.en == "Riyadh"
    activities = anonymous.ListActivities(tenders_pb2.ListActivitiesRequest(), timeout=RPC_TIMEOUT_S).activities
    assert any(a.code == "medical" and any(s.code == "medical.devices" for s in a.sub_activities)
               for a in activities)
    types = anonymous.ListTenderTypes(tenders_pb2.ListTenderTypesRequest(), timeout=RPC_TIMEOUT_S).tender_types
    assert "general_tender" in {t.code for t in types}
    agencies = anonymous.ListAgencies(tenders_pb2.ListAgenciesRequest(), timeout=RPC_TIMEOUT_S).agencies
    assert {"MOF", "MOH", "MOI"} <= {a.code for a in agencies}


def test_anonymous_search_pages_through_published_tenders_only(anonymous):
    tenders = _all(anonymous)
    assert len(tenders) >= 30
    assert len({t.id for t in tenders}) == len(tenders), "a tender appeared on two pages"
    assert all(t.status != Status.TENDER_STATUS_PLANNED for t in tenders), "a draft reached the public"
    assert {Status.TENDER_STATUS_ACTIVE, Status.TENDER_STATUS_CANCELLED} <= {t.status for t in tenders}
    publish = [t.publish_time.seconds for t in tenders]
    assert publish == sorted(publish, reverse=True), "default order is newest first"
    first = tenders[0]
    assert first.publish_date.hijri.year >= 1447 and first.agency_name.ar


def test_arabic_spelling_variants_find_the_same_tenders(anonymous):
    arabic = [t for t in _all(anonymous) if "ة" in t.name.split()[0] or "إ" in t.name.split()[0]]
    assert arabic, "the demo should publish Arabic titles with taa marbuta or hamza"
    word = arabic[0].name.split()[0]
    plain = word.replace("ة", "ه").replace("إ", "ا").replace("أ", "ا")
    with_tatweel = plain[:2] + "ـــ" + plain[2:]
    expected = {t.id for t in _all(anonymous, query=word)}
    assert arabic[0].id in expected
    assert {t.id for t in _all(anonymous, query=plain)} == expected
    assert {t.id for t in _all(anonymous, query=with_tatweel)} == expected


def test_filters_combine(anonymous):
    active_riyadh = _all(anonymous, region_codes=["riyadh"], category=tenders_pb2.TENDER_CATEGORY_ACTIVE,
                         order_by=tenders_pb2.SEARCH_ORDER_BOOKLET_PRICE)
    for tender in active_riyadh:
        assert "riyadh" in tender.region_codes
        assert tender.category == tenders_pb2.TENDER_CATEGORY_ACTIVE
    prices = [t.booklet_price.amount_halalas for t in active_riyadh]
    assert prices == sorted(prices)


def test_query_syntax_is_searched_literally(anonymous):
    for text in ['"', "' OR 1=1 --", "NEAR(a b)", "*", "tenders; DROP TABLE tenders"]:
        anonymous.SearchTenders(tenders_pb2.SearchTendersRequest(query=text), timeout=RPC_TIMEOUT_S)
    assert _all(anonymous), "the tenders are still there"


def test_a_draft_is_not_found_by_the_public_but_by_its_agency(demo_daemon, anonymous):
    public_ids = {t.id for t in _all(anonymous)}
    hidden = [str(i) for i in range(1, 50) if str(i) not in public_ids]
    assert hidden, "the demo seeds drafts"
    with pytest.raises(grpc.RpcError) as refused:
        anonymous.GetTender(tenders_pb2.GetTenderRequest(tender_id=hidden[0]), timeout=RPC_TIMEOUT_S)
    assert refused.value.code() == grpc.StatusCode.NOT_FOUND

    certificate, key = demo_daemon.agency_certificate("MOF")
    credentials = grpc.ssl_channel_credentials(root_certificates=demo_daemon.daemon.ca_pem,
                                               private_key=key, certificate_chain=certificate)
    with grpc.secure_channel(f"localhost:{demo_daemon.daemon.agency_port}", credentials) as channel:
        agency = tenders_pb2_grpc.TenderServiceStub(channel)
        metadata = [("x-etimad-employee", "emp-7")]
        own = _all_with(agency, metadata)
        drafts = [t for t in own if t.status == Status.TENDER_STATUS_PLANNED]
        assert drafts and all(t.agency_code == "MOF" for t in drafts)
        seen = agency.GetTender(tenders_pb2.GetTenderRequest(tender_id=drafts[0].id), metadata=metadata,
                                timeout=RPC_TIMEOUT_S)
        assert seen.tender.status == Status.TENDER_STATUS_PLANNED


def _all_with(stub, metadata) -> list:
    found, token = [], ""
    while True:
        page = stub.SearchTenders(tenders_pb2.SearchTendersRequest(page_size=50, page_token=token),
                                  metadata=metadata, timeout=RPC_TIMEOUT_S)
        found.extend(page.tenders)
        token = page.next_page_token
        if not token:
            return found
