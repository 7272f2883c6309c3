import Foundation
import GRDB
import Testing

@_spi(Testing) @testable import EtimadKit

@Suite("EtimadDatabase")
struct EtimadDatabaseTests {
  /// The kit's own migrations, which every database applies before the areas'.
  static let kitMigrations = KitSchema.migrations.map(\.name)

  /// An area's migrations as a debts module would register them; `runs` counts each one's runs.
  static func debtMigrations(_ runs: [String: Counter]) -> [Migration] {
    [
      Migration("debts.v1.create") { db in
        runs["debts.v1.create"]?.increment()
        try db.execute(
          sql: """
            CREATE TABLE debtor (id TEXT PRIMARY KEY);
            CREATE TABLE debt (
              id INTEGER PRIMARY KEY,
              debtor_id TEXT NOT NULL REFERENCES debtor(id),
              amount_halalas INTEGER NOT NULL
            );
            """)
      },
      // Registered second although its name sorts first.
      Migration("debts.v1.add_note") { db in
        runs["debts.v1.add_note"]?.increment()
        try db.execute(sql: "ALTER TABLE debt ADD COLUMN note TEXT")
      },
    ]
  }

  static func counters() -> [String: Counter] {
    ["debts.v1.create": Counter(), "debts.v1.add_note": Counter(), "debts.v1.add_index": Counter()]
  }

  static func open(_ directory: URL, _ migrations: [Migration]) throws -> EtimadDatabase {
    try EtimadDatabase(path: directory.appendingPathComponent("etimad.sqlite").path, migrations: migrations)
  }

  @Test("the writer connection runs in WAL mode with synchronous=FULL and foreign keys on")
  func writerPragmas() async throws {
    try await withTemporaryDatabase { database in
      // When the writer connection's settings are read back
      let (journalMode, synchronous, foreignKeys) = try await database.testingPool.writeWithoutTransaction { db in
        (
          try String.fetchOne(db, sql: "PRAGMA journal_mode"),
          try Int.fetchOne(db, sql: "PRAGMA synchronous"),
          try Int.fetchOne(db, sql: "PRAGMA foreign_keys")
        )
      }
      // Then they are WAL, FULL (2) and on: an acknowledged payment survives a power cut
      #expect(journalMode == "wal")
      #expect(synchronous == 2)
      #expect(foreignKeys == 1)
    }
  }

  @Test("reader connections run in WAL mode with synchronous=FULL and foreign keys on")
  func readerPragmas() async throws {
    try await withTemporaryDatabase { database in
      let (journalMode, synchronous, foreignKeys) = try await database.read { db in
        (
          try String.fetchOne(db, sql: "PRAGMA journal_mode"),
          try Int.fetchOne(db, sql: "PRAGMA synchronous"),
          try Int.fetchOne(db, sql: "PRAGMA foreign_keys")
        )
      }
      #expect(journalMode == "wal")
      #expect(synchronous == 2)
      #expect(foreignKeys == 1)
    }
  }

  @Test("a row pointing at a missing parent is refused by the foreign key")
  func foreignKeysEnforced() async throws {
    try await withTemporaryDatabase(migrations: Self.debtMigrations([:])) { database in
      // When a debt names a debtor that does not exist
      let error = await #expect(throws: DatabaseError.self) {
        try await database.testingPool.write { db in
          try db.execute(sql: "INSERT INTO debt (id, debtor_id, amount_halalas) VALUES (1, 'nobody', 100)")
        }
      }
      // Then SQLite refuses it and nothing is stored
      #expect(error?.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY)
      let debts = try await database.count("debt")
      #expect(debts == 0)
    }
  }

  @Test("the file is a real SQLite database with a write-ahead log beside it")
  func walFileOnDisk() async throws {
    try await withTemporaryDirectory { directory in
      let database = try Self.open(directory, [])
      try await database.testingPool.write { db in
        try db.execute(
          sql: """
            INSERT INTO audit (time, principal_kind, principal_id, method, target, peer, summary)
            VALUES (1, 'anonymous', 'anonymous', 'm', 't', 'p', 's')
            """)
      }
      let path = directory.appendingPathComponent("etimad.sqlite").path
      #expect(FileManager.default.fileExists(atPath: path))
      #expect(FileManager.default.fileExists(atPath: path + "-wal"))
    }
  }

  @Test("the kit's migrations are registered before the areas', in the order given")
  func registrationOrder() {
    let migrator = EtimadDatabase.migrator(Self.debtMigrations([:]))
    #expect(migrator.migrations == Self.kitMigrations + ["debts.v1.create", "debts.v1.add_note"])
    #expect(Self.kitMigrations.first == "kit.v1.idempotency_and_audit")
  }

  @Test("a new file gets the kit's tables and the area's, each migration applied once, in order")
  func freshFile() async throws {
    let runs = Self.counters()
    try await withTemporaryDatabase(migrations: Self.debtMigrations(runs)) { database in
      // Then every migration ran once
      #expect(runs["debts.v1.create"]?.value == 1)
      #expect(runs["debts.v1.add_note"]?.value == 1)
      // And the tables of both exist, the second area migration seeing the first's table
      let (tables, columns, order) = try await database.read { db in
        (
          try ["idempotency", "audit", "debtor", "debt"].filter { try db.tableExists($0) },
          try db.columns(in: "debt").map(\.name),
          // GRDB records each applied migration as a row: rowid order is the order applied
          try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid")
        )
      }
      #expect(tables == ["idempotency", "audit", "debtor", "debt"])
      #expect(columns == ["id", "debtor_id", "amount_halalas", "note"])
      #expect(order == Self.kitMigrations + ["debts.v1.create", "debts.v1.add_note"])
    }
  }

  @Test("appliedMigrations() lists the migrations in the order they were applied")
  func appliedMigrationsInOrder() async throws {
    try await withTemporaryDatabase(migrations: Self.debtMigrations([:])) { database in
      let applied = try database.appliedMigrations()
      #expect(applied == Self.kitMigrations + ["debts.v1.create", "debts.v1.add_note"])
    }
  }

  @Test("re-opening the file applies nothing twice, keeps the data, and applies only a new migration")
  func reopen() async throws {
    try await withTemporaryDirectory { directory in
      let runs = Self.counters()
      // Given a database opened once, with a row written and the file closed
      let first = try Self.open(directory, Self.debtMigrations(runs))
      try await first.testingPool.write { db in
        try db.execute(sql: "INSERT INTO debtor (id) VALUES ('1012345672')")
      }
      try first.testingPool.close()

      // When it is opened again with the same migrations
      let second = try Self.open(directory, Self.debtMigrations(runs))
      // Then no migration ran again and the row is still there
      #expect(runs["debts.v1.create"]?.value == 1)
      #expect(runs["debts.v1.add_note"]?.value == 1)
      #expect(try await second.count("debtor") == 1)
      #expect(try await second.count("grdb_migrations") == Self.kitMigrations.count + 2)
      try second.testingPool.close()

      // When it is opened with one more migration
      let added = Migration("debts.v1.add_index") { db in
        runs["debts.v1.add_index"]?.increment()
        try db.execute(sql: "CREATE INDEX debt_debtor ON debt (debtor_id)")
      }
      let third = try Self.open(directory, Self.debtMigrations(runs) + [added])
      // Then only the new one ran
      #expect(runs["debts.v1.create"]?.value == 1)
      #expect(runs["debts.v1.add_note"]?.value == 1)
      #expect(runs["debts.v1.add_index"]?.value == 1)
      #expect(
        try Set(third.appliedMigrations())
          == Set(Self.kitMigrations + ["debts.v1.create", "debts.v1.add_note", "debts.v1.add_index"]))
    }
  }

  @Test("a failing area migration fails the opening and leaves that migration unapplied")
  func failingMigration() async throws {
    struct Broken: Error {}
    try await withTemporaryDirectory { directory in
      // Given an area migration that creates a table and then fails
      let broken = Migration("debts.v1.broken") { db in
        try db.execute(sql: "CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        throw Broken()
      }
      // When the database is opened, then the error surfaces
      #expect(throws: Broken.self) { try Self.open(directory, [broken]) }
      // And a later opening without it finds the kit applied and no trace of the broken one
      let database = try Self.open(directory, [])
      let (applied, halfDone) = try await database.read { db in
        (try String.fetchSet(db, sql: "SELECT identifier FROM grdb_migrations"), try db.tableExists("half_done"))
      }
      #expect(applied == Set(Self.kitMigrations))
      #expect(!halfDone)
    }
  }

  @Test("the database reads time from the clock it was given")
  func clock() async throws {
    let clock = ManualClock(Date(timeIntervalSince1970: 1_800_000_000))
    try await withTemporaryDatabase(clock: clock) { database in
      #expect(database.clock.now == Date(timeIntervalSince1970: 1_800_000_000))
      clock.advance(by: 60)
      #expect(database.clock.now == Date(timeIntervalSince1970: 1_800_000_060))
    }
  }
}
