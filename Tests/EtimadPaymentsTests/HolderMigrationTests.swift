import EtimadKit
import Foundation
import GRDB
import Testing

@testable import EtimadPayments

@Suite("Customer number holders: migration payments.v4")
struct HolderMigrationTests {
  @Test(
    "on a database of the old rule, holders of ID-shaped numbers go; account holders stay; new ones follow the rule")
  func migratesExistingHolders() throws {
    let queue = try DatabaseQueue()
    let migrator = EtimadDatabase.migrator(PaymentsArea.migrations)
    try migrator.migrate(queue, upTo: "payments.v3.customer_holders")
    // The state as the schema of the time stores it: the wire number before
    // payments.v5.conventions, the text code after.
    var paidState: any DatabaseValueConvertible = 1
    func record(_ db: Database, beneficiary: String, customer: String, _ reference: String) throws {
      try db.execute(
        sql: """
          INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
            sadad_reference, amount, paid_time, state, record_time)
          VALUES ('PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', ?, ?, ?, 20000, 1700000000000, ?, 0)
          """, arguments: [beneficiary, customer, reference, paidState])
    }
    let holders = { (db: Database) in
      try [String: String](
        uniqueKeysWithValues: Row.fetchAll(
          db, sql: "SELECT customer_number, holder_number FROM payment_customer_holders"
        )
        .map { ($0[0], $0[1]) })
    }
    try queue.write { db in
      // The son's passport paid under the father's ID number, first: the old rule made the son
      // its holder. A sponsor's SADAD account number, first used for the sponsor.
      try record(db, beneficiary: "1000000016", customer: "1012345672", "OLD-1")
      try record(db, beneficiary: "1012345672", customer: "1012345672", "OLD-2")
      try record(db, beneficiary: "1012345672", customer: "300000000007", "OLD-3")
      try record(db, beneficiary: "2012345670", customer: "300000000007", "OLD-4")
      #expect(try holders(db) == ["1012345672": "1000000016", "300000000007": "1012345672"])
    }
    try migrator.migrate(queue)
    paidState = PaymentState.paid.rawValue
    try queue.write { db in
      #expect(try holders(db) == ["300000000007": "1012345672"])
      // After it: an ID-shaped number gets no holder; an account number its first beneficiary
      try record(db, beneficiary: "1000000016", customer: "7000000001", "NEW-1")
      try record(db, beneficiary: "1000000016", customer: "555000111", "NEW-2")
      #expect(try holders(db) == ["300000000007": "1012345672", "555000111": "1000000016"])
    }
  }
}
