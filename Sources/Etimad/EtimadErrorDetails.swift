import GRPCCore
import GRPCProtobuf

/// The details an Etimad daemon puts in a failed call's `google.rpc.Status`, decoded.
public struct EtimadErrorDetails: Sendable, Hashable {
  public var code: RPCError.Code
  /// UPPER_SNAKE reason, stable to branch on (`ErrorInfo.reason`).
  public var reason: String?
  /// The area the reason belongs to, such as `platform.etimad.sa`.
  public var domain: String?
  /// Facts about the error, such as a balance (`ErrorInfo.metadata`).
  public var metadata: [String: String]
  /// The wrong fields, by path, with their descriptions in the requested language.
  public var fieldViolations: [(field: String, reason: String, description: String)] {
    violations.map { ($0.field, $0.reason, $0.violationDescription) }
  }
  /// A message to show the person, in the language asked for with `accept-language`.
  public var localizedMessage: String?
  /// When to retry (RESOURCE_EXHAUSTED).
  public var retryAfter: Duration?

  let violations: [ErrorDetails.BadRequest.FieldViolation]

  /// The details of `error`, or nil when it carries none.
  public init?(_ error: RPCError) {
    guard let status = try? error.unpackGoogleRPCStatus() else { return nil }
    code = status.code
    var violations: [ErrorDetails.BadRequest.FieldViolation] = []
    metadata = [:]
    for detail in status.details {
      if let info = detail.errorInfo {
        reason = info.reason
        domain = info.domain
        metadata = info.metadata
      }
      if let badRequest = detail.badRequest { violations += badRequest.violations }
      if let message = detail.localizedMessage { localizedMessage = message.message }
      if let retry = detail.retryInfo { retryAfter = retry.delay }
    }
    self.violations = violations
  }

  public static func == (lhs: Self, rhs: Self) -> Bool {
    lhs.code == rhs.code && lhs.reason == rhs.reason && lhs.domain == rhs.domain && lhs.metadata == rhs.metadata
      && lhs.violations == rhs.violations && lhs.localizedMessage == rhs.localizedMessage
  }

  public func hash(into hasher: inout Hasher) {
    hasher.combine(reason)
    hasher.combine(domain)
  }
}

extension RPCError {
  /// The Etimad error details of this error, if the daemon sent any.
  public var etimadDetails: EtimadErrorDetails? { EtimadErrorDetails(self) }
}
