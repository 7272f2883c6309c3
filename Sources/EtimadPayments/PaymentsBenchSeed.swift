import EtimadKit
import Foundation
import GRDB

/// Bulk data for the payments benchmark: many payments in one sector over a set of
/// beneficiaries, each with its PAID movement, written in large transactions with one audit
/// row for the whole load.
public enum PaymentsBenchSeed {
  /// Writes `payments` payments of `sector` for `beneficiaries` (the ID numbers given first,
  /// then generated national IDs), one customer number per beneficiary, paid one second
  /// apart ending now, audited as `actor`. Returns the number written.
  public static func seed(
    database: EtimadDatabase, sector: String, payments: Int, beneficiaries: Int, firstBeneficiaries: [String],
    batch: Int = 50_000, by actor: AuditActor, progress: (Int) -> Void = { _ in }
  ) async throws -> Int {
    let people: [String] = (0..<beneficiaries).map { index in
      if index < firstBeneficiaries.count { return firstBeneficiaries[index] }
      let prefix = "1" + Digits.zeroPadded(50_000_000 + index, width: 8)
      return prefix + String(NationalID.checkDigit(for: prefix))
    }
    let services = try await database.read { db in try PaymentsCatalogue.allServices(db, sector: sector) }
    guard !services.isEmpty, !people.isEmpty else { return 0 }
    let end = Int64(Date().timeIntervalSince1970 * 1000) - 60_000
    let start = end - Int64(payments) * 1000
    var written = 0
    let load = try await database.beginBulkLoad(
      as: actor, method: "etimadd payments bench-seed",
      audit: AuditRecord(
        target: "payment-sector/\(sector)",
        summary: "benchmark load: \(payments) payments over \(beneficiaries) beneficiaries"))
    var next = try await load.batch { db in
      try db.execute(sql: "PRAGMA cache_size = -262144")
      return try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(id), 0) + 1 FROM payments") ?? 1
    }
    while written < payments {
      let count = min(batch, payments - written)
      let (first, done) = (next, written)
      try await load.batch { db in
        let payment = try db.makeStatement(
          sql: """
            INSERT INTO payments (id, sector_code, service_code, beneficiary_type, beneficiary_number,
              customer_number, sadad_reference, amount, paid_time, state, record_time)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let movement = try db.makeStatement(
          sql: "INSERT INTO payment_movements (payment_id, kind, amount, time) VALUES (?, 'PAID', ?, ?)")
        for offset in 0..<count {
          let index = done + offset
          let person = index % people.count
          let service = services[index % services.count]
          let amount = service.fee > 0 ? service.fee : Int64(10_000 + index % 50_000)
          let time = start + Int64(index) * 1000
          let type = people[person].hasPrefix("2") ? "IQAMA" : "NATIONAL_ID"
          let id = first + Int64(offset)
          try payment.execute(arguments: [
            id, sector, service.code, type, people[person], String(3_000_000_000 + person),
            "BENCH-\(index)", amount, time, PaymentState.paid.rawValue, time,
          ])
          try movement.execute(arguments: [id, amount, time])
        }
      }
      next += Int64(count)
      written += count
      progress(written)
    }
    return written
  }
}
