import GRPCCore
import GRPCProtobuf

/// An error that a handler reports to its caller. It carries what `google.rpc.Status` needs:
/// the status code, an UPPER_SNAKE reason within a domain, a message in both languages, and
/// the fields that were wrong. `ErrorMappingInterceptor` turns it into the wire status in the
/// caller's language, so handlers never deal with languages or encodings.
public struct EtimadError: Error, Sendable, Hashable {
  /// The gRPC status code.
  public typealias Code = RPCError.Code

  /// One wrong field of a request.
  public struct FieldViolation: Sendable, Hashable {
    /// The field's path in the request, snake_case, such as `person_id.number`.
    public var field: String
    /// UPPER_SNAKE reason, such as `CHECK_DIGIT`.
    public var reason: String
    public var description: LocalizedString

    public init(field: String, reason: String, description: LocalizedString) {
      self.field = field
      self.reason = reason
      self.description = description
    }
  }

  public var code: RPCError.Code
  /// UPPER_SNAKE reason, stable for clients to branch on.
  public var reason: String
  /// The service area the reason belongs to, such as `debts.etimad.sa`.
  public var domain: String
  public var message: LocalizedString
  public var fieldViolations: [FieldViolation]
  /// Facts a client may need, such as the balance a payment exceeded (`ErrorInfo.metadata`).
  public var metadata: [String: String]
  /// When the caller may try again (`RetryInfo`), for RESOURCE_EXHAUSTED.
  public var retryAfter: Duration?

  public init(
    code: RPCError.Code,
    reason: String,
    domain: String,
    message: LocalizedString,
    fieldViolations: [FieldViolation] = [],
    metadata: [String: String] = [:],
    retryAfter: Duration? = nil
  ) {
    self.code = code
    self.reason = reason
    self.domain = domain
    self.message = message
    self.fieldViolations = fieldViolations
    self.metadata = metadata
    self.retryAfter = retryAfter
  }

  /// INVALID_ARGUMENT listing every wrong field at once. A field with several problems keeps
  /// one violation per problem but is named once in the message.
  public static func invalidFields(_ violations: [FieldViolation], domain: String) -> EtimadError {
    var fields: [String] = []
    for violation in violations where !fields.contains(violation.field) { fields.append(violation.field) }
    return EtimadError(
      code: .invalidArgument,
      reason: "INVALID_FIELDS",
      domain: domain,
      message: LocalizedString(
        en: (fields.count == 1 ? "The request has an invalid field: " : "The request has invalid fields: ")
          + fields.joined(separator: ", ") + ".",
        ar: (fields.count == 1 ? "الطلب يحتوي على حقل غير صحيح: " : "الطلب يحتوي على حقول غير صحيحة: ")
          + fields.joined(separator: "، ") + "."
      ),
      fieldViolations: violations
    )
  }

  /// NOT_FOUND for a resource the caller may not see or that does not exist: the two are
  /// answered alike so that existence is never revealed. `resource` is the stable English
  /// code in ErrorInfo (`debt`, `change request`); `named` is the noun people read, with its
  /// article, in both languages.
  public static func notFound(_ resource: String, named: LocalizedString, domain: String) -> EtimadError {
    EtimadError(
      code: .notFound,
      reason: "NOT_FOUND",
      domain: domain,
      message: LocalizedString(
        en: "\(named.english) was not found.",
        ar: "لم يتم العثور على \(named.arabic)."
      ),
      metadata: ["resource": resource]
    )
  }

  /// The `google.rpc.Status` for this error in the caller's language. The status message
  /// stays in English (it is for developers); the localized text travels as LocalizedMessage.
  public func googleRPCStatus(in language: Language) -> GoogleRPCStatus {
    var details: [ErrorDetails] = [
      .errorInfo(reason: reason, domain: domain, metadata: metadata)
    ]
    if !fieldViolations.isEmpty {
      details.append(
        .badRequest(
          violations: fieldViolations.map {
            ErrorDetails.BadRequest.FieldViolation(
              field: $0.field,
              description: $0.description.text(in: language),
              reason: $0.reason,
              localizedMessage: ErrorDetails.LocalizedMessage(
                locale: language.rawValue, message: $0.description.text(in: language))
            )
          }
        )
      )
    }
    if let retryAfter { details.append(.retryInfo(delay: retryAfter)) }
    details.append(.localizedMessage(locale: language.rawValue, message: message.text(in: language)))
    return GoogleRPCStatus(code: code, message: message.english, details: details)
  }
}

extension EtimadError: RPCErrorConvertible {
  public var rpcErrorCode: RPCError.Code { code }
  public var rpcErrorMessage: String { message.english }
  /// The `grpc-status-details-bin` trailer, in the language of the call being handled.
  public var rpcErrorMetadata: Metadata { googleRPCStatus(in: Language.current).rpcErrorMetadata }
}
