import EtimadKit
import Foundation
import GRDB
import SwiftProtobuf

/// What the support handler needs from storage, in the area's domain values only.
/// `SupportStore` keeps it in the embedded SQLite database; another store (PostgreSQL)
/// implements the same methods. Changes run exactly once per request_id with their audit row
/// and any SMS in one transaction: the store loads the ticket, the pure `decide` (the same
/// whichever store) says what changes, the store writes it.
public protocol SupportStorage: Sendable {
  /// The civil record of a signed-in individual, which fills a ticket's contact fields.
  func profile(idNumber: String) async throws -> RequesterProfile?

  /// Records `challenge` as spent (refused with `ChallengeProblem.used` when it already is),
  /// numbers and stores the ticket, and queues the SMS with its number.
  func open<Answer: Sendable>(
    _ draft: TicketDraft, challenge: SpentChallenge?, once: ExactlyOnceCall<Answer>,
    answer: @escaping @Sendable (Ticket) throws -> Answer
  ) async throws -> Answer

  func ticket(number: String) async throws -> Ticket?

  /// The answer already given to this call's request_id, if any: a retry is answered before
  /// its challenge (perhaps expired since) or the rate limits are checked again.
  func answered<Answer: Sendable>(_ once: ExactlyOnceCall<Answer>) async throws -> Answer?

  /// Messages of a ticket oldest first, after the message id `after`; notes only when asked.
  func messages(ticketID: Int64, includeNotes: Bool, after: Int64?, limit: Int) async throws -> [TicketMessage]

  /// Replaces the ticket's follow-up code and queues it by SMS to the ticket's mobile; does
  /// nothing (but the exactly-once record and audit row) when there is no such ticket.
  func sendAccessCode<Answer: Sendable>(
    number: String, code: AccessCode, once: ExactlyOnceCall<Answer>, answer: @escaping @Sendable () -> Answer
  ) async throws -> Answer

  /// The stored follow-up code of a ticket, if any.
  func accessCode(number: String) async throws -> (hash: Data, expireTime: Date)?

  /// Loads the ticket, lets `decide` say what changes (throwing refuses the change, NOT_FOUND
  /// included), writes that, and answers from the ticket as changed and the message added.
  func change<Answer: Sendable>(
    number: String, once: ExactlyOnceCall<Answer>,
    decide: @escaping @Sendable (Ticket, Date) throws -> TicketDecision,
    answer: @escaping @Sendable (Ticket, TicketMessage?) throws -> Answer
  ) async throws -> Answer

  /// Tickets matching `filter`, newest first, with ids below `before`.
  func tickets(_ filter: TicketFilter, before: Int64?, limit: Int) async throws -> [Ticket]

  /// Opening and first answer of the tickets opened in [from, to).
  func responseSamples(from: Date, to: Date) async throws -> [ResponseSample]
}

/// The kit's exactly-once envelope, refusals in the support domain.
public typealias ExactlyOnceCall = ExactlyOnce

extension ExactlyOnce {
  public init<Request: SwiftProtobuf.Message>(_ call: MutationCall<Request>) where Answer: SwiftProtobuf.Message {
    self.init(call, domain: TicketRules.domain)
  }
}
