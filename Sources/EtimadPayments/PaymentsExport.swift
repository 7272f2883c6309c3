import EtimadKit
import Foundation
import GRDB
import GRDBSQLite

/// Export reads: one page of rows at a time, written straight into the chunk's bytes.
extension PaymentsStore {
  func exportChunk(
    scope: PaymentScope, query: PaymentQuery, snapshot: ExportSnapshot, after cursor: TimeCursor?,
    writer: ExportWriter, limit: Int
  ) async throws -> ExportChunk {
    try await database.read { db in
      // A pool reader that served a tender search maps the file (TendersStore.search); an
      // export walks the whole table, which through a mapping would grow the server's RSS by
      // the table's size. Reads of an export stay plain reads.
      try db.execute(sql: "PRAGMA mmap_size = 0")
      var (conditions, arguments) = PaymentsSQL.conditions(query, driving: !scope.narrow)
      let condition = PaymentsSQL.condition(scope)
      conditions.insert(condition.sql, at: 0)
      var all: [any DatabaseValueConvertible] = condition.arguments + arguments
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
          SELECT \(ExportColumn.selectList(language: language))
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
        var (conditions, arguments) = PaymentsSQL.conditions(query, driving: !scope.narrow)
        let condition = PaymentsSQL.condition(scope)
        conditions.insert(condition.sql, at: 0)
        total +=
          try Int64.fetchOne(
            db, sql: "SELECT COUNT(*) FROM payments p WHERE \(conditions.joined(separator: " AND "))",
            arguments: StatementArguments(condition.arguments + arguments)) ?? 0
      }
      return ExportSnapshot(rows: total, lastID: lastID)
    }
  }
}

/// The columns of an export statement, in the order `SQLiteExportRow` reads them: four
/// scalar columns, then `ExportWriter.textFields` in their order.
enum ExportColumn: Int, CaseIterable {
  case id, paidTime, amount, state
  case sectorCode, sectorName, serviceCode, serviceName, beneficiaryType, beneficiaryNumber, customerNumber
  case sadadReference

  /// The first text field: text field `n` is column `firstText + n`.
  static let firstText = ExportColumn.sectorCode.rawValue

  /// The select list, the names in `language` ("ar" or "en").
  static func selectList(language: String) -> String {
    allCases.map { column in
      switch column {
      case .id: "p.id"
      case .paidTime: "p.paid_time"
      case .amount: "p.amount"
      case .state: "p.state"
      case .sectorCode: "p.sector_code"
      case .sectorName: "s.name_\(language)"
      case .serviceCode: "p.service_code"
      case .serviceName: "v.name_\(language)"
      case .beneficiaryType: "p.beneficiary_type"
      case .beneficiaryNumber: "p.beneficiary_number"
      case .customerNumber: "p.customer_number"
      case .sadadReference: "p.sadad_reference"
      }
    }.joined(separator: ", ")
  }

  /// The text fields the writer asks for, checked once against `ExportWriter.textFields`.
  static let textFieldsMatch: Bool =
    allCases.dropFirst(firstText).map(\.fieldName) == ExportWriter.textFields

  var fieldName: String {
    switch self {
    case .id: "payment_id"
    case .paidTime: "paid_time"
    case .amount: "amount_halalas"
    case .state: "state"
    case .sectorCode: "sector_code"
    case .sectorName: "sector_name"
    case .serviceCode: "service_code"
    case .serviceName: "service_name"
    case .beneficiaryType: "beneficiary_type"
    case .beneficiaryNumber: "beneficiary_number"
    case .customerNumber: "customer_number"
    case .sadadReference: "sadad_reference"
    }
  }
}

/// The current row of an export statement, read column by column from SQLite: text goes
/// from SQLite's buffer into the export's without becoming a String.
struct SQLiteExportRow: ExportRowSource {
  let statement: SQLiteStatement

  func int64(_ column: ExportColumn) -> Int64 { sqlite3_column_int64(statement, Int32(column.rawValue)) }

  var id: Int64 { int64(.id) }
  var paidTime: Int64 { int64(.paidTime) }
  var amount: Int64 { int64(.amount) }
  var state: PaymentState? {
    let column = Int32(ExportColumn.state.rawValue)
    guard let text = sqlite3_column_text(statement, column) else { return nil }
    return PaymentState(code: UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column))))
  }

  func withText<R>(_ field: Int, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
    let column = Int32(ExportColumn.firstText + field)
    // sqlite3_column_text first, then sqlite3_column_bytes (SQLite's documented order).
    guard let text = sqlite3_column_text(statement, column) else {
      return body(UnsafeBufferPointer(start: nil, count: 0))
    }
    return body(UnsafeBufferPointer(start: text, count: Int(sqlite3_column_bytes(statement, column))))
  }
}
