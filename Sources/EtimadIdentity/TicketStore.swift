import Crypto
import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// One-time-code tickets: created with a code that goes out by SMS in the same transaction,
/// checked with a bounded number of attempts, spent once.
struct TicketStore: Sendable {
  let codeKey: SymmetricKey

  struct Ticket: Sendable, FetchableRecord, Decodable {
    let hash: String
    let purpose: Int
    let idNumber: String
    let codeHash: Data
    let codeExpireTime: Double
    let attempts: Int
    let resends: Int
    let resendTime: Double
    let used: Bool
    let email: String?
    let passwordHash: String?

    enum CodingKeys: String, CodingKey {
      case hash, purpose, attempts, resends, used, email
      case idNumber = "id_number"
      case codeHash = "code_hash"
      case codeExpireTime = "code_expire_time"
      case resendTime = "resend_time"
      case passwordHash = "password_hash"
    }
  }

  /// Creates a ticket for `person` and queues the SMS with its code; returns the challenge
  /// (whose `ticket` is the only copy of the ticket token).
  func create(
    _ db: Database, purpose: Etimad_Identity_V1_TicketPurpose, person: Person, email: String? = nil,
    passwordHash: String? = nil, now: Date
  ) throws -> Etimad_Identity_V1_CodeChallenge {
    let token = IdentityRules.newToken()
    let hash = IdentityRules.tokenHash(token)
    let code = IdentityRules.newCode()
    try db.execute(
      sql: """
        INSERT INTO tickets (hash, purpose, id_number, code_hash, code_expire_time, resend_time, email, password_hash, create_time)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        hash, purpose.rawValue, person.idNumber, IdentityRules.codeHash(code, ticketHash: hash, key: codeKey),
        now.timeIntervalSince1970 + IdentityRules.codeLifetime,
        now.timeIntervalSince1970 + IdentityRules.resendCooldown, email, passwordHash, now.timeIntervalSince1970,
      ])
    let mobile = try SaudiMobile(parsing: person.mobile)
    try Outbox.enqueueSMS(db, to: mobile, body: IdentityRules.smsBody(code: code, purpose: purpose), now: now)
    return challenge(token: token, purpose: purpose, mobile: mobile, now: now)
  }

  /// A new code for a ticket after its cooldown, at most `maximumResends` times.
  func resend(_ db: Database, token: String, now: Date) throws -> Etimad_Identity_V1_CodeChallenge {
    let hash = IdentityRules.tokenHash(token)
    guard let ticket = try Ticket.fetchOne(db, sql: "SELECT * FROM tickets WHERE hash = ?", arguments: [hash]),
      !ticket.used, ticket.attempts < IdentityRules.codeAttempts
    else { throw IdentityErrors.ticketInvalid }
    guard now.timeIntervalSince1970 >= ticket.resendTime else {
      throw IdentityErrors.resendTooSoon(after: ticket.resendTime - now.timeIntervalSince1970)
    }
    guard ticket.resends < IdentityRules.maximumResends else { throw IdentityErrors.tooManyResends }
    let code = IdentityRules.newCode()
    try db.execute(
      sql: """
        UPDATE tickets SET code_hash = ?, code_expire_time = ?, resend_time = ?, resends = resends + 1
        WHERE hash = ?
        """,
      arguments: [
        IdentityRules.codeHash(code, ticketHash: hash, key: codeKey),
        now.timeIntervalSince1970 + IdentityRules.codeLifetime,
        now.timeIntervalSince1970 + IdentityRules.resendCooldown, hash,
      ])
    guard let person = try CivilRegistry.person(ticket.idNumber, db) else { throw IdentityErrors.ticketInvalid }
    let mobile = try SaudiMobile(parsing: person.mobile)
    let purpose = Etimad_Identity_V1_TicketPurpose(rawValue: ticket.purpose) ?? .unspecified
    try Outbox.enqueueSMS(db, to: mobile, body: IdentityRules.smsBody(code: code, purpose: purpose), now: now)
    return challenge(token: token, purpose: purpose, mobile: mobile, now: now)
  }

  /// What checking a code found. A wrong code is counted in the database even though the call
  /// fails, so this is returned rather than thrown (a throw would roll the count back).
  enum Check {
    case valid(Ticket)
    case alreadyUsed
    case failed(EtimadError)
    /// A wrong code, now counted against the ticket of `idNumber`.
    case wrongCode(EtimadError, idNumber: String, attemptsLeft: Int)
  }

  /// Checks `code` against the ticket, counting a wrong one.
  func check(
    _ db: Database, token: String, code: String, purpose: Etimad_Identity_V1_TicketPurpose, now: Date
  ) throws
    -> Check
  {
    let hash = IdentityRules.tokenHash(token)
    guard let ticket = try Ticket.fetchOne(db, sql: "SELECT * FROM tickets WHERE hash = ?", arguments: [hash]),
      ticket.purpose == purpose.rawValue
    else { return .failed(IdentityErrors.ticketInvalid) }
    if ticket.used { return .alreadyUsed }
    guard ticket.attempts < IdentityRules.codeAttempts else { return .failed(IdentityErrors.tooManyAttempts) }
    guard now.timeIntervalSince1970 < ticket.codeExpireTime else { return .failed(IdentityErrors.codeExpired) }
    let given = IdentityRules.codeHash(Digits.normalized(code), ticketHash: hash, key: codeKey)
    guard IdentityRules.constantTimeEqual(given, ticket.codeHash) else {
      try db.execute(sql: "UPDATE tickets SET attempts = attempts + 1 WHERE hash = ?", arguments: [hash])
      let left = IdentityRules.codeAttempts - ticket.attempts - 1
      return .wrongCode(
        left > 0 ? IdentityErrors.wrongCode(attemptsLeft: left) : IdentityErrors.tooManyAttempts,
        idNumber: ticket.idNumber, attemptsLeft: left)
    }
    return .valid(ticket)
  }

  /// Spends a checked ticket inside the change it authorises; refuses one already spent.
  func spend(_ db: Database, token: String, purpose: Etimad_Identity_V1_TicketPurpose) throws -> Ticket {
    let hash = IdentityRules.tokenHash(token)
    guard
      let ticket = try Ticket.fetchOne(
        db, sql: "SELECT * FROM tickets WHERE hash = ? AND purpose = ?", arguments: [hash, purpose.rawValue])
    else { throw IdentityErrors.ticketInvalid }
    guard !ticket.used else { throw IdentityErrors.ticketUsed }
    try db.execute(sql: "UPDATE tickets SET used = 1 WHERE hash = ?", arguments: [hash])
    return ticket
  }

  private func challenge(
    token: String, purpose: Etimad_Identity_V1_TicketPurpose, mobile: SaudiMobile, now: Date
  ) -> Etimad_Identity_V1_CodeChallenge {
    .with {
      $0.ticket = token
      $0.purpose = purpose
      $0.maskedMobile = mobile.masked
      $0.codeExpireTime = .init(date: now.addingTimeInterval(IdentityRules.codeLifetime))
      $0.resendTime = .init(date: now.addingTimeInterval(IdentityRules.resendCooldown))
    }
  }
}
