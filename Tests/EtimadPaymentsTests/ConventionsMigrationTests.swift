import EtimadKit
import Foundation
import GRDB
import Testing

@testable import EtimadPayments

@Suite("Payments conventions: migration payments.v5")
struct ConventionsMigrationTests {
  @Test("wire numbers become text codes, REAL seconds integer milliseconds; rows, ids and the holder trigger stay")
  func migratesExistingRows() throws {
    let queue = try DatabaseQueue()
    let migrator = EtimadDatabase.migrator(PaymentsArea.migrations)
    try migrator.migrate(queue, upTo: "payments.v4.person_customer_numbers")
    try queue.write { db in
      try db.execute(
        sql: """
          UPDATE payment_sectors SET create_time = 1700000000.25 WHERE code = 'PASSPORTS';
          INSERT INTO payments (id, sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
            sadad_reference, amount, paid_time, consumed, cancelled, refund_pending, refunded, state, record_time)
          VALUES (7, 'PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1012345672', '300000000007', 'OLD-1', 20000,
            1700000000000, 0, 5000, 2000, 0, 4, 1700000000001);
          INSERT INTO payment_movements (id, payment_id, kind, amount, time, note, refund_request_id) VALUES
            (11, 7, 1, 20000, 1700000000000, '', NULL),
            (12, 7, 3, 5000, 1700000001000, 'cancelled', NULL),
            (13, 7, 4, 2000, 1700000002000, '', 21);
          INSERT INTO payment_refund_requests (id, payment_id, sector_code, requester, amount, iban,
            account_holder_name, state, create_time) VALUES
            (21, 7, 'PASSPORTS', '1012345672', 2000, 'SA0380000000608010167519', 'Person One', 1, 1700000002000);
          """)
    }
    try migrator.migrate(queue)
    try queue.read { db in
      #expect(
        try Int64.fetchOne(db, sql: "SELECT create_time FROM payment_sectors WHERE code = 'PASSPORTS'")
          == 1_700_000_000_250)
      let payment = try #require(try Row.fetchOne(db, sql: "SELECT * FROM payments"))
      #expect(payment["id"] as Int64 == 7 && payment["state"] as String == "REFUND_REQUESTED")
      #expect(payment["cancelled"] as Int64 == 5000 && payment["record_time"] as Int64 == 1_700_000_000_001)
      #expect(
        try String.fetchAll(db, sql: "SELECT kind FROM payment_movements ORDER BY id") == [
          "PAID", "CANCELLED", "REFUND_REQUESTED",
        ])
      #expect(try String.fetchOne(db, sql: "SELECT state FROM payment_refund_requests WHERE id = 21") == "PENDING")
      #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
      // The partial index of cancelled movements follows the code
      let plan = try Row.fetchAll(
        db, sql: "EXPLAIN QUERY PLAN SELECT id FROM payment_movements WHERE payment_id = 7 AND kind = 'CANCELLED'")
      #expect(plan.contains { ($0["detail"] as String).contains("payment_movements_cancelled") })
    }
    try queue.write { db in
      // The stored codes are checked; the holder trigger survived the rebuild
      #expect(throws: DatabaseError.self) {
        try db.execute(sql: "UPDATE payments SET state = 'LOST' WHERE id = 7")
      }
      try db.execute(
        sql: """
          INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
            sadad_reference, amount, paid_time, state, record_time)
          VALUES ('PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1000000016', '555000111', 'NEW-1', 20000, 0, 'PAID', 0)
          """)
      #expect(
        try String.fetchOne(
          db, sql: "SELECT holder_number FROM payment_customer_holders WHERE customer_number = '555000111'")
          == "1000000016")
    }
  }
}
