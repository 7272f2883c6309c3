import Foundation
import GRDB
import GRPCCore
import Logging

/// What the daemon hands to a service area when it assembles the server.
public struct AreaContext: Sendable {
  public let database: EtimadDatabase
  public let clock: any WallClock
  public let logger: Logger
  public let settings: AreaSettings
  /// The daemon's secret; `secret.key(for: "debts-page-tokens")` keys an area's `Paging`.
  public let secret: ServerSecret

  public init(
    database: EtimadDatabase, clock: any WallClock, logger: Logger, settings: AreaSettings, secret: ServerSecret
  ) {
    self.database = database
    self.clock = clock
    self.logger = logger
    self.settings = settings
    self.secret = secret
  }
}

/// Settings of the service areas that come from the daemon's configuration.
public struct AreaSettings: Sendable {
  /// Days an instalment may stay unpaid past its due date before its plan is DEFAULTED.
  public var instalmentGraceDays: Int
  public var support: SupportSettings

  public init(instalmentGraceDays: Int = 30, support: SupportSettings = SupportSettings()) {
    self.instalmentGraceDays = instalmentGraceDays
    self.support = support
  }
}

/// A job the daemon runs every `interval` while it serves (such as marking overdue instalment
/// plans DEFAULTED). A failing run is logged and retried at the next interval.
public struct PeriodicJob: Sendable {
  public let name: String
  public let interval: Duration
  public let run: @Sendable () async throws -> Void

  public init(name: String, interval: Duration, run: @escaping @Sendable () async throws -> Void) {
    self.name = name
    self.interval = interval
    self.run = run
  }
}

/// What a service area contributes to the daemon: its gRPC services, who may call each
/// method, and its periodic jobs. Each area module exposes one `make(_:)` returning this, and
/// its migrations, so that `buildServer` only lists the areas.
public struct ServiceArea: Sendable {
  public var services: [any RegistrableRPCService]
  /// Fully qualified service names (`etimad.debts.v1.DebtService`), for health and reflection.
  public var serviceNames: [String]
  /// `service/method` -> the callers allowed; every method of `services` must appear.
  public var rules: [String: Set<AccessPolicy.Caller>]
  public var jobs: [PeriodicJob]

  public init(
    services: [any RegistrableRPCService], serviceNames: [String], rules: [String: Set<AccessPolicy.Caller>],
    jobs: [PeriodicJob] = []
  ) {
    self.services = services
    self.serviceNames = serviceNames
    self.rules = rules
    self.jobs = jobs
  }
}

/// A service area as the daemon registers it: everything the server (services, access rules,
/// jobs), health and reflection (service names), the database (migrations, connection setup)
/// and `etimadd demo` need from it, in one value. Each area module declares one
/// (`DebtsArea.definition`); the daemon reads them all from ONE list
/// (`ServiceAreasCatalog.all`), so a new area is registered by adding it there.
public struct ServiceAreaDefinition: Sendable {
  /// Short name, such as `debts`, for logs.
  public let name: String
  /// Forward-only migrations, named `<area>.vN.<what>`, applied in the list's order.
  public let migrations: [Migration]
  /// What every database connection needs from the area (SQL functions).
  public let connectionSetup: [EtimadDatabase.ConnectionSetup]
  /// Builds the area's services, access rules and jobs from the daemon's context.
  public let make: @Sendable (AreaContext) throws -> ServiceArea
  /// Seeds the area's demo data; returns lines for `etimadd demo` to print.
  public let seedDemo: @Sendable (DemoContext) async throws -> [String]

  public init(
    name: String, migrations: [Migration], connectionSetup: [EtimadDatabase.ConnectionSetup] = [],
    make: @escaping @Sendable (AreaContext) throws -> ServiceArea,
    seedDemo: @escaping @Sendable (DemoContext) async throws -> [String] = { _ in [] }
  ) {
    self.name = name
    self.migrations = migrations
    self.connectionSetup = connectionSetup
    self.make = make
    self.seedDemo = seedDemo
  }
}

/// What `etimadd demo` hands to an area to seed its demo data.
public struct DemoContext: Sendable {
  public let database: EtimadDatabase
  /// ID numbers of the civil registry's persons; the first `accounts` have signed-up accounts.
  public let persons: [String]
  public let accounts: Int
  /// Codes of the registered demo agencies (MOF, MOI, MOH, ...).
  public let agencies: [String]
  public let now: Date

  public init(database: EtimadDatabase, persons: [String], accounts: Int, agencies: [String], now: Date) {
    self.database = database
    self.persons = persons
    self.accounts = accounts
    self.agencies = agencies
    self.now = now
  }

  /// Who writes demo data: the daemon's own `etimadd demo`.
  public static let actor = AuditActor.system("etimadd demo")
  public static let method = "etimadd demo"

  /// Writes demo data in one transaction, as `actor`: `change` records what it seeded through
  /// the trail (one row for the area's data will do), or writes nothing.
  public func write<T: Sendable>(
    _ change: @escaping @Sendable (Database, AuditTrail) throws -> T
  ) async throws -> T {
    try await database.write(as: Self.actor, method: Self.method, change)
  }
}
