import EtimadKit

/// The support area as the daemon assembles it: migrations, the service and its access rules.
public enum SupportArea {
  /// The area as the daemon registers it (`ServiceAreasCatalog.all`).
  public static let definition = ServiceAreaDefinition(name: "support", migrations: migrations, make: make)

  public static let migrations: [Migration] = SupportSchema.migrations

  public static func make(_ context: AreaContext) throws -> ServiceArea {
    let settings = context.settings.support
    let service = SupportService(
      store: SupportStore(database: context.database), clock: context.clock,
      challenges: ChallengeIssuer(key: context.secret.key(for: "support-challenges"), bits: settings.challengeBits),
      access: TicketAccess(
        codeKey: context.secret.key(for: "support-access-codes"),
        tokenKey: context.secret.key(for: "support-ticket-tokens")),
      paging: Paging(key: context.secret.key(for: "support-page-tokens")), settings: settings)
    return ServiceArea(services: [service], serviceNames: [SupportAccess.service], rules: SupportAccess.rules)
  }
}
