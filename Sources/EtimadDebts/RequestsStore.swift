import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf

/// Change requests, relief requests and instalment plans: raised, withdrawn and decided, each
/// in one transaction with the ledger movement an approval posts.
extension DebtsStore {
  /// What a new change request carries, validated by the handler.
  struct NewChange: Sendable {
    var kind: String
    var amount: Halalas?
    var paymentReference: String
    var newValues: Data?
    var paths: [String]
    var reason: String
    /// UPDATE_DATA with `amount` in its mask: the new amount.
    var newAmount: Halalas? = nil
  }

  func createChangeRequest(
    _ call: MutationCall<Etimad_Debts_V1_CreateChangeRequestRequest>, debtID: Int64, change: NewChange,
    caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_CreateChangeRequestResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let row = try debt(db, debtID, caller)
      _ = try DebtRules.next(row.state, .request)
      try Self.refuseSecondPending(db, table: "debt_change_requests", debtID: debtID, kind: change.kind)
      let balance = try Ledger.balance(db, debt: row)
      if let amount = change.amount {
        try DebtRules.checkAmount(amount, balance: balance)
      }
      if change.kind == "PAYMENT", let key = Self.referenceKey(change.paymentReference) {
        try Self.refuseCredited(db, debtID: row.id, key: key)
      }
      if let newAmount = change.newAmount, newAmount != (try Self.amountDue(db, row)) {
        try refuseWhilePlanActive(db, debt: row, balance: balance, now: now)
      }
      // Created NEW and submitted in the same transaction.
      let state = try RequestRules.next(.new, .submit)
      try db.execute(
        sql: """
          INSERT INTO debt_change_requests (debt_id, kind, state, raised_by, raised_by_employee, amount,
            payment_reference, new_values, update_mask, reason, create_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          debtID, change.kind, state.rawValue, caller.party.rawValue, caller.employee, change.amount?.value,
          change.paymentReference, change.newValues, change.paths.joined(separator: ","), change.reason,
          now.timeIntervalSince1970,
        ])
      let id = db.lastInsertedRowID
      guard let request = try ChangeRequestRow.load(db, id: id) else { throw DebtsErrors.changeRequestNotFound }
      return (
        try .with {
          $0.changeRequest = request.message(forDebtor: caller.isDebtor)
          $0.debt = try view(db, debtID, caller, now: now)
        },
        AuditRecord(
          target: "debt/\(debtID)", summary: "\(change.kind) change request \(id) raised by the \(caller.party)")
      )
    }
  }

  /// The amount due: the registered amount plus the adjustments so far.
  static func amountDue(_ db: Database, _ row: DebtRow) throws -> Halalas {
    try row.fields.amount.adding(try LedgerFigures.sum(db, debtID: row.id).adjustments)
  }

  /// Refuses while the debt's latest plan is ACTIVE by the server's clock: its instalments were
  /// split from the balance, so no second plan, no exemption and no new amount may change that
  /// balance outside the plan's payments. A plan that has defaulted binds nothing any more: the
  /// agency may grant a new plan or an exemption (or reject them); a default the periodic job has
  /// not recorded yet is recorded here first.
  func refuseWhilePlanActive(_ db: Database, debt: DebtRow, balance: Halalas, now: Date) throws {
    guard let plan = try PlanRow.latest(db, debtID: debt.id), plan.state == .active else { return }
    switch try plan.effectiveState(db, balance: balance, today: CivilDay.inRiyadh(now), graceDays: graceDays) {
    case .active: throw DebtsErrors.planAlreadyActive
    case .defaulted: try plan.recordDefault(db, graceDays: graceDays, now: now)
    case .completed, .cancelled: return
    }
  }

  static func refuseSecondPending(_ db: Database, table: String, debtID: Int64, kind: String) throws {
    if try Bool.fetchOne(
      db, sql: "SELECT EXISTS (SELECT 1 FROM \(table) WHERE debt_id = ? AND kind = ? AND state = 'PENDING')",
      arguments: [debtID, kind]) == true
    {
      throw DebtsErrors.requestAlreadyPending(kind)
    }
  }

  /// The request and its debt, if `caller` may see the debt.
  func changeRequest(_ db: Database, _ id: Int64, _ caller: DebtCaller) throws -> (ChangeRequestRow, DebtRow) {
    guard let request = try ChangeRequestRow.load(db, id: id),
      let row = try DebtRow.load(db, id: request.debtID, for: caller)
    else { throw DebtsErrors.changeRequestNotFound }
    return (request, row)
  }

  func withdrawChangeRequest(
    _ call: MutationCall<Etimad_Debts_V1_WithdrawChangeRequestRequest>, id: Int64, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_WithdrawChangeRequestResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let (request, _) = try changeRequest(db, id, caller)
      try RequestRules.authorize(.withdraw, raiser: request.raiser, actor: caller.actor)
      let next = try RequestRules.next(request.state, .withdraw)
      try db.execute(
        sql: "UPDATE debt_change_requests SET state = ?, decide_time = ? WHERE id = ?",
        arguments: [next.rawValue, now.timeIntervalSince1970, id])
      let updated = try ChangeRequestRow.load(db, id: id) ?? request
      return (
        .with { $0.changeRequest = updated.message(forDebtor: caller.isDebtor) },
        AuditRecord(target: "debt/\(request.debtID)", summary: "change request \(id) withdrawn")
      )
    }
  }

  func decideChangeRequest<Request: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: Int64, approve: Bool, note: String, caller: DebtCaller
  ) async throws -> (Etimad_Debts_V1_ChangeRequest, Etimad_Debts_V1_Debt, Etimad_Debts_V1_DebtMovement?) {
    let response: Etimad_Debts_V1_ApproveChangeRequestResponse = try await database.mutate(call, domain: Self.domain) {
      db, now in
      let (request, row) = try changeRequest(db, id, caller)
      let action: RequestRules.Action = approve ? .approve : .reject
      try RequestRules.authorize(action, raiser: request.raiser, actor: caller.actor)
      let next = try RequestRules.next(request.state, action)
      var movement: Etimad_Debts_V1_DebtMovement?
      if approve {
        movement = try apply(db, request, to: row, caller: caller, requestID: call.requestID, now: now)
      }
      try db.execute(
        sql:
          "UPDATE debt_change_requests SET state = ?, decision_note = ?, decided_by = ?, decide_time = ? WHERE id = ?",
        arguments: [next.rawValue, note, caller.employee, now.timeIntervalSince1970, id])
      let updated = try ChangeRequestRow.load(db, id: id) ?? request
      return (
        try .with {
          $0.changeRequest = updated.message(forDebtor: false)
          $0.debt = try view(db, row.id, caller, now: now)
          if let movement { $0.movement = movement }
        },
        AuditRecord(
          target: "debt/\(row.id)", summary: "\(request.kind) change request \(id) \(approve ? "approved" : "rejected")"
        )
      )
    }
    return (response.changeRequest, response.debt, response.hasMovement ? response.movement : nil)
  }

  /// Applies an approved change request to its debt with its ledger movement.
  private func apply(
    _ db: Database, _ request: ChangeRequestRow, to row: DebtRow, caller: DebtCaller, requestID: String, now: Date
  ) throws -> Etimad_Debts_V1_DebtMovement? {
    _ = try DebtRules.next(row.state, .request)
    let source = "change-request/\(request.id)"
    let balance = try Ledger.balance(db, debt: row)
    switch request.kind {
    case "PAYMENT":
      let amount = Halalas(request.amount ?? 0)
      try DebtRules.checkAmount(amount, balance: balance)
      // The payer's reference goes with the movement, so the same payment is not credited
      // again by its SADAD notice or by another request.
      let key = Self.referenceKey(request.paymentReference)
      if let key { try Self.refuseCredited(db, debtID: row.id, key: key) }
      return try Ledger.post(
        db, debt: row, kind: .payment, delta: Halalas(-amount.value), effectiveTime: now, caller: caller,
        requestID: requestID, paymentReference: key, source: source, now: now
      ).movement
    case "CANCELLATION":
      return try Ledger.post(
        db, debt: row, kind: .cancellation, delta: Halalas(-balance.value), effectiveTime: now, caller: caller,
        requestID: requestID, source: source, now: now
      ).movement
    default:
      let values = try Etimad_Debts_V1_DebtDetails(serializedBytes: request.newValues ?? Data())
      var violations: DebtValidation.Violations = []
      let paths = Set(request.updateMask)
      var fields = DebtValidation.fields(
        values, paths: paths, base: row.fields, prefix: "new_values.", into: &violations)
      guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
      // The registered amount stays as it was: a new amount is an ADJUSTMENT in the ledger.
      let newAmount = fields.amount
      fields.amount = row.fields.amount
      try Self.write(db, fields: fields, id: row.id, now: now)
      guard paths.contains("amount") else { return nil }
      let delta = try newAmount.subtracting(try Self.amountDue(db, row))
      guard delta.value != 0 else { return nil }
      try refuseWhilePlanActive(db, debt: row, balance: balance, now: now)
      guard try balance.adding(delta).value >= 0 else { throw DebtsErrors.balanceWouldBeNegative }
      return try Ledger.post(
        db, debt: row, kind: .adjustment, delta: delta, effectiveTime: now, caller: caller, requestID: requestID,
        source: source, now: now
      ).movement
    }
  }

  // MARK: Relief requests

  struct NewRelief: Sendable {
    var kind: String
    var amount: Halalas?
    var full: Bool
    var instalmentCount: Int?
    var firstDueDate: CivilDay?
    var reason: String
    var attachmentRefs: [String]
  }

  func createReliefRequest(
    _ call: MutationCall<Etimad_Debts_V1_CreateReliefRequestRequest>, debtID: Int64, relief: NewRelief,
    caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_CreateReliefRequestResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let row = try debt(db, debtID, caller)
      _ = try DebtRules.next(row.state, .request)
      try Self.refuseSecondPending(db, table: "debt_relief_requests", debtID: debtID, kind: relief.kind)
      let balance = try Ledger.balance(db, debt: row)
      if let amount = relief.amount {
        try DebtRules.checkAmount(amount, balance: balance)
      }
      try refuseWhilePlanActive(db, debt: row, balance: balance, now: now)
      if let count = relief.instalmentCount {
        _ = try PlanRules.split(balance, into: count)
      }
      if let first = relief.firstDueDate {
        let today = CivilDay.inRiyadh(now)
        guard first >= today, today.days(to: first) <= PlanRules.firstDueWithinDays else {
          throw EtimadError.invalidFields([DebtValidation.firstDueDate("OUT_OF_RANGE")], domain: Self.domain)
        }
      }
      let state = try RequestRules.next(.new, .submit)
      try db.execute(
        sql: """
          INSERT INTO debt_relief_requests (debt_id, kind, state, amount, full, instalment_count, first_due_date,
            reason, attachment_refs, create_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          debtID, relief.kind, state.rawValue, relief.amount?.value, relief.full, relief.instalmentCount,
          relief.firstDueDate?.description, relief.reason, DebtFields.encodeList(relief.attachmentRefs),
          now.timeIntervalSince1970,
        ])
      let id = db.lastInsertedRowID
      guard let request = try ReliefRequestRow.load(db, id: id) else { throw DebtsErrors.reliefRequestNotFound }
      return (
        try .with {
          $0.reliefRequest = request.message(forDebtor: caller.isDebtor)
          $0.debt = try view(db, debtID, caller, now: now)
        },
        AuditRecord(target: "debt/\(debtID)", summary: "\(relief.kind) relief request \(id) raised by the debtor")
      )
    }
  }

  func reliefRequest(_ db: Database, _ id: Int64, _ caller: DebtCaller) throws -> (ReliefRequestRow, DebtRow) {
    guard let request = try ReliefRequestRow.load(db, id: id),
      let row = try DebtRow.load(db, id: request.debtID, for: caller)
    else { throw DebtsErrors.reliefRequestNotFound }
    return (request, row)
  }

  func withdrawReliefRequest(
    _ call: MutationCall<Etimad_Debts_V1_WithdrawReliefRequestRequest>, id: Int64, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_WithdrawReliefRequestResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let (request, _) = try reliefRequest(db, id, caller)
      try RequestRules.authorize(.withdraw, raiser: .init(party: .debtor), actor: caller.actor)
      let next = try RequestRules.next(request.state, .withdraw)
      try db.execute(
        sql: "UPDATE debt_relief_requests SET state = ?, decide_time = ? WHERE id = ?",
        arguments: [next.rawValue, now.timeIntervalSince1970, id])
      let updated = try ReliefRequestRow.load(db, id: id) ?? request
      return (
        .with { $0.reliefRequest = updated.message(forDebtor: caller.isDebtor) },
        AuditRecord(target: "debt/\(request.debtID)", summary: "relief request \(id) withdrawn")
      )
    }
  }

  func decideReliefRequest<Request: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: Int64, approve: Bool, note: String, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_ApproveReliefRequestResponse {
    let graceDays = graceDays
    return try await database.mutate(call, domain: Self.domain) { db, now in
      let (request, row) = try reliefRequest(db, id, caller)
      let action: RequestRules.Action = approve ? .approve : .reject
      try RequestRules.authorize(action, raiser: .init(party: .debtor), actor: caller.actor)
      let next = try RequestRules.next(request.state, action)
      var response = Etimad_Debts_V1_ApproveReliefRequestResponse()
      var planID: Int64?
      if approve {
        _ = try DebtRules.next(row.state, .request)
        let balance = try Ledger.balance(db, debt: row)
        try refuseWhilePlanActive(db, debt: row, balance: balance, now: now)
        if request.kind == "EXEMPTION" {
          let amount = request.full ? balance : Halalas(request.amount ?? 0)
          try DebtRules.checkAmount(amount, balance: balance)
          response.movement = try Ledger.post(
            db, debt: row, kind: .exemption, delta: Halalas(-amount.value), effectiveTime: now, caller: caller,
            requestID: call.requestID, source: "relief-request/\(id)", now: now
          ).movement
        } else {
          let plan = try createPlan(db, request: request, debt: row, balance: balance, now: now)
          planID = plan.id
          response.plan = try plan.message(
            db, balance: balance, today: CivilDay.inRiyadh(now), graceDays: graceDays)
        }
      }
      try db.execute(
        sql: """
          UPDATE debt_relief_requests SET state = ?, decision_note = ?, decided_by = ?, decide_time = ?, plan_id = ?
          WHERE id = ?
          """,
        arguments: [next.rawValue, note, caller.employee, now.timeIntervalSince1970, planID, id])
      response.reliefRequest = (try ReliefRequestRow.load(db, id: id) ?? request).message(forDebtor: false)
      response.debt = try view(db, row.id, caller, now: now)
      return (
        response,
        AuditRecord(
          target: "debt/\(row.id)", summary: "\(request.kind) relief request \(id) \(approve ? "approved" : "rejected")"
        )
      )
    }
  }

  private func createPlan(
    _ db: Database, request: ReliefRequestRow, debt: DebtRow, balance: Halalas, now: Date
  )
    throws -> PlanRow
  {
    let count = request.instalmentCount ?? 0
    let amounts = try PlanRules.split(balance, into: count)
    let first = request.firstDueDate ?? CivilDay.inRiyadh(now).adding(months: 1)
    // Approved after the date the debtor asked for, the plan would start overdue.
    if first < CivilDay.inRiyadh(now) { throw DebtsErrors.firstDueDatePassed(first) }
    try db.execute(
      sql:
        "INSERT INTO instalment_plans (debt_id, relief_request_id, state, total, create_time) VALUES (?, ?, ?, ?, ?)",
      arguments: [debt.id, request.id, PlanRules.State.active.rawValue, balance.value, now.timeIntervalSince1970])
    let planID = db.lastInsertedRowID
    for (index, (due, amount)) in zip(PlanRules.dueDates(first: first, count: count), amounts).enumerated() {
      try db.execute(
        sql: "INSERT INTO instalments (plan_id, number, due_date, amount) VALUES (?, ?, ?, ?)",
        arguments: [planID, index + 1, due.description, amount.value])
    }
    guard let plan = try PlanRow.latest(db, debtID: debt.id) else { throw DebtsErrors.planNotFound }
    return plan
  }

  // MARK: Listing requests

  func listChangeRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> (items: [Etimad_Debts_V1_ChangeRequest], last: Int64?)
  {
    let forDebtor = caller.isDebtor
    return try await listRequests(
      table: "debt_change_requests", debtID: debtID, caller: caller, pageSize: pageSize, before: before,
      decode: ChangeRequestRow.init(row:), message: { $0.message(forDebtor: forDebtor) })
  }

  func listReliefRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> (items: [Etimad_Debts_V1_ReliefRequest], last: Int64?)
  {
    let forDebtor = caller.isDebtor
    return try await listRequests(
      table: "debt_relief_requests", debtID: debtID, caller: caller, pageSize: pageSize, before: before,
      decode: ReliefRequestRow.init(row:), message: { $0.message(forDebtor: forDebtor) })
  }

  private func listRequests<Row: Sendable, Message: Sendable>(
    table: String, debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?,
    decode: @escaping @Sendable (GRDB.Row) -> Row, message: @escaping @Sendable (Row) -> Message
  ) async throws -> (items: [Message], last: Int64?) {
    try await database.read { db in
      _ = try debt(db, debtID, caller)
      let rows = try GRDB.Row.fetchAll(
        db, sql: "SELECT * FROM \(table) WHERE debt_id = ? AND id < ? ORDER BY id DESC LIMIT ?",
        arguments: [debtID, before ?? Int64.max, pageSize + 1])
      let page = rows.prefix(pageSize)
      return (page.map { message(decode($0)) }, rows.count > pageSize ? page.last.map { $0["id"] as Int64 } : nil)
    }
  }
}
