import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `etimad.identity.v1.IdentityService`: validates, applies rate limits and the password
/// check, and leaves every change to `IdentityStore`.
public struct IdentityService: Etimad_Identity_V1_IdentityService.SimpleServiceProtocol {
  /// Rate limits of the sign-in methods, per peer address and per ID number.
  public struct Limits: Sendable {
    public var perPeer: RateLimiter.Limit
    public var perID: RateLimiter.Limit

    public init(perPeer: RateLimiter.Limit = .perMinute(60), perID: RateLimiter.Limit = .perMinute(10)) {
      self.perPeer = perPeer
      self.perID = perID
    }
  }

  let store: IdentityStore
  let agencies: AgencyRegistry
  let hasher: PasswordHasher
  let byPeer: RateLimiter
  let byID: RateLimiter
  let decoy: String

  public init(store: IdentityStore, agencies: AgencyRegistry, hasher: PasswordHasher, limits: Limits) {
    self.store = store
    self.agencies = agencies
    self.hasher = hasher
    self.byPeer = RateLimiter(limits.perPeer)
    self.byID = RateLimiter(limits.perID)
    self.decoy = hasher.decoy()
  }

  static let domain = IdentityRules.domain

  public func startRegistration(
    request: Etimad_Identity_V1_StartRegistrationRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_StartRegistrationResponse {
    let call = try mutation(request, request.requestID, context)
    var violations: [EtimadError.FieldViolation] = []
    let id = personID(request.personID, field: "person_id.number", into: &violations)
    let birth = IdentityRules.birthDate(request.birthDate, now: store.clock.now)
    if birth == nil { violations.append(Self.badBirthDate) }
    if !IdentityRules.emailValid(request.email) {
      violations.append(
        .init(
          field: "email", reason: "INVALID_EMAIL",
          description: .init(en: "Enter a valid e-mail address.", ar: "أدخل بريدًا إلكترونيًا صحيحًا.")))
    }
    violations += IdentityRules.passwordProblems(request.password, idNumber: id?.number ?? "", field: "password")
    guard violations.isEmpty, let id, let birth else {
      throw EtimadError.invalidFields(violations, domain: Self.domain)
    }
    try limit(context, id: id.number)
    if let stored: Etimad_Identity_V1_StartRegistrationResponse = try await store.database.storedResponse(
      for: call, domain: Self.domain)
    {
      return stored
    }
    let hash = try await hasher.hashOffPool(request.password)
    return try await store.startRegistration(call, id: id, birthDate: birth, email: request.email, passwordHash: hash)
  }

  public func completeRegistration(
    request: Etimad_Identity_V1_CompleteRegistrationRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_CompleteRegistrationResponse {
    let call = try mutation(request, request.requestID, context)
    try requireTicketAndCode(request.ticket, request.code)
    try limit(context, id: nil)
    return try await store.completeRegistration(call)
  }

  public func startLogin(
    request: Etimad_Identity_V1_StartLoginRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_StartLoginResponse {
    let call = try mutation(request, request.requestID, context)
    var violations: [EtimadError.FieldViolation] = []
    let id = personID(request.personID, field: "person_id.number", into: &violations)
    if request.password.isEmpty {
      violations.append(
        .init(
          field: "password", reason: "REQUIRED",
          description: .init(en: "The password is required.", ar: "كلمة المرور مطلوبة.")))
    }
    guard violations.isEmpty, let id else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    try limit(context, id: id.number)
    if let stored: Etimad_Identity_V1_StartLoginResponse = try await store.database.storedResponse(
      for: call, domain: Self.domain)
    {
      return stored
    }
    // An unknown ID is tracked, locked and answered exactly as a registered one: the same
    // statements, the same scrypt work (against a decoy hash), the same errors.
    let state = try await store.loginState(id: id.number)
    let now = store.clock.now
    if let locked = state.lockedUntil, locked > now { throw IdentityErrors.locked(until: locked, now: now) }
    let matches = await hasher.verifyOffPool(request.password, against: state.hash ?? decoy)
    guard matches, state.hash != nil else {
      let outcome = try await store.recordFailedPassword(
        id: id.number, peer: context.remotePeer, method: context.descriptor.fullyQualifiedMethod,
        summary: "login failed")
      if case .locked(let until) = outcome { throw IdentityErrors.locked(until: until, now: store.clock.now) }
      throw IdentityErrors.invalidCredentials
    }
    return try await store.startLogin(call, id: id.number)
  }

  public func verifyLogin(
    request: Etimad_Identity_V1_VerifyLoginRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_VerifyLoginResponse {
    let call = try mutation(request, request.requestID, context)
    try requireTicketAndCode(request.ticket, request.code)
    try limit(context, id: nil)
    return try await store.verifyLogin(call)
  }

  public func resendCode(
    request: Etimad_Identity_V1_ResendCodeRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_ResendCodeResponse {
    let call = try mutation(request, request.requestID, context)
    if request.ticket.isEmpty { throw EtimadError.invalidFields([Self.required("ticket")], domain: Self.domain) }
    try limit(context, id: nil)
    return try await store.resendCode(call)
  }

  public func startPasswordReset(
    request: Etimad_Identity_V1_StartPasswordResetRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_StartPasswordResetResponse {
    let call = try mutation(request, request.requestID, context)
    var violations: [EtimadError.FieldViolation] = []
    let id = personID(request.personID, field: "person_id.number", into: &violations)
    let birth = IdentityRules.birthDate(request.birthDate, now: store.clock.now)
    if birth == nil { violations.append(Self.badBirthDate) }
    guard violations.isEmpty, let id, let birth else {
      throw EtimadError.invalidFields(violations, domain: Self.domain)
    }
    try limit(context, id: id.number)
    return try await store.startPasswordReset(call, id: id.number, birthDate: birth)
  }

  public func completePasswordReset(
    request: Etimad_Identity_V1_CompletePasswordResetRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_CompletePasswordResetResponse {
    let call = try mutation(request, request.requestID, context)
    try requireTicketAndCode(request.ticket, request.code)
    try limit(context, id: nil)
    if let stored: Etimad_Identity_V1_CompletePasswordResetResponse = try await store.database.storedResponse(
      for: call, domain: Self.domain)
    {
      return stored
    }
    let owner = try await store.ticketOwner(request.ticket, purpose: .passwordReset) ?? ""
    let problems = IdentityRules.passwordProblems(request.newPassword, idNumber: owner, field: "new_password")
    guard problems.isEmpty else { throw EtimadError.invalidFields(problems, domain: Self.domain) }
    return try await store.completePasswordReset(call, passwordHash: try await hasher.hashOffPool(request.newPassword))
  }

  public func whoAmI(
    request: Etimad_Identity_V1_WhoAmIRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_WhoAmIResponse {
    switch Principal.current {
    case .anonymous:
      return .with { $0.kind = .anonymous }
    case .individual(let person):
      guard let (account, session) = try await store.whoAmI(id: person.nationalID.number, sessionID: person.sessionID)
      else { throw IdentityErrors.invalidToken }
      return .with {
        $0.kind = .individual
        $0.account = account
        $0.session = session
      }
    case .agency(let agency):
      let record = try await agencies.agency(agency.code)
      return .with {
        $0.kind = .agency
        $0.agencyCode = agency.code
        $0.employee = agency.employee ?? ""
        $0.agencyName = .with {
          $0.ar = record?.nameAr ?? ""
          $0.en = record?.nameEn ?? ""
        }
      }
    }
  }

  public func listSessions(
    request: Etimad_Identity_V1_ListSessionsRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_ListSessionsResponse {
    let person = try individual()
    let sessions = try await store.listSessions(id: person.nationalID.number, current: person.sessionID)
    return .with { $0.sessions = sessions }
  }

  public func revokeSession(
    request: Etimad_Identity_V1_RevokeSessionRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_RevokeSessionResponse {
    let call = try mutation(request, request.requestID, context)
    let person = try individual()
    if request.sessionID.isEmpty { throw EtimadError.invalidFields([Self.required("session_id")], domain: Self.domain) }
    return try await store.revokeSession(
      call, id: person.nationalID.number, sessionID: request.sessionID, summary: "session \(request.sessionID) revoked")
  }

  public func logout(
    request: Etimad_Identity_V1_LogoutRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_LogoutResponse {
    let call = try mutation(request, request.requestID, context)
    let person = try individual()
    return try await store.revokeSession(
      call, id: person.nationalID.number, sessionID: person.sessionID, summary: "logout of session \(person.sessionID)")
  }

  public func changePassword(
    request: Etimad_Identity_V1_ChangePasswordRequest, context: ServerContext
  ) async throws -> Etimad_Identity_V1_ChangePasswordResponse {
    let call = try mutation(request, request.requestID, context)
    let person = try individual()
    let problems = IdentityRules.passwordProblems(
      request.newPassword, idNumber: person.nationalID.number, field: "new_password")
    guard problems.isEmpty else { throw EtimadError.invalidFields(problems, domain: Self.domain) }
    try limit(context, id: person.nationalID.number)
    if let stored: Etimad_Identity_V1_ChangePasswordResponse = try await store.database.storedResponse(
      for: call, domain: Self.domain)
    {
      return stored
    }
    // A guess at the current password on a (possibly stolen) token counts towards the ID's
    // lockout like a failed login, and the guess that reaches the lock revokes the session.
    let state = try await store.loginState(id: person.nationalID.number)
    let now = store.clock.now
    if let locked = state.lockedUntil, locked > now { throw IdentityErrors.locked(until: locked, now: now) }
    guard await hasher.verifyOffPool(request.currentPassword, against: state.hash ?? decoy), state.hash != nil else {
      let outcome = try await store.recordFailedPassword(
        id: person.nationalID.number, peer: context.remotePeer, method: context.descriptor.fullyQualifiedMethod,
        summary: "password change refused: wrong current password", revoking: person.sessionID)
      switch outcome {
      case .locked(let until): throw IdentityErrors.locked(until: until, now: store.clock.now)
      case .counted(let failures):
        throw IdentityErrors.wrongPassword(attemptsLeft: IdentityRules.lockoutThreshold - failures)
      }
    }
    try await store.changePassword(
      call, id: person.nationalID.number, sessionID: person.sessionID,
      newHash: try await hasher.hashOffPool(request.newPassword))
    return .init()
  }

  // MARK: Helpers

  private func mutation<Request: SwiftProtobufMessageType>(
    _ request: Request, _ requestID: String, _ context: ServerContext
  )
    throws -> MutationCall<Request>
  {
    try MutationCall(request, requestID: requestID, context: context, domain: Self.domain)
  }

  private func individual() throws -> Principal.Individual {
    guard case .individual(let person) = Principal.current else { throw IdentityErrors.invalidToken }
    return person
  }

  private func personID(
    _ id: Etimad_Type_V1_PersonId, field: String, into violations: inout [EtimadError.FieldViolation]
  ) -> NationalID? {
    do {
      let parsed = try NationalID(parsing: id.number, expected: id.type.kind)
      guard parsed.kind != .borderNumber else { throw NationalID.Problem.wrongFirstDigit }
      return parsed
    } catch {
      violations.append(FieldRules.violation(error, field: field))
      return nil
    }
  }

  private func requireTicketAndCode(_ ticket: String, _ code: String) throws {
    var violations: [EtimadError.FieldViolation] = []
    if ticket.isEmpty { violations.append(Self.required("ticket")) }
    let digits = Digits.normalized(code)
    if digits.count != 6 || !Digits.allASCIIDigits(digits) {
      violations.append(
        .init(
          field: "code", reason: "SIX_DIGITS",
          description: .init(en: "The code has 6 digits.", ar: "يتكون الرمز من 6 أرقام.")))
    }
    if !violations.isEmpty { throw EtimadError.invalidFields(violations, domain: Self.domain) }
  }

  private func limit(_ context: ServerContext, id: String?) throws {
    let now = store.clock.now
    if let wait = byPeer.take(Self.peerAddress(context.remotePeer), now: now) { throw IdentityErrors.rateLimited(wait) }
    if let id, let wait = byID.take(id, now: now) { throw IdentityErrors.rateLimited(wait) }
  }

  /// The address part of a peer ("ipv4:127.0.0.1:5555" -> "ipv4:127.0.0.1"): the port
  /// changes with every connection.
  static func peerAddress(_ peer: String) -> String {
    guard let colon = peer.lastIndex(of: ":") else { return peer }
    return String(peer[..<colon])
  }

  static func required(_ field: String) -> EtimadError.FieldViolation {
    .init(
      field: field, reason: "REQUIRED", description: .init(en: "\(field) is required.", ar: "الحقل \(field) مطلوب."))
  }

  static let badBirthDate = EtimadError.FieldViolation(
    field: "birth_date", reason: "INVALID_DATE",
    description: .init(
      en: "Enter the birth date as on the civil record (a real past date, Gregorian or Hijri).",
      ar: "أدخل تاريخ الميلاد كما في السجل المدني (تاريخ صحيح سابق، ميلادي أو هجري)."))
}

typealias SwiftProtobufMessageType = SwiftProtobuf.Message
