import EtimadKit
import Foundation

/// The pure rules of tickets: who may see one, which status moves are allowed, and what each
/// change does. The same whichever store keeps the tickets.
public enum TicketRules {
  public static let domain = "support.etimad.sa"

  /// Moves staff may make with ChangeStatus. CLOSED is final; a RESOLVED ticket may be taken
  /// up again.
  public static let transitions: [TicketStatus: Set<TicketStatus>] = [
    .open: [.inProgress, .awaitingRequester, .resolved, .closed],
    .inProgress: [.awaitingRequester, .resolved, .closed],
    .awaitingRequester: [.inProgress, .resolved, .closed],
    .resolved: [.inProgress, .closed],
    .closed: [],
  ]

  /// Whether `reader` may see `ticket`.
  public static func canRead(_ ticket: Ticket, as reader: TicketReader) -> Bool {
    switch reader {
    case .staff: true
    case .individual(let id): ticket.owner == id
    case .tokenHolder(let number): ticket.number == number
    }
  }

  /// Staff move `ticket` to `status`.
  public static func changeStatus(
    _ ticket: Ticket, to status: TicketStatus, employee: String
  ) throws(TicketRuleError)
    -> TicketDecision
  {
    guard ticket.status != status else { throw .sameStatus(status) }
    guard transitions[ticket.status, default: []].contains(status) else {
      throw .invalidTransition(from: ticket.status, to: status)
    }
    return TicketDecision(status: status, summary: "status \(ticket.status.rawValue) -> \(status.rawValue)")
  }

  /// The requester writes: a RESOLVED ticket reopens, one AWAITING_REQUESTER is taken up again.
  public static func requesterMessage(_ ticket: Ticket, body: String) throws(TicketRuleError) -> TicketDecision {
    let status: TicketStatus? =
      switch ticket.status {
      case .closed: throw .closed
      case .resolved: .open
      case .awaitingRequester: .inProgress
      case .open, .inProgress: nil
      }
    return TicketDecision(
      status: status, message: NewMessage(kind: .requester, body: body, author: ""),
      summary: "requester message" + (status.map { ", status -> \($0.rawValue)" } ?? ""))
  }

  /// Staff answer the requester: the first answer sets the first response time, an OPEN
  /// ticket becomes IN_PROGRESS, and an SMS tells the requester an answer is waiting.
  public static func reply(
    _ ticket: Ticket, body: String, employee: String, now: Date
  ) throws(TicketRuleError)
    -> TicketDecision
  {
    guard ticket.status != .closed else { throw .closed }
    return TicketDecision(
      status: ticket.status == .open ? .inProgress : nil,
      message: NewMessage(kind: .reply, body: body, author: employee),
      firstResponseTime: ticket.firstResponseTime == nil ? now : nil,
      sms: OutgoingSMS(to: ticket.requester.mobile, body: TicketTexts.replySMS(number: ticket.number)),
      summary: "staff reply")
  }

  /// Staff write an internal note (on any ticket, closed ones included).
  public static func note(_ ticket: Ticket, body: String, employee: String) -> TicketDecision {
    TicketDecision(message: NewMessage(kind: .note, body: body, author: employee), summary: "internal note")
  }

  /// Staff assign (or unassign, with nil) a ticket that is not closed.
  public static func assign(_ ticket: Ticket, to assignee: String?) throws(TicketRuleError) -> TicketDecision {
    guard ticket.status != .closed else { throw .closed }
    return TicketDecision(assignee: .some(assignee), summary: assignee.map { "assigned to \($0)" } ?? "unassigned")
  }

  /// Whether the ticket waits for a first answer past the response target at `now`.
  public static func isOverdue(_ ticket: Ticket, now: Date) -> Bool {
    ticket.firstResponseTime == nil && ticket.status != .resolved && ticket.status != .closed
      && now.timeIntervalSince(ticket.openTime) > ContactChannel.responseTarget
  }

  /// `ET-<YYMM>-<sequence>` for the `sequence`th ticket of the month of `date` in Riyadh.
  public static func number(month: String, sequence: Int64) -> String {
    "ET-\(month)-\(Digits.zeroPadded(sequence, width: 6))"
  }

  /// The YYMM of `date` in Riyadh time, which numbers the tickets of its month.
  public static func month(of date: Date) -> String {
    let parts = RiyadhCalendars.gregorian.dateComponents([.year, .month], from: date)
    return Digits.zeroPadded((parts.year ?? 0) % 100, width: 2) + Digits.zeroPadded(parts.month ?? 0, width: 2)
  }
}

/// The SMS texts of the area, Arabic first.
public enum TicketTexts {
  public static func openedSMS(number: String) -> String {
    "اعتماد: تم استلام بلاغك رقم \(number). Etimad: your ticket \(number) was received."
  }

  public static func replySMS(number: String) -> String {
    "اعتماد: وصلك رد على البلاغ \(number). Etimad: an answer to ticket \(number) is waiting."
  }

  public static func accessCodeSMS(number: String, code: String) -> String {
    "اعتماد: رمز متابعة البلاغ \(number): \(code). Etimad ticket code: \(code)"
  }
}

/// A change the rules refuse.
public enum TicketRuleError: DomainError, Hashable {
  case closed
  case sameStatus(TicketStatus)
  case invalidTransition(from: TicketStatus, to: TicketStatus)

  public var etimadError: EtimadError {
    switch self {
    case .closed:
      EtimadError(
        code: .failedPrecondition, reason: "TICKET_CLOSED", domain: TicketRules.domain,
        message: .init(
          en: "This ticket is closed; open a new ticket.", ar: "هذا البلاغ مغلق؛ يرجى فتح بلاغ جديد."))
    case .sameStatus(let status):
      EtimadError(
        code: .failedPrecondition, reason: "SAME_STATUS", domain: TicketRules.domain,
        message: .init(en: "The ticket already has this status.", ar: "البلاغ في هذه الحالة بالفعل."),
        metadata: ["status": status.rawValue.uppercased()])
    case .invalidTransition(let from, let to):
      EtimadError(
        code: .failedPrecondition, reason: "INVALID_TRANSITION", domain: TicketRules.domain,
        message: .init(
          en: "A ticket cannot move from \(from.rawValue.uppercased()) to \(to.rawValue.uppercased()).",
          ar: "لا يمكن نقل البلاغ من هذه الحالة إلى الحالة المطلوبة."),
        metadata: ["from": from.rawValue.uppercased(), "to": to.rawValue.uppercased()])
    }
  }
}
