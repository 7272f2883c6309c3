import EtimadKit

/// The tenders area as the daemon assembles it: migrations, services, access rules, jobs, demo data.
public enum TendersArea {
  /// Forward-only migrations of the area, applied after identity's.
  /// The area as the daemon registers it (`ServiceAreasCatalog.all`).
  public static let definition = ServiceAreaDefinition(
    name: "tenders", migrations: migrations, connectionSetup: connectionSetup, make: make, seedDemo: seedDemo)

  public static let migrations: [Migration] = TendersSchema.migrations

  /// Every connection gets the search's ranking function (`TenderRank`).
  public static let connectionSetup: [EtimadDatabase.ConnectionSetup] = [TenderRank.register]

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
