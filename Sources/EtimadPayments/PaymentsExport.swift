import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// Export reads: one page of rows at a time, written straight into the chunk's bytes.
extension PaymentsStore {
  /// Rows per database read of an export (and per streamed message).
  static let exportPageRows = 2000

  /// One formatted chunk: the bytes, how many rows, and where the next read starts.
  struct ExportChunk: Sendable {
    var bytes: [UInt8]
    var rows: Int
    var last: TimeCursor?
  }

  func exportChunk(
    scope: PaymentScope, query: PaymentQuery, after cursor: TimeCursor?, writer: ExportWriter, limit: Int
  ) async throws -> ExportChunk {
    try await database.read { db in
      var (conditions, arguments) = query.conditions(driving: !scope.narrow)
      conditions.insert(scope.sql, at: 0)
      var all: [any DatabaseValueConvertible] = scope.arguments + arguments
      if let cursor {
        conditions.append("(p.paid_time, p.id) < (?, ?)")
        all += [cursor.t, cursor.i]
      }
      let statement = try db.cachedStatement(
        sql: """
          SELECT p.id, p.paid_time, p.sector_code, p.service_code, p.beneficiary_type, p.beneficiary_number,
            p.customer_number, p.sadad_reference, p.amount, p.state
          FROM payments p WHERE \(conditions.joined(separator: " AND "))
          ORDER BY p.paid_time DESC, p.id DESC LIMIT \(limit)
          """)
      statement.arguments = StatementArguments(all)
      var chunk = ExportChunk(bytes: [], rows: 0, last: nil)
      chunk.bytes.reserveCapacity(limit * 200)
      let rows = try Row.fetchCursor(statement)
      var last: (Int64, Int64)?
      while let row = try rows.next() {
        let export = ExportRow(
          id: row[0], paidTime: row[1], sectorCode: row[2], serviceCode: row[3], beneficiaryType: row[4],
          beneficiaryNumber: row[5], customerNumber: row[6], sadadReference: row[7], amount: row[8], state: row[9])
        writer.append(export, to: &chunk.bytes)
        chunk.rows += 1
        last = (export.paidTime, export.id)
      }
      chunk.last = last.map { TimeCursor(t: $0.0, i: $0.1) }
      return chunk
    }
  }

  /// How many payments match, when the export starts.
  func exportCount(scopes: [PaymentScope], query: PaymentQuery) async throws -> Int64 {
    try await database.read { db in
      var total: Int64 = 0
      for scope in scopes {
        var (conditions, arguments) = query.conditions(driving: !scope.narrow)
        conditions.insert(scope.sql, at: 0)
        total +=
          try Int64.fetchOne(
            db, sql: "SELECT COUNT(*) FROM payments p WHERE \(conditions.joined(separator: " AND "))",
            arguments: StatementArguments(scope.arguments + arguments)) ?? 0
      }
      return total
    }
  }

  /// The sectors an agency records.
  func sectorCodes(agency: String) async throws -> [String] {
    try await database.read { db in
      try String.fetchAll(
        db, sql: "SELECT code FROM payment_sectors WHERE agency_code = ? ORDER BY code", arguments: [agency])
    }
  }
}
