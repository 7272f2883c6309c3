import EtimadKit
import Foundation

/// The identity area's errors, worded once in both languages.
enum IdentityErrors {
  static let domain = IdentityRules.domain

  static func error(
    _ code: RPCErrorCode, _ reason: String, en: String, ar: String, metadata: [String: String] = [:],
    retryAfter: Duration? = nil
  ) -> EtimadError {
    EtimadError(
      code: code, reason: reason, domain: domain, message: LocalizedString(en: en, ar: ar), metadata: metadata,
      retryAfter: retryAfter)
  }

  /// The one answer to an unknown ID and to a wrong password.
  static let invalidCredentials = error(
    .unauthenticated, "INVALID_CREDENTIALS", en: "The ID number or the password is wrong.",
    ar: "رقم الهوية أو كلمة المرور غير صحيحة.")

  static func locked(until: Date, now: Date) -> EtimadError {
    // To the millisecond first: a lock end stored as seconds in floating point comes back a
    // few nanoseconds off, which must not round a 900 s lock up to 901.
    let interval = (until.timeIntervalSince(now) * 1000).rounded() / 1000
    let seconds = max(1, Int(interval.rounded(.up)))
    let minutes = CountedNoun.minute((seconds + 59) / 60)
    return error(
      .resourceExhausted, "ACCOUNT_LOCKED",
      en: "The account is locked after too many failed sign-ins; try again in \(minutes.english).",
      ar: "تم إيقاف الحساب مؤقتًا بسبب محاولات دخول خاطئة متكررة؛ حاول بعد \(minutes.arabic).",
      metadata: ["locked_until": ISO8601DateFormatter().string(from: until)], retryAfter: .seconds(seconds))
  }

  static let ticketInvalid = error(
    .failedPrecondition, "TICKET_INVALID", en: "This verification is not valid any more; start again.",
    ar: "عملية التحقق هذه لم تعد صالحة؛ ابدأ من جديد.")
  static let ticketUsed = error(
    .failedPrecondition, "TICKET_USED", en: "This code was already used.", ar: "تم استخدام هذا الرمز من قبل.")
  static let codeExpired = error(
    .failedPrecondition, "CODE_EXPIRED", en: "The code has expired; ask for a new one.",
    ar: "انتهت صلاحية الرمز؛ اطلب رمزًا جديدًا.")
  static let tooManyAttempts = error(
    .failedPrecondition, "TOO_MANY_ATTEMPTS", en: "Too many wrong codes; start again.",
    ar: "تم إدخال رمز خاطئ عدة مرات؛ ابدأ من جديد.")
  static func wrongCode(attemptsLeft: Int) -> EtimadError {
    let left = CountedNoun.attempt(attemptsLeft)
    return error(
      .unauthenticated, "WRONG_CODE", en: "The code is wrong; \(left.english) left.",
      ar: "الرمز غير صحيح؛ المتبقي \(left.arabic).", metadata: ["attempts_left": "\(attemptsLeft)"])
  }
  static func resendTooSoon(after seconds: Double) -> EtimadError {
    let wait = max(1, Int(seconds.rounded(.up)))
    let after = CountedNoun.second(wait)
    return error(
      .resourceExhausted, "RESEND_TOO_SOON", en: "A new code can be sent in \(after.english).",
      ar: "يمكن إرسال رمز جديد بعد \(after.arabic).", retryAfter: .seconds(wait))
  }
  static let tooManyResends = error(
    .resourceExhausted, "TOO_MANY_RESENDS", en: "No more codes can be sent for this verification; start again.",
    ar: "لا يمكن إرسال المزيد من الرموز لهذه العملية؛ ابدأ من جديد.")
  static let civilRecordMismatch = error(
    .failedPrecondition, "CIVIL_RECORD_MISMATCH",
    en: "The ID number and birth date do not match the civil record.",
    ar: "رقم الهوية وتاريخ الميلاد لا يطابقان السجل المدني.")
  static let alreadyRegistered = error(
    .alreadyExists, "ALREADY_REGISTERED", en: "An account already exists for this ID number; sign in instead.",
    ar: "يوجد حساب مسجل لرقم الهوية هذا؛ يرجى تسجيل الدخول.")
  static let invalidToken = error(
    .unauthenticated, "INVALID_TOKEN", en: "The access token is not valid or has expired; sign in again.",
    ar: "رمز الدخول غير صالح أو منتهي؛ يرجى تسجيل الدخول مجددًا.")
  static let tokenOnAgencyPort = error(
    .unauthenticated, "TOKEN_ON_AGENCY_PORT",
    en: "Bearer tokens are not accepted on the agency port; individuals use the public port.",
    ar: "لا تُقبل رموز الدخول على منفذ الجهات؛ يستخدم الأفراد المنفذ العام.")
  static let agencyCertificateRequired = error(
    .unauthenticated, "AGENCY_CERTIFICATE_REQUIRED",
    en: "The agency port needs a client certificate issued to a registered agency.",
    ar: "منفذ الجهات يتطلب شهادة عميل صادرة لجهة مسجلة.")
  static let agencyNotRecognised = error(
    .unauthenticated, "AGENCY_NOT_RECOGNISED",
    en: "The client certificate does not belong to a registered, active agency, or was replaced or revoked.",
    ar: "شهادة العميل لا تعود لجهة مسجلة ونشطة، أو تم استبدالها أو إلغاؤها.")
  static let certificateExpired = error(
    .unauthenticated, "CERTIFICATE_EXPIRED", en: "The client certificate is not within its validity period.",
    ar: "شهادة العميل خارج فترة صلاحيتها.")
  static let employeeRequired = error(
    .unauthenticated, "EMPLOYEE_REQUIRED",
    en: "Agency calls must name the acting employee in x-etimad-employee (1-64 letters, digits, . _ - @).",
    ar: "يجب أن تحدد طلبات الجهات الموظف المنفذ في x-etimad-employee (من 1 إلى 64 حرفًا لاتينيًا أو رقمًا أو . _ - @).")
  static let sessionNotFound = EtimadError.notFound(
    "session", named: .init(en: "The session", ar: "الجلسة"), domain: domain)
  /// A wrong current password in ChangePassword, with the guesses left before the lockout.
  static func wrongPassword(attemptsLeft: Int) -> EtimadError {
    let left = CountedNoun.attempt(attemptsLeft)
    return error(
      .permissionDenied, "WRONG_PASSWORD",
      en: "The current password is wrong; \(left.english) left before the account is locked.",
      ar: "كلمة المرور الحالية غير صحيحة؛ المتبقي \(left.arabic) قبل إيقاف الحساب.",
      metadata: ["attempts_left": "\(attemptsLeft)"])
  }
  static func rateLimited(_ wait: Duration) -> EtimadError {
    error(
      .resourceExhausted, "RATE_LIMITED", en: "Too many requests; slow down and try again shortly.",
      ar: "طلبات كثيرة؛ يرجى المحاولة بعد قليل.", retryAfter: wait)
  }
}

typealias RPCErrorCode = EtimadError.Code
