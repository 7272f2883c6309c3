import Foundation
import GRDB

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
public struct EtimadDatabase: Sendable {
  public let pool: DatabasePool
  public let clock: any WallClock
  private let migrator: DatabaseMigrator

  /// Opens (creating if needed) the database file and applies every pending migration.
  public init(path: String, migrations: [Migration], clock: any WallClock = SystemClock()) throws {
    var config = Configuration()
    config.foreignKeysEnabled = true
    config.busyMode = .timeout(10)
    config.prepareDatabase { db in
      try db.execute(sql: "PRAGMA synchronous = FULL")
    }
    self.pool = try DatabasePool(path: path, configuration: config)
    // Turning WAL on, GRDB sets synchronous=NORMAL on the writer after prepareDatabase ran:
    // set FULL again on the writer, the one connection that commits.
    try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
    self.clock = clock
    self.migrator = Self.migrator(migrations)
    try migrator.migrate(pool)
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
  ]
}
