import EtimadKit
import EtimadProtos
import Logging

/// The debts area as the daemon assembles it: migrations, services, access rules, jobs, demo data.
public enum DebtsArea {
  /// Forward-only migrations of the area, applied after identity's.
  /// The area as the daemon registers it (`ServiceAreasCatalog.all`).
  public static let definition = ServiceAreaDefinition(
    name: "debts", migrations: migrations, make: make, seedDemo: seedDemo)

  public static let migrations: [Migration] = DebtsSchema.migrations

  /// How often the daemon looks for instalment plans to mark DEFAULTED (reads also evaluate
  /// the plan with the clock, so a read never shows a stale ACTIVE).
  public static let defaultsCheckInterval: Duration = .seconds(60)

  public static func make(_ context: AreaContext) throws -> ServiceArea {
    let store = DebtsStore(database: context.database, graceDays: context.settings.instalmentGraceDays)
    let service = DebtService(store: store, paging: Paging(key: context.secret.key(for: "debts-page-tokens")))
    return ServiceArea(
      services: [service], serviceNames: [Etimad_Debts_V1_DebtService.descriptor.fullyQualifiedService],
      rules: DebtsAccess.rules,
      jobs: [
        PeriodicJob(name: "debts.instalment-plan-defaults", interval: defaultsCheckInterval) {
          let marked = try await store.markDefaultedPlans()
          if marked > 0 {
            context.logger.notice("instalment plans defaulted", metadata: ["debts.plans": .stringConvertible(marked)])
          }
        }
      ])
  }

  /// Seeds the demo data; returns lines for `etimadd demo` to print.
  public static func seedDemo(_ demo: DemoContext) async throws -> [String] {
    try await DebtsDemo.seed(demo)
  }
}
