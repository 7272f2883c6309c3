import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf
import Testing

@testable import EtimadDebts

/// The storage contract on the embedded SQLite store, each case on a fresh temporary file.
@Suite("Debt storage contract: SQLite")
struct SQLiteDebtStorageTests {
  static let contract = DebtStorageContract { clock in
    DebtsStore(database: try temporaryDatabase(clock: clock), graceDays: 30)
  }

  @Test("a created debt reads back as written, to its owners only") func createAndOwnership() async throws {
    try await Self.contract.createAndOwnership()
  }

  @Test("a refused change writes nothing") func refusedChangeWritesNothing() async throws {
    try await Self.contract.refusedChangeWritesNothing()
  }

  @Test("payments, checked balances, movements paged") func paymentsAndMovements() async throws {
    try await Self.contract.paymentsAndMovements()
  }

  @Test("a retried change is answered once") func exactlyOnce() async throws {
    try await Self.contract.exactlyOnce()
  }

  @Test("change requests: typed kinds, a validated patch, an adjustment") func changeRequests() async throws {
    try await Self.contract.changeRequests()
  }

  @Test("closing a debt rejects what is pending") func closingRejectsPending() async throws {
    try await Self.contract.closingRejectsPending()
  }

  @Test("plans split exactly and default once") func plansAndDefaults() async throws {
    try await Self.contract.plansAndDefaults()
  }

  @Test("lists and the summary") func listsAndSummary() async throws {
    try await Self.contract.listsAndSummary()
  }
}

/// A database on a new temporary file with the debts migrations (the directory is left to the
/// system's temporary cleaning).
func temporaryDatabase(
  clock: any WallClock, migrations: [Migration] = DebtsSchema.migrations
) throws
  -> EtimadDatabase
{
  let directory = FileManager.default.temporaryDirectory.appendingPathComponent("debts-\(UUID().uuidString)")
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  return try EtimadDatabase(
    path: directory.appendingPathComponent("etimad.sqlite").path, migrations: migrations, clock: clock)
}

@Suite("Debts schema v3: conventions, rows kept")
struct DebtsSchemaV3Tests {
  @Test("v2 rows (REAL seconds, wire enum numbers, lower-case sides, proto new values) read the same after v3")
  func migratesForward() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("debts-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("etimad.sqlite").path
    let clock = ManualClock()
    // Given a database at debts.v2 with rows as v2 wrote them
    let v2 = Array(DebtsSchema.migrations.prefix(2))
    #expect(v2.map(\.name) == ["debts.v1.create", "debts.v2.payment_references"])
    // (a plain GRDB connection: the kit keeps its own pool's writes to itself)
    let before = try DatabaseQueue(path: path)
    try EtimadDatabase.migrator(v2).migrate(before)
    let debtor = DebtStorageContract.debtorNumber
    let details = Etimad_Debts_V1_DebtDetails.with {
      $0.amount = .sar(Halalas(15_000))
      $0.reason = "  New reason  "
      $0.notes = "not in the mask"
    }
    try await before.write { db in
      try db.execute(
        sql: """
          INSERT INTO debts (id, agency_code, debtor_id_type, debtor_id_number, debtor_name, category, reason,
            original_amount, due_date, state, created_by, submitted_by, approved_by, create_time, update_time,
            submit_time, approve_time)
          VALUES (7, 'MOF', 2, ?, 'Name', 5, 'Rent', 10000, '2026-05-01', 'OUTSTANDING', 'maker', 'maker', 'checker',
            1764000000.25, 1764000100.5, 1764000050.125, NULL)
          """, arguments: [debtor])
      try db.execute(
        sql: """
          INSERT INTO debt_movements (debt_id, agency_code, kind, delta, balance_after, record_time, effective_time,
            actor_kind, actor_id, employee, request_id, sadad_reference, source, payment_reference)
          VALUES (7, 'MOF', 'PAYMENT', -2500, 7500, 1764000200.5, 1764000000, 'agency', 'MOF', 'maker', 'r1', 'S1',
            NULL, NULL)
          """)
      try db.execute(
        sql: """
          INSERT INTO debt_change_requests (id, debt_id, kind, state, raised_by, raised_by_employee, new_values,
            update_mask, reason, create_time)
          VALUES (3, 7, 'UPDATE_DATA', 'PENDING', 'agency', 'maker', ?, 'amount,reason', 'why', 1764000300.75)
          """, arguments: [try details.serializedBytes() as Data])
    }
    try before.close()
    // When the daemon opens it with v3
    let after = try EtimadDatabase(path: path, migrations: DebtsSchema.migrations, clock: clock)
    #expect(try after.appliedMigrations().suffix(1) == ["debts.v3.conventions"])
    let store = DebtsStore(database: after, graceDays: 30)
    // Then every value reads as before, in the new conventions
    let agency = DebtCaller.agency(code: "MOF", employee: "checker")
    let debt = try await store.debt(id: 7, caller: agency)
    #expect(debt.debt.fields.debtorIDType == .iqama)
    #expect(debt.debt.fields.category == .rent)
    #expect(debt.debt.createTime == Date(timeIntervalSince1970: 1_764_000_000.25))
    #expect(debt.debt.updateTime == Date(timeIntervalSince1970: 1_764_000_100.5))
    #expect(debt.debt.submitTime == Date(timeIntervalSince1970: 1_764_000_050.125))
    #expect(debt.debt.approveTime == nil)
    #expect(try debt.balance() == Halalas(7_500))
    let movement = try #require(
      try await store.movements(debtID: 7, caller: agency, pageSize: 5, after: nil).items.first)
    #expect(movement.recordTime == Date(timeIntervalSince1970: 1_764_000_200.5))
    let request = try #require(
      try await store.changeRequests(debtID: 7, caller: agency, pageSize: 5, before: nil).items.first)
    #expect(request.raiser == RequestRules.Actor(party: .agency, employee: "maker"))
    #expect(request.createTime == Date(timeIntervalSince1970: 1_764_000_300.75))
    var expected = DebtPatch()
    expected.amount = Halalas(15_000)
    expected.reason = "New reason"
    #expect(request.patch == expected)
    // And the tables take new rows (AUTOINCREMENT counters kept, triggers back)
    let check = try DatabaseQueue(path: path)
    try await check.write { db in
      #expect(throws: DatabaseError.self) { try db.execute(sql: "DELETE FROM debt_movements") }
      let count = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM debt_movements")
      #expect(count == 1)
      let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = 'debts'")
      #expect(sequence == 7)
    }
    try check.close()
  }
}
