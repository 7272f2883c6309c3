import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import GRDBSQLite

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

  /// What an export covers: the payments recorded up to `lastID` when it started, and how
  /// many of them match. Every page reads below that bound, so a payment recorded during the
  /// export (a late notice with an older paid time lands behind the cursor) is not sent beyond
  /// `expected_rows`. (With a state filter, a payment whose state changes mid-export can still
  /// move in or out of the rows read after the change.)
  struct ExportSnapshot: Sendable {
    var rows: Int64
    var lastID: Int64
  }

  func exportChunk(
    scope: PaymentScope, query: PaymentQuery, snapshot: ExportSnapshot, after cursor: TimeCursor?,
    writer: ExportWriter, limit: Int
  ) async throws -> ExportChunk {
    try await database.read { db in
      // A pool reader that served a tender search maps the file (TendersStore.search); an
      // export walks the whole table, which through a mapping would grow the server's RSS by
      // the table's size. Reads of an export stay plain reads.
      try db.execute(sql: "PRAGMA mmap_size = 0")
      var (conditions, arguments) = query.conditions(driving: !scope.narrow)
      conditions.insert(scope.sql, at: 0)
      var all: [any DatabaseValueConvertible] = scope.arguments + arguments
      // (+: the bound must not become the plan's driving index)
      conditions.append("+p.id <= ?")
      all.append(snapshot.lastID)
      if let cursor {
        conditions.append("(p.paid_time, p.id) < (?, ?)")
        all += [cursor.t, cursor.i]
      }
      let language = writer.arabic ? "ar" : "en"
      let statement = try db.cachedStatement(
        sql: """
          SELECT p.id, p.paid_time, p.amount, p.state, p.sector_code, s.name_\(language), p.service_code,
            v.name_\(language), p.beneficiary_type, p.beneficiary_number, p.customer_number, p.sadad_reference
          FROM payments p JOIN payment_sectors s ON s.code = p.sector_code
          LEFT JOIN payment_services v ON v.sector_code = p.sector_code AND v.code = p.service_code
          WHERE \(conditions.joined(separator: " AND "))
          ORDER BY p.paid_time DESC, p.id DESC LIMIT \(limit)
          """)
      statement.arguments = StatementArguments(all)
      var chunk = ExportChunk(bytes: [], rows: 0, last: nil)
      chunk.bytes.reserveCapacity(limit * 256)
      let rows = try Row.fetchCursor(statement)
      let source = SQLiteExportRow(statement: statement.sqliteStatement)
      var last: (Int64, Int64)?
      while try rows.next() != nil {
        writer.append(source, to: &chunk.bytes)
        chunk.rows += 1
        last = (source.paidTime, source.id)
      }
      chunk.last = last.map { TimeCursor(t: $0.0, i: $0.1) }
      return chunk
    }
  }

  /// The export's bound and row count, read together when it starts.
  func exportSnapshot(scopes: [PaymentScope], query: PaymentQuery) async throws -> ExportSnapshot {
    try await database.read { db in
      let lastID = try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM payments") ?? 0
      var total: Int64 = 0
      for scope in scopes {
        var (conditions, arguments) = query.conditions(driving: !scope.narrow)
        conditions.insert(scope.sql, at: 0)
        total +=
          try Int64.fetchOne(
            db, sql: "SELECT COUNT(*) FROM payments p WHERE \(conditions.joined(separator: " AND "))",
            arguments: StatementArguments(scope.arguments + arguments)) ?? 0
      }
      return ExportSnapshot(rows: total, lastID: lastID)
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

/// The current row of an export statement, read column by column from SQLite: text goes
/// from SQLite's buffer into the export's without becoming a String.
struct SQLiteExportRow: ExportRowSource {
  let statement: SQLiteStatement

  var id: Int64 { sqlite3_column_int64(statement, 0) }
  var paidTime: Int64 { sqlite3_column_int64(statement, 1) }
  var amount: Int64 { sqlite3_column_int64(statement, 2) }
  var state: Int { Int(sqlite3_column_int64(statement, 3)) }

  func withText<R>(_ field: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    let column = Int32(4 + field)
    // sqlite3_column_text first, then sqlite3_column_bytes (SQLite's documented order).
    guard let text = sqlite3_column_text(statement, column) else {
      return body(UnsafeBufferPointer(start: nil, count: 0))
    }
    return body(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column))))
  }
}
