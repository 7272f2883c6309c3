import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `etimad.support.v1.SupportService`: reads the request into the area's values, lets the
/// pure rules decide and `SupportStorage` keep the tickets; converts the answer back.
public struct SupportService: Etimad_Support_V1_SupportService.SimpleServiceProtocol {
  let store: any SupportStorage
  let clock: any WallClock
  let challenges: ChallengeIssuer
  let access: TicketAccess
  let paging: Paging
  let settings: SupportSettings
  let byPeer: RateLimiter
  let byMobile: RateLimiter
  let codeSends: RateLimiter
  let codeTries: RateLimiter

  static let domain = TicketRules.domain

  public init(
    store: any SupportStorage, clock: any WallClock, challenges: ChallengeIssuer, access: TicketAccess,
    paging: Paging, settings: SupportSettings
  ) {
    self.store = store
    self.clock = clock
    self.challenges = challenges
    self.access = access
    self.paging = paging
    self.settings = settings
    self.byPeer = RateLimiter(.perMinute(settings.ratePerPeerPerMinute))
    self.byMobile = RateLimiter(
      .init(capacity: settings.ratePerMobilePerHour, refillPerSecond: settings.ratePerMobilePerHour / 3600))
    // Three codes and five tries per ticket every ten minutes.
    self.codeSends = RateLimiter(.init(capacity: 3, refillPerSecond: 3.0 / 600))
    self.codeTries = RateLimiter(.init(capacity: 5, refillPerSecond: 5.0 / 600))
  }

  // MARK: Anyone

  public func getContactChannels(
    request: Etimad_Support_V1_GetContactChannelsRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_GetContactChannelsResponse {
    let now = clock.now
    return .with {
      $0.channels = ContactChannel.all.map { SupportWire.channel($0, now: now) }
      $0.timeZone = RiyadhCalendars.timeZone.identifier
      $0.serverTime = SupportWire.time(now)
      $0.responseTarget = SupportWire.duration(ContactChannel.responseTarget)
    }
  }

  public func listSupportCatalogue(
    request: Etimad_Support_V1_ListSupportCatalogueRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_ListSupportCatalogueResponse {
    .with {
      $0.mainServices = SupportCatalogue.mainServices.map { main in
        .with {
          $0.code = main.entry.code
          $0.name = SupportWire.text(main.entry.name)
          $0.subServices = main.subServices.map { sub in
            .with {
              $0.code = sub.code
              $0.name = SupportWire.text(sub.name)
            }
          }
        }
      }
      $0.requestTypes = SupportCatalogue.requestKinds.map { entry in
        .with {
          $0.type = SupportWire.requestType(entry.kind)
          $0.name = SupportWire.text(entry.name)
        }
      }
    }
  }

  public func getChallenge(
    request: Etimad_Support_V1_GetChallengeRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_GetChallengeResponse {
    let host = Self.peerHost(context.remotePeer)
    try limit(byPeer, host)
    let issued = challenges.issue(host: host, now: clock.now)
    return .with {
      $0.challenge = issued.challenge
      $0.difficultyBits = Int32(issued.bits)
      $0.expireTime = SupportWire.time(issued.expireTime)
    }
  }

  public func openTicket(
    request: Etimad_Support_V1_OpenTicketRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_OpenTicketResponse {
    let call = try MutationCall(request, requestID: request.requestID, context: context, domain: Self.domain)
    let once = ExactlyOnceCall<Etimad_Support_V1_OpenTicketResponse>(call)
    if let first = try await store.answered(once) { return first }
    var spent: SpentChallenge?
    var profile: RequesterProfile?
    switch call.principal {
    case .individual(let person):
      profile = try await store.profile(idNumber: person.nationalID.number)
    default:
      let host = Self.peerHost(context.remotePeer)
      try limit(byPeer, host)
      spent = try challenges.check(
        challenge: request.challenge.challenge, nonce: request.challenge.nonce, host: host, now: clock.now)
    }
    let draft = try TicketValidation.draft(SupportWire.form(request), profile: profile).get()
    try limit(byMobile, draft.requester.mobile.e164)
    return try await store.open(draft, challenge: spent, once: once) { ticket in
      .with { $0.ticket = SupportWire.ticket(ticket, staff: false) }
    }
  }

  // MARK: Requester follow-up

  public func sendTicketAccessCode(
    request: Etimad_Support_V1_SendTicketAccessCodeRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_SendTicketAccessCodeResponse {
    let call = try MutationCall(request, requestID: request.requestID, context: context, domain: Self.domain)
    let number = try Self.ticketNumber(request.ticketNumber)
    try limit(byPeer, Self.peerHost(context.remotePeer))
    try limit(codeSends, number)
    let code = access.newCode(number: number, now: clock.now)
    return try await store.sendAccessCode(number: number, code: code, once: ExactlyOnceCall(call)) {
      .with { $0.expireTime = SupportWire.time(code.expireTime) }
    }
  }

  public func verifyTicketAccess(
    request: Etimad_Support_V1_VerifyTicketAccessRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_VerifyTicketAccessResponse {
    let number = try Self.ticketNumber(request.ticketNumber)
    let code = Digits.normalized(request.code)
    guard code.count == 6, Digits.allASCIIDigits(code) else {
      throw EtimadError.invalidFields(
        [
          .init(
            field: "code", reason: "SIX_DIGITS",
            description: .init(en: "The code has 6 digits.", ar: "يتكون الرمز من 6 أرقام."))
        ],
        domain: Self.domain)
    }
    try limit(codeTries, number)
    let now = clock.now
    guard let stored = try await store.accessCode(number: number),
      access.codeMatches(code, number: number, stored: stored, now: now)
    else { throw SupportErrors.wrongCode }
    let token = access.token(number: number, now: now)
    return .with {
      $0.ticketToken = token.token
      $0.expireTime = SupportWire.time(token.expireTime)
    }
  }

  public func getTicket(
    request: Etimad_Support_V1_GetTicketRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_GetTicketResponse {
    try refuseOtherAgencies()
    let number = try Self.ticketNumber(request.ticketNumber)
    let reader = try reader(number: number, token: request.ticketToken)
    let ticket = try await readable(number, by: reader)
    return .with { $0.ticket = SupportWire.ticket(ticket, staff: reader.isStaff) }
  }

  public func listMessages(
    request: Etimad_Support_V1_ListMessagesRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_ListMessagesResponse {
    try refuseOtherAgencies()
    let number = try Self.ticketNumber(request.ticketNumber)
    let size = try Paging.pageSize(request.pageSize, default: 50, maximum: 200, domain: Self.domain)
    let reader = try reader(number: number, token: request.ticketToken)
    let filters = "messages|\(number)|\(reader.isStaff)"
    let after = try paging.cursor(Int64.self, from: request.pageToken, filters: filters, domain: Self.domain)
    let ticket = try await readable(number, by: reader)
    let messages = try await store.messages(
      ticketID: ticket.id, includeNotes: reader.isStaff, after: after, limit: size + 1)
    return .with {
      $0.messages = messages.prefix(size).map { SupportWire.message($0, staff: reader.isStaff) }
      if messages.count > size, let last = messages.prefix(size).last {
        $0.nextPageToken = paging.token(for: last.id, filters: filters)
      }
    }
  }

  public func addMessage(
    request: Etimad_Support_V1_AddMessageRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_AddMessageResponse {
    let call = try MutationCall(request, requestID: request.requestID, context: context, domain: Self.domain)
    let number = try Self.ticketNumber(request.ticketNumber)
    let reader = try reader(number: number, token: request.ticketToken)
    let body = try TicketValidation.body(request.body)
    return try await store.change(
      number: number, once: ExactlyOnceCall(call),
      decide: { ticket, _ in
        guard TicketRules.canRead(ticket, as: reader) else { throw SupportErrors.ticketNotFound }
        return try TicketRules.requesterMessage(ticket, body: body)
      },
      answer: { ticket, message in
        .with {
          if let message { $0.message = SupportWire.message(message, staff: false) }
          $0.ticket = SupportWire.ticket(ticket, staff: false)
        }
      })
  }

  // MARK: Helpers

  /// Who follows up `number`: staff of the support agency, the signed-in individual (or the
  /// holder of a ticket token, signed in or not).
  func reader(number: String, token: String) throws -> TicketReader {
    switch Principal.current {
    case .agency:
      return .staff(try staffEmployee())
    case .individual(let person) where token.isEmpty:
      return .individual(person.nationalID.number)
    default:
      guard !token.isEmpty else { throw SupportErrors.tokenRequired }
      try access.check(token: token, number: number, now: clock.now)
      return .tokenHolder(number)
    }
  }

  /// Agencies other than the support agency are refused before anything else is read.
  func refuseOtherAgencies() throws {
    if case .agency = Principal.current { _ = try staffEmployee() }
  }

  func readable(_ number: String, by reader: TicketReader) async throws -> Ticket {
    guard let ticket = try await store.ticket(number: number), TicketRules.canRead(ticket, as: reader) else {
      throw SupportErrors.ticketNotFound
    }
    return ticket
  }

  /// The acting employee of the platform's support agency; other agencies are refused.
  func staffEmployee() throws -> String {
    guard case .agency(let agency) = Principal.current, agency.code == settings.supportAgency else {
      throw SupportErrors.notSupportStaff
    }
    return agency.employee ?? ""
  }

  func limit(_ limiter: RateLimiter, _ key: String) throws {
    if let wait = limiter.take(key, now: clock.now) { throw SupportErrors.rateLimited(wait) }
  }

  /// A ticket number as typed, in its stored form; one that cannot be a ticket's is NOT_FOUND.
  static func ticketNumber(_ raw: String) throws -> String {
    let number = raw.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
    if number.isEmpty { throw EtimadError.invalidFields([SupportErrors.required("ticket_number")], domain: domain) }
    guard number.wholeMatch(of: /ET-\d{4}-\d{6,9}/) != nil else { throw SupportErrors.ticketNotFound }
    return number
  }

  /// The address part of a peer ("ipv4:127.0.0.1:5555" -> "ipv4:127.0.0.1"): the port
  /// changes with every connection.
  static func peerHost(_ peer: String) -> String {
    guard let colon = peer.lastIndex(of: ":") else { return peer }
    return String(peer[..<colon])
  }
}

extension TicketReader {
  var isStaff: Bool {
    if case .staff = self { return true }
    return false
  }
}
