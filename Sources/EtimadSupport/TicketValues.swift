import EtimadKit
import Foundation

/// The status of a ticket, stored as its stable text code.
public enum TicketStatus: String, Sendable, Hashable, CaseIterable {
  case open
  case inProgress = "in_progress"
  case awaitingRequester = "awaiting_requester"
  case resolved, closed
}

/// What a ticket asks for, stored as its stable text code.
public enum RequestKind: String, Sendable, Hashable, CaseIterable {
  case enquiry, complaint, suggestion
  case technicalProblem = "technical_problem"
}

/// The requester's identity document, stored as its stable text code.
public enum DocumentKind: String, Sendable, Hashable, CaseIterable {
  case nationalID = "national_id"
  case iqama
  case borderNumber = "border_number"
  case passport
}

/// Who wrote a message, stored as its stable text code.
public enum MessageKind: String, Sendable, Hashable, CaseIterable {
  /// The requester.
  case requester
  /// A staff answer, shown to the requester.
  case reply
  /// An internal note: staff only.
  case note
}

/// The person a ticket is from, validated.
public struct RequesterDetails: Sendable, Hashable {
  public var name: String
  public var document: DocumentKind
  /// ASCII digits (IDs) or upper-case letters and digits (passports).
  public var documentNumber: String
  public var mobile: SaudiMobile
  /// Empty when none was given.
  public var email: String
}

/// A new ticket as the rules accepted it.
public struct TicketDraft: Sendable, Hashable {
  public var requester: RequesterDetails
  /// The national ID or iqama of the signed-in individual who opens it; nil when anonymous.
  public var owner: String?
  public var mainService: String
  public var subService: String
  public var kind: RequestKind
  public var title: String
  public var details: String
}

/// A stored ticket.
public struct Ticket: Sendable, Hashable {
  public var id: Int64
  /// `ET-2612-000123`.
  public var number: String
  public var status: TicketStatus
  public var requester: RequesterDetails
  public var owner: String?
  public var mainService: String
  public var subService: String
  public var kind: RequestKind
  public var title: String
  public var details: String
  public var openTime: Date
  public var updateTime: Date
  public var firstResponseTime: Date?
  /// The employee it is assigned to.
  public var assignee: String?
}

/// A stored message of a ticket.
public struct TicketMessage: Sendable, Hashable {
  public var id: Int64
  public var kind: MessageKind
  public var body: String
  /// The employee for replies and notes; empty for the requester.
  public var author: String
  public var createTime: Date
}

/// A message a change adds.
public struct NewMessage: Sendable, Hashable {
  public var kind: MessageKind
  public var body: String
  public var author: String
}

/// An SMS a change queues (in its transaction, through the outbox).
public struct OutgoingSMS: Sendable, Hashable {
  public var to: SaudiMobile
  public var body: String
}

/// What the rules decided a change of a ticket does; the store writes exactly this.
public struct TicketDecision: Sendable, Hashable {
  public var status: TicketStatus?
  /// `.some(nil)` unassigns.
  public var assignee: String??
  public var message: NewMessage?
  public var firstResponseTime: Date?
  public var sms: OutgoingSMS?
  /// The audit row's summary: short, English, free of personal data.
  public var summary: String

  public init(
    status: TicketStatus? = nil, assignee: String?? = nil, message: NewMessage? = nil,
    firstResponseTime: Date? = nil, sms: OutgoingSMS? = nil, summary: String
  ) {
    self.status = status
    self.assignee = assignee
    self.message = message
    self.firstResponseTime = firstResponseTime
    self.sms = sms
    self.summary = summary
  }
}

/// A challenge solved and checked, to be recorded as spent in the ticket's transaction.
public struct SpentChallenge: Sendable, Hashable {
  /// The challenge's random identifier, hex.
  public var id: String
  /// Until when it must stay recorded (after that it is refused as expired anyway).
  public var expireTime: Date
}

/// An anonymous follow-up code: the hash is stored, the plain code only sent by SMS.
public struct AccessCode: Sendable, Hashable {
  public var code: String
  public var hash: Data
  public var expireTime: Date
}

/// The civil record of a signed-in individual, which fills a ticket's contact fields.
public struct RequesterProfile: Sendable, Hashable {
  public var idNumber: String
  public var document: DocumentKind
  public var nameArabic: String
  public var mobile: String
  public var email: String
}

/// What staff filter the ticket list by.
public struct TicketFilter: Sendable, Hashable {
  public var statuses: Set<TicketStatus> = []
  public var mainService: String?
  public var openedFrom: Date?
  public var openedBefore: Date?
  public var assignee: String?
  /// Only tickets unanswered, not resolved or closed, and opened before this instant.
  public var overdueBefore: Date?

  public init() {}
}

/// A ticket's opening and first answer, for the figures.
public struct ResponseSample: Sendable, Hashable {
  public var openTime: Date
  public var firstResponseTime: Date?
}

/// Who reads or follows up a ticket.
public enum TicketReader: Sendable, Hashable {
  /// The signed-in individual (national ID or iqama number).
  case individual(String)
  /// An anonymous holder of a ticket token for this ticket number.
  case tokenHolder(String)
  /// An employee of the support agency.
  case staff(String)
}
