import EtimadKit
import Foundation
import GRDB

/// Bulk OUTSTANDING debts for benchmarks (`etimadd debts seed-bench`), written in large
/// transactions straight into the tables. Not for production data: one audit row for the
/// whole load, none per debt.
public enum DebtsBenchSeed {
  /// Seeds `debts` debts of `agency` spread over `debtors` ID numbers, the first of which is
  /// `owner`, audited as `actor`. Returns the ids of the owner's debts.
  public static func seed(
    _ database: EtimadDatabase, agency: String, debts: Int, debtors: Int, owner: String, batch: Int = 10_000,
    by actor: AuditActor
  ) async throws -> [Int64] {
    let ids =
      [owner]
      + (1..<max(1, debtors)).map { index -> String in
        let prefix = "1" + Digits.zeroPadded(70_000_000 + index, width: 8)
        return prefix + String(NationalID.checkDigit(for: prefix))
      }
    let now = StoredTime.milliseconds(Date())
    let due = CivilDay.inRiyadh(Date()).adding(days: 90).description
    var owned: [Int64] = []
    var written = 0
    let load = try await database.beginBulkLoad(
      as: actor, method: "etimadd debts seed-bench",
      audit: AuditRecord(
        target: "agency/\(agency)", summary: "benchmark load: \(debts) OUTSTANDING debts over \(debtors) debtors"))
    while written < debts {
      let count = min(batch, debts - written)
      let start = written
      owned += try await load.batch { db -> [Int64] in
        let statement = try db.makeStatement(
          sql: """
            INSERT INTO debts (agency_code, debtor_id_type, debtor_id_number, debtor_name, category, reason,
              original_amount, due_date, state, created_by, submitted_by, approved_by, create_time, update_time,
              submit_time, approve_time)
            VALUES (?, 'NATIONAL_ID', ?, ?, 'FEE', 'Benchmark debt', 100000000, ?, 'OUTSTANDING', 'bench', 'bench', 'bench-checker',
              ?, ?, ?, ?)
            """)
        var mine: [Int64] = []
        for index in start..<(start + count) {
          let debtor = ids[index % ids.count]
          try statement.execute(arguments: [agency, debtor, "Debtor \(index % ids.count)", due, now, now, now, now])
          if debtor == owner { mine.append(db.lastInsertedRowID) }
        }
        return mine
      }
      written += count
    }
    return owned
  }
}
