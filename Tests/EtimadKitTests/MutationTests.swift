import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf
import Testing

@_spi(Testing) @testable import EtimadKit

@Suite("EtimadDatabase.mutate")
struct MutationTests {
  typealias Payment = Etimad_Type_V1_Money
  typealias Receipt = Etimad_Type_V1_LocalizedText
  typealias Change = @Sendable (Database, Date) throws -> (Receipt, AuditRecord)

  static let domain = "debts.etimad.sa"
  static let method = "/etimad.debts.v1.DebtService/RecordPayment"
  static let peer = "ipv4:10.0.0.7:51234"
  static let start = Date(timeIntervalSince1970: 1_764_000_000)

  /// An area table the changes write to.
  static let payments = Migration("test.v1.payments") { db in
    try db.execute(
      sql: """
        CREATE TABLE payment (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          amount_halalas INTEGER NOT NULL,
          time INTEGER NOT NULL
        )
        """)
  }

  static let agency = Principal.agency(.init(code: "MOF", employee: "e-1001"))
  static let person = Principal.individual(
    .init(nationalID: try! NationalID(parsing: "1012345672"), sessionID: "session-1"))

  static let payment = Payment.with {
    $0.currencyCode = "SAR"
    $0.amountHalalas = 1_500
  }

  /// A change that stores the payment and answers with a receipt naming the new row; `runs`
  /// counts how many times it ran.
  static func recordPayment(_ request: Payment, runs: Counter) -> Change {
    { db, now in
      runs.increment()
      try db.execute(
        sql: "INSERT INTO payment (amount_halalas, time) VALUES (?, ?)",
        arguments: [request.amountHalalas, Int64(now.timeIntervalSince1970)])
      let id = db.lastInsertedRowID
      let receipt = Receipt.with {
        $0.en = "payment/\(id) at \(Int64(now.timeIntervalSince1970))"
        $0.ar = "دفعة \(id)"
      }
      return (receipt, AuditRecord(target: "payment/\(id)", summary: "Recorded \(request.amountHalalas) halalas"))
    }
  }

  static func call(
    _ request: Payment = payment, requestID: String, principal: Principal = agency, method: String = method
  ) throws -> MutationCall<Payment> {
    try MutationCall(
      method: method, request: request, requestID: requestID, principal: principal, peer: peer, domain: domain)
  }

  static func newRequestID() -> String { UUID().uuidString.lowercased() }

  // MARK: First call

  @Test("the first call runs the change and writes the audit row and the answer in its transaction")
  func firstCall() async throws {
    // Given a clock 90 seconds after the start and a new request_id from an agency employee
    let clock = ManualClock(Self.start)
    clock.advance(by: 90.9)
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDatabase(migrations: [Self.payments], clock: clock) { database in
      // When the change is made
      let receipt = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))

      // Then it ran once and answered
      #expect(runs.value == 1)
      #expect(receipt.en == "payment/1 at 1764000090")
      #expect(try await database.count("payment") == 1)
      // And the audit row names the agency, its employee, the method, target, request and peer
      let entries = try await database.read { db in try AuditLog.entries(db, target: "payment/1") }
      try #require(entries.count == 1)
      let entry = entries[0]
      #expect(entry.principalKind == "agency")
      #expect(entry.principalId == "MOF")
      #expect(entry.employee == "e-1001")
      #expect(entry.method == Self.method)
      #expect(entry.target == "payment/1")
      #expect(entry.requestId == requestID)
      #expect(entry.peer == Self.peer)
      #expect(entry.summary == "Recorded 1500 halalas")
      #expect(entry.time == 1_764_000_090)
      // And the answer is kept for retries, under the caller and request_id
      let stored = try await database.read { db in
        try Row.fetchOne(db, sql: "SELECT principal_key, request_id, method, response, create_time FROM idempotency")
          .map { row in
            (
              row["principal_key"] as String, row["request_id"] as String, row["method"] as String,
              row["response"] as Data, row["create_time"] as Int64
            )
          }
      }
      let (principalKey, storedRequestID, method, response, createTime) = try #require(stored)
      #expect(principalKey == "agency:MOF")
      #expect(storedRequestID == requestID)
      #expect(method == Self.method)
      #expect(try Receipt(serializedBytes: response) == receipt)
      #expect(createTime == 1_764_000_090)
    }
  }

  @Test("an individual's change is audited under the national ID, with no employee")
  func individualAudit() async throws {
    let runs = Counter()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      _ = try await database.mutate(
        try Self.call(requestID: Self.newRequestID(), principal: Self.person), domain: Self.domain,
        change: Self.recordPayment(Self.payment, runs: runs))
      let entry = try #require(
        try await database.read { db in try AuditLog.entries(db, target: "payment/1") }.first)
      #expect(entry.principalKind == "individual")
      #expect(entry.principalId == "1012345672")
      #expect(entry.employee == nil)
    }
  }

  // MARK: Retries

  @Test("a retry with the same request_id and request gets the first answer and changes nothing")
  func replay() async throws {
    let clock = ManualClock(Self.start)
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDatabase(migrations: [Self.payments], clock: clock) { database in
      // Given a change already made
      let first = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      // When the same request is sent again a minute later
      clock.advance(by: 60)
      let second = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      // Then it gets the first answer, and nothing ran or was written again
      #expect(second == first)
      #expect(runs.value == 1)
      #expect(try await database.count("payment") == 1)
      #expect(try await database.count("audit") == 1)
      #expect(try await database.count("idempotency") == 1)
    }
  }

  @Test("the first answer survives closing and re-opening the file")
  func replayAfterRestart() async throws {
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDirectory { directory in
      let path = directory.appendingPathComponent("etimad.sqlite").path
      // Given a change made before a restart
      let before = try EtimadDatabase(path: path, migrations: [Self.payments], clock: ManualClock(Self.start))
      let first = try await before.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      try before.testingPool.close()
      // When the client retries after the restart
      let after = try EtimadDatabase(path: path, migrations: [Self.payments], clock: ManualClock(Self.start))
      let second = try await after.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      // Then the answer is the stored one
      #expect(second == first)
      #expect(runs.value == 1)
      #expect(try await after.count("payment") == 1)
    }
  }

  @Test("the same request_id with a different request is refused as REQUEST_ID_REUSED")
  func reusedForAnotherRequest() async throws {
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      // Given a payment of 15.00 SAR made with a request_id
      _ = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      // When the same request_id comes with 20.00 SAR
      var other = Self.payment
      other.amountHalalas = 2_000
      let error = try await #require(throws: EtimadError.self) {
        try await database.mutate(
          try Self.call(other, requestID: requestID), domain: Self.domain, change: Self.recordPayment(other, runs: runs)
        )
      }
      // Then it is refused and nothing ran
      #expect(error.code == .invalidArgument)
      #expect(error.reason == "REQUEST_ID_REUSED")
      #expect(error.domain == Self.domain)
      #expect(error.fieldViolations.map(\.field) == ["request_id"])
      #expect(runs.value == 1)
      #expect(try await database.count("payment") == 1)
      #expect(try await database.count("audit") == 1)
    }
  }

  @Test("the same request_id and request for another method is refused as REQUEST_ID_REUSED")
  func reusedForAnotherMethod() async throws {
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      _ = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      let error = try await #require(throws: EtimadError.self) {
        try await database.mutate(
          try Self.call(requestID: requestID, method: "/etimad.debts.v1.DebtService/RecordRefund"),
          domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      }
      #expect(error.reason == "REQUEST_ID_REUSED")
      #expect(runs.value == 1)
    }
  }

  @Test("the same request_id from another caller is an independent change")
  func otherPrincipal() async throws {
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      // Given a change by an agency
      let agencyReceipt = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      // When a person and another agency send the same request_id
      let personReceipt = try await database.mutate(
        try Self.call(requestID: requestID, principal: Self.person), domain: Self.domain,
        change: Self.recordPayment(Self.payment, runs: runs))
      let otherAgency = Principal.agency(.init(code: "MOI", employee: "e-1001"))
      let otherAgencyReceipt = try await database.mutate(
        try Self.call(requestID: requestID, principal: otherAgency), domain: Self.domain,
        change: Self.recordPayment(Self.payment, runs: runs))
      // Then each change ran, with its own answer and audit row
      #expect(runs.value == 3)
      #expect(Set([agencyReceipt, personReceipt, otherAgencyReceipt]).count == 3)
      #expect(try await database.count("payment") == 3)
      #expect(try await database.count("idempotency") == 3)
      let kinds = try await database.read { db in
        try String.fetchAll(db, sql: "SELECT principal_kind || ':' || principal_id FROM audit ORDER BY id")
      }
      #expect(kinds == ["agency:MOF", "individual:1012345672", "agency:MOI"])
    }
  }

  @Test("the agency is the caller: another of its employees retrying the same request gets the first answer")
  func sameAgencyOtherEmployee() async throws {
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      let first = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      let colleague = Principal.agency(.init(code: "MOF", employee: "e-2002"))
      let second = try await database.mutate(
        try Self.call(requestID: requestID, principal: colleague), domain: Self.domain,
        change: Self.recordPayment(Self.payment, runs: runs))
      #expect(second == first)
      #expect(runs.value == 1)
    }
  }

  // MARK: Failures

  @Test("a change that throws leaves no answer, no audit row and no partial write")
  func failedChangeRollsBack() async throws {
    struct Refused: Error, Equatable {}
    let runs = Counter()
    let requestID = Self.newRequestID()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      // Given a change that writes a row and then fails
      let failing: Change = { db, now in
        _ = try Self.recordPayment(Self.payment, runs: runs)(db, now)
        throw Refused()
      }
      // When it is made, then its error reaches the caller
      await #expect(throws: Refused()) {
        try await database.mutate(try Self.call(requestID: requestID), domain: Self.domain, change: failing)
      }
      // And nothing of it stayed
      #expect(runs.value == 1)
      #expect(try await database.count("payment") == 0)
      #expect(try await database.count("audit") == 0)
      #expect(try await database.count("idempotency") == 0)
      // And a retry with the same request_id runs the change for real
      let receipt = try await database.mutate(
        try Self.call(requestID: requestID), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      #expect(runs.value == 2)
      #expect(receipt.en.hasPrefix("payment/"))
      #expect(try await database.count("payment") == 1)
      #expect(try await database.count("audit") == 1)
    }
  }

  @Test("a rule's EtimadError from the change reaches the caller unchanged")
  func ruleErrorPassesThrough() async throws {
    let refusal = EtimadError(
      code: .failedPrecondition, reason: "DEBT_NOT_OUTSTANDING", domain: Self.domain,
      message: LocalizedString(en: "The debt is not outstanding.", ar: "الدين ليس قائمًا."))
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      let refuse: Change = { _, _ in throw refusal }
      await #expect(throws: refusal) {
        try await database.mutate(try Self.call(requestID: Self.newRequestID()), domain: Self.domain, change: refuse)
      }
    }
  }

  // MARK: request_id

  @Test(
    "a request_id that is not a UUID is refused on the request_id field",
    arguments: [
      ("not-a-uuid", "NOT_A_UUID"),
      ("12345", "NOT_A_UUID"),
      ("6f1c2e9a-1b2c-4d3e-8f90", "NOT_A_UUID"),
      ("6f1c2e9a-1b2c-4d3e-8f90-0123456789ag", "NOT_A_UUID"),
      ("", "REQUIRED"),
    ])
  func notAUUID(requestID: String, reason: String) throws {
    let error = try #require(throws: EtimadError.self) { try Self.call(requestID: requestID) }
    #expect(error.code == .invalidArgument)
    #expect(error.reason == "INVALID_FIELDS")
    #expect(error.domain == Self.domain)
    #expect(error.fieldViolations.map(\.field) == ["request_id"])
    #expect(error.fieldViolations.map(\.reason) == [reason])
  }

  @Test("upper- and lower-case spellings of a UUID are the same request_id")
  func uuidCase() async throws {
    // Given one UUID in both spellings
    let upper = "6F1C2E9A-1B2C-4D3E-8F90-0123456789AB"
    let lower = upper.lowercased()
    #expect(try Self.call(requestID: upper).requestID == lower)
    #expect(try Self.call(requestID: lower).requestID == lower)
    let runs = Counter()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      // When a change is made with one and retried with the other
      let first = try await database.mutate(
        try Self.call(requestID: upper), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      let second = try await database.mutate(
        try Self.call(requestID: lower), domain: Self.domain, change: Self.recordPayment(Self.payment, runs: runs))
      // Then the retry gets the first answer
      #expect(second == first)
      #expect(runs.value == 1)
      let audited = try await database.read { db in try String.fetchAll(db, sql: "SELECT request_id FROM audit") }
      #expect(audited == [lower])
    }
  }

  // MARK: Concurrency

  @Test("20 concurrent calls with the same request_id run the change once and all get its answer")
  func concurrentRetries() async throws {
    let runs = Counter()
    let call = try Self.call(requestID: Self.newRequestID())
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      // When 20 copies of one request arrive at once
      let change = Self.recordPayment(Self.payment, runs: runs)
      let receipts = try await withThrowingTaskGroup(of: Receipt.self) { group in
        for _ in 0..<20 {
          group.addTask { try await database.mutate(call, domain: Self.domain, change: change) }
        }
        return try await group.reduce(into: [Receipt]()) { $0.append($1) }
      }
      // Then the change ran once and every caller got the same answer
      #expect(receipts.count == 20)
      #expect(Set(receipts).count == 1)
      #expect(runs.value == 1)
      #expect(try await database.count("payment") == 1)
      #expect(try await database.count("audit") == 1)
      #expect(try await database.count("idempotency") == 1)
    }
  }

  @Test("20 concurrent calls with different request_ids each run once")
  func concurrentChanges() async throws {
    let runs = Counter()
    try await withTemporaryDatabase(migrations: [Self.payments]) { database in
      let change = Self.recordPayment(Self.payment, runs: runs)
      let calls = try (0..<20).map { _ in try Self.call(requestID: Self.newRequestID()) }
      let receipts = try await withThrowingTaskGroup(of: Receipt.self) { group in
        for call in calls {
          group.addTask { try await database.mutate(call, domain: Self.domain, change: change) }
        }
        return try await group.reduce(into: [Receipt]()) { $0.append($1) }
      }
      #expect(Set(receipts).count == 20)
      #expect(runs.value == 20)
      #expect(try await database.count("payment") == 20)
      #expect(try await database.count("audit") == 20)
      #expect(try await database.count("idempotency") == 20)
    }
  }
}
