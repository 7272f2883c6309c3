import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// A value bound to a `?` of a statement run through `SQLStatements`.
public enum SQLArgument: Sendable, Hashable {
  case int(Int64)
  case double(Double)
  case text(String)
  case null

  case blob(Data)

  public static func int(_ value: Int) -> SQLArgument { .int(Int64(value)) }

  /// A GRDB value as an argument, for code that builds its arguments for both paths.
  public init(_ value: (any DatabaseValueConvertible)?) {
    switch value?.databaseValue.storage {
    case nil, .null?: self = .null
    case .int64(let value)?: self = .int(value)
    case .double(let value)?: self = .double(value)
    case .string(let value)?: self = .text(value)
    case .blob(let value)?: self = .blob(value)
    }
  }
}

/// A value that can be read from a result column by position.
public protocol SQLColumnDecodable {
  static func decode(_ statement: OpaquePointer, _ column: Int32) -> Self
}

extension Int64: SQLColumnDecodable {
  @inlinable
  public static func decode(_ statement: OpaquePointer, _ column: Int32) -> Int64 {
    sqlite3_column_int64(statement, column)
  }
}

extension Int: SQLColumnDecodable {
  @inlinable
  public static func decode(_ statement: OpaquePointer, _ column: Int32) -> Int {
    Int(sqlite3_column_int64(statement, column))
  }
}

extension Double: SQLColumnDecodable {
  @inlinable
  public static func decode(_ statement: OpaquePointer, _ column: Int32) -> Double {
    sqlite3_column_double(statement, column)
  }
}

extension Bool: SQLColumnDecodable {
  @inlinable
  public static func decode(_ statement: OpaquePointer, _ column: Int32) -> Bool {
    sqlite3_column_int64(statement, column) != 0
  }
}

extension String: SQLColumnDecodable {
  /// NULL reads as the empty string; declare the column `String?` where NULL means something.
  @inlinable
  public static func decode(_ statement: OpaquePointer, _ column: Int32) -> String {
    // sqlite3_column_text first, then sqlite3_column_bytes (SQLite's documented order).
    guard let text = sqlite3_column_text(statement, column) else { return "" }
    let count = Int(sqlite3_column_bytes(statement, column))
    return String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self)
  }
}

extension Optional: SQLColumnDecodable where Wrapped: SQLColumnDecodable {
  @inlinable
  public static func decode(_ statement: OpaquePointer, _ column: Int32) -> Wrapped? {
    sqlite3_column_type(statement, column) == SQLITE_NULL ? nil : Wrapped.decode(statement, column)
  }
}

/// The current row of a statement, read by column position straight from SQLite: no copy of
/// the row, no lookup by name. Valid only inside the closure it is handed to.
public struct SQLRow {
  @usableFromInline let statement: OpaquePointer

  @inlinable
  init(statement: OpaquePointer) {
    self.statement = statement
  }

  @inlinable
  public subscript<Value: SQLColumnDecodable>(_ column: Int) -> Value {
    Value.decode(statement, Int32(column))
  }
}

/// The rows of one run of a statement.
public struct SQLRows: ~Copyable {
  @usableFromInline let statement: OpaquePointer
  @usableFromInline let sql: String

  @usableFromInline
  init(statement: OpaquePointer, sql: String) {
    self.statement = statement
    self.sql = sql
  }

  /// The next row, or nil when the statement is done.
  @inlinable
  public mutating func next() throws -> SQLRow? {
    switch sqlite3_step(statement) {
    case SQLITE_ROW: return SQLRow(statement: statement)
    case SQLITE_DONE: return nil
    case let code: throw Self.failure(code, statement: statement, sql: sql)
    }
  }

  @usableFromInline
  static func failure(_ code: Int32, statement: OpaquePointer, sql: String) -> DatabaseError {
    DatabaseError(
      resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(sqlite3_db_handle(statement))),
      sql: sql)
  }
}

/// Something that runs a statement and hands its rows to a closure: a GRDB `Database` inside a
/// transaction or snapshot (through its cached statements), or a `QuickReadConnection`.
public protocol SQLStatements {
  func rows<T>(_ sql: String, _ arguments: [SQLArgument], _ body: (inout SQLRows) throws -> T) throws -> T
}

extension SQLStatements {
  /// The first row decoded by `decode`, or nil when there is none.
  @inlinable
  public func fetchOne<T>(_ sql: String, _ arguments: [SQLArgument], _ decode: (SQLRow) throws -> T) throws -> T? {
    try rows(sql, arguments) { rows in try rows.next().map(decode) }
  }

  /// Every row, each decoded by `decode`.
  @inlinable
  public func fetchAll<T>(_ sql: String, _ arguments: [SQLArgument], _ decode: (SQLRow) throws -> T) throws -> [T] {
    try rows(sql, arguments) { rows in
      var all: [T] = []
      while let row = try rows.next() { all.append(try decode(row)) }
      return all
    }
  }
}

/// Binds, runs `body`, and leaves the statement reset with no bindings held. Inlinable, like
/// the rest of the read path, so that each caller's row type is specialised (unspecialised
/// generics cost a WhoAmI more than SQLite's own work).
@inlinable
func run<T>(
  _ statement: OpaquePointer, sql: String, _ arguments: [SQLArgument], _ body: (inout SQLRows) throws -> T
) throws -> T {
  defer { reset(statement) }
  try bind(statement, sql: sql, arguments)
  var rows = SQLRows(statement: statement, sql: sql)
  return try body(&rows)
}

@usableFromInline
func reset(_ statement: OpaquePointer) {
  sqlite3_reset(statement)
  sqlite3_clear_bindings(statement)
}

@usableFromInline
func bind(_ statement: OpaquePointer, sql: String, _ arguments: [SQLArgument]) throws {
  for (offset, argument) in arguments.enumerated() {
    let index = Int32(offset + 1)
    let code: Int32
    switch argument {
    case .int(let value): code = sqlite3_bind_int64(statement, index, value)
    case .double(let value): code = sqlite3_bind_double(statement, index, value)
    case .null: code = sqlite3_bind_null(statement, index)
    case .blob(let value):
      code = value.withUnsafeBytes { bytes in
        sqlite3_bind_blob(statement, index, bytes.baseAddress, Int32(bytes.count), sqliteTransient)
      }
    case .text(let value):
      code =
        value.utf8.withContiguousStorageIfAvailable { bytes in
          sqlite3_bind_text(statement, index, bytes.baseAddress, Int32(bytes.count), sqliteTransient)
        } ?? sqlite3_bind_text(statement, index, value, -1, sqliteTransient)
    }
    guard code == SQLITE_OK else {
      throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "binding argument \(index)", sql: sql)
    }
  }
}

/// SQLite's "copy the bytes now" destructor, which the C macro spells as -1.
let sqliteTransient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

extension Database: SQLStatements {
  @inlinable
  public func rows<T>(_ sql: String, _ arguments: [SQLArgument], _ body: (inout SQLRows) throws -> T) throws -> T {
    let statement = try cachedStatement(sql: sql)
    return try run(statement.sqliteStatement, sql: sql, arguments, body)
  }
}

/// One SQLite connection of `QuickReads`, with its prepared statements. Used by one caller at
/// a time (the pool hands it out), so SQLite's own mutex is off.
public final class QuickReadConnection: SQLStatements {
  private let handle: OpaquePointer
  private var statements: [String: OpaquePointer] = [:]

  init(path: String, setup: [EtimadDatabase.ConnectionSetup] = []) throws {
    var handle: OpaquePointer?
    let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI
    let code = sqlite3_open_v2(path, &handle, flags, nil)
    guard code == SQLITE_OK, let handle else {
      let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open \(path)"
      if let handle { sqlite3_close_v2(handle) }
      throw DatabaseError(resultCode: ResultCode(rawValue: code), message: message)
    }
    self.handle = handle
    sqlite3_busy_timeout(handle, 10_000)
    // A reader only: a statement that would write fails instead.
    guard sqlite3_exec(handle, "PRAGMA query_only = 1", nil, nil, nil) == SQLITE_OK else {
      defer { sqlite3_close_v2(handle) }
      throw DatabaseError(resultCode: .SQLITE_ERROR, message: String(cString: sqlite3_errmsg(handle)))
    }
    do {
      for step in setup { try step(handle) }
    } catch {
      sqlite3_close_v2(handle)
      throw error
    }
  }

  deinit {
    for statement in statements.values { sqlite3_finalize(statement) }
    sqlite3_close_v2(handle)
  }

  @inlinable
  public func rows<T>(_ sql: String, _ arguments: [SQLArgument], _ body: (inout SQLRows) throws -> T) throws -> T {
    try run(statement(sql), sql: sql, arguments, body)
  }

  /// Prepared statements kept at most: SQL built from filters (and page sizes) has many
  /// spellings; past this the cache starts again rather than grow.
  static let statementLimit = 256

  @usableFromInline
  func statement(_ sql: String) throws -> OpaquePointer {
    if let cached = statements[sql] { return cached }
    if statements.count >= Self.statementLimit {
      // A statement still being stepped (a read nested in another's rows) is kept.
      for (sql, statement) in statements where sqlite3_stmt_busy(statement) == 0 {
        sqlite3_finalize(statement)
        statements[sql] = nil
      }
    }
    var statement: OpaquePointer?
    let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
    guard code == SQLITE_OK, let statement else {
      throw DatabaseError(
        resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
    statements[sql] = statement
    return statement
  }
}

/// Connections for reads that are one statement, run on the calling thread. GRDB's pool costs
/// a read about 20 us on this stack (two Dispatch queue hops through its lock and serial queue,
/// a key path built per checkout, a `PRAGMA schema_version` per read), more than SQLite spends
/// answering a lookup by key; the reads every signed-in call makes come here instead. A lone
/// statement has its own snapshot, so nothing else is needed for consistency. Opened lazily,
/// at most `limit`; callers beyond that wait, suspended, for one to come back.
@usableFromInline
final class QuickReads: Sendable {
  private let path: String
  private let gate: ReaderGate
  private let idle = Mutex<[QuickReadConnection]>([])
  private let setup: [EtimadDatabase.ConnectionSetup]

  init(path: String, limit: Int, setup: [EtimadDatabase.ConnectionSetup]) {
    self.path = path
    self.gate = ReaderGate(permits: limit)
    self.setup = setup
  }

  @inlinable
  func read<T>(_ body: (QuickReadConnection) throws -> T) async throws -> T {
    let connection = try await checkOut()
    defer { checkIn(connection) }
    return try body(connection)
  }

  /// A connection for the caller alone, waiting (suspended) while `limit` are out.
  @usableFromInline
  func checkOut() async throws -> QuickReadConnection {
    await gate.acquire()
    do {
      // Holding a permit, either an idle connection exists or fewer than `limit` are open.
      return try idle.withLock { $0.popLast() } ?? QuickReadConnection(path: path, setup: setup)
    } catch {
      gate.release()
      throw error
    }
  }

  @usableFromInline
  func checkIn(_ connection: QuickReadConnection) {
    idle.withLock { $0.append(connection) }
    gate.release()
  }
}

// Handed between callers only through the pool's lock, and used by one at a time.
extension QuickReadConnection: @unchecked Sendable {}
