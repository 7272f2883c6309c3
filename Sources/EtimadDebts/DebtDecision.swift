import EtimadKit
import Foundation

/// What a change reads before the rules decide: loaded by the store inside the change's
/// transaction, so the figures the rules check are the figures the writes land on.
struct ChangeSnapshot: Sendable {
  /// The debt concerned (nil only for a new debt).
  var debt: DebtSnapshot?
  /// The request the change acts on, when it acts on one.
  var changeRequest: ChangeRequest?
  var reliefRequest: ReliefRequest?
  /// Whether the agency already recorded the SADAD reference in play (`DebtTarget`).
  var sadadReferenceUsed = false
  /// Whether the debt was already credited under the payment reference in play: the one of a
  /// SADAD notice, of a PAYMENT request raised, or of the PAYMENT request being decided.
  var alreadyCredited = false

  /// The debt, which every change but a creation has.
  func requireDebt() throws -> DebtSnapshot {
    guard let debt else { throw DebtsErrors.debtNotFound }
    return debt
  }
}

/// Which records a change loads, checked against the caller (NOT_FOUND when not theirs).
enum DebtTarget: Sendable, Hashable {
  /// A debt being created.
  case newDebt
  /// A debt, with the payment references its rules compare (`PaymentReference.key` form for
  /// `credited`; the SADAD reference as given for `sadad`).
  case debt(Int64, sadad: String? = nil, credited: String? = nil)
  /// A change request and its debt; a PAYMENT request's reference is compared.
  case changeRequest(Int64)
  /// A relief request and its debt.
  case reliefRequest(Int64)
}

/// What the rules decided a change writes. The store writes it as it is, in its transaction,
/// in a fixed order (new rows, plan moves, fields and state, the movement, closed requests,
/// new requests and plans, decisions), then reads the records back for the answer.
struct DebtDecision: Sendable {
  /// A new DRAFT debt.
  var newDebt: NewDebt?
  /// New fields of the debt (its registered amount included).
  var fields: DebtFields?
  /// A review step of the debt (submit, approve, reject), with its new state.
  var review: Review?
  /// The debt's new state after a movement.
  var state: DebtRules.State?
  /// The movement posted.
  var movement: NewMovement?
  /// Plan state changes, in order.
  var planMoves: [PlanMove] = []
  /// Requests the platform closes (the debt closed under them).
  var closedRequests: [RequestRef] = []
  var closedState = RequestRules.State.rejected
  var closedNote = ""
  var newChange: NewChange?
  var newRelief: NewRelief?
  var newPlan: NewPlan?
  /// The decision on the change or relief request acted on.
  var requestDecision: RequestDecision?
  /// Audit rows of the platform's own doings (a plan defaulted, a request closed), besides
  /// the caller's row that every change writes.
  var systemAudits: [SystemAudit] = []
  /// Whether the answer shows the debt (withdrawals answer with the request alone).
  var answersWithDebt = true
  /// The caller's audit row, worded once the new rows have their ids.
  var audit: @Sendable (WrittenIDs) -> String = { _ in "" }

  struct NewDebt: Sendable {
    var fields: DebtFields
    var agencyCode: String
    var employee: String
  }

  struct Review: Sendable {
    enum Step: Sendable {
      case submitted(by: String?)
      case approved(by: String?)
      case rejected(note: String)
    }
    var step: Step
    var state: DebtRules.State
  }

  struct NewMovement: Sendable {
    var kind: MovementKind
    var delta: Halalas
    var balanceAfter: Halalas
    var effectiveTime: Date
    var actorKind: String
    var actorID: String
    var employee: String?
    var sadadReference: String?
    var paymentReference: String?
    var source: String?
  }

  struct PlanMove: Sendable {
    var planID: Int64
    var state: PlanRules.State
  }

  struct NewChange: Sendable {
    var kind: ChangeKind
    var state: RequestRules.State
    var raiser: RequestRules.Actor
    var amount: Halalas?
    var paymentReference: String
    var patch: DebtPatch?
    var reason: String
  }

  struct NewRelief: Sendable {
    var kind: ReliefKind
    var state: RequestRules.State
    var amount: Halalas?
    var full: Bool
    var instalmentCount: Int?
    var firstDueDate: CivilDay?
    var reason: String
    var attachmentRefs: [String]
  }

  struct NewPlan: Sendable {
    var reliefRequestID: Int64
    var total: Halalas
    var instalments: [(due: CivilDay, amount: Halalas)]
  }

  struct RequestDecision: Sendable {
    var request: RequestRef
    var state: RequestRules.State
    /// nil leaves the stored note and decider as they are (a withdrawal).
    var note: String?
    var decidedBy: String?
  }

  struct SystemAudit: Sendable {
    var kind: String
    var id: String
    var method: String
    var requestID: String?
    var summary: String
  }
}

/// The ids of what a change wrote, for its audit row and its answer.
struct WrittenIDs: Sendable {
  var debt: Int64
  var changeRequest: Int64?
  var reliefRequest: Int64?
  var movement: Int64?
  var plan: Int64?
}

/// What a change answers with, read back after its writes.
struct DebtOutcome: Sendable {
  var debt: DebtSnapshot?
  var changeRequest: ChangeRequest?
  var reliefRequest: ReliefRequest?
  var movement: Movement?
  var plan: Plan?
}
