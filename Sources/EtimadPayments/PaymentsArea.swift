import EtimadKit

/// The payments area as the daemon assembles it: migrations, services, access rules, jobs, demo data.
public enum PaymentsArea {
  /// Forward-only migrations of the area, applied after identity's.
  public static let migrations: [Migration] = []

  public static func make(_ context: AreaContext) throws -> ServiceArea {
    ServiceArea(services: [], serviceNames: [], rules: [:])
  }

  /// Seeds the demo data; returns lines for `etimadd demo` to print.
  public static func seedDemo(_ demo: DemoContext) async throws -> [String] {
    []
  }
}
