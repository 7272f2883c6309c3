import EtimadKit
import EtimadProtos
import Foundation
import Testing

@testable import EtimadPayments

/// What every `PaymentStorage` must do, whichever database is behind it: each case runs on a
/// fresh, migrated store with the seeded catalogue (sectors PASSPORTS of MOI-PASSPORTS and
/// TRAFFIC of MOI-TRAFFIC among them) and no payments. A store runs the whole suite with
/// `@Test(arguments: PaymentStorageContract.Case.allCases)` and its own factory (see
/// `SQLitePaymentStorageTests`); a PostgreSQL store adds one such test.
struct PaymentStorageContract: Sendable {
  let makeStore: @Sendable () async throws -> any PaymentStorage

  enum Case: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case catalogue, recordAndSee, sadadReferenceOnce, recordingRules, movements, refunds, exactlyOnce, search
    case cancelledOperations, balances, refundRequestList, export

    var testDescription: String { rawValue }
  }

  func run(_ test: Case) async throws {
    let store = try await makeStore()
    switch test {
    case .catalogue: try await catalogue(store)
    case .recordAndSee: try await recordAndSee(store)
    case .sadadReferenceOnce: try await sadadReferenceOnce(store)
    case .recordingRules: try await recordingRules(store)
    case .movements: try await movements(store)
    case .refunds: try await refunds(store)
    case .exactlyOnce: try await exactlyOnce(store)
    case .search: try await search(store)
    case .cancelledOperations: try await cancelledOperations(store)
    case .balances: try await balances(store)
    case .refundRequestList: try await refundRequestList(store)
    case .export: try await export(store)
    }
  }

  // MARK: Fixtures

  static let passports = "MOI-PASSPORTS"
  static let traffic = "MOI-TRAFFIC"
  static let person = "1012345672"
  static let otherPerson = "1000000016"
  static let account = "300000000007"

  static func newPayment(
    _ reference: String, beneficiary: String = person, customer: String = account, amount: Int64 = 20_000,
    paidTime: Int64 = 1_700_000_000_000, sector: String = "PASSPORTS", service: String = "EXIT_REENTRY"
  ) throws -> NewPayment {
    NewPayment(
      sector: sector, service: service, beneficiary: try NationalID(parsing: beneficiary), customerNumber: customer,
      sadadReference: reference, amount: Halalas(amount), paidTime: paidTime)
  }

  /// Runs `action` once for `principal` under `requestID`; answers the payment and refund ids.
  @discardableResult
  static func perform(
    _ store: any PaymentStorage, _ action: PaymentAction, as principal: Principal, requestID: UUID = UUID(),
    request: String? = nil
  ) async throws -> (payment: Int64, refund: Int64?) {
    let call = try MutationCall(
      method: "contract/\(action)",
      request: Etimad_Payments_V1_RecordMovementRequest.with {
        $0.note = request ?? "\(action)"
      }, requestID: requestID.uuidString, principal: principal, peer: "test", domain: PaymentsRules.domain)
    let answer = try await store.change(
      PaymentChange(action: action, once: ExactlyOnce(call)) { outcome in
        Etimad_Payments_V1_RequestRefundResponse.with {
          $0.payment = PaymentsWire.payment(outcome.payment)
          if let refund = outcome.refund { $0.refundRequest = PaymentsWire.refund(refund) }
        }
      })
    return (Int64(answer.payment.paymentID) ?? 0, Int64(answer.refundRequest.refundRequestID))
  }

  static func agency(_ code: String) -> Principal { .agency(.init(code: code, employee: "employee-1")) }

  static func individual(_ number: String) throws -> Principal {
    .individual(.init(nationalID: try NationalID(parsing: number), sessionID: "session"))
  }

  @discardableResult
  static func record(
    _ store: any PaymentStorage, _ payment: NewPayment, agency: String = passports
  ) async throws
    -> Int64
  {
    try await perform(store, .record(payment, agency: agency), as: Self.agency(agency)).payment
  }

  static func move(
    _ store: any PaymentStorage, _ id: Int64, _ change: PaymentBalance.Change, agency: String = passports
  ) async throws {
    try await perform(store, .move(paymentID: id, agency: agency, change: change, note: ""), as: Self.agency(agency))
  }

  /// The reason of a refusal: the field violation's when a field is wrong, else the error's.
  static func code(of error: any Error) -> String? {
    guard let error = error as? EtimadError else { return nil }
    return error.fieldViolations.first?.reason ?? error.reason
  }

  // MARK: Cases

  func catalogue(_ store: any PaymentStorage) async throws {
    let sectors = try await store.sectors()
    #expect(sectors.map(\.code) == sectors.map(\.code).sorted())
    #expect(sectors.contains { $0.code == "PASSPORTS" && $0.agencyCode == Self.passports })
    let services = try await store.services(sector: "PASSPORTS")
    #expect(!services.isEmpty && services.allSatisfy { $0.sectorCode == "PASSPORTS" })
    #expect(try await store.services(sector: nil).count > services.count)
    #expect(try await store.sectorCodes(agency: Self.passports) == ["PASSPORTS"])
    #expect(try await store.sectorCodes(agency: "NOBODY").isEmpty)
  }

  func recordAndSee(_ store: any PaymentStorage) async throws {
    let id = try await Self.record(store, try Self.newPayment("SEE-1"))
    let owner = try #require(try await store.payment(id: id, viewer: .agency(code: Self.passports)))
    #expect(owner.payment.sadadReference == "SEE-1" && owner.payment.amount == Halalas(20_000))
    #expect(owner.payment.state == .paid && owner.payment.balance.addsUp)
    #expect(owner.payment.sectorName.english == "Passports" && !owner.payment.serviceName.arabic.isEmpty)
    #expect(owner.movements.map(\.kind) == [.paid] && owner.movements.first?.time == 1_700_000_000_000)
    // The beneficiary and the holder of the account number see it; nobody else does
    #expect(try await store.payment(id: id, viewer: .individual(idNumber: Self.person)) != nil)
    #expect(try await store.payment(id: id, viewer: .individual(idNumber: Self.otherPerson)) == nil)
    #expect(try await store.payment(id: id, viewer: .agency(code: Self.traffic)) == nil)
    #expect(try await store.payment(id: id + 1000, viewer: .agency(code: Self.passports)) == nil)
    // Paid for someone else under the person's account number: the person sees it too
    let sponsored = try await Self.record(store, try Self.newPayment("SEE-2", beneficiary: Self.otherPerson))
    #expect(try await store.payment(id: sponsored, viewer: .individual(idNumber: Self.person)) != nil)
    #expect(try await store.payment(id: sponsored, viewer: .individual(idNumber: Self.otherPerson)) != nil)
  }

  func sadadReferenceOnce(_ store: any PaymentStorage) async throws {
    let first = try await Self.record(store, try Self.newPayment("ONCE-1"))
    // The same payment reported again (another request): the first record answers
    #expect(try await Self.record(store, try Self.newPayment("ONCE-1")) == first)
    let all = try await store.payments(PaymentQuery(), viewer: .agency(code: Self.passports), after: nil, limit: 10)
    #expect(all.map(\.id) == [first])
    // A different payment under the same reference is refused
    await #expect(throws: EtimadError.self) {
      try await Self.record(store, try Self.newPayment("ONCE-1", amount: 20_001))
    }
  }

  func recordingRules(_ store: any PaymentStorage) async throws {
    let cases: [(NewPayment, String, String)] = [
      (try Self.newPayment("R-1", sector: "NOWHERE"), Self.passports, "UNKNOWN_SECTOR"),
      (try Self.newPayment("R-2"), Self.traffic, "SECTOR_OF_ANOTHER_AGENCY"),
      (try Self.newPayment("R-3", service: "NO_SUCH_SERVICE"), Self.passports, "UNKNOWN_SERVICE"),
    ]
    for (payment, agency, reason) in cases {
      do {
        try await Self.record(store, payment, agency: agency)
        Issue.record("\(payment.sadadReference) was recorded")
      } catch {
        #expect(Self.code(of: error) == reason, "\(payment.sadadReference)")
      }
    }
    #expect(
      try await store.payments(PaymentQuery(), viewer: .agency(code: Self.passports), after: nil, limit: 5).isEmpty)
  }

  func movements(_ store: any PaymentStorage) async throws {
    let id = try await Self.record(store, try Self.newPayment("MOVE-1", amount: 10_000))
    try await Self.move(store, id, .consume(4_000))
    try await Self.move(store, id, .cancel(5_000))
    do {
      try await Self.move(store, id, .consume(1_001))
      Issue.record("consumed more than available")
    } catch {
      #expect(Self.code(of: error) == "AMOUNT_EXCEEDS_AVAILABLE")
    }
    // Another agency's payment is unknown to it
    await #expect(throws: EtimadError.self) { try await Self.move(store, id, .consume(1), agency: Self.traffic) }
    try await Self.move(store, id, .refundDirectly(2_000))
    let details = try #require(try await store.payment(id: id, viewer: .agency(code: Self.passports)))
    #expect(details.movements.map(\.kind) == [.paid, .consumed, .cancelled, .refunded])
    #expect(details.movements.map(\.amount.value) == [10_000, 4_000, 5_000, 2_000])
    let balance = details.payment.balance
    #expect(balance.available == 1_000 && balance.refundable == 3_000 && balance.refunded == 2_000 && balance.addsUp)
    #expect(details.payment.state == .cancelled)
  }

  func refunds(_ store: any PaymentStorage) async throws {
    let id = try await Self.record(store, try Self.newPayment("REFUND-1", amount: 10_000))
    try await Self.move(store, id, .cancel(6_000))
    let person = try Self.individual(Self.person)
    func ask(_ amount: Int64) async throws -> Int64? {
      let refund = NewRefund(
        paymentID: id, amount: Halalas(amount), iban: "SA0380000000608010167519", holder: "Person One")
      return try await Self.perform(store, .requestRefund(refund, requester: Self.person), as: person).refund
    }
    let first = try #require(try await ask(4_000))
    do {
      _ = try await ask(2_001)
      Issue.record("reserved more than refundable")
    } catch {
      #expect(Self.code(of: error) == "AMOUNT_EXCEEDS_REFUNDABLE")
    }
    let second = try #require(try await ask(2_000))
    // Somebody else cannot ask for a refund of it
    await #expect(throws: EtimadError.self) {
      let refund = NewRefund(paymentID: id, amount: Halalas(1), iban: "SA0380000000608010167519", holder: "Other")
      try await Self.perform(
        store, .requestRefund(refund, requester: Self.otherPerson), as: try Self.individual(Self.otherPerson))
    }
    func decide(_ refund: Int64, complete: Bool, agency: String = Self.passports) async throws {
      try await Self.perform(
        store, .decideRefund(refundID: refund, agency: agency, employee: "employee-2", complete: complete, note: "n"),
        as: Self.agency(agency))
    }
    await #expect(throws: EtimadError.self) { try await decide(first, complete: true, agency: Self.traffic) }
    try await decide(first, complete: true)
    try await decide(second, complete: false)
    do {
      try await decide(first, complete: false)
      Issue.record("decided twice")
    } catch {
      #expect(Self.code(of: error) == "REFUND_NOT_PENDING")
    }
    let details = try #require(try await store.payment(id: id, viewer: .individual(idNumber: Self.person)))
    #expect(details.refundRequests.map(\.state) == [.completed, .rejected])
    #expect(details.refundRequests.first?.employee == "employee-2" && details.refundRequests.first?.decideTime != nil)
    #expect(
      details.movements.map(\.kind) == [
        .paid, .cancelled, .refundRequested, .refundRequested, .refunded, .refundRejected,
      ])
    #expect(details.movements.suffix(2).compactMap(\.refundRequestID) == [first, second])
    let balance = details.payment.balance
    #expect(balance.refunded == 4_000 && balance.refundable == 2_000 && balance.refundPending == 0)
  }

  func exactlyOnce(_ store: any PaymentStorage) async throws {
    let id = try await Self.record(store, try Self.newPayment("IDEM-1", amount: 10_000))
    let requestID = UUID()
    let action = PaymentAction.move(paymentID: id, agency: Self.passports, change: .consume(1_000), note: "")
    try await Self.perform(store, action, as: Self.agency(Self.passports), requestID: requestID)
    // The retry gets the first answer and changes nothing
    try await Self.perform(store, action, as: Self.agency(Self.passports), requestID: requestID)
    let details = try #require(try await store.payment(id: id, viewer: .agency(code: Self.passports)))
    #expect(details.payment.balance.consumed == 1_000 && details.movements.count == 2)
    // The same id for another request is refused
    do {
      try await Self.perform(
        store, action, as: Self.agency(Self.passports), requestID: requestID, request: "something else")
      Issue.record("request_id reused")
    } catch {
      #expect((error as? EtimadError)?.reason == "REQUEST_ID_REUSED")
    }
  }

  func search(_ store: any PaymentStorage) async throws {
    var ids: [Int64] = []
    for index in 0..<7 {
      ids.append(
        try await Self.record(
          store,
          try Self.newPayment(
            "SEARCH-\(index)", amount: 1_000 + Int64(index), paidTime: 1_700_000_000_000 + Int64(index) * 60_000)))
    }
    let other = try await Self.record(
      store,
      try Self.newPayment(
        "SEARCH-T", paidTime: 1_700_001_000_000, sector: "TRAFFIC", service: "VEHICLE_REGISTRATION"),
      agency: Self.traffic)
    try await Self.move(store, ids[2], .cancel(500))
    // Newest first, in pages that resume after the cursor
    let viewer = Viewer.individual(idNumber: Self.person)
    var seen: [Int64] = []
    var cursor: TimeCursor?
    repeat {
      let page = try await store.payments(PaymentQuery(), viewer: viewer, after: cursor, limit: 3)
      seen += page.map(\.id)
      cursor = page.count == 3 ? page.last.map { TimeCursor(t: $0.paidTime, i: $0.id) } : nil
    } while cursor != nil
    #expect(seen == ([other] + ids.reversed()))
    // Filters: sector, state, period; an agency sees its sectors only
    var query = PaymentQuery()
    query.sector = "TRAFFIC"
    #expect(try await store.payments(query, viewer: viewer, after: nil, limit: 10).map(\.id) == [other])
    query = PaymentQuery()
    query.state = .cancelled
    #expect(try await store.payments(query, viewer: viewer, after: nil, limit: 10).map(\.id) == [ids[2]])
    query = PaymentQuery()
    query.period = .init(from: 1_700_000_060_000, to: 1_700_000_120_000)
    #expect(try await store.payments(query, viewer: viewer, after: nil, limit: 10).map(\.id) == [ids[2], ids[1]])
    let agencyView = try await store.payments(
      PaymentQuery(), viewer: .agency(code: Self.traffic), after: nil, limit: 10)
    #expect(agencyView.map(\.id) == [other])
    #expect(
      try await store.payments(PaymentQuery(), viewer: .individual(idNumber: Self.otherPerson), after: nil, limit: 10)
        .isEmpty)
  }

  func cancelledOperations(_ store: any PaymentStorage) async throws {
    let first = try await Self.record(store, try Self.newPayment("CANCEL-1", amount: 10_000))
    let second = try await Self.record(store, try Self.newPayment("CANCEL-2", amount: 10_000))
    try await Self.move(store, first, .cancel(1_000))
    try await Self.move(store, second, .consume(1_000))
    try await Self.move(store, second, .cancel(2_000))
    let viewer = Viewer.individual(idNumber: Self.person)
    let all = try await store.cancelledOperations(viewer: viewer, after: nil, limit: 10)
    #expect(all.map(\.payment.id) == [second, first])
    #expect(all.allSatisfy { $0.movement.kind == .cancelled && $0.movement.paymentID == $0.payment.id })
    #expect(all.map(\.movement.amount.value) == [2_000, 1_000])
    let last = try #require(all.first?.movement)
    let rest = try await store.cancelledOperations(
      viewer: viewer, after: TimeCursor(t: last.time, i: last.id), limit: 10)
    #expect(rest.map(\.payment.id) == [first])
    #expect(
      try await store.cancelledOperations(viewer: .individual(idNumber: Self.otherPerson), after: nil, limit: 10)
        .isEmpty)
  }

  func balances(_ store: any PaymentStorage) async throws {
    let passport = try await Self.record(store, try Self.newPayment("BAL-1", amount: 10_000))
    try await Self.record(store, try Self.newPayment("BAL-2", amount: 5_000))
    try await Self.record(
      store, try Self.newPayment("BAL-3", amount: 7_000, sector: "TRAFFIC", service: "VEHICLE_REGISTRATION"),
      agency: Self.traffic)
    try await Self.move(store, passport, .cancel(3_000))
    let sectors = try await store.balances(viewer: .individual(idNumber: Self.person))
    #expect(sectors.map(\.sectorCode) == ["PASSPORTS", "TRAFFIC"])
    #expect(sectors.map(\.paymentCount) == [2, 1])
    #expect(sectors[0].balance.paid == 15_000 && sectors[0].balance.refundable == 3_000 && sectors[0].balance.addsUp)
    #expect(sectors[1].balance.available == 7_000 && sectors[1].sectorName.english == "Traffic")
    #expect(try await store.balances(viewer: .agency(code: Self.traffic)).map(\.sectorCode) == ["TRAFFIC"])
    #expect(try await store.balances(viewer: .individual(idNumber: Self.otherPerson)).isEmpty)
  }

  func refundRequestList(_ store: any PaymentStorage) async throws {
    let id = try await Self.record(store, try Self.newPayment("LIST-1", amount: 10_000))
    try await Self.move(store, id, .cancel(9_000))
    let person = try Self.individual(Self.person)
    var refunds: [Int64] = []
    for _ in 0..<3 {
      let refund = NewRefund(
        paymentID: id, amount: Halalas(1_000), iban: "SA0380000000608010167519", holder: "Person One")
      refunds.append(
        try #require(
          try await Self.perform(store, .requestRefund(refund, requester: Self.person), as: person).refund))
    }
    try await Self.perform(
      store,
      .decideRefund(refundID: refunds[1], agency: Self.passports, employee: "e", complete: false, note: "no"),
      as: Self.agency(Self.passports))
    let all = try await store.refundRequests(agency: Self.passports, state: nil, after: 0, limit: 10)
    #expect(all.map(\.id) == refunds)
    #expect(all.allSatisfy { $0.requester == Self.person && $0.sectorCode == "PASSPORTS" && $0.amount.value == 1_000 })
    let pending = try await store.refundRequests(agency: Self.passports, state: .pending, after: 0, limit: 10)
    #expect(pending.map(\.id) == [refunds[0], refunds[2]])
    #expect(
      try await store.refundRequests(agency: Self.passports, state: nil, after: refunds[0], limit: 1).map(\.id)
        == [refunds[1]])
    #expect(try await store.refundRequests(agency: Self.traffic, state: nil, after: 0, limit: 10).isEmpty)
  }

  func export(_ store: any PaymentStorage) async throws {
    for index in 0..<25 {
      try await Self.record(
        store, try Self.newPayment("EXP-\(index)", paidTime: 1_700_000_000_000 + Int64(index) * 1000))
    }
    let scope = PaymentScope.sector("PASSPORTS")
    let writer = ExportWriter(format: .jsonLines, arabic: false)
    let snapshot = try await store.exportSnapshot(scopes: [scope], query: PaymentQuery())
    #expect(snapshot.rows == 25)
    // Recorded after the export started: left out
    try await Self.record(store, try Self.newPayment("EXP-LATE", paidTime: 1_600_000_000_000))
    var lines: [String] = []
    var cursor: TimeCursor?
    while true {
      let chunk = try await store.exportChunk(
        scope: scope, query: PaymentQuery(), snapshot: snapshot, after: cursor, writer: writer, limit: 10)
      lines += String(decoding: chunk.bytes, as: UTF8.self).split(separator: "\n").map(String.init)
      #expect(chunk.rows <= 10)
      guard chunk.rows == 10, let last = chunk.last else { break }
      cursor = last
    }
    #expect(lines.count == 25)
    let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
    #expect(first["sadad_reference"] as? String == "EXP-24" && first["state"] as? String == "PAID")
    #expect(first["beneficiary_number"] as? String == Self.person && first["amount_halalas"] as? Int == 20_000)
    #expect(!lines.joined().contains("EXP-LATE"))
  }
}

/// The contract on the embedded SQLite store, each case on a new database file.
@Suite("Payment storage contract: SQLite")
struct SQLitePaymentStorageTests {
  @Test(arguments: PaymentStorageContract.Case.allCases)
  func contract(_ test: PaymentStorageContract.Case) async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etimad-payments-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let contract = PaymentStorageContract {
      let database = try EtimadDatabase(
        path: directory.appendingPathComponent("etimad.sqlite").path, migrations: PaymentsArea.migrations)
      return PaymentsStore(database: database)
    }
    try await contract.run(test)
  }

  @Test("the export's columns are the writer's text fields, in order")
  func exportColumns() {
    #expect(ExportColumn.textFieldsMatch)
  }
}
