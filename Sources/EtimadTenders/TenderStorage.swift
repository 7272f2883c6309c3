import EtimadKit
import Foundation
import GRDB
import SwiftProtobuf

/// What the tenders handler needs from storage, in the area's domain values only.
/// `TendersStore` keeps it in the embedded SQLite database (FTS5 search with the `tender_rank`
/// function); a PostgreSQL store implements the same methods and runs the same contract tests
/// (`Tests/EtimadTendersTests/TenderStorageContract.swift`).
///
/// A change loads the tender it touches inside one transaction, the pure `TenderWorkflow`
/// decides, the store writes the `TenderDecision` and reads the tender back for the change's
/// answer, exactly once per request_id and with its audit row, all in that transaction.
protocol TenderStorage: Sendable {
  var clock: any WallClock { get }

  /// Runs `change` exactly once for its request_id (see the type's comment).
  func change<Answer: Sendable>(_ change: TenderChange<Answer>) async throws -> Answer
  /// The tender with this id in any state, with its agency's names and extensions; nil when
  /// there is none (who may see it is `TenderRules.visible`).
  func tender(id: Int64) async throws -> Tender?
  /// One page of the tenders `viewer` (an agency code, or nil) may see at `now` that match
  /// `query`, and where the next page starts if there is one.
  func search(
    _ query: TenderQuery, viewer: String?, now: Int64, size: Int, after cursor: SearchCursor?
  )
    async throws -> (tenders: [Tender], next: SearchCursor?)
  /// Up to `limit` active agencies by code, after the code `after`.
  func agencies(after: String?, limit: Int) async throws -> [TenderLookup]
  /// A lookup list in its seeded order (activities: each sub-activity after its main activity).
  func lookups(_ kind: TenderLookup.Kind) async throws -> [TenderLookup]
}

/// A code with its names: an agency, region, tender type or activity.
struct TenderLookup: Sendable, Hashable {
  enum Kind: String, Sendable {
    case region, type, activity
  }

  var code: String
  var name: LocalizedString
  /// The main activity of a sub-activity.
  var parent: String?
}

/// One change as the handler asks for it: what to do, exactly once for which call, and how
/// the tender it leaves is answered (with the change's time, whole seconds since 1970).
struct TenderChange<Answer: Sendable>: Sendable {
  var action: TenderAction
  var once: ExactlyOnce<Answer>
  var answer: @Sendable (Tender, Int64) throws -> Answer
}

/// The changes of the tenders area, with the values the handler validated.
enum TenderAction: Sendable {
  case create(TenderFields, agency: String, employee: String)
  /// Applies a field mask (`paths`, for the audit) to a draft; `apply` returns the problems of
  /// the result.
  case update(
    id: Int64, agency: String, paths: [String],
    apply: @Sendable (inout TenderFields) -> [EtimadError.FieldViolation])
  case publish(id: Int64, agency: String)
  case extend(id: Int64, agency: String, employee: String, reason: String, dates: DateExtension)
  case cancel(id: Int64, agency: String, reason: String)
  case close(id: Int64, agency: String, outcome: TenderState, note: String)

  /// The tender the change touches (nil: a new one), and the agency that must own it.
  var target: (id: Int64, agency: String)? {
    switch self {
    case .create: nil
    case .update(let id, let agency, _, _), .publish(let id, let agency), .extend(let id, let agency, _, _, _),
      .cancel(let id, let agency, _), .close(let id, let agency, _, _):
      (id, agency)
    }
  }
}

/// The dates an extension asks for; nil keeps the current one.
struct DateExtension: Sendable, Hashable {
  var lastEnquiry: Int64?
  var lastOffer: Int64?
  var opening: Int64?
}

/// What the rules decided; the store writes exactly this.
enum TenderDecision: Sendable {
  case insert(TenderFields, agency: String, employee: String)
  case update(id: Int64, fields: TenderFields, paths: [String])
  case publish(id: Int64, publishTime: Int64)
  case extend(id: Int64, from: TenderDates, to: TenderDates, reason: String, employee: String)
  /// Cancelled, withdrawn, complete or unsuccessful, with the reason or note.
  case close(id: Int64, state: TenderState, reason: String)
}

extension ExactlyOnce {
  /// The call's exactly-once envelope, refusals in this area's error domain.
  init<Request: SwiftProtobuf.Message>(_ call: MutationCall<Request>) where Answer: SwiftProtobuf.Message {
    self.init(call, domain: TenderRules.domain)
  }
}
