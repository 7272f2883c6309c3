import Crypto
@_spi(Testing) import EtimadKit
import Foundation
import GRDB
import Testing

@testable import EtimadPayments

@Suite("Export snapshot")
struct ExportSnapshotTests {
  @Test("pages read after an export started leave out payments recorded since, even one paid before every row")
  func pagesStayInTheSnapshot() async throws {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("etimad-export-\(UUID())")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let database = try EtimadDatabase(
      path: directory.appendingPathComponent("etimad.sqlite").path, migrations: PaymentsArea.migrations)
    func record(_ reference: String, paidTime: Int64) async throws {
      try await database.testingPool.write { db in
        try db.execute(
          sql: """
            INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
              sadad_reference, amount, paid_time, state, record_time)
            VALUES ('PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1012345672', '300000000007', ?, 20000, ?, 'PAID', 0)
            """, arguments: [reference, paidTime])
      }
    }
    for index in 0..<50 { try await record("SNAP-\(index)", paidTime: 1_700_000_000_000 + Int64(index) * 1000) }
    let store = PaymentsStore(database: database)
    let scope = PaymentScope.sector("PASSPORTS")
    let query = PaymentQuery()
    let writer = ExportWriter(format: .jsonLines, arabic: false)
    let snapshot = try await store.exportSnapshot(scopes: [scope], query: query)
    #expect(snapshot.rows == 50)
    var chunk = try await store.exportChunk(
      scope: scope, query: query, snapshot: snapshot, after: nil, writer: writer, limit: 20)
    // Recorded after the first page: a late notice paid before every exported row (it sorts
    // behind the cursor, into a page still to be read), and a new payment
    try await record("LATE-NOTICE", paidTime: 1_600_000_000_000)
    try await record("NEWEST", paidTime: 1_800_000_000_000)
    var rows = chunk.rows
    var text = String(decoding: chunk.bytes, as: UTF8.self)
    while chunk.rows == 20, let last = chunk.last {
      chunk = try await store.exportChunk(
        scope: scope, query: query, snapshot: snapshot, after: last, writer: writer, limit: 20)
      rows += chunk.rows
      text += String(decoding: chunk.bytes, as: UTF8.self)
    }
    #expect(rows == 50)
    #expect(text.contains("SNAP-0") && text.contains("SNAP-49"))
    #expect(!text.contains("LATE-NOTICE") && !text.contains("NEWEST"))
  }
}
