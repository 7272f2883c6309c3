import EtimadKit

/// The payments area as the daemon assembles it: migrations, services, access rules, jobs, demo data.
public enum PaymentsArea {
  /// Forward-only migrations of the area, applied after identity's.
  /// The area as the daemon registers it (`ServiceAreasCatalog.all`).
  public static let definition = ServiceAreaDefinition(
    name: "payments", migrations: migrations, make: make, seedDemo: seedDemo)

  public static let migrations: [Migration] = PaymentsSchema.migrations

  public static func make(_ context: AreaContext) throws -> ServiceArea {
    let service = PaymentsService(
      store: PaymentsStore(database: context.database),
      paging: Paging(key: context.secret.key(for: "payments-page-tokens")))
    return ServiceArea(
      services: [service], serviceNames: [PaymentsAccess.service], rules: PaymentsAccess.rules)
  }

  /// Seeds the demo data; returns lines for `etimadd demo` to print.
  public static func seedDemo(_ demo: DemoContext) async throws -> [String] {
    try await PaymentsDemo.seed(demo)
  }
}
