import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import Testing

@testable import EtimadTenders

/// What every `TenderStorage` must do, whichever database is behind it: each case runs on a
/// fresh, migrated store with the lookups seeded, agencies MOH and MOF active, no tenders, and
/// a clock the case moves (`now`). A store runs the whole suite with
/// `@Test(arguments: TenderStorageContract.Case.allCases)` and its own factory (see
/// `SQLiteTenderStorageTests`); a PostgreSQL store adds one such test.
struct TenderStorageContract: Sendable {
  /// A new store whose clock is the one given.
  let makeStore: @Sendable (ManualClock) async throws -> any TenderStorage

  enum Case: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case createAndRead, ownership, referenceNumbers, publishAndExtend, cancel, close, search, lookups, exactlyOnce

    var testDescription: String { rawValue }
  }

  static let now: Int64 = 1_780_000_000

  func run(_ test: Case) async throws {
    let clock = ManualClock(Date(timeIntervalSince1970: TimeInterval(Self.now)))
    let store = try await makeStore(clock)
    switch test {
    case .createAndRead: try await createAndRead(store)
    case .ownership: try await ownership(store)
    case .referenceNumbers: try await referenceNumbers(store)
    case .publishAndExtend: try await publishAndExtend(store, clock)
    case .cancel: try await cancel(store)
    case .close: try await close(store, clock)
    case .search: try await search(store)
    case .lookups: try await lookups(store)
    case .exactlyOnce: try await exactlyOnce(store)
    }
  }

  // MARK: Fixtures

  /// Valid fields, published a day from now unless `publishOffset` says otherwise.
  static func fields(_ index: Int, publishOffset: Int64 = 86_400) -> TenderFields {
    var fields = TenderGenerator.tender(index: index, base: now, publishOffset: publishOffset, prefix: "C")
    _ = fields.validate()
    return fields
  }

  /// Runs `action` once as `agency` under `requestID`; answers the tender's id.
  @discardableResult
  static func perform(
    _ store: any TenderStorage, _ action: TenderAction, agency: String = "MOH", requestID: UUID = UUID(),
    request: String = ""
  ) async throws -> Int64 {
    let call = try MutationCall(
      method: "contract/tenders", request: Etimad_Tenders_V1_CancelTenderRequest.with { $0.reason = request },
      requestID: requestID.uuidString, principal: .agency(.init(code: agency, employee: "employee-1")), peer: "test",
      domain: TenderRules.domain)
    let answer = try await store.change(
      TenderChange(action: action, once: ExactlyOnce(call)) { tender, now in
        Etimad_Tenders_V1_CancelTenderResponse.with { $0.tender = TendersWire.tender(tender, now: now) }
      })
    return Int64(answer.tender.id) ?? 0
  }

  static func create(_ store: any TenderStorage, _ fields: TenderFields, agency: String = "MOH") async throws -> Int64 {
    try await perform(store, .create(fields, agency: agency, employee: "employee-1"), agency: agency)
  }

  static func reason(_ error: any Error) -> String? { (error as? EtimadError)?.reason }

  static func refused(_ expected: String, _ body: () async throws -> Void) async {
    do {
      try await body()
      Issue.record("not refused; expected \(expected)")
    } catch {
      #expect(reason(error) == expected)
    }
  }

  // MARK: Cases

  func createAndRead(_ store: any TenderStorage) async throws {
    let fields = Self.fields(1)
    let id = try await Self.create(store, fields)
    let tender = try #require(try await store.tender(id: id))
    #expect(tender.state == .draft && tender.agencyCode == "MOH" && tender.agencyName.english == "Ministry of Health")
    #expect(tender.fields == fields && tender.createTime == Self.now && tender.extensions.isEmpty)
    #expect(try await store.tender(id: id + 100) == nil)
  }

  func ownership(_ store: any TenderStorage) async throws {
    let id = try await Self.create(store, Self.fields(2))
    await Self.refused("NOT_FOUND") {
      try await Self.perform(store, .publish(id: id, agency: "MOF"), agency: "MOF")
    }
    let updated = try await Self.perform(
      store,
      .update(id: id, agency: "MOH", paths: ["name"]) {
        $0.name = "توريد أجهزة طبية"
        return []
      })
    #expect(try await store.tender(id: updated)?.fields.name == "توريد أجهزة طبية")
    // The rules' problems with the result refuse the update
    await Self.refused("INVALID_FIELDS") {
      try await Self.perform(
        store, .update(id: id, agency: "MOH", paths: ["name"]) { _ in [TendersErrors.required("name")] })
    }
    try await Self.perform(store, .publish(id: id, agency: "MOH"))
    await Self.refused("NOT_DRAFT") {
      try await Self.perform(store, .update(id: id, agency: "MOH", paths: ["name"]) { _ in [] })
    }
  }

  func referenceNumbers(_ store: any TenderStorage) async throws {
    let first = Self.fields(3)
    try await Self.create(store, first)
    var same = Self.fields(4)
    same.referenceNumber = first.referenceNumber
    await Self.refused("REFERENCE_NUMBER_TAKEN") { try await Self.create(store, same, agency: "MOF") }
    let other = try await Self.create(store, Self.fields(5))
    await Self.refused("REFERENCE_NUMBER_TAKEN") {
      try await Self.perform(
        store,
        .update(id: other, agency: "MOH", paths: ["reference_number"]) {
          $0.referenceNumber = first.referenceNumber
          return []
        })
    }
  }

  func publishAndExtend(_ store: any TenderStorage, _ clock: ManualClock) async throws {
    // A publish time gone by becomes now
    let id = try await Self.create(store, Self.fields(6, publishOffset: -3_600))
    try await Self.perform(store, .publish(id: id, agency: "MOH"))
    let published = try #require(try await store.tender(id: id))
    #expect(published.state == .published && published.fields.dates.publish == Self.now)
    let dates = published.fields.dates
    await Self.refused("INVALID_FIELDS") {
      try await Self.perform(
        store,
        .extend(
          id: id, agency: "MOH", employee: "e", reason: "late",
          dates: DateExtension(lastOffer: dates.lastOffer - 60)))
    }
    try await Self.perform(
      store,
      .extend(
        id: id, agency: "MOH", employee: "e", reason: "more time",
        dates: DateExtension(lastOffer: dates.lastOffer + 86_400, opening: dates.opening + 86_400)))
    let extended = try #require(try await store.tender(id: id))
    #expect(extended.fields.dates.lastOffer == dates.lastOffer + 86_400)
    #expect(extended.extensions.map(\.previousLastOffer) == [dates.lastOffer])
    #expect(extended.extensions.first?.reason == "more time" && extended.extensions.first?.employee == "e")
    clock.set(Date(timeIntervalSince1970: TimeInterval(extended.fields.dates.lastOffer + 1)))
    await Self.refused("OFFERS_CLOSED") {
      try await Self.perform(
        store,
        .extend(
          id: id, agency: "MOH", employee: "e", reason: "r",
          dates: DateExtension(opening: extended.fields.dates.opening + 86_400)))
    }
  }

  func cancel(_ store: any TenderStorage) async throws {
    // Never public: withdrawn
    let draft = try await Self.create(store, Self.fields(7))
    try await Self.perform(store, .cancel(id: draft, agency: "MOH", reason: "r"))
    #expect(try await store.tender(id: draft)?.state == .withdrawn)
    // Public: cancelled, with its reason; then final
    let open = try await Self.create(store, Self.fields(8, publishOffset: -60))
    try await Self.perform(store, .publish(id: open, agency: "MOH"))
    try await Self.perform(store, .cancel(id: open, agency: "MOH", reason: "no budget"))
    let cancelled = try #require(try await store.tender(id: open))
    #expect(cancelled.state == .cancelled && cancelled.statusReason == "no budget")
    await Self.refused("TENDER_FINAL") { try await Self.perform(store, .cancel(id: open, agency: "MOH", reason: "r")) }
  }

  func close(_ store: any TenderStorage, _ clock: ManualClock) async throws {
    let id = try await Self.create(store, Self.fields(9, publishOffset: -60))
    await Self.refused("NOT_PUBLISHED") {
      try await Self.perform(store, .close(id: id, agency: "MOH", outcome: .complete, note: ""))
    }
    try await Self.perform(store, .publish(id: id, agency: "MOH"))
    await Self.refused("OFFERS_STILL_OPEN") {
      try await Self.perform(store, .close(id: id, agency: "MOH", outcome: .complete, note: ""))
    }
    let lastOffer = try #require(try await store.tender(id: id)).fields.dates.lastOffer
    clock.set(Date(timeIntervalSince1970: TimeInterval(lastOffer)))
    try await Self.perform(store, .close(id: id, agency: "MOH", outcome: .unsuccessful, note: "no offers"))
    let closed = try #require(try await store.tender(id: id))
    #expect(closed.state == .unsuccessful && closed.statusReason == "no offers")
  }

  func search(_ store: any TenderStorage) async throws {
    var published: [Int64] = []
    for index in 10..<16 {
      let id = try await Self.create(store, Self.fields(index, publishOffset: -Int64(index) * 3_600))
      try await Self.perform(store, .publish(id: id, agency: "MOH"))
      published.append(id)
    }
    let draft = try await Self.create(store, Self.fields(16))
    let all = TenderQuery(text: try SearchText(""), order: .publishTime, reverse: false)
    // Anyone: the published ones, newest first, in pages
    var seen: [Int64] = []
    var cursor: SearchCursor?
    repeat {
      let page = try await store.search(all, viewer: nil, now: Self.now, size: 4, after: cursor)
      seen += page.tenders.map(\.id)
      cursor = page.next
    } while cursor != nil
    #expect(Set(seen) == Set(published) && seen.count == published.count)
    // The owner also sees its draft; another agency does not
    #expect(
      try await store.search(all, viewer: "MOH", now: Self.now, size: 50, after: nil).tenders.map(\.id).contains(draft))
    #expect(
      !(try await store.search(all, viewer: "MOF", now: Self.now, size: 50, after: nil).tenders.map(\.id).contains(
        draft)))
    // Text: a word of a name finds its tender, whatever the spelling of its alef
    let named = try await Self.create(store, Self.fields(17, publishOffset: -60))
    try await Self.perform(
      store,
      .update(id: named, agency: "MOH", paths: ["name"]) {
        $0.name = "صيانة أجهزة الإنارة"
        return []
      })
    try await Self.perform(store, .publish(id: named, agency: "MOH"))
    let text = TenderQuery(text: try SearchText("الانارة"), order: .relevance, reverse: false)
    #expect(
      try await store.search(text, viewer: nil, now: Self.now, size: 10, after: nil).tenders.map(\.id).contains(named))
  }

  func lookups(_ store: any TenderStorage) async throws {
    #expect(try await store.lookups(.region).map(\.code) == TenderLookups.regions.map(\.code))
    #expect(try await store.lookups(.type).map(\.code) == TenderLookups.types.map(\.code))
    let activities = try await store.lookups(.activity)
    let main = try #require(TenderLookups.activities.first)
    #expect(activities.first?.code == main.entry.code && activities.first?.parent == nil)
    #expect(activities.dropFirst().first?.parent == main.entry.code)
    #expect(try await store.agencies(after: nil, limit: 10).map(\.code) == ["MOF", "MOH"])
    #expect(try await store.agencies(after: "MOF", limit: 10).map(\.code) == ["MOH"])
    #expect(try await store.agencies(after: nil, limit: 1).first?.name.english == "Ministry of Finance")
  }

  func exactlyOnce(_ store: any TenderStorage) async throws {
    let requestID = UUID()
    let first = try await Self.create(store, Self.fields(18))
    let action = TenderAction.cancel(id: first, agency: "MOH", reason: "r")
    try await Self.perform(store, action, requestID: requestID)
    // The retry gets the first answer although the tender is now final
    #expect(try await Self.perform(store, action, requestID: requestID) == first)
    await Self.refused("REQUEST_ID_REUSED") {
      try await Self.perform(store, action, requestID: requestID, request: "another")
    }
  }
}

/// The contract on the embedded SQLite store, each case on a new database file.
@Suite("Tender storage contract: SQLite")
struct SQLiteTenderStorageTests {
  /// An agencies table like identity's, with MOH and MOF.
  static let agencies = Migration("test.agencies") { db in
    try db.execute(
      sql: """
        CREATE TABLE agencies (code TEXT PRIMARY KEY, name_ar TEXT NOT NULL, name_en TEXT NOT NULL,
          state TEXT NOT NULL, certificate_serial TEXT, create_time REAL NOT NULL, revoke_time REAL);
        INSERT INTO agencies VALUES ('MOH', 'وزارة الصحة', 'Ministry of Health', 'active', NULL, 0, NULL);
        INSERT INTO agencies VALUES ('MOF', 'وزارة المالية', 'Ministry of Finance', 'active', NULL, 0, NULL);
        INSERT INTO agencies VALUES ('OLD', 'جهة سابقة', 'Former agency', 'revoked', NULL, 0, NULL);
        """)
  }

  @Test(arguments: TenderStorageContract.Case.allCases)
  func contract(_ test: TenderStorageContract.Case) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etimad-tenders-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let contract = TenderStorageContract { clock in
      let database = try EtimadDatabase(
        path: directory.appendingPathComponent("etimad.sqlite").path,
        migrations: [Self.agencies] + TendersSchema.migrations, connectionSetup: TendersArea.connectionSetup,
        clock: clock)
      return TendersStore(database: database)
    }
    try await contract.run(test)
  }
}
