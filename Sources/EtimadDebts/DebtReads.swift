import EtimadKit
import Foundation
import GRDB

/// The SQL reads of the debts tables, each through a named column list. GetDebt, the lists and
/// every change read a debt through the same statement and row reader (`DebtColumn`).
enum DebtReads {
  /// What a debtor sees: registered debts, not the agency's drafts.
  static let visibleStates = "('OUTSTANDING', 'PAID', 'CANCELLED')"

  /// The caller's own scope on `debts d`, and its argument.
  static func owner(_ caller: DebtCaller) -> (sql: String, argument: SQLArgument) {
    switch caller {
    case .agency(let code, _): ("d.agency_code = ?", .text(code))
    case .debtor(let idNumber): ("d.debtor_id_number = ? AND d.state IN \(visibleStates)", .text(idNumber))
    }
  }

  static let byIDForAgency = DebtColumn.select(
    movements: "debt_id = ?", debts: "d.id = ? AND \(owner(.agency(code: "", employee: nil)).sql)")
  static let byIDForDebtor = DebtColumn.select(
    movements: "debt_id = ?", debts: "d.id = ? AND \(owner(.debtor(idNumber: "")).sql)")
  static let byID = DebtColumn.select(movements: "debt_id = ?", debts: "d.id = ?")

  /// The debt's row, figures and pending requests if `caller` may see it (any debt for the
  /// platform's own jobs, `caller` nil), and whether it has a plan: one statement.
  static func row(
    _ db: any SQLStatements, id: Int64, caller: DebtCaller?
  ) throws
    -> (snapshot: DebtSnapshot, hasPlan: Bool)?
  {
    switch caller {
    case nil:
      try db.fetchOne(byID, [.int(id), .int(id)], DebtColumn.snapshot)
    case .agency(let code, _)?:
      try db.fetchOne(byIDForAgency, [.int(id), .int(id), .text(code)], DebtColumn.snapshot)
    case .debtor(let idNumber)?:
      try db.fetchOne(byIDForDebtor, [.int(id), .int(id), .text(idNumber)], DebtColumn.snapshot)
    }
  }

  /// The whole snapshot (with the latest plan) in this transaction or snapshot.
  static func debt(_ db: Database, id: Int64, caller: DebtCaller?) throws -> DebtSnapshot? {
    guard let found = try row(db, id: id, caller: caller) else { return nil }
    var snapshot = found.snapshot
    if found.hasPlan { snapshot.plan = try latestPlan(db, debtID: id) }
    return snapshot
  }

  /// Whether `caller` may see the debt.
  static func visible(_ db: Database, id: Int64, caller: DebtCaller) throws -> Bool {
    let (owner, argument) = owner(caller)
    return try db.fetchOne("SELECT 1 FROM debts d WHERE d.id = ? AND \(owner)", [.int(id), argument]) { _ in true }
      ?? false
  }

  /// Up to `limit` debts matching `filter` in the caller's scope, newest first, below `after`.
  static func page(
    _ db: Database, _ filter: DebtFilter, caller: DebtCaller, limit: Int, after: Int64?
  ) throws
    -> [(snapshot: DebtSnapshot, hasPlan: Bool)]
  {
    let (owner, ownerArgument) = owner(caller)
    var conditions = [owner]
    var arguments = [ownerArgument]
    if let debtor = filter.debtor {
      conditions.append("d.debtor_id_number = ?")
      arguments.append(.text(debtor))
    }
    if let state = filter.state {
      conditions.append("d.state = ?")
      arguments.append(.text(state.rawValue))
    }
    if let from = filter.createdFrom {
      conditions.append("d.create_time >= ?")
      arguments.append(.int(StoredTime.milliseconds(from)))
    }
    if let before = filter.createdBefore {
      conditions.append("d.create_time < ?")
      arguments.append(.int(StoredTime.milliseconds(before)))
    }
    if let from = filter.dueFrom {
      conditions.append("d.due_date >= ?")
      arguments.append(.text(from.description))
    }
    if let to = filter.dueTo {
      conditions.append("d.due_date <= ?")
      arguments.append(.text(to.description))
    }
    if let after {
      conditions.append("d.id < ?")
      arguments.append(.int(after))
    }
    // The same page of ids scopes the ledger sums and the rows: one statement for the page.
    let page = "\(conditions.joined(separator: " AND ")) ORDER BY d.id DESC LIMIT ?"
    let sql = DebtColumn.select(movements: "debt_id IN (SELECT d.id FROM debts d WHERE \(page))", debts: page)
    let all = arguments + [.int(limit)]
    return try db.fetchAll(sql, all + all, DebtColumn.snapshot)
  }

  static func latestPlan(_ db: Database, debtID: Int64) throws -> Plan? {
    try plan(
      db, "SELECT \(PlanColumn.selectList) FROM instalment_plans WHERE debt_id = ? ORDER BY id DESC LIMIT 1", debtID)
  }

  static func plan(_ db: Database, id: Int64) throws -> Plan? {
    try plan(db, "SELECT \(PlanColumn.selectList) FROM instalment_plans WHERE id = ?", id)
  }

  private static func plan(_ db: Database, _ sql: String, _ argument: Int64) throws -> Plan? {
    guard var plan = try db.fetchOne(sql, [.int(argument)], PlanColumn.plan) else { return nil }
    plan.instalments = try db.fetchAll(
      "SELECT \(InstalmentColumn.selectList) FROM instalments WHERE plan_id = ? ORDER BY number", [.int(plan.id)],
      InstalmentColumn.instalment)
    return plan
  }

  static func changeRequest(_ db: Database, id: Int64) throws -> ChangeRequest? {
    try db.fetchOne(
      "SELECT \(ChangeRequestColumn.selectList) FROM debt_change_requests WHERE id = ?", [.int(id)],
      ChangeRequestColumn.request)
  }

  static func reliefRequest(_ db: Database, id: Int64) throws -> ReliefRequest? {
    try db.fetchOne(
      "SELECT \(ReliefRequestColumn.selectList) FROM debt_relief_requests WHERE id = ?", [.int(id)],
      ReliefRequestColumn.request)
  }

  static func movement(_ db: Database, id: Int64) throws -> Movement? {
    try db.fetchOne(
      "SELECT \(MovementColumn.selectList) FROM debt_movements WHERE id = ?", [.int(id)], MovementColumn.movement)
  }

  /// Whether the agency already recorded this SADAD reference (on any of its debts).
  static func sadadReferenceUsed(_ db: Database, agency: String, _ reference: String) throws -> Bool {
    try db.fetchOne(
      "SELECT EXISTS (SELECT 1 FROM debt_movements WHERE agency_code = ? AND sadad_reference = ?)",
      [.text(agency), .text(reference)]
    ) { $0[0] as Bool } ?? false
  }

  /// Whether the debt was credited under a reference key (`PaymentReference.key`): a SADAD
  /// notice, or an approved PAYMENT request that gave it. One payment is credited once,
  /// whichever way it arrived.
  static func credited(_ db: Database, debtID: Int64, key: String) throws -> Bool {
    try db.fetchOne(
      """
      SELECT EXISTS (SELECT 1 FROM debt_movements WHERE debt_id = ? AND payment_reference = ?)
        OR EXISTS (SELECT 1 FROM debt_movements WHERE debt_id = ? AND upper(sadad_reference) = ?)
      """, [.int(debtID), .text(key), .int(debtID), .text(key)]
    ) { $0[0] as Bool } ?? false
  }
}
