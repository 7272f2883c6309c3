import EtimadKit
import Foundation
import GRDB

/// The debts area's storage on the embedded SQLite database. Every change is one write
/// transaction (through the kit's `mutate`: exactly once by request_id, with its audit row)
/// that loads the snapshot, lets the change's rules decide, and writes the decision; GRDB's
/// single writer serializes them, so a balance checked is the balance a movement lands on.
public struct DebtsStore: DebtStorage {
  let database: EtimadDatabase
  /// Days an instalment may stay unpaid past its due date.
  let graceDays: Int

  public init(database: EtimadDatabase, graceDays: Int) {
    self.database = database
    self.graceDays = graceDays
  }

  var clock: any WallClock { database.clock }

  // MARK: Changes

  func change<Answer: Sendable>(_ change: DebtChange<Answer>) async throws -> Answer {
    let requestID = change.once.requestID
    return try await change.once.run(on: database) { db, now in
      let snapshot = try Self.snapshot(db, change.target, caller: change.caller)
      let decision = try change.decide(snapshot, now)
      let ids = try Self.write(
        db, decision, debtID: snapshot.debt?.debt.id ?? 0, requestID: requestID, now: now)
      let outcome = try Self.outcome(db, ids, answersWithDebt: decision.answersWithDebt, caller: change.caller)
      return (
        try change.answer(outcome, now), AuditRecord(target: "debt/\(ids.debt)", summary: decision.audit(ids))
      )
    }
  }

  /// What a change reads, checked against the caller.
  static func snapshot(_ db: Database, _ target: DebtTarget, caller: DebtCaller) throws -> ChangeSnapshot {
    var snapshot = ChangeSnapshot()
    switch target {
    case .newDebt:
      break
    case .debt(let id, let sadad, let credited):
      guard let debt = try DebtReads.debt(db, id: id, caller: caller) else { throw DebtsErrors.debtNotFound }
      snapshot.debt = debt
      if let sadad {
        snapshot.sadadReferenceUsed = try DebtReads.sadadReferenceUsed(db, agency: debt.debt.agencyCode, sadad)
      }
      if let credited { snapshot.alreadyCredited = try DebtReads.credited(db, debtID: id, key: credited) }
    case .changeRequest(let id):
      guard let request = try DebtReads.changeRequest(db, id: id),
        let debt = try DebtReads.debt(db, id: request.debtID, caller: caller)
      else { throw DebtsErrors.changeRequestNotFound }
      snapshot.debt = debt
      snapshot.changeRequest = request
      if request.kind == .payment, let key = PaymentReference.key(request.paymentReference) {
        snapshot.alreadyCredited = try DebtReads.credited(db, debtID: debt.debt.id, key: key)
      }
    case .reliefRequest(let id):
      guard let request = try DebtReads.reliefRequest(db, id: id),
        let debt = try DebtReads.debt(db, id: request.debtID, caller: caller)
      else { throw DebtsErrors.reliefRequestNotFound }
      snapshot.debt = debt
      snapshot.reliefRequest = request
    }
    return snapshot
  }

  /// The records a change answers with, read back after its writes.
  static func outcome(
    _ db: Database, _ ids: WrittenIDs, answersWithDebt: Bool, caller: DebtCaller
  ) throws
    -> DebtOutcome
  {
    var outcome = DebtOutcome()
    if answersWithDebt {
      guard let debt = try DebtReads.debt(db, id: ids.debt, caller: caller) else { throw DebtsErrors.debtNotFound }
      outcome.debt = debt
    }
    outcome.changeRequest = try ids.changeRequest.flatMap { try DebtReads.changeRequest(db, id: $0) }
    outcome.reliefRequest = try ids.reliefRequest.flatMap { try DebtReads.reliefRequest(db, id: $0) }
    outcome.movement = try ids.movement.flatMap { try DebtReads.movement(db, id: $0) }
    outcome.plan = try ids.plan.flatMap { try DebtReads.plan(db, id: $0) }
    return outcome
  }

  // MARK: Reads

  /// Thrown inside the quick read for a debt with an instalment plan, whose plan needs
  /// further statements in the same snapshot.
  private struct NeedsSnapshot: Error {}

  func debt(id: Int64, caller: DebtCaller) async throws -> DebtSnapshot {
    do {
      // Most debts have no plan: their snapshot is one statement, on a quick-read connection.
      return try await database.quickRead { db in
        guard let found = try DebtReads.row(db, id: id, caller: caller) else { throw DebtsErrors.debtNotFound }
        if found.hasPlan { throw NeedsSnapshot() }
        return found.snapshot
      }
    } catch is NeedsSnapshot {
      return try await database.read { db in
        guard let debt = try DebtReads.debt(db, id: id, caller: caller) else { throw DebtsErrors.debtNotFound }
        return debt
      }
    }
  }

  func debts(
    _ filter: DebtFilter, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> DebtPage<DebtSnapshot>
  {
    try await database.read { db in
      let rows = try DebtReads.page(db, filter, caller: caller, limit: pageSize + 1, after: after)
      let page = try rows.prefix(pageSize).map { found in
        var snapshot = found.snapshot
        if found.hasPlan { snapshot.plan = try DebtReads.latestPlan(db, debtID: snapshot.debt.id) }
        return snapshot
      }
      return DebtPage(items: page, last: rows.count > pageSize ? page.last?.debt.id : nil)
    }
  }

  func movements(
    debtID: Int64, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> DebtPage<Movement>
  {
    try await database.read { db in
      guard try DebtReads.visible(db, id: debtID, caller: caller) else { throw DebtsErrors.debtNotFound }
      let rows = try db.fetchAll(
        "SELECT \(MovementColumn.selectList) FROM debt_movements WHERE debt_id = ? AND id > ? ORDER BY id LIMIT ?",
        [.int(debtID), .int(after ?? 0), .int(pageSize + 1)], MovementColumn.movement)
      let page = Array(rows.prefix(pageSize))
      return DebtPage(items: page, last: rows.count > pageSize ? page.last?.id : nil)
    }
  }

  func changeRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> DebtPage<ChangeRequest>
  {
    try await database.read { db in
      guard try DebtReads.visible(db, id: debtID, caller: caller) else { throw DebtsErrors.debtNotFound }
      let rows = try db.fetchAll(
        """
        SELECT \(ChangeRequestColumn.selectList) FROM debt_change_requests WHERE debt_id = ? AND id < ?
        ORDER BY id DESC LIMIT ?
        """, [.int(debtID), .int(before ?? Int64.max), .int(pageSize + 1)], ChangeRequestColumn.request)
      let page = Array(rows.prefix(pageSize))
      return DebtPage(items: page, last: rows.count > pageSize ? page.last?.id : nil)
    }
  }

  func reliefRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> DebtPage<ReliefRequest>
  {
    try await database.read { db in
      guard try DebtReads.visible(db, id: debtID, caller: caller) else { throw DebtsErrors.debtNotFound }
      let rows = try db.fetchAll(
        """
        SELECT \(ReliefRequestColumn.selectList) FROM debt_relief_requests WHERE debt_id = ? AND id < ?
        ORDER BY id DESC LIMIT ?
        """, [.int(debtID), .int(before ?? Int64.max), .int(pageSize + 1)], ReliefRequestColumn.request)
      let page = Array(rows.prefix(pageSize))
      return DebtPage(items: page, last: rows.count > pageSize ? page.last?.id : nil)
    }
  }

  func summary(idNumber: String) async throws -> [DebtStateTotal] {
    try await database.read { db in
      // Each figure is a SUM (which fails on overflow); the balance is added up in Swift.
      try db.fetchAll(
        """
        SELECT d.state, COUNT(*), SUM(d.original_amount),
          SUM(COALESCE((SELECT SUM(m.delta) FROM debt_movements m WHERE m.debt_id = d.id), 0))
        FROM debts d WHERE d.debtor_id_number = ? AND d.state IN \(DebtReads.visibleStates)
        GROUP BY d.state
        """, [.text(idNumber)]
      ) { row in
        let state: String = row[0]
        guard let state = DebtRules.State(rawValue: state) else {
          throw UnreadableColumn(column: "debts.state", value: state)
        }
        return DebtStateTotal(
          state: state, count: Int(row[1] as Int64),
          balance: try LedgerFigures.balance(amount: Halalas(row[2]), movements: Halalas(row[3])))
      }
    }
  }

  // MARK: Periodic job

  /// Marks DEFAULTED every ACTIVE plan with an instalment unpaid past the grace period, with
  /// an audit row each (the rules of `DebtWorkflow.recordDefaultIfDue`). Returns how many.
  @discardableResult
  public func markDefaultedPlans() async throws -> Int {
    let workflow = DebtWorkflow(graceDays: graceDays)
    let now = clock.now
    return try await database.write(as: .system("debts"), method: "job/instalment-plan-defaults") { db, _ in
      let debtIDs = try db.fetchAll(
        "SELECT DISTINCT debt_id FROM instalment_plans WHERE state = 'ACTIVE' ORDER BY debt_id", []
      ) { $0[0] as Int64 }
      var marked = 0
      for id in debtIDs {
        guard let snapshot = try DebtReads.debt(db, id: id, caller: nil),
          let decision = try workflow.recordDefaultIfDue(snapshot, now: now)
        else { continue }
        _ = try Self.write(db, decision, debtID: id, requestID: nil, now: now)
        marked += 1
      }
      return marked
    }
  }
}
