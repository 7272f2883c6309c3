import Crypto
import EtimadKit
import EtimadProtos
import Foundation

/// The rules of sign-in that need no I/O.
public enum IdentityRules {
  public static let domain = "identity.etimad.sa"

  /// How long a one-time code is accepted.
  public static let codeLifetime: TimeInterval = 5 * 60
  /// Wrong codes a ticket tolerates before it is spent.
  public static let codeAttempts = 5
  /// How long before a new code may be sent for a ticket, and how many times.
  public static let resendCooldown: TimeInterval = 60
  public static let maximumResends = 3
  /// Failed password checks in a row that lock an account, and for how long.
  public static let lockoutThreshold = 5
  public static let lockoutDuration: TimeInterval = 15 * 60
  /// Failures of an ID with no new failure for this long are forgotten.
  public static let failureMemory: TimeInterval = 24 * 3600

  /// Password policy: at least 8 characters, letters and digits, not the ID number itself.
  public static func passwordProblems(
    _ password: String, idNumber: String, field: String
  ) -> [EtimadError.FieldViolation] {
    var problems: [EtimadError.FieldViolation] = []
    if password.count < 8 {
      problems.append(
        .init(
          field: field, reason: "TOO_SHORT",
          description: .init(en: "The password needs at least 8 characters.", ar: "يجب ألا تقل كلمة المرور عن 8 خانات.")
        ))
    }
    if !password.contains(where: \.isLetter) || !password.contains(where: \.isNumber) {
      problems.append(
        .init(
          field: field, reason: "LETTERS_AND_DIGITS",
          description: .init(
            en: "The password needs both letters and digits.", ar: "يجب أن تحتوي كلمة المرور على حروف وأرقام.")))
    }
    if !idNumber.isEmpty, password.contains(idNumber) {
      problems.append(
        .init(
          field: field, reason: "CONTAINS_ID",
          description: .init(
            en: "The password must not contain the ID number.", ar: "يجب ألا تحتوي كلمة المرور على رقم الهوية.")))
    }
    return problems
  }

  /// A plausible e-mail address: one @, a dot in the domain, no spaces, at most 254 characters.
  public static func emailValid(_ email: String) -> Bool {
    let parts = email.split(separator: "@", omittingEmptySubsequences: false)
    guard email.count <= 254, parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
      !parts[1].hasPrefix("."), !parts[1].hasSuffix("."), !email.contains(where: \.isWhitespace)
    else { return false }
    return true
  }

  /// A Gregorian birth date from the wire, converting Hijri (Umm al-Qura) dates; nil if the
  /// date does not exist or lies in the future.
  public static func birthDate(_ date: Etimad_Type_V1_CalendarDate, now: Date) -> String? {
    var components = DateComponents()
    components.year = Int(date.year)
    components.month = Int(date.month)
    components.day = Int(date.day)
    let calendar = date.calendar == .hijri ? RiyadhCalendars.hijri : RiyadhCalendars.gregorian
    guard (1...12).contains(date.month), (1...31).contains(date.day), date.year > 0,
      let instant = calendar.date(from: components)
    else { return nil }
    // Reject dates the calendar silently rolled over (30 February -> 2 March).
    let back = calendar.dateComponents([.year, .month, .day], from: instant)
    guard back.year == components.year, back.month == components.month, back.day == components.day,
      instant <= now
    else { return nil }
    let gregorian = RiyadhCalendars.gregorian.dateComponents([.year, .month, .day], from: instant)
    return [(gregorian.year!, 4), (gregorian.month!, 2), (gregorian.day!, 2)].map { Digits.zeroPadded($0, width: $1) }
      .joined(separator: "-")
  }

  /// A fresh 6-digit code from the system's CSPRNG, uniformly distributed.
  public static func newCode() -> String {
    var generator = SystemRandomNumberGenerator()
    return Digits.zeroPadded(Int.random(in: 0..<1_000_000, using: &generator), width: 6)
  }

  /// 256 random bits, base64url: access tokens and tickets.
  public static func newToken() -> String {
    let key = SymmetricKey(size: .bits256)
    return key.withUnsafeBytes { Data($0) }.base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
  }

  /// SHA-256 of a token, hex: what the database keeps instead of the token.
  public static func tokenHash(_ token: String) -> String {
    Hex.encode(SHA256.hash(data: Data(token.utf8)))
  }

  /// The stored form of a code: an HMAC with the server's key, bound to its ticket.
  public static func codeHash(_ code: String, ticketHash: String, key: SymmetricKey) -> Data {
    Data(HMAC<SHA256>.authenticationCode(for: Data((ticketHash + ":" + code).utf8), using: key))
  }

  /// Compares in time independent of where the inputs differ.
  public static func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for (x, y) in zip(a, b) { difference |= x ^ y }
    return difference == 0
  }

  /// The SMS text of a code, in Arabic then English.
  public static func smsBody(code: String, purpose: Etimad_Identity_V1_TicketPurpose) -> String {
    let what =
      switch purpose {
      case .registration: ("لتفعيل حسابك في منصة اعتماد", "to activate your Etimad account")
      case .passwordReset: ("لإعادة تعيين كلمة المرور في منصة اعتماد", "to reset your Etimad password")
      default: ("لتسجيل الدخول إلى منصة اعتماد", "to sign in to Etimad")
      }
    return "رمز التحقق \(what.0): \(code). لا تشاركه مع أحد. / Your code \(what.1): \(code). Do not share it."
  }
}
