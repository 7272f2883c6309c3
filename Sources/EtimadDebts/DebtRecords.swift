import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf

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

/// A row of `debts`.
struct DebtRow: Sendable {
  var id: Int64
  var agencyCode: String
  var fields: DebtFields
  var state: DebtRules.State
  var reviewNote: String
  var createdBy: String
  var submittedBy: String?
  var approvedBy: String?
  var createTime: Double
  var updateTime: Double
  var submitTime: Double?
  var approveTime: Double?

  static let columns = """
    id, agency_code, debtor_id_type, debtor_id_number, debtor_name, category, reason, original_amount, due_date, \
    sadad_bill_number, attachment_refs, notes, state, review_note, created_by, submitted_by, approved_by, \
    create_time, update_time, submit_time, approve_time
    """

  init(row: SQLRow) {
    id = row[0]
    agencyCode = row[1]
    fields = DebtFields(
      debtorIDType: row[2], debtorIDNumber: row[3], debtorName: row[4], category: row[5], reason: row[6],
      amount: Halalas(row[7]), dueDate: CivilDay(row[8] as String) ?? CivilDay.epoch,
      sadadBillNumber: row[9], attachmentRefs: DebtFields.decodeList(row[10]), notes: row[11])
    state = DebtRules.State(rawValue: row[12]) ?? .draft
    reviewNote = row[13]
    createdBy = row[14]
    submittedBy = row[15]
    approvedBy = row[16]
    createTime = row[17]
    updateTime = row[18]
    submitTime = row[19]
    approveTime = row[20]
  }

  /// The debt if `caller` may see it: an agency its own, a debtor those on their ID number
  /// from OUTSTANDING on. Anything else reads as not found.
  static func load(_ db: Database, id: Int64, for caller: DebtCaller) throws -> DebtRow? {
    switch caller {
    case .agency(let code, _):
      try db.fetchOne(
        "SELECT \(columns) FROM debts WHERE id = ? AND agency_code = ?", [.int(id), .text(code)], DebtRow.init(row:))
    case .debtor(let idNumber):
      try db.fetchOne(
        "SELECT \(columns) FROM debts WHERE id = ? AND debtor_id_number = ? AND state IN \(visibleStates)",
        [.int(id), .text(idNumber)], DebtRow.init(row:))
    }
  }

  /// What a debtor sees: registered debts, not the agency's drafts.
  static let visibleStates = "('OUTSTANDING', 'PAID', 'CANCELLED')"
}

/// The editable fields of a debt, validated.
struct DebtFields: Sendable, Hashable {
  var debtorIDType: Int
  var debtorIDNumber: String
  var debtorName: String
  var category: Int
  var reason: String
  var amount: Halalas
  var dueDate: CivilDay
  var sadadBillNumber: String
  var attachmentRefs: [String]
  var notes: String

  static func decodeList(_ text: String) -> [String] {
    if text == "[]" { return [] }
    return (try? JSONDecoder().decode([String].self, from: Data(text.utf8))) ?? []
  }

  static func encodeList(_ list: [String]) -> String {
    (try? String(decoding: JSONEncoder().encode(list), as: UTF8.self)) ?? "[]"
  }

  var message: Etimad_Debts_V1_DebtDetails {
    .with {
      $0.debtorID = .with {
        $0.type = .init(rawValue: debtorIDType) ?? .unspecified
        $0.number = debtorIDNumber
      }
      $0.debtorName = debtorName
      $0.category = .init(rawValue: category) ?? .unspecified
      $0.reason = reason
      $0.amount = .sar(amount)
      $0.dueDate = dueDate.message
      $0.sadadBillNumber = sadadBillNumber
      $0.attachmentRefs = attachmentRefs
      $0.notes = notes
    }
  }
}

/// The ledger of one debt summed in SQL, in the caller's transaction or snapshot.
struct LedgerFigures: Sendable {
  var adjustments: Halalas
  var paid: Halalas
  var exempted: Halalas
  var cancelled: Halalas
  var total: Halalas

  static func sum(_ db: Database, debtID: Int64) throws -> LedgerFigures {
    let row = try Row.fetchOne(
      db.cachedStatement(
        sql: """
          SELECT
            COALESCE(SUM(CASE WHEN kind = 'ADJUSTMENT' THEN delta END), 0),
            COALESCE(-SUM(CASE WHEN kind = 'PAYMENT' THEN delta END), 0),
            COALESCE(-SUM(CASE WHEN kind = 'EXEMPTION' THEN delta END), 0),
            COALESCE(-SUM(CASE WHEN kind = 'CANCELLATION' THEN delta END), 0),
            COALESCE(SUM(delta), 0)
          FROM debt_movements WHERE debt_id = ?
          """), arguments: [debtID])
    guard let row else {
      return LedgerFigures(adjustments: .zero, paid: .zero, exempted: .zero, cancelled: .zero, total: .zero)
    }
    return LedgerFigures(
      adjustments: Halalas(row[0]), paid: Halalas(row[1]), exempted: Halalas(row[2]), cancelled: Halalas(row[3]),
      total: Halalas(row[4]))
  }
}

extension Etimad_Type_V1_Money {
  static func sar(_ amount: Halalas) -> Self {
    .with {
      $0.currencyCode = "SAR"
      $0.amountHalalas = amount.value
    }
  }
}

extension Google_Protobuf_Timestamp {
  init(unixSeconds: Double) {
    self.init(timeIntervalSince1970: unixSeconds)
  }
}

/// The views of a debt: the row plus what is derived from the ledger and the requests.
enum DebtView {
  /// The debt as `caller` sees it, with figures summed in this snapshot.
  static func debt(
    _ db: Database, _ row: DebtRow, for caller: DebtCaller, today: CivilDay, graceDays: Int
  ) throws
    -> Etimad_Debts_V1_Debt
  {
    let ledger = try LedgerFigures.sum(db, debtID: row.id)
    let changeKinds = try String.fetchAll(
      db.cachedStatement(sql: "SELECT kind FROM debt_change_requests WHERE debt_id = ? AND state = 'PENDING'"),
      arguments: [row.id])
    let reliefKinds = try String.fetchAll(
      db.cachedStatement(sql: "SELECT kind FROM debt_relief_requests WHERE debt_id = ? AND state = 'PENDING'"),
      arguments: [row.id])
    let plan = try PlanRow.latest(db, debtID: row.id)
    let balance = Halalas(row.fields.amount.value &+ ledger.total.value)
    let planState = try plan?.effectiveState(db, balance: balance, today: today, graceDays: graceDays)
    return assemble(
      row, ledger: ledger, changeKinds: changeKinds, reliefKinds: reliefKinds, planState: planState, for: caller)
  }

  /// GetDebt's read: the row, its ledger figures and pending requests in one statement (the
  /// plan, when there is one, in a second), nil when `caller` may not see it.
  /// Thrown by `load(... planReads: false)` for a debt with an instalment plan, whose state
  /// needs further statements in the same snapshot.
  struct NeedsSnapshot: Error {}

  static func load(
    _ db: any SQLStatements, id: Int64, for caller: DebtCaller, today: CivilDay, graceDays: Int,
    planReads: Bool = true
  ) throws
    -> Etimad_Debts_V1_Debt?
  {
    let owner: String
    let ownerID: String
    switch caller {
    case .agency(let code, _):
      (owner, ownerID) = ("d.agency_code = ?", code)
    case .debtor(let idNumber):
      (owner, ownerID) = ("d.debtor_id_number = ? AND d.state IN \(DebtRow.visibleStates)", idNumber)
    }
    let sql = """
      SELECT \(DebtRow.columns),
        COALESCE(m.adjustments, 0), COALESCE(m.paid, 0), COALESCE(m.exempted, 0), COALESCE(m.cancelled, 0),
        COALESCE(m.total, 0),
        (SELECT group_concat(kind) FROM debt_change_requests c WHERE c.debt_id = d.id AND c.state = 'PENDING'),
        (SELECT group_concat(kind) FROM debt_relief_requests r WHERE r.debt_id = d.id AND r.state = 'PENDING'),
        EXISTS (SELECT 1 FROM instalment_plans p WHERE p.debt_id = d.id)
      FROM debts d LEFT JOIN (
        SELECT debt_id,
          SUM(CASE WHEN kind = 'ADJUSTMENT' THEN delta END) AS adjustments,
          -SUM(CASE WHEN kind = 'PAYMENT' THEN delta END) AS paid,
          -SUM(CASE WHEN kind = 'EXEMPTION' THEN delta END) AS exempted,
          -SUM(CASE WHEN kind = 'CANCELLATION' THEN delta END) AS cancelled,
          SUM(delta) AS total
        FROM debt_movements WHERE debt_id = ? GROUP BY debt_id
      ) m ON m.debt_id = d.id
      WHERE d.id = ? AND \(owner)
      """
    let found = try db.fetchOne(sql, [.int(id), .int(id), .text(ownerID)]) { found in
      let kinds = { (list: String?) in (list ?? "").split(separator: ",").map(String.init) }
      return (
        row: DebtRow(row: found),
        ledger: LedgerFigures(
          adjustments: Halalas(found[21] as Int64), paid: Halalas(found[22] as Int64),
          exempted: Halalas(found[23] as Int64), cancelled: Halalas(found[24] as Int64),
          total: Halalas(found[25] as Int64)),
        changeKinds: kinds(found[26]), reliefKinds: kinds(found[27]), hasPlan: found[28] as Bool
      )
    }
    guard let found else { return nil }
    var planState: PlanRules.State?
    if found.hasPlan {
      // The plan's state needs further statements in the same snapshot: a GRDB read.
      guard planReads, let db = db as? Database else { throw NeedsSnapshot() }
      if let plan = try PlanRow.latest(db, debtID: id) {
        let balance = Halalas(found.row.fields.amount.value &+ found.ledger.total.value)
        planState = try plan.effectiveState(db, balance: balance, today: today, graceDays: graceDays)
      }
    }
    return assemble(
      found.row, ledger: found.ledger, changeKinds: found.changeKinds, reliefKinds: found.reliefKinds,
      planState: planState, for: caller)
  }

  static func assemble(
    _ row: DebtRow, ledger: LedgerFigures, changeKinds: [String], reliefKinds: [String],
    planState: PlanRules.State?, for caller: DebtCaller
  ) -> Etimad_Debts_V1_Debt {
    let amountDue = Halalas(row.fields.amount.value &+ ledger.adjustments.value)
    let balance = Halalas(row.fields.amount.value &+ ledger.total.value)
    let showEmployees = !caller.isDebtor
    return .with {
      $0.id = String(row.id)
      $0.agencyCode = row.agencyCode
      $0.details = row.fields.message
      $0.state = row.state.message
      $0.amountDue = .sar(amountDue)
      $0.paidAmount = .sar(ledger.paid)
      $0.exemptedAmount = .sar(ledger.exempted)
      $0.balance = .sar(balance)
      $0.pendingChangeKinds = changeKinds.sorted().map(ChangeKind.message)
      $0.pendingReliefKinds = reliefKinds.sorted().map(ReliefKindName.message)
      $0.underReview = !changeKinds.isEmpty || !reliefKinds.isEmpty
      $0.reviewNote = row.reviewNote
      if let planState { $0.planState = planState.message }
      if showEmployees {
        $0.createdBy = row.createdBy
        $0.submittedBy = row.submittedBy ?? ""
        $0.approvedBy = row.approvedBy ?? ""
      }
      $0.createTime = .init(unixSeconds: row.createTime)
      $0.updateTime = .init(unixSeconds: row.updateTime)
      if let time = row.submitTime { $0.submitTime = .init(unixSeconds: time) }
      if let time = row.approveTime { $0.approveTime = .init(unixSeconds: time) }
    }
  }
}

extension DebtRules.State {
  var message: Etimad_Debts_V1_DebtState {
    switch self {
    case .draft: .draft
    case .underReview: .underReview
    case .outstanding: .outstanding
    case .paid: .paid
    case .cancelled: .cancelled
    }
  }

  init?(_ message: Etimad_Debts_V1_DebtState) {
    switch message {
    case .draft: self = .draft
    case .underReview: self = .underReview
    case .outstanding: self = .outstanding
    case .paid: self = .paid
    case .cancelled: self = .cancelled
    default: return nil
    }
  }
}

extension RequestRules.State {
  var message: Etimad_Debts_V1_RequestState {
    switch self {
    case .new: .new
    case .pending: .pending
    case .approved: .approved
    case .rejected: .rejected
    case .withdrawn: .withdrawn
    }
  }
}

extension PlanRules.State {
  var message: Etimad_Debts_V1_InstalmentPlanState {
    switch self {
    case .active: .active
    case .completed: .completed
    case .defaulted: .defaulted
    case .cancelled: .cancelled
    }
  }
}

/// Change request kinds as stored and on the wire.
enum ChangeKind {
  static func name(_ kind: Etimad_Debts_V1_ChangeRequestKind) -> String? {
    switch kind {
    case .updateData: "UPDATE_DATA"
    case .payment: "PAYMENT"
    case .cancellation: "CANCELLATION"
    default: nil
    }
  }

  static func message(_ name: String) -> Etimad_Debts_V1_ChangeRequestKind {
    switch name {
    case "UPDATE_DATA": .updateData
    case "PAYMENT": .payment
    case "CANCELLATION": .cancellation
    default: .unspecified
    }
  }
}

/// Relief kinds as stored and on the wire.
enum ReliefKindName {
  static func name(_ kind: Etimad_Debts_V1_ReliefKind) -> String? {
    switch kind {
    case .exemption: "EXEMPTION"
    case .instalment: "INSTALMENT"
    default: nil
    }
  }

  static func message(_ name: String) -> Etimad_Debts_V1_ReliefKind {
    switch name {
    case "EXEMPTION": .exemption
    case "INSTALMENT": .instalment
    default: .unspecified
    }
  }
}
