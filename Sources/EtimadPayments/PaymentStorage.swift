import EtimadKit
import Foundation
import GRDB
import SwiftProtobuf

/// What the payments handler needs from storage, in the area's domain values only.
/// `PaymentsStore` keeps it in the embedded SQLite database; a PostgreSQL store implements the
/// same methods and runs the same contract tests (`Tests/EtimadPaymentsTests/PaymentStorageContract.swift`).
///
/// Reads return only what the viewer may see (an individual their own payments, an agency
/// its sectors'). A change loads its `PaymentSnapshot` inside one transaction, the pure
/// `PaymentWorkflow` decides, the store writes the `PaymentDecision` and reads the records
/// back for the change's answer, exactly once per request_id and with its audit row, all in
/// that transaction: the rules run in the same order whichever store is behind this.
protocol PaymentStorage: Sendable {
  var clock: any WallClock { get }

  // MARK: Catalogue

  func sectors() async throws -> [PaymentsCatalogue.SectorEntry]
  /// The services of one sector, or of every sector when `sector` is nil.
  func services(sector: String?) async throws -> [PaymentsCatalogue.ServiceEntry]
  /// The codes of the sectors an agency records, in order.
  func sectorCodes(agency: String) async throws -> [String]

  // MARK: Inquiry

  /// Up to `limit` of the viewer's payments matching `query`, newest first (paid time, then
  /// id), after `cursor`.
  func payments(
    _ query: PaymentQuery, viewer: Viewer, after cursor: TimeCursor?, limit: Int
  ) async throws
    -> [Payment]
  /// A payment the viewer may see with its ledger and refund requests; nil when unknown or
  /// not the viewer's (the same to the caller).
  func payment(id: Int64, viewer: Viewer) async throws -> PaymentDetails?
  /// Up to `limit` CANCELLED movements of the viewer's payments, newest first, after `cursor`.
  func cancelledOperations(
    viewer: Viewer, after cursor: TimeCursor?, limit: Int
  ) async throws
    -> [CancelledOperation]
  /// The viewer's balances per sector, in sector code order (sectors without payments left out).
  func balances(viewer: Viewer) async throws -> [SectorBalance]
  /// Up to `limit` refund requests on the agency's sectors, oldest first, with ids above `after`.
  func refundRequests(
    agency: String, state: RefundState?, after: Int64, limit: Int
  ) async throws
    -> [RefundRequest]

  // MARK: Export

  /// The export's bound and row count, read together when it starts.
  func exportSnapshot(scopes: [PaymentScope], query: PaymentQuery) async throws -> ExportSnapshot
  /// Up to `limit` rows of `scope` within `snapshot`, newest first after `cursor`, written by
  /// `writer` straight into the chunk: an export keeps one page in memory, however long.
  func exportChunk(
    scope: PaymentScope, query: PaymentQuery, snapshot: ExportSnapshot, after cursor: TimeCursor?,
    writer: ExportWriter, limit: Int
  ) async throws -> ExportChunk

  // MARK: Changes

  /// Runs `change` exactly once for its request_id (see the type's comment).
  func change<Answer: Sendable>(_ change: PaymentChange<Answer>) async throws -> Answer
}

/// One change as the handler asks for it: what to do, exactly once for which call, and how
/// the outcome is answered. The answer is opaque to storage: the kit keeps it for a retry with
/// the same request_id.
struct PaymentChange<Answer: Sendable>: Sendable {
  var action: PaymentAction
  var once: ExactlyOnce<Answer>
  var answer: @Sendable (PaymentOutcome) throws -> Answer
}

/// The changes of the payments area, with the values the handler validated.
enum PaymentAction: Sendable, Hashable {
  /// A sector's agency records a payment (exactly once by SADAD reference in the sector).
  case record(NewPayment, agency: String)
  /// A sector's agency records a CONSUMED, CANCELLED or (direct) REFUNDED movement.
  case move(paymentID: Int64, agency: String, change: PaymentBalance.Change, note: String)
  /// An individual asks for a refund of a refundable amount to an IBAN.
  case requestRefund(NewRefund, requester: String)
  /// A sector's agency completes (paid to the IBAN) or rejects a pending refund request.
  case decideRefund(refundID: Int64, agency: String, employee: String?, complete: Bool, note: String)
}

/// What a change's rules need, loaded inside its transaction.
struct PaymentSnapshot: Sendable, Hashable {
  /// Recording: the agency of the sector named (nil: no such sector), whether the sector has
  /// the service, and the payment already recorded with the same SADAD reference in it.
  var sectorAgency: String?
  var serviceKnown = false
  var sameReference: Payment?
  /// The payment the change touches, when the caller may see it.
  var payment: Payment?
  /// The refund request a decision is about, when it is on one of the agency's sectors.
  var refund: RefundRequest?
}

/// What the rules decided; the store writes exactly this.
enum PaymentDecision: Sendable, Hashable {
  /// A new payment, with its PAID movement at its paid time.
  case insert(NewPayment)
  /// The same payment reported again: nothing is written, the first record is the answer.
  case alreadyRecorded(Payment)
  /// A new balance for the payment, and the movement that explains it.
  case move(paymentID: Int64, balance: PaymentBalance, movement: NewMovement)
  /// A refund request on the payment, reserving its amount (and a REFUND_REQUESTED movement).
  case openRefund(NewRefund, requester: String, sectorCode: String, balance: PaymentBalance)
  /// A decided refund request, the payment's new balance, and the movement
  /// (REFUNDED or REFUND_REJECTED).
  case closeRefund(
    refundID: Int64, paymentID: Int64, state: RefundState, note: String, employee: String?,
    balance: PaymentBalance, movement: NewMovement)
}

/// A ledger movement to append; its time is the change's.
struct NewMovement: Sendable, Hashable {
  var kind: MovementKind
  var amount: Halalas
  var note: String
}

/// The records a change leaves, read back in its transaction for the answer.
struct PaymentOutcome: Sendable, Hashable {
  var payment: Payment
  var movement: PaymentMovement?
  var refund: RefundRequest?
}

extension ExactlyOnce {
  /// The call's exactly-once envelope, refusals in this area's error domain.
  init<Request: SwiftProtobuf.Message>(_ call: MutationCall<Request>) where Answer: SwiftProtobuf.Message {
    self.init(call, domain: PaymentsRules.domain)
  }
}
