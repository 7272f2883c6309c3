import EtimadKit
import Foundation

/// The columns one statement selects, named, in the order selected: the SQL select list is
/// built from the cases and each value is read by its case, so a column added to the list can
/// never shift another one's position (`SQLRow` reads by position, for speed).
protocol ColumnList: RawRepresentable<Int>, CaseIterable where AllCases == [Self] {
  /// The expression selected.
  var sql: String { get }
}

extension ColumnList {
  /// The select list, in case order.
  static var selectList: String { allCases.map(\.sql).joined(separator: ", ") }
}

extension SQLRow {
  subscript<Value: SQLColumnDecodable, Column: ColumnList>(_ column: Column) -> Value {
    self[column.rawValue]
  }

  /// A stored code read back as its enum; a code this version does not know is an error.
  func code<Code: RawRepresentable<String>, Column: ColumnList>(
    _ column: Column, as: Code.Type = Code.self
  ) throws
    -> Code
  {
    let text: String = self[column]
    guard let value = Code(rawValue: text) else { throw UnreadableColumn(column: column.sql, value: text) }
    return value
  }

  func day<Column: ColumnList>(_ column: Column) throws -> CivilDay {
    let text: String = self[column]
    guard let day = CivilDay(text) else { throw UnreadableColumn(column: column.sql, value: text) }
    return day
  }

  func time<Column: ColumnList>(_ column: Column) -> Date { StoredTime.date(self[column]) }

  func optionalTime<Column: ColumnList>(_ column: Column) -> Date? {
    (self[column] as Int64?).map(StoredTime.date)
  }

  func halalas<Column: ColumnList>(_ column: Column) -> Halalas { Halalas(self[column]) }

  func optionalHalalas<Column: ColumnList>(_ column: Column) -> Halalas? { (self[column] as Int64?).map(Halalas.init) }
}

/// A stored value this version cannot read: never written by this code, so a bug or a
/// hand-edited database, reported rather than read as some default.
struct UnreadableColumn: Error, CustomStringConvertible {
  var column: String
  var value: String
  var description: String { "unreadable value in \(column): \(value)" }
}

/// Instants as the debts tables store them: integer milliseconds since 1970 (as payments do).
enum StoredTime {
  static func milliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
  }

  static func date(_ milliseconds: Int64) -> Date {
    Date(timeIntervalSince1970: Double(milliseconds) / 1000)
  }
}

// MARK: The debt read shared by GetDebt, the lists and every change

/// The debt row, its ledger sums, its pending requests and whether it has a plan, in one
/// statement (`m` is the ledger summed per debt, over the debts in scope).
enum DebtColumn: Int, ColumnList {
  case id, agencyCode, debtorIDType, debtorIDNumber, debtorName, category, reason, originalAmount, dueDate
  case sadadBillNumber, attachmentRefs, notes, state, reviewNote, createdBy, submittedBy, approvedBy
  case createTime, updateTime, submitTime, approveTime
  case adjustments, payments, exemptions, cancellations, movementTotal
  case pendingChanges, pendingReliefs, hasPlan

  var sql: String {
    switch self {
    case .id: "d.id"
    case .agencyCode: "d.agency_code"
    case .debtorIDType: "d.debtor_id_type"
    case .debtorIDNumber: "d.debtor_id_number"
    case .debtorName: "d.debtor_name"
    case .category: "d.category"
    case .reason: "d.reason"
    case .originalAmount: "d.original_amount"
    case .dueDate: "d.due_date"
    case .sadadBillNumber: "d.sadad_bill_number"
    case .attachmentRefs: "d.attachment_refs"
    case .notes: "d.notes"
    case .state: "d.state"
    case .reviewNote: "d.review_note"
    case .createdBy: "d.created_by"
    case .submittedBy: "d.submitted_by"
    case .approvedBy: "d.approved_by"
    case .createTime: "d.create_time"
    case .updateTime: "d.update_time"
    case .submitTime: "d.submit_time"
    case .approveTime: "d.approve_time"
    case .adjustments: "COALESCE(m.adjustments, 0)"
    case .payments: "COALESCE(m.payments, 0)"
    case .exemptions: "COALESCE(m.exemptions, 0)"
    case .cancellations: "COALESCE(m.cancellations, 0)"
    case .movementTotal: "COALESCE(m.total, 0)"
    case .pendingChanges:
      "(SELECT group_concat(c.id || ':' || c.kind) FROM debt_change_requests c WHERE c.debt_id = d.id AND c.state = 'PENDING')"
    case .pendingReliefs:
      "(SELECT group_concat(r.id || ':' || r.kind) FROM debt_relief_requests r WHERE r.debt_id = d.id AND r.state = 'PENDING')"
    case .hasPlan: "EXISTS (SELECT 1 FROM instalment_plans p WHERE p.debt_id = d.id)"
    }
  }

  /// The statement: debts `d` matching `debts` (a condition and its order and limit), with the
  /// ledger summed over the movements matching `movements`. Every sum is SQLite's SUM, which
  /// fails on overflow; the balance is added up in Swift, checked (`LedgerFigures`).
  static func select(movements: String, debts: String) -> String {
    """
    SELECT \(selectList)
    FROM debts d LEFT JOIN (
      SELECT debt_id,
        SUM(CASE WHEN kind = 'ADJUSTMENT' THEN delta END) AS adjustments,
        SUM(CASE WHEN kind = 'PAYMENT' THEN delta END) AS payments,
        SUM(CASE WHEN kind = 'EXEMPTION' THEN delta END) AS exemptions,
        SUM(CASE WHEN kind = 'CANCELLATION' THEN delta END) AS cancellations,
        SUM(delta) AS total
      FROM debt_movements WHERE \(movements) GROUP BY debt_id
    ) m ON m.debt_id = d.id
    WHERE \(debts)
    """
  }

  /// The row as a snapshot (without its plan), and whether the debt has a plan to load.
  static func snapshot(_ row: SQLRow) throws -> (snapshot: DebtSnapshot, hasPlan: Bool) {
    let fields = DebtFields(
      debtorIDType: try idType(row[Self.debtorIDType]), debtorIDNumber: row[Self.debtorIDNumber],
      debtorName: row[Self.debtorName], category: try row.code(DebtColumn.category),
      reason: row[Self.reason], amount: row.halalas(DebtColumn.originalAmount),
      dueDate: try row.day(DebtColumn.dueDate),
      sadadBillNumber: row[Self.sadadBillNumber], attachmentRefs: try StoredList.decode(row[Self.attachmentRefs]),
      notes: row[Self.notes])
    let debt = Debt(
      id: row[Self.id], agencyCode: row[Self.agencyCode], fields: fields, state: try row.code(DebtColumn.state),
      reviewNote: row[Self.reviewNote], createdBy: row[Self.createdBy], submittedBy: row[Self.submittedBy],
      approvedBy: row[Self.approvedBy], createTime: row.time(DebtColumn.createTime),
      updateTime: row.time(DebtColumn.updateTime), submitTime: row.optionalTime(DebtColumn.submitTime),
      approveTime: row.optionalTime(DebtColumn.approveTime))
    let ledger = LedgerFigures(
      adjustments: row.halalas(DebtColumn.adjustments),
      paid: try Halalas.zero.subtracting(row.halalas(DebtColumn.payments)),
      exempted: try Halalas.zero.subtracting(row.halalas(DebtColumn.exemptions)),
      cancelled: try Halalas.zero.subtracting(row.halalas(DebtColumn.cancellations)),
      total: row.halalas(DebtColumn.movementTotal))
    let pending =
      try pendingList(row[Self.pendingChanges]) { ChangeKind(rawValue: $0).map(PendingRequest.Kind.change) }
      + pendingList(row[Self.pendingReliefs]) { ReliefKind(rawValue: $0).map(PendingRequest.Kind.relief) }
    return (DebtSnapshot(debt: debt, ledger: ledger, pending: pending, plan: nil), row[Self.hasPlan])
  }

  private static func idType(_ code: String) throws -> NationalID.Kind {
    guard let kind = NationalID.Kind(code: code) else { throw UnreadableColumn(column: "debtor_id_type", value: code) }
    return kind
  }

  /// `12:PAYMENT,15:UPDATE_DATA` (group_concat of id:kind) as pending requests.
  private static func pendingList(
    _ list: String?, _ kind: (String) -> PendingRequest.Kind?
  ) throws
    -> [PendingRequest]
  {
    guard let list, !list.isEmpty else { return [] }
    return try list.split(separator: ",").map { item in
      let parts = item.split(separator: ":", maxSplits: 1)
      guard parts.count == 2, let id = Int64(parts[0]), let kind = kind(String(parts[1])) else {
        throw UnreadableColumn(column: "pending requests", value: list)
      }
      return PendingRequest(id: id, kind: kind)
    }
  }
}

// MARK: The other tables

enum MovementColumn: Int, ColumnList {
  case id, debtID, kind, delta, balanceAfter, recordTime, effectiveTime, actorKind, actorID, employee, requestID
  case sadadReference, paymentReference, source

  var sql: String {
    switch self {
    case .id: "id"
    case .debtID: "debt_id"
    case .kind: "kind"
    case .delta: "delta"
    case .balanceAfter: "balance_after"
    case .recordTime: "record_time"
    case .effectiveTime: "effective_time"
    case .actorKind: "actor_kind"
    case .actorID: "actor_id"
    case .employee: "employee"
    case .requestID: "request_id"
    case .sadadReference: "sadad_reference"
    case .paymentReference: "payment_reference"
    case .source: "source"
    }
  }

  static func movement(_ row: SQLRow) throws -> Movement {
    Movement(
      id: row[Self.id], debtID: row[Self.debtID], kind: try row.code(Self.kind), delta: row.halalas(Self.delta),
      balanceAfter: row.halalas(Self.balanceAfter), recordTime: row.time(Self.recordTime),
      effectiveTime: row.time(Self.effectiveTime), actorKind: row[Self.actorKind], actorID: row[Self.actorID],
      employee: row[Self.employee], requestID: row[Self.requestID], sadadReference: row[Self.sadadReference],
      paymentReference: row[Self.paymentReference], source: row[Self.source])
  }
}

enum ChangeRequestColumn: Int, ColumnList {
  case id, debtID, kind, state, raisedBy, raisedByEmployee, amount, paymentReference, newFields, reason
  case decisionNote, decidedBy, createTime, decideTime

  var sql: String {
    switch self {
    case .id: "id"
    case .debtID: "debt_id"
    case .kind: "kind"
    case .state: "state"
    case .raisedBy: "raised_by"
    case .raisedByEmployee: "raised_by_employee"
    case .amount: "amount"
    case .paymentReference: "payment_reference"
    case .newFields: "new_fields"
    case .reason: "reason"
    case .decisionNote: "decision_note"
    case .decidedBy: "decided_by"
    case .createTime: "create_time"
    case .decideTime: "decide_time"
    }
  }

  static func request(_ row: SQLRow) throws -> ChangeRequest {
    let raisedBy: String = row[Self.raisedBy]
    guard let party = StoredParty.party(raisedBy) else { throw UnreadableColumn(column: "raised_by", value: raisedBy) }
    return ChangeRequest(
      id: row[Self.id], debtID: row[Self.debtID], kind: try row.code(Self.kind), state: try row.code(Self.state),
      raiser: .init(party: party, employee: row[Self.raisedByEmployee]), amount: row.optionalHalalas(Self.amount),
      paymentReference: row[Self.paymentReference],
      patch: try (row[Self.newFields] as String?).map(DebtPatch.init(json:)), reason: row[Self.reason],
      decisionNote: row[Self.decisionNote], decidedBy: row[Self.decidedBy], createTime: row.time(Self.createTime),
      decideTime: row.optionalTime(Self.decideTime))
  }
}

/// The side that raised a change request, as stored.
enum StoredParty {
  static func code(_ party: RequestRules.Party) -> String {
    switch party {
    case .debtor: "DEBTOR"
    case .agency: "AGENCY"
    }
  }

  static func party(_ code: String) -> RequestRules.Party? {
    switch code {
    case "DEBTOR": .debtor
    case "AGENCY": .agency
    default: nil
    }
  }
}

enum ReliefRequestColumn: Int, ColumnList {
  case id, debtID, kind, state, amount, full, instalmentCount, firstDueDate, reason, attachmentRefs
  case decisionNote, decidedBy, planID, createTime, decideTime

  var sql: String {
    switch self {
    case .id: "id"
    case .debtID: "debt_id"
    case .kind: "kind"
    case .state: "state"
    case .amount: "amount"
    case .full: "full"
    case .instalmentCount: "instalment_count"
    case .firstDueDate: "first_due_date"
    case .reason: "reason"
    case .attachmentRefs: "attachment_refs"
    case .decisionNote: "decision_note"
    case .decidedBy: "decided_by"
    case .planID: "plan_id"
    case .createTime: "create_time"
    case .decideTime: "decide_time"
    }
  }

  static func request(_ row: SQLRow) throws -> ReliefRequest {
    let first: String? = row[Self.firstDueDate]
    return ReliefRequest(
      id: row[Self.id], debtID: row[Self.debtID], kind: try row.code(Self.kind), state: try row.code(Self.state),
      amount: row.optionalHalalas(Self.amount), full: row[Self.full], instalmentCount: row[Self.instalmentCount],
      firstDueDate: try first.map { text in
        guard let day = CivilDay(text) else { throw UnreadableColumn(column: "first_due_date", value: text) }
        return day
      },
      reason: row[Self.reason], attachmentRefs: try StoredList.decode(row[Self.attachmentRefs]),
      decisionNote: row[Self.decisionNote], decidedBy: row[Self.decidedBy], planID: row[Self.planID],
      createTime: row.time(Self.createTime), decideTime: row.optionalTime(Self.decideTime))
  }
}

enum PlanColumn: Int, ColumnList {
  case id, debtID, reliefRequestID, state, total, createTime, closeTime

  var sql: String {
    switch self {
    case .id: "id"
    case .debtID: "debt_id"
    case .reliefRequestID: "relief_request_id"
    case .state: "state"
    case .total: "total"
    case .createTime: "create_time"
    case .closeTime: "close_time"
    }
  }

  /// The plan without its instalments.
  static func plan(_ row: SQLRow) throws -> Plan {
    Plan(
      id: row[Self.id], debtID: row[Self.debtID], reliefRequestID: row[Self.reliefRequestID],
      state: try row.code(Self.state), total: row.halalas(Self.total), createTime: row.time(Self.createTime),
      closeTime: row.optionalTime(Self.closeTime), instalments: [])
  }
}

enum InstalmentColumn: Int, ColumnList {
  case number, dueDate, amount

  var sql: String {
    switch self {
    case .number: "number"
    case .dueDate: "due_date"
    case .amount: "amount"
    }
  }

  static func instalment(_ row: SQLRow) throws -> Plan.Instalment {
    Plan.Instalment(number: row[Self.number], due: try row.day(Self.dueDate), amount: row.halalas(Self.amount))
  }
}
