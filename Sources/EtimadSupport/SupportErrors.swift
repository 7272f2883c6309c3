import EtimadKit

/// The support area's errors, worded once in both languages.
enum SupportErrors {
  static let domain = TicketRules.domain

  /// A ticket that does not exist or that the caller may not see: answered alike.
  static let ticketNotFound = EtimadError.notFound(
    "support ticket", named: .init(en: "The ticket", ar: "البلاغ"), domain: domain)

  static let notSupportStaff = EtimadError(
    code: .permissionDenied, reason: "NOT_SUPPORT_STAFF", domain: domain,
    message: .init(
      en: "Only the platform's support agency handles support tickets.",
      ar: "لا يتولى البلاغات إلا فريق الدعم في المنصة."))

  static let wrongCode = EtimadError(
    code: .unauthenticated, reason: "WRONG_CODE", domain: domain,
    message: .init(
      en: "The code is wrong or expired; request a new one if needed.",
      ar: "الرمز غير صحيح أو منتهي الصلاحية؛ اطلب رمزًا جديدًا عند الحاجة."))

  static let tokenRequired = EtimadError.invalidFields(
    [
      .init(
        field: "ticket_token", reason: "REQUIRED",
        description: .init(
          en: "Sign in, or verify access with the code sent by SMS (VerifyTicketAccess).",
          ar: "سجّل الدخول أو تحقق من الوصول برمز الرسالة النصية."))
    ], domain: domain)

  static func rateLimited(_ wait: Duration) -> EtimadError {
    EtimadError(
      code: .resourceExhausted, reason: "RATE_LIMITED", domain: domain,
      message: .init(
        en: "Too many requests; slow down and try again shortly.", ar: "طلبات كثيرة؛ يرجى المحاولة بعد قليل."),
      retryAfter: wait)
  }

  static func required(_ field: String) -> EtimadError.FieldViolation {
    .init(
      field: field, reason: "REQUIRED", description: .init(en: "\(field) is required.", ar: "الحقل \(field) مطلوب."))
  }

  /// Every error of the area, for a test that reads each text in both languages.
  static var catalog: [EtimadError] {
    [ticketNotFound, notSupportStaff, wrongCode, tokenRequired, rateLimited(.seconds(1))]
      + [ChallengeProblem.missing, .invalid, .notSolved, .expired, .otherPeer, .used].map(\.etimadError)
      + [TicketTokenProblem.invalid, .expired].map(\.etimadError)
      + [TicketRuleError.closed, .sameStatus(.open), .invalidTransition(from: .closed, to: .open)].map(\.etimadError)
  }
}
