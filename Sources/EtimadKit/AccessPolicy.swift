import EtimadProtos

/// Who may call each method, in one table a reviewer can read. The authentication interceptor
/// enforces it before any handler runs; a method missing from the table is refused to
/// everyone, so a new RPC is closed until someone decides who may call it.
public struct AccessPolicy: Sendable {
  /// A kind of caller.
  public enum Caller: Sendable, Hashable, CaseIterable {
    case anonymous, individual, agency
  }

  public private(set) var rules: [String: Set<Caller>]

  public init(_ rules: [String: Set<Caller>]) {
    self.rules = rules
  }

  /// Adds the rules of one area; a method named twice is a programming error.
  public mutating func add(_ more: [String: Set<Caller>]) {
    rules.merge(more) { _, _ in preconditionFailure("a method has two access rules") }
  }

  /// The same callers for every method of each service named, from the contract's catalog.
  public static func services(_ services: Set<String>, callers: Set<Caller>) -> [String: Set<Caller>] {
    var rules: [String: Set<Caller>] = [:]
    for entry in MethodCatalog.methods.values where services.contains(entry.service) {
      rules[entry.fullName] = callers
    }
    return rules
  }

  /// Refuses a caller the table does not admit for `method`.
  public func check(_ principal: Principal, method: String) throws(EtimadError) {
    let caller: Caller =
      switch principal {
      case .anonymous: .anonymous
      case .individual: .individual
      case .agency: .agency
      }
    guard let allowed = rules[method], allowed.contains(caller) else {
      // A method only agencies may call: say where it is served, not "sign in".
      if rules[method] == [.agency] {
        throw EtimadError(
          code: caller == .anonymous ? .unauthenticated : .permissionDenied,
          reason: caller == .anonymous ? "SIGN_IN_REQUIRED" : "CALLER_NOT_ALLOWED", domain: "identity.etimad.sa",
          message: LocalizedString(
            en: "This service is for agencies: call the agency port with the agency's client certificate.",
            ar: "هذه الخدمة للجهات الحكومية: استخدم منفذ الجهات مع شهادة العميل الخاصة بالجهة."),
          metadata: ["caller": principal.kind, "method": method])
      }
      throw caller == .anonymous
        ? EtimadError(
          code: .unauthenticated, reason: "SIGN_IN_REQUIRED", domain: "identity.etimad.sa",
          message: LocalizedString(
            en: "Sign in to use this service.", ar: "يرجى تسجيل الدخول لاستخدام هذه الخدمة."))
        : EtimadError(
          code: .permissionDenied, reason: "CALLER_NOT_ALLOWED", domain: "identity.etimad.sa",
          message: LocalizedString(
            en: "This service is not available to this kind of caller.",
            ar: "هذه الخدمة غير متاحة لهذا النوع من المستخدمين."),
          metadata: ["caller": principal.kind, "method": method])
    }
  }
}
