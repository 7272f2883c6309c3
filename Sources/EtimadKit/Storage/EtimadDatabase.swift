import Foundation
import GRDB
import Synchronization

/// A named, forward-only schema change of one area, such as `debts.v1.create`.
public struct Migration: Sendable {
  public let name: String
  public let apply: @Sendable (Database) throws -> Void

  public init(_ name: String, apply: @escaping @Sendable (Database) throws -> Void) {
    self.name = name
    self.apply = apply
  }
}

/// The embedded store: a GRDB `DatabasePool` in WAL mode with `synchronous=FULL` (an
/// acknowledged payment survives a power cut) and foreign keys on. Each area hands in its
/// named migrations; the kit's own tables (idempotency, audit) come first.
///
/// The pool is private: areas read through `read` and `quickRead`, and write only through
/// the kit, so that every change is audited. An RPC's change goes through `mutate`
/// (exactly-once, audit row, outbox, one transaction); the few writers that are not an RPC
/// use a named method (Writes.swift): `write(as:method:_:)` for operator commands, jobs and
/// demo data, `bookkeeping(_:_:)` for the request path's counters and delivery state, and
/// `beginBulkLoad(as:method:audit:)` for benchmark data. All of them run their transactions
/// through `writeTransaction`, the one place that opens a write.
public struct EtimadDatabase: Sendable {
  private let pool: DatabasePool
  public let clock: any WallClock
  /// Whether writes currently fail for lack of disk space.
  public let storage = StorageHealth()
  private let migrator: DatabaseMigrator
  private let readers: ReaderGate
  /// Gathers concurrent writes into one commit; nil when group commit is off.
  private let groupCommit: GroupCommit?
  @usableFromInline let quickReads: QuickReads

  /// Concurrent readers of the pool; reads beyond it wait in `read` without holding a thread.
  static let readerCount = 5

  /// Run on every connection opened (writer, pool readers, quick readers) with its SQLite
  /// handle: an area's SQL functions, such as the tenders' ranking function.
  public typealias ConnectionSetup = @Sendable (OpaquePointer) throws -> Void

  /// Opens (creating if needed) the database file and applies every pending migration.
  /// With `groupCommit` (the default) concurrent writes share one transaction and one fsync
  /// (GroupCommit.swift); without it each write commits alone.
  public init(
    path: String, migrations: [Migration], connectionSetup: [ConnectionSetup] = [],
    clock: any WallClock = SystemClock(),
    groupCommit: Bool = true
  ) throws {
    var config = Configuration()
    config.foreignKeysEnabled = true
    config.busyMode = .timeout(10)
    config.maximumReaderCount = Self.readerCount
    config.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
      guard let handle = db.sqliteConnection else { return }
      for setup in connectionSetup { try setup(handle) }
    }
    self.pool = try DatabasePool(path: path, configuration: config)
    // Turning WAL on, GRDB sets synchronous=NORMAL on the writer after prepareDatabase ran:
    // set FULL again on the writer, the one connection that commits.
    // and read it back: an acknowledged write must be on disk, so refuse to open otherwise.
    let synchronous = try pool.writeWithoutTransaction { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
      return try Int.fetchOne(db, sql: "PRAGMA synchronous")
    }
    guard synchronous == 2 else { throw SynchronousNotFull(found: synchronous) }
    self.clock = clock
    let pool = self.pool
    self.groupCommit =
      groupCommit
      ? GroupCommit { block in try await pool.writeWithoutTransaction { db in try block(db) } } : nil
    self.readers = ReaderGate(permits: Self.readerCount)
    self.quickReads = QuickReads(path: path, limit: Self.readerCount, setup: connectionSetup)
    self.migrator = Self.migrator(migrations)
    try migrator.migrate(pool)
  }

  /// Reads in a snapshot. Callers wait here, suspended, for one of the pool's readers: GRDB's
  /// own async read waits for a reader by blocking a Dispatch thread, and on Linux enough
  /// concurrent reads (sixteen logins) blocked every thread the readers needed to finish,
  /// a deadlock. Holding a permit, a reader is always free, so the read runs synchronously
  /// on the calling thread: a read from SQLite's page cache takes microseconds, far less than
  /// the two thread hops of GRDB's async read (which made token checks cost 2.5x a health
  /// check). Use this instead of `pool.read` from async code.
  public func read<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    await readers.acquire()
    defer { readers.release() }
    return try readNow(body)
  }

  /// A read that is ONE SQL statement, on a connection of its own outside GRDB's pool (see
  /// `QuickReads`): for the reads every call makes (a session, a debt by id, a page of a
  /// search). Rows are read by column position through `SQLStatements`.
  @inlinable
  public func quickRead<T: Sendable>(_ body: (QuickReadConnection) throws -> T) async throws -> T {
    try await quickReads.read(body)
  }

  /// GRDB's synchronous read (from async code, `pool.read` would pick the async overload).
  private func readNow<T>(_ body: (Database) throws -> T) throws -> T {
    try pool.read(body)
  }

  /// The migrator with the kit's tables first, then the areas' migrations in the order given.
  public static func migrator(_ migrations: [Migration]) -> DatabaseMigrator {
    var migrator = DatabaseMigrator()
    for migration in KitSchema.migrations + migrations {
      migrator.registerMigration(migration.name) { db in try migration.apply(db) }
    }
    return migrator
  }

  /// Names of the migrations applied so far, in order.
  public func appliedMigrations() throws -> [String] {
    try pool.read { db in try migrator.appliedMigrations(db) }
  }

  /// The one way into the writer connection after opening: `mutate`, `write(as:method:_:)`,
  /// `bookkeeping`, each batch of a bulk load and the storage probe all run their transaction
  /// here, so that gathering concurrent transactions into one commit (issue #18) is a change
  /// to this function alone. A thrown error rolls the transaction back.
  func writeTransaction<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    if let groupCommit { return try await groupCommit.write(body) }
    return try await pool.write(body)
  }

  /// Commits, writes committed and the median writes per commit since the start (nil when
  /// group commit is off): the metrics endpoint shows them.
  public var commitFigures: (commits: Int, writes: Int, medianBatch: Int)? { groupCommit?.statistics.summary }

  /// The pool itself, for tests that must set up or inspect what no kit method writes
  /// (`@_spi(Testing) import EtimadKit`). Prefer `read` for reads.
  @_spi(Testing) public var testingPool: DatabasePool { pool }
}

/// The writer connection did not keep `synchronous=FULL`.
public struct SynchronousNotFull: Error, CustomStringConvertible {
  public let found: Int?
  public var description: String {
    "SQLite kept synchronous=\(found.map(String.init) ?? "unknown") instead of FULL (2); refusing to serve writes that a power cut could lose"
  }
}

/// The kit's own tables.
enum KitSchema {
  static let migrations: [Migration] = [
    Migration("kit.v1.idempotency_and_audit") { db in
      try db.execute(
        sql: """
          CREATE TABLE idempotency (
            principal_key TEXT NOT NULL,
            request_id TEXT NOT NULL,
            method TEXT NOT NULL,
            request_hash BLOB NOT NULL,
            response BLOB NOT NULL,
            create_time INTEGER NOT NULL,
            PRIMARY KEY (principal_key, request_id)
          ) WITHOUT ROWID;
          CREATE TABLE audit (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            time INTEGER NOT NULL,
            principal_kind TEXT NOT NULL,
            principal_id TEXT NOT NULL,
            employee TEXT,
            method TEXT NOT NULL,
            target TEXT NOT NULL,
            request_id TEXT,
            peer TEXT NOT NULL,
            summary TEXT NOT NULL
          );
          CREATE INDEX audit_target ON audit (target, time);
          CREATE INDEX audit_principal ON audit (principal_id, time);
          """)
    },
    Outbox.migration,
    EtimadDatabase.storageProbeMigration,
  ]
}

/// A counting gate for async callers: `acquire` suspends (never blocks a thread) until a
/// permit is free.
final class ReaderGate: Sendable {
  private let state: Mutex<(available: Int, waiting: [CheckedContinuation<Void, Never>])>

  init(permits: Int) {
    state = Mutex((permits, []))
  }

  func acquire() async {
    let granted = state.withLock { state -> Bool in
      guard state.available > 0 else { return false }
      state.available -= 1
      return true
    }
    if granted { return }
    await withCheckedContinuation { continuation in
      let now = state.withLock { state -> Bool in
        if state.available > 0 {
          state.available -= 1
          return true
        }
        state.waiting.append(continuation)
        return false
      }
      if now { continuation.resume() }
    }
  }

  func release() {
    let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
      if state.waiting.isEmpty {
        state.available += 1
        return nil
      }
      return state.waiting.removeFirst()
    }
    next?.resume()
  }
}
