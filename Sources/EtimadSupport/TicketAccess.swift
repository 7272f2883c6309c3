import Crypto
import EtimadKit
import Foundation

/// Anonymous follow-up: a 6-digit code sent by SMS to the ticket's mobile (stored as an HMAC
/// only), exchanged for a short-lived ticket token, which is signed and names its ticket so
/// that it opens that ticket and no other. Tokens are not stored.
public struct TicketAccess: Sendable {
  public static let codeLifetime: TimeInterval = 10 * 60
  public static let tokenLifetime: TimeInterval = 30 * 60

  let codeKey: SymmetricKey
  let tokenKey: SymmetricKey

  public init(codeKey: SymmetricKey, tokenKey: SymmetricKey) {
    self.codeKey = codeKey
    self.tokenKey = tokenKey
  }

  /// A fresh code for `number`.
  public func newCode(number: String, now: Date) -> AccessCode {
    let code = Digits.zeroPadded(Int.random(in: 0..<1_000_000), width: 6)
    return AccessCode(code: code, hash: codeHash(number: number, code: code), expireTime: now + Self.codeLifetime)
  }

  public func codeHash(number: String, code: String) -> Data {
    Data(HMAC<SHA256>.authenticationCode(for: Array("\(number):\(code)".utf8), using: codeKey))
  }

  /// Whether `code` is the unexpired code stored as `stored` for `number`.
  public func codeMatches(_ code: String, number: String, stored: (hash: Data, expireTime: Date), now: Date) -> Bool {
    now < stored.expireTime && constantTimeEqual(Array(codeHash(number: number, code: code)), Array(stored.hash))
  }

  /// A token for `number` valid until now + `tokenLifetime`.
  public func token(number: String, now: Date) -> (token: String, expireTime: Date) {
    let expire = Int64(now.timeIntervalSince1970 + Self.tokenLifetime)
    let body = "\(number)|\(expire)"
    return (body + "|" + Hex.encode(mac(body)), Date(timeIntervalSince1970: TimeInterval(expire)))
  }

  /// Checks that `token` is ours, unexpired and for `number`.
  public func check(token: String, number: String, now: Date) throws(TicketTokenProblem) {
    let parts = token.split(separator: "|", omittingEmptySubsequences: false)
    guard parts.count == 3, let expire = Int64(parts[1]), let signature = Hex.decode(String(parts[2])),
      constantTimeEqual(signature, mac("\(parts[0])|\(parts[1])"))
    else { throw .invalid }
    guard now.timeIntervalSince1970 < TimeInterval(expire) else { throw .expired }
    guard parts[0] == number else { throw .otherTicket }
  }

  private func mac(_ body: String) -> [UInt8] {
    Array(Array(HMAC<SHA256>.authenticationCode(for: Array(body.utf8), using: tokenKey)).prefix(16))
  }
}

/// Why a ticket token was refused.
public enum TicketTokenProblem: DomainError, Hashable {
  case invalid, expired, otherTicket

  public var etimadError: EtimadError {
    switch self {
    case .invalid, .otherTicket:
      EtimadError(
        code: .unauthenticated, reason: "TICKET_TOKEN_INVALID", domain: TicketRules.domain,
        message: .init(
          en: "The ticket token is not valid for this ticket; verify access again with the SMS code.",
          ar: "رمز المتابعة غير صالح لهذا البلاغ؛ تحقق من جديد برمز الرسالة النصية."))
    case .expired:
      EtimadError(
        code: .unauthenticated, reason: "TICKET_TOKEN_EXPIRED", domain: TicketRules.domain,
        message: .init(
          en: "The ticket token expired; verify access again with a new SMS code.",
          ar: "انتهت صلاحية رمز المتابعة؛ تحقق من جديد برمز رسالة نصية جديد."))
    }
  }
}
