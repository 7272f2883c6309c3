import EtimadKit
import Foundation
import GRDB

/// Writing what the rules decided: nothing here decides anything.
extension DebtsStore {
  /// Writes `decision` in the caller's transaction, in a fixed order; returns the ids written.
  static func write(
    _ db: Database, _ decision: DebtDecision, debtID: Int64, requestID: String?, now: Date
  ) throws
    -> WrittenIDs
  {
    let time = StoredTime.milliseconds(now)
    var ids = WrittenIDs(debt: debtID)
    if let new = decision.newDebt {
      try insert(db, new, time: time)
      ids.debt = db.lastInsertedRowID
    }
    for move in decision.planMoves {
      try db.execute(
        sql: "UPDATE instalment_plans SET state = ?, close_time = ? WHERE id = ?",
        arguments: [move.state.rawValue, time, move.planID])
    }
    if let fields = decision.fields { try update(db, fields, id: ids.debt, time: time) }
    if let review = decision.review {
      switch review.step {
      case .submitted(let employee):
        try db.execute(
          sql: "UPDATE debts SET state = ?, submitted_by = ?, submit_time = ?, update_time = ? WHERE id = ?",
          arguments: [review.state.rawValue, employee, time, time, ids.debt])
      case .approved(let employee):
        try db.execute(
          sql: "UPDATE debts SET state = ?, approved_by = ?, approve_time = ?, update_time = ? WHERE id = ?",
          arguments: [review.state.rawValue, employee, time, time, ids.debt])
      case .rejected(let note):
        try db.execute(
          sql: "UPDATE debts SET state = ?, review_note = ?, update_time = ? WHERE id = ?",
          arguments: [review.state.rawValue, note, time, ids.debt])
      }
    }
    if let state = decision.state {
      try db.execute(
        sql: "UPDATE debts SET state = ?, update_time = ? WHERE id = ?", arguments: [state.rawValue, time, ids.debt])
    }
    if let movement = decision.movement {
      ids.movement = try insert(db, movement, debtID: ids.debt, requestID: requestID ?? "", time: time)
    }
    for request in decision.closedRequests {
      try db.execute(
        sql: "UPDATE \(table(request)) SET state = ?, decision_note = ?, decided_by = ?, decide_time = ? WHERE id = ?",
        arguments: [decision.closedState.rawValue, decision.closedNote, PlatformNote.system, time, id(request)])
    }
    if let change = decision.newChange { ids.changeRequest = try insert(db, change, debtID: ids.debt, time: time) }
    if let relief = decision.newRelief { ids.reliefRequest = try insert(db, relief, debtID: ids.debt, time: time) }
    if let plan = decision.newPlan { ids.plan = try insert(db, plan, debtID: ids.debt, time: time) }
    if let decided = decision.requestDecision {
      try decide(db, decided, planID: ids.plan, time: time)
      switch decided.request {
      case .change(let id): ids.changeRequest = id
      case .relief(let id): ids.reliefRequest = id
      }
    }
    for audit in decision.systemAudits {
      try AuditLog.append(
        db, kind: audit.kind, id: audit.id, employee: nil, method: audit.method, target: "debt/\(ids.debt)",
        requestID: audit.requestID, peer: "local", summary: audit.summary, time: now)
    }
    return ids
  }

  private static func table(_ request: RequestRef) -> String {
    switch request {
    case .change: "debt_change_requests"
    case .relief: "debt_relief_requests"
    }
  }

  private static func id(_ request: RequestRef) -> Int64 {
    switch request {
    case .change(let id), .relief(let id): id
    }
  }

  private static func insert(_ db: Database, _ new: DebtDecision.NewDebt, time: Int64) throws {
    let fields = new.fields
    try db.execute(
      sql: """
        INSERT INTO debts (agency_code, debtor_id_type, debtor_id_number, debtor_name, category, reason,
          original_amount, due_date, sadad_bill_number, attachment_refs, notes, state, created_by, create_time,
          update_time)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        new.agencyCode, fields.debtorIDType.code, fields.debtorIDNumber, fields.debtorName, fields.category.rawValue,
        fields.reason, fields.amount.value, fields.dueDate.description, fields.sadadBillNumber,
        StoredList.encode(fields.attachmentRefs), fields.notes, DebtRules.State.draft.rawValue, new.employee, time,
        time,
      ])
  }

  private static func update(_ db: Database, _ fields: DebtFields, id: Int64, time: Int64) throws {
    try db.execute(
      sql: """
        UPDATE debts SET debtor_id_type = ?, debtor_id_number = ?, debtor_name = ?, category = ?, reason = ?,
          original_amount = ?, due_date = ?, sadad_bill_number = ?, attachment_refs = ?, notes = ?, update_time = ?
        WHERE id = ?
        """,
      arguments: [
        fields.debtorIDType.code, fields.debtorIDNumber, fields.debtorName, fields.category.rawValue, fields.reason,
        fields.amount.value, fields.dueDate.description, fields.sadadBillNumber,
        StoredList.encode(fields.attachmentRefs), fields.notes, time, id,
      ])
  }

  private static func insert(
    _ db: Database, _ movement: DebtDecision.NewMovement, debtID: Int64, requestID: String, time: Int64
  ) throws -> Int64 {
    try db.execute(
      sql: """
        INSERT INTO debt_movements (debt_id, agency_code, kind, delta, balance_after, record_time, effective_time,
          actor_kind, actor_id, employee, request_id, sadad_reference, payment_reference, source)
        SELECT id, agency_code, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? FROM debts WHERE id = ?
        """,
      arguments: [
        movement.kind.rawValue, movement.delta.value, movement.balanceAfter.value, time,
        StoredTime.milliseconds(movement.effectiveTime), movement.actorKind, movement.actorID, movement.employee,
        requestID, movement.sadadReference, movement.paymentReference, movement.source, debtID,
      ])
    return db.lastInsertedRowID
  }

  private static func insert(
    _ db: Database, _ change: DebtDecision.NewChange, debtID: Int64, time: Int64
  ) throws
    -> Int64
  {
    try db.execute(
      sql: """
        INSERT INTO debt_change_requests (debt_id, kind, state, raised_by, raised_by_employee, amount,
          payment_reference, new_fields, update_mask, reason, create_time)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        debtID, change.kind.rawValue, change.state.rawValue, StoredParty.code(change.raiser.party),
        change.raiser.employee, change.amount?.value, change.paymentReference, change.patch?.json,
        (change.patch?.paths ?? []).sorted().joined(separator: ","), change.reason, time,
      ])
    return db.lastInsertedRowID
  }

  private static func insert(
    _ db: Database, _ relief: DebtDecision.NewRelief, debtID: Int64, time: Int64
  ) throws
    -> Int64
  {
    try db.execute(
      sql: """
        INSERT INTO debt_relief_requests (debt_id, kind, state, amount, full, instalment_count, first_due_date,
          reason, attachment_refs, create_time)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        debtID, relief.kind.rawValue, relief.state.rawValue, relief.amount?.value, relief.full,
        relief.instalmentCount, relief.firstDueDate?.description, relief.reason,
        StoredList.encode(relief.attachmentRefs), time,
      ])
    return db.lastInsertedRowID
  }

  private static func insert(
    _ db: Database, _ plan: DebtDecision.NewPlan, debtID: Int64, time: Int64
  ) throws
    -> Int64
  {
    try db.execute(
      sql:
        "INSERT INTO instalment_plans (debt_id, relief_request_id, state, total, create_time) VALUES (?, ?, ?, ?, ?)",
      arguments: [debtID, plan.reliefRequestID, PlanRules.State.active.rawValue, plan.total.value, time])
    let planID = db.lastInsertedRowID
    for (index, instalment) in plan.instalments.enumerated() {
      try db.execute(
        sql: "INSERT INTO instalments (plan_id, number, due_date, amount) VALUES (?, ?, ?, ?)",
        arguments: [planID, index + 1, instalment.due.description, instalment.amount.value])
    }
    return planID
  }

  private static func decide(
    _ db: Database, _ decided: DebtDecision.RequestDecision, planID: Int64?, time: Int64
  )
    throws
  {
    let table = table(decided.request)
    if let note = decided.note {
      let plan = planID.map { _ in ", plan_id = ?" } ?? ""
      try db.execute(
        sql: "UPDATE \(table) SET state = ?, decision_note = ?, decided_by = ?, decide_time = ?\(plan) WHERE id = ?",
        arguments: StatementArguments(
          [decided.state.rawValue, note, decided.decidedBy, time] + (planID.map { [$0] } ?? [])
            + [id(decided.request)] as [(any DatabaseValueConvertible)?]))
    } else {
      try db.execute(
        sql: "UPDATE \(table) SET state = ?, decide_time = ? WHERE id = ?",
        arguments: [decided.state.rawValue, time, id(decided.request)])
    }
  }
}
