import EtimadKit
import GRDB
import GRDBSQLite

/// The tenders area as the daemon assembles it: migrations, services, access rules, jobs, demo data.
public enum TendersArea {
  /// Forward-only migrations of the area, applied after identity's.
  public static let migrations: [Migration] = TendersSchema.migrations

  /// Every connection gets the search's ranking function (`TenderRank`) and memory-mapped
  /// reads: search reads the FTS doclists all over a large file, and mapping spares a copy and
  /// a system call per page (about 20 % of a ranked query). Set once per connection, here,
  /// rather than on every search.
  public static let connectionSetup: [EtimadDatabase.ConnectionSetup] = [TenderRank.register, mapFile]

  @Sendable static func mapFile(_ connection: OpaquePointer) throws {
    guard sqlite3_exec(connection, "PRAGMA mmap_size = 268435456", nil, nil, nil) == SQLITE_OK else {
      throw DatabaseError(resultCode: .SQLITE_ERROR, message: String(cString: sqlite3_errmsg(connection)))
    }
  }

  public static func make(_ context: AreaContext) throws -> ServiceArea {
    let service = TendersService(
      store: TendersStore(database: context.database),
      paging: Paging(key: context.secret.key(for: "tenders-page-tokens")))
    return ServiceArea(services: [service], serviceNames: [TendersAccess.service], rules: TendersAccess.rules)
  }

  /// Seeds the demo data; returns lines for `etimadd demo` to print.
  public static func seedDemo(_ demo: DemoContext) async throws -> [String] {
    try await TendersDemo.seed(demo)
  }
}
