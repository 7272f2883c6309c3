import EtimadKit
import Foundation
import GRDB

/// Demo payments: each signed-up demo account gets payments in every sector, some consumed,
/// some cancelled (refundable), one with a pending refund request.
enum PaymentsDemo {
  static func seed(_ demo: DemoContext) async throws -> [String] {
    let persons = Array(demo.persons.prefix(max(demo.accounts, 1) + 5))
    let now = Int64(demo.now.timeIntervalSince1970 * 1000)
    let count = try await demo.write { db, audit -> Int in
      guard try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payments") == 0 else { return 0 }
      let services = try PaymentsCatalogue.allServices(db, sector: nil)
      var inserted = 0
      for (personIndex, idNumber) in persons.enumerated() {
        let kind = try? NationalID(parsing: idNumber)
        let type = kind.map { Beneficiary.code($0.kind) } ?? "NATIONAL_ID"
        // A SADAD account number (twelve digits: not shaped like anyone's ID number)
        let customer = Digits.zeroPadded(300_000_000_000 + personIndex * 7, width: 12)
        for (index, service) in services.enumerated() where (index + personIndex) % 2 == 0 {
          let amount = service.fee > 0 ? service.fee : Int64(15_000 + 2_500 * index)
          let paidTime = now - Int64(index * 86_400_000 + personIndex * 3_600_000 + 60_000)
          try db.execute(
            sql: """
              INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
                sadad_reference, amount, paid_time, state, record_time)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
              """,
            arguments: [
              service.sectorCode, service.code, type, idNumber, customer,
              "DEMO-\(personIndex)-\(index)-\(paidTime % 1_000_000)", amount, paidTime,
              PaymentState.paid.rawValue, now,
            ])
          let id = db.lastInsertedRowID
          try PaymentsStore.appendMovement(db, payment: id, kind: .paid, amount: amount, time: paidTime, note: "")
          var balance = PaymentBalance(paid: amount)
          var steps: [(PaymentBalance.Change, MovementKind)] = []
          switch index % 4 {
          case 1: steps = [(.consume(amount), .consumed)]
          case 2: steps = [(.cancel(amount), .cancelled)]
          case 3: steps = [(.consume(amount / 2), .consumed), (.cancel(amount - amount / 2), .cancelled)]
          default: break
          }
          for (change, kind) in steps {
            balance = try balance.applying(change)
            try PaymentsStore.appendMovement(
              db, payment: id, kind: kind, amount: change.amount, time: paidTime + 3_600_000, note: "")
          }
          try PaymentsStore.store(db, payment: id, balance: balance)
          inserted += 1
        }
      }
      try audit.record(target: "payments", summary: "demo payments: \(inserted) for \(persons.count) persons")
      return inserted
    }
    return count == 0 ? [] : ["payments: \(count) Ministry of Interior payments for \(persons.count) persons"]
  }
}
