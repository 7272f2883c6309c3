import EtimadKit
import Foundation

// The debts area's domain values: what the rules decide on, what storage keeps and returns,
// and what the handler turns into messages. No wire type and no database type appears here.

/// Who is acting on or reading a debt, from the authenticated principal.
enum DebtCaller: Sendable, Hashable {
  case agency(code: String, employee: String?)
  case debtor(idNumber: String)

  init?(_ principal: Principal) {
    switch principal {
    case .agency(let agency): self = .agency(code: agency.code, employee: agency.employee)
    case .individual(let person): self = .debtor(idNumber: person.nationalID.number)
    case .anonymous: return nil
    }
  }

  var party: RequestRules.Party {
    switch self {
    case .agency: .agency
    case .debtor: .debtor
    }
  }

  var employee: String? {
    if case .agency(_, let employee) = self { return employee }
    return nil
  }

  var actor: RequestRules.Actor { .init(party: party, employee: employee) }

  var isDebtor: Bool { party == .debtor }

  /// The caller's side and identity, for binding page tokens (not the employee).
  var pagingKey: String { "\(recordedAs.kind):\(recordedAs.id)" }

  /// (kind, id) as movements and the audit trail record them.
  var recordedAs: (kind: String, id: String) {
    switch self {
    case .agency(let code, _): ("agency", code)
    case .debtor(let id): ("individual", id)
    }
  }
}

/// What a debt is owed for.
enum DebtCategory: String, CaseIterable, Sendable, Hashable {
  case fine = "FINE"
  case fee = "FEE"
  /// Salary or allowance paid in excess, to be returned.
  case overpayment = "OVERPAYMENT"
  case loan = "LOAN"
  case rent = "RENT"
  case other = "OTHER"
}

extension NationalID.Kind {
  /// The stable code a document kind is stored as.
  var code: String {
    switch self {
    case .nationalID: "NATIONAL_ID"
    case .iqama: "IQAMA"
    case .borderNumber: "BORDER_NUMBER"
    }
  }

  init?(code: String) {
    switch code {
    case "NATIONAL_ID": self = .nationalID
    case "IQAMA": self = .iqama
    case "BORDER_NUMBER": self = .borderNumber
    default: return nil
    }
  }
}

/// The editable fields of a debt, validated.
struct DebtFields: Sendable, Hashable {
  var debtorIDType: NationalID.Kind
  var debtorIDNumber: String
  var debtorName: String
  var category: DebtCategory
  var reason: String
  var amount: Halalas
  var dueDate: CivilDay
  var sadadBillNumber: String
  var attachmentRefs: [String]
  var notes: String
}

/// A debt as registered (its figures are derived from the ledger, never stored here).
struct Debt: Sendable, Hashable {
  var id: Int64
  var agencyCode: String
  var fields: DebtFields
  var state: DebtRules.State
  var reviewNote: String
  var createdBy: String
  var submittedBy: String?
  var approvedBy: String?
  var createTime: Date
  var updateTime: Date
  var submitTime: Date?
  var approveTime: Date?
}

/// The ledger of one debt, summed: what each kind of movement did to the balance.
struct LedgerFigures: Sendable, Hashable {
  /// Sum of ADJUSTMENT deltas (signed).
  var adjustments: Halalas
  /// What payments, exemptions and cancellations took off (each >= 0).
  var paid: Halalas
  var exempted: Halalas
  var cancelled: Halalas
  /// Sum of every delta.
  var total: Halalas

  static let zero = LedgerFigures(adjustments: .zero, paid: .zero, exempted: .zero, cancelled: .zero, total: .zero)

  /// THE balance of a debt: its registered amount plus every movement, checked. Every place
  /// that needs a balance (a view, a rule, a summary, the job) comes here.
  static func balance(amount: Halalas, movements: Halalas) throws(Halalas.Problem) -> Halalas {
    try amount.adding(movements)
  }

  func balance(of amount: Halalas) throws(Halalas.Problem) -> Halalas {
    try Self.balance(amount: amount, movements: total)
  }

  /// The amount due: the registered amount plus the adjustments so far.
  func amountDue(of amount: Halalas) throws(Halalas.Problem) -> Halalas {
    try amount.adding(adjustments)
  }
}

/// The kinds of change request.
enum ChangeKind: String, CaseIterable, Sendable, Hashable {
  case updateData = "UPDATE_DATA"
  case payment = "PAYMENT"
  case cancellation = "CANCELLATION"
}

/// The kinds of relief request.
enum ReliefKind: String, CaseIterable, Sendable, Hashable {
  case exemption = "EXEMPTION"
  case instalment = "INSTALMENT"
}

/// The kinds of ledger movement.
enum MovementKind: String, CaseIterable, Sendable, Hashable {
  case payment = "PAYMENT"
  case adjustment = "ADJUSTMENT"
  case exemption = "EXEMPTION"
  case cancellation = "CANCELLATION"
}

/// A change or relief request, as movements name their source (`change-request/12`).
enum RequestRef: Sendable, Hashable {
  case change(Int64)
  case relief(Int64)

  var source: String {
    switch self {
    case .change(let id): "change-request/\(id)"
    case .relief(let id): "relief-request/\(id)"
    }
  }
}

/// A request still pending on a debt.
struct PendingRequest: Sendable, Hashable {
  enum Kind: Sendable, Hashable {
    case change(ChangeKind)
    case relief(ReliefKind)
  }
  var id: Int64
  var kind: Kind

  var ref: RequestRef {
    switch kind {
    case .change: .change(id)
    case .relief: .relief(id)
    }
  }
}

/// A change request.
struct ChangeRequest: Sendable, Hashable {
  var id: Int64
  var debtID: Int64
  var kind: ChangeKind
  var state: RequestRules.State
  var raiser: RequestRules.Actor
  var amount: Halalas?
  var paymentReference: String
  /// UPDATE_DATA: the new values, validated when the request was raised.
  var patch: DebtPatch?
  var reason: String
  var decisionNote: String
  var decidedBy: String?
  var createTime: Date
  var decideTime: Date?
}

/// A relief request (always raised by the debtor).
struct ReliefRequest: Sendable, Hashable {
  var id: Int64
  var debtID: Int64
  var kind: ReliefKind
  var state: RequestRules.State
  var amount: Halalas?
  var full: Bool
  var instalmentCount: Int?
  var firstDueDate: CivilDay?
  var reason: String
  var attachmentRefs: [String]
  var decisionNote: String
  var decidedBy: String?
  var planID: Int64?
  var createTime: Date
  var decideTime: Date?
}

/// One movement of the append-only ledger.
struct Movement: Sendable, Hashable {
  var id: Int64
  var debtID: Int64
  var kind: MovementKind
  /// The effect on the balance (negative for payments, exemptions and cancellations).
  var delta: Halalas
  var balanceAfter: Halalas
  var recordTime: Date
  var effectiveTime: Date
  var actorKind: String
  var actorID: String
  var employee: String?
  var requestID: String
  var sadadReference: String?
  var paymentReference: String?
  var source: String?
}

/// An instalment plan with its instalments.
struct Plan: Sendable, Hashable {
  struct Instalment: Sendable, Hashable {
    var number: Int
    var due: CivilDay
    var amount: Halalas
  }

  var id: Int64
  var debtID: Int64
  var reliefRequestID: Int64
  var state: PlanRules.State
  var total: Halalas
  var createTime: Date
  var closeTime: Date?
  var instalments: [Instalment]

  /// What has been paid into the plan: how far the balance fell below the plan's total.
  func settled(balance: Halalas) throws(Halalas.Problem) -> Halalas {
    Halalas(max(0, try total.subtracting(balance).value))
  }
}

/// A debt with everything its view and its rules need, read in one snapshot or transaction:
/// the row, its ledger figures, its pending requests and its latest plan.
struct DebtSnapshot: Sendable, Hashable {
  var debt: Debt
  var ledger: LedgerFigures
  var pending: [PendingRequest]
  /// The latest plan (nil when the debt never had one).
  var plan: Plan?

  func balance() throws(Halalas.Problem) -> Halalas { try ledger.balance(of: debt.fields.amount) }
  func amountDue() throws(Halalas.Problem) -> Halalas { try ledger.amountDue(of: debt.fields.amount) }
}

/// The filters of a debt list; the caller's own scope (agency or debtor) is always applied.
struct DebtFilter: Sendable, Hashable {
  var state: DebtRules.State?
  var debtor: String?
  var createdFrom: Date?
  var createdBefore: Date?
  var dueFrom: CivilDay?
  var dueTo: CivilDay?
}

/// One page of a list, with the id to continue after (nil on the last page).
struct DebtPage<Item: Sendable>: Sendable {
  var items: [Item]
  var last: Int64?
}

/// The debts of one state on a debtor's ID number: how many, and their balances summed.
struct DebtStateTotal: Sendable, Hashable {
  var state: DebtRules.State
  var count: Int
  var balance: Halalas
}

/// A payment reference as compared: its ASCII letters and digits, upper case (BNK-77, bnk77
/// and BNK77 name one payment); nil when nothing is left.
enum PaymentReference {
  static func key(_ reference: String) -> String? {
    let kept = reference.unicodeScalars.filter {
      $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
    }
    let key = String(String.UnicodeScalarView(kept)).uppercased()
    return key.isEmpty ? nil : key
  }
}
