import Crypto
import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf

/// The identity area's storage: every operation is one transaction that keeps the rules
/// (lockout, single-use codes, session expiry) and writes its audit row.
public struct IdentityStore: Sendable {
  /// How long sessions last.
  public struct SessionPolicy: Sendable {
    public var idle: TimeInterval = 30 * 60
    public var absolute: TimeInterval = 12 * 3600
    /// The idle expiry is moved on at most this often, so that reading a token is not a write.
    public var touchEvery: TimeInterval = 60

    public init() {}
  }

  let database: EtimadDatabase
  let tickets: TicketStore
  let sessions: SessionPolicy
  let sessionCache = SessionCache()

  public init(database: EtimadDatabase, codeKey: SymmetricKey, sessions: SessionPolicy = .init()) {
    self.database = database
    self.tickets = TicketStore(codeKey: codeKey)
    self.sessions = sessions
  }

  var clock: any WallClock { database.clock }

  // MARK: Registration

  func startRegistration(
    _ call: MutationCall<Etimad_Identity_V1_StartRegistrationRequest>, id: NationalID, birthDate: String,
    email: String, passwordHash: String
  ) async throws -> Etimad_Identity_V1_StartRegistrationResponse {
    try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      guard let person = try CivilRegistry.person(id.number, db), person.birthDate == birthDate else {
        throw IdentityErrors.civilRecordMismatch
      }
      guard try Account.exists(db, id: id.number) == false else { throw IdentityErrors.alreadyRegistered }
      let challenge = try tickets.create(
        db, purpose: .registration, person: person, email: email, passwordHash: passwordHash, now: now)
      return (
        .with { $0.challenge = challenge }, AuditRecord(target: "account/\(id.number)", summary: "registration started")
      )
    }
  }

  func completeRegistration(
    _ call: MutationCall<Etimad_Identity_V1_CompleteRegistrationRequest>
  ) async throws
    -> Etimad_Identity_V1_CompleteRegistrationResponse
  {
    try await checkCode(call, call.request.ticket, call.request.code, purpose: .registration)
    return try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      let ticket = try tickets.spend(db, token: call.request.ticket, purpose: .registration)
      guard try Account.exists(db, id: ticket.idNumber) == false else { throw IdentityErrors.alreadyRegistered }
      guard let email = ticket.email, let hash = ticket.passwordHash,
        let person = try CivilRegistry.person(ticket.idNumber, db)
      else { throw IdentityErrors.ticketInvalid }
      try db.execute(
        sql:
          "INSERT INTO accounts (id_number, email, password_hash, create_time, password_time) VALUES (?, ?, ?, ?, ?)",
        arguments: [ticket.idNumber, email, hash, now.timeIntervalSince1970, now.timeIntervalSince1970])
      let account = try Account.load(db, id: ticket.idNumber)!
      return (
        .with { $0.account = account.message(person: person, now: now) },
        AuditRecord(target: "account/\(ticket.idNumber)", summary: "registered")
      )
    }
  }

  // MARK: Login

  /// What a password check needs, read outside any transaction: the account's hash (nil for
  /// an ID without an account) and the lock on the ID, which exists for any ID.
  struct LoginState: Sendable {
    var hash: String?
    var lockedUntil: Date?
  }

  /// The outcome of a counted failure: how many failures in a row the ID has now, or the
  /// time until which this failure locked it.
  enum FailureOutcome: Sendable, Equatable {
    case counted(failures: Int)
    case locked(until: Date)
  }

  func loginState(id: String) async throws -> LoginState {
    try await database.read { db in
      let row = try Row.fetchOne(
        db.cachedStatement(
          sql: """
            SELECT (SELECT password_hash FROM accounts WHERE id_number = ?1) AS password_hash,
              (SELECT locked_until FROM sign_in_failures WHERE id_number = ?1) AS locked_until
            """), arguments: [id])
      // Explicit optional types: the row always exists, each value may be NULL.
      let hash: String? = row?["password_hash"]
      let lockedUntil: Double? = row?["locked_until"]
      return LoginState(hash: hash, lockedUntil: lockedUntil.map(Date.init(timeIntervalSince1970:)))
    }
  }

  /// Counts a failed password check on `id`, whether or not it has an account (the same
  /// statements either way, so that neither the answer nor its time tells them apart), and
  /// locks the ID at the threshold. When that lock is reached through a session (ChangePassword
  /// on a stolen token), the session is revoked in the same transaction.
  func recordFailedPassword(
    id: String, peer: String, method: String, summary: String, revoking sessionID: String? = nil
  ) async throws -> FailureOutcome {
    defer { if sessionID != nil { sessionCache.invalidate() } }
    return try await database.bookkeeping(.signInFailure) { db, time in
      let now = time.timeIntervalSince1970
      // Counters idle for a day are forgotten, so that the table stays bounded by recent failures.
      try db.execute(
        sql: """
          DELETE FROM sign_in_failures WHERE updated_time < ? AND (locked_until IS NULL OR locked_until < ?)
          """, arguments: [now - IdentityRules.failureMemory, now])
      try db.execute(
        sql: """
          INSERT INTO sign_in_failures (id_number, failures, updated_time) VALUES (?, 1, ?)
          ON CONFLICT (id_number) DO UPDATE SET failures = failures + 1, updated_time = excluded.updated_time
          """, arguments: [id, now])
      let failures =
        try Int.fetchOne(db, sql: "SELECT failures FROM sign_in_failures WHERE id_number = ?", arguments: [id]) ?? 0
      var outcome = FailureOutcome.counted(failures: failures)
      var note = summary
      if failures >= IdentityRules.lockoutThreshold {
        let until = time.addingTimeInterval(IdentityRules.lockoutDuration)
        try db.execute(
          sql: "UPDATE sign_in_failures SET locked_until = ?, failures = 0 WHERE id_number = ?",
          arguments: [until.timeIntervalSince1970, id])
        outcome = .locked(until: until)
        note += "; account locked for 15 minutes"
        if let sessionID {
          try db.execute(
            sql: "UPDATE sessions SET revoked_time = ? WHERE id = ? AND id_number = ? AND revoked_time IS NULL",
            arguments: [now, sessionID, id])
          note += "; session \(sessionID) revoked"
        }
      }
      try AuditLog.append(
        db, principal: .anonymous, method: method, target: "account/\(id)", requestID: nil, peer: peer, summary: note,
        time: time)
      return outcome
    }
  }

  func startLogin(
    _ call: MutationCall<Etimad_Identity_V1_StartLoginRequest>, id: String
  ) async throws
    -> Etimad_Identity_V1_StartLoginResponse
  {
    try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      guard let person = try CivilRegistry.person(id, db) else { throw IdentityErrors.invalidCredentials }
      let challenge = try tickets.create(db, purpose: .login, person: person, now: now)
      return (
        .with { $0.challenge = challenge },
        AuditRecord(target: "account/\(id)", summary: "password accepted; code sent")
      )
    }
  }

  func verifyLogin(
    _ call: MutationCall<Etimad_Identity_V1_VerifyLoginRequest>
  ) async throws
    -> Etimad_Identity_V1_VerifyLoginResponse
  {
    try await checkCode(call, call.request.ticket, call.request.code, purpose: .login)
    return try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      let ticket = try tickets.spend(db, token: call.request.ticket, purpose: .login)
      try db.execute(sql: "DELETE FROM sign_in_failures WHERE id_number = ?", arguments: [ticket.idNumber])
      let token = IdentityRules.newToken()
      let session = StoredSession(
        id: UUID().uuidString.lowercased(), idNumber: ticket.idNumber, createTime: now.timeIntervalSince1970,
        expireTime: now.timeIntervalSince1970 + sessions.absolute,
        idleExpireTime: now.timeIntervalSince1970 + sessions.idle, peer: call.peer)
      try db.execute(
        sql: """
          INSERT INTO sessions (id, token_hash, id_number, create_time, expire_time, idle_expire_time, peer)
          VALUES (?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          session.id, IdentityRules.tokenHash(token), session.idNumber, session.createTime, session.expireTime,
          session.idleExpireTime, session.peer,
        ])
      return (
        .with {
          $0.accessToken = token
          $0.session = session.message(current: true)
        }, AuditRecord(target: "account/\(ticket.idNumber)", summary: "login succeeded; session \(session.id)")
      )
    }
  }

  func resendCode(
    _ call: MutationCall<Etimad_Identity_V1_ResendCodeRequest>
  ) async throws
    -> Etimad_Identity_V1_ResendCodeResponse
  {
    try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      let challenge = try tickets.resend(db, token: call.request.ticket, now: now)
      return (.with { $0.challenge = challenge }, AuditRecord(target: "ticket", summary: "code sent again"))
    }
  }

  // MARK: Password reset

  func startPasswordReset(
    _ call: MutationCall<Etimad_Identity_V1_StartPasswordResetRequest>, id: String, birthDate: String
  ) async throws -> Etimad_Identity_V1_StartPasswordResetResponse {
    try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      guard let person = try CivilRegistry.person(id, db), person.birthDate == birthDate,
        try Account.exists(db, id: id)
      else { throw IdentityErrors.civilRecordMismatch }
      let challenge = try tickets.create(db, purpose: .passwordReset, person: person, now: now)
      return (
        .with { $0.challenge = challenge }, AuditRecord(target: "account/\(id)", summary: "password reset started")
      )
    }
  }

  func completePasswordReset(
    _ call: MutationCall<Etimad_Identity_V1_CompletePasswordResetRequest>, passwordHash: String
  ) async throws -> Etimad_Identity_V1_CompletePasswordResetResponse {
    try await checkCode(call, call.request.ticket, call.request.code, purpose: .passwordReset)
    defer { sessionCache.invalidate() }
    return try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      let ticket = try tickets.spend(db, token: call.request.ticket, purpose: .passwordReset)
      try setPassword(db, id: ticket.idNumber, hash: passwordHash, keepSession: nil, now: now)
      return (
        .init(), AuditRecord(target: "account/\(ticket.idNumber)", summary: "password reset; all sessions revoked")
      )
    }
  }

  /// The ticket's ID number, when the ticket is a live one of `purpose` (used to apply the
  /// password policy before hashing).
  func ticketOwner(_ token: String, purpose: Etimad_Identity_V1_TicketPurpose) async throws -> String? {
    try await database.read { db in
      try String.fetchOne(
        db, sql: "SELECT id_number FROM tickets WHERE hash = ? AND purpose = ?",
        arguments: [IdentityRules.tokenHash(token), purpose.rawValue])
    }
  }

  // MARK: Sessions

  /// The live session of a bearer token, moving its idle expiry on; nil when unknown, revoked
  /// or expired. Read on every call, so that a revocation takes effect at once.
  /// The live session of a token: from the cache while no revocation happened since it was
  /// read, else from the database. Expiry is checked against the clock either way.
  func session(token: String) async throws -> StoredSession? {
    let hash = IdentityRules.tokenHash(token)
    let now = clock.now.timeIntervalSince1970
    let (cached, generation) = sessionCache.lookup(hash)
    var found: StoredSession
    if let cached {
      guard now < cached.expireTime, now < cached.idleExpireTime else { return nil }
      found = cached
    } else {
      let read = try await database.quickRead { db in
        // The one query every signed-in call makes when the cache misses.
        try db.fetchOne(
          """
          SELECT id, id_number, create_time, expire_time, idle_expire_time, peer FROM sessions
          WHERE token_hash = ? AND revoked_time IS NULL AND expire_time > ? AND idle_expire_time > ?
          """, [.text(hash), .double(now), .double(now)]
        ) { row in
          StoredSession(
            id: row[0], idNumber: row[1], createTime: row[2], expireTime: row[3], idleExpireTime: row[4],
            peer: row[5])
        }
      }
      guard let read else { return nil }
      found = read
    }
    if now + sessions.idle - found.idleExpireTime >= sessions.touchEvery {
      let idle = min(now + sessions.idle, found.expireTime)
      let sessionID = found.id
      try await database.bookkeeping(.sessionTouch) { db, _ in
        try db.execute(sql: "UPDATE sessions SET idle_expire_time = ? WHERE id = ?", arguments: [idle, sessionID])
      }
      found = StoredSession(
        id: found.id, idNumber: found.idNumber, createTime: found.createTime, expireTime: found.expireTime,
        idleExpireTime: idle, peer: found.peer)
      sessionCache.store(hash, found, readUnder: generation)
    } else if cached == nil {
      sessionCache.store(hash, found, readUnder: generation)
    }
    return found
  }

  func whoAmI(id: String, sessionID: String) async throws -> (Etimad_Identity_V1_Account, Etimad_Identity_V1_Session)? {
    // One statement on a quick-read connection, columns read by position: WhoAmI is the
    // reference signed-in call.
    let now = clock.now
    return try await database.quickRead { db in
      try db.fetchOne(
        """
        SELECT a.email, f.locked_until, a.create_time, p.id_type, p.name_ar, p.name_en, p.mobile,
          s.id, s.create_time, s.expire_time, s.idle_expire_time, s.peer
        FROM accounts a JOIN persons p ON p.id_number = a.id_number
        JOIN sessions s ON s.id = ? AND s.id_number = a.id_number
        LEFT JOIN sign_in_failures f ON f.id_number = a.id_number
        WHERE a.id_number = ?
        """, [.text(sessionID), .text(id)]
      ) { row in
        let account = Account.message(
          idNumber: id, email: row[0], lockedUntil: row[1], createTime: row[2], idType: row[3], nameAr: row[4],
          nameEn: row[5], mobile: row[6], now: now)
        let session = StoredSession(
          id: row[7], idNumber: id, createTime: row[8], expireTime: row[9], idleExpireTime: row[10], peer: row[11])
        return (account, session.message(current: true))
      }
    }
  }

  func listSessions(id: String, current: String) async throws -> [Etimad_Identity_V1_Session] {
    let now = clock.now.timeIntervalSince1970
    return try await database.read { db in
      try StoredSession.fetchAll(
        db,
        sql: """
          SELECT * FROM sessions WHERE id_number = ? AND revoked_time IS NULL AND expire_time > ? AND idle_expire_time > ?
          ORDER BY create_time DESC
          """, arguments: [id, now, now]
      ).map { $0.message(current: $0.id == current) }
    }
  }

  /// Revokes one of `id`'s sessions (RevokeSession, Logout); NOT_FOUND for anyone else's.
  func revokeSession<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: String, sessionID: String, summary: String
  ) async throws -> Response {
    defer { sessionCache.invalidate() }
    return try await database.mutate(call, domain: IdentityRules.domain) { db, now in
      try db.execute(
        sql: "UPDATE sessions SET revoked_time = ? WHERE id = ? AND id_number = ? AND revoked_time IS NULL",
        arguments: [now.timeIntervalSince1970, sessionID, id])
      guard db.changesCount == 1 else { throw IdentityErrors.sessionNotFound }
      return (.init(), AuditRecord(target: "account/\(id)", summary: summary))
    }
  }

  func changePassword(
    _ call: MutationCall<Etimad_Identity_V1_ChangePasswordRequest>, id: String, sessionID: String, newHash: String
  ) async throws {
    defer { sessionCache.invalidate() }
    let _: Etimad_Identity_V1_ChangePasswordResponse = try await database.mutate(call, domain: IdentityRules.domain) {
      db, now in
      try setPassword(db, id: id, hash: newHash, keepSession: sessionID, now: now)
      return (.init(), AuditRecord(target: "account/\(id)", summary: "password changed; other sessions revoked"))
    }
  }

  // MARK: Helpers

  private func setPassword(_ db: Database, id: String, hash: String, keepSession: String?, now: Date) throws {
    try db.execute(
      sql: "UPDATE accounts SET password_hash = ?, password_time = ? WHERE id_number = ?",
      arguments: [hash, now.timeIntervalSince1970, id])
    try db.execute(sql: "DELETE FROM sign_in_failures WHERE id_number = ?", arguments: [id])
    try db.execute(
      sql: "UPDATE sessions SET revoked_time = ? WHERE id_number = ? AND revoked_time IS NULL AND id IS NOT ?",
      arguments: [now.timeIntervalSince1970, id, keepSession])
  }

  /// Checks the call's code in a transaction of its own (so that a wrong one is counted, with
  /// an audit row for the account) and throws when it is wrong. An already spent ticket
  /// passes, for the change to replay or refuse.
  private func checkCode<Request: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, _ token: String, _ code: String, purpose: Etimad_Identity_V1_TicketPurpose
  ) async throws {
    let outcome = try await database.bookkeeping(.oneTimeCodeAttempt) { db, now in
      let outcome = try tickets.check(db, token: token, code: code, purpose: purpose, now: now)
      if case .wrongCode(_, let id, let attemptsLeft) = outcome {
        try AuditLog.append(
          db, principal: call.principal, method: call.method, target: "account/\(id)", requestID: nil, peer: call.peer,
          summary: attemptsLeft > 0
            ? "wrong one-time code; \(attemptsLeft) attempt\(attemptsLeft == 1 ? "" : "s") left"
            : "wrong one-time code; no attempts left, code void",
          time: now)
      }
      return outcome
    }
    switch outcome {
    case .failed(let error), .wrongCode(let error, _, _): throw error
    case .valid, .alreadyUsed: break
    }
  }
}

/// An account row.
struct Account: Sendable, FetchableRecord, Decodable {
  let idNumber: String
  let email: String
  let passwordHash: String
  let failedLogins: Int
  let lockedUntil: Double?
  let createTime: Double

  enum CodingKeys: String, CodingKey {
    case email
    case idNumber = "id_number"
    case passwordHash = "password_hash"
    case failedLogins = "failed_logins"
    case lockedUntil = "locked_until"
    case createTime = "create_time"
  }

  init(row: Row) {
    idNumber = row["id_number"]
    email = row["email"]
    passwordHash = row["password_hash"]
    failedLogins = row["failed_logins"]
    lockedUntil = row["locked_until"]
    createTime = row["create_time"]
  }

  static func load(_ db: Database, id: String) throws -> Account? {
    try Account.fetchOne(
      db.cachedStatement(
        sql: """
          SELECT a.id_number, a.email, a.password_hash, a.create_time, COALESCE(f.failures, 0) AS failed_logins,
            f.locked_until
          FROM accounts a LEFT JOIN sign_in_failures f ON f.id_number = a.id_number WHERE a.id_number = ?
          """), arguments: [id])
  }

  static func exists(_ db: Database, id: String) throws -> Bool {
    try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE id_number = ?", arguments: [id]) ?? false
  }

  func message(person: Person, now: Date) -> Etimad_Identity_V1_Account {
    Self.message(
      idNumber: idNumber, email: email, lockedUntil: lockedUntil, createTime: createTime, idType: person.idType,
      nameAr: person.nameAr, nameEn: person.nameEn, mobile: person.mobile, now: now)
  }

  /// The account as callers see it: names from the civil record, the mobile masked.
  static func message(
    idNumber: String, email: String, lockedUntil: Double?, createTime: Double, idType: String, nameAr: String,
    nameEn: String, mobile: String, now: Date
  ) -> Etimad_Identity_V1_Account {
    .with {
      $0.personID = .with {
        $0.number = idNumber
        $0.type = idType == "iqama" ? .iqama : .nationalID
      }
      $0.name = .with {
        $0.ar = nameAr
        $0.en = nameEn
      }
      $0.email = email
      $0.maskedMobile = (try? SaudiMobile(parsing: mobile).masked) ?? ""
      $0.state = (lockedUntil ?? 0) > now.timeIntervalSince1970 ? .locked : .active
      $0.createTime = .init(timeIntervalSince1970: createTime)
    }
  }
}

/// A session row (never with its token, which the database does not have).
struct StoredSession: Sendable, FetchableRecord, Decodable {
  let id: String
  let idNumber: String
  let createTime: Double
  let expireTime: Double
  let idleExpireTime: Double
  let peer: String

  enum CodingKeys: String, CodingKey {
    case id, peer
    case idNumber = "id_number"
    case createTime = "create_time"
    case expireTime = "expire_time"
    case idleExpireTime = "idle_expire_time"
  }

  init(id: String, idNumber: String, createTime: Double, expireTime: Double, idleExpireTime: Double, peer: String) {
    self.id = id
    self.idNumber = idNumber
    self.createTime = createTime
    self.expireTime = expireTime
    self.idleExpireTime = idleExpireTime
    self.peer = peer
  }

  init(row: Row) {
    id = row["id"]
    idNumber = row["id_number"]
    createTime = row["create_time"]
    expireTime = row["expire_time"]
    idleExpireTime = row["idle_expire_time"]
    peer = row["peer"]
  }

  func message(current: Bool) -> Etimad_Identity_V1_Session {
    .with {
      $0.sessionID = id
      $0.createTime = .init(timeIntervalSince1970: createTime)
      $0.expireTime = .init(timeIntervalSince1970: expireTime)
      $0.idleExpireTime = .init(timeIntervalSince1970: idleExpireTime)
      $0.peer = peer
      $0.current = current
    }
  }
}
