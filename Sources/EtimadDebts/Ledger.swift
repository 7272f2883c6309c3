import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// The append-only ledger of debts: posting a movement checks the balance it leaves, moves the
/// debt (PAID at 0, CANCELLED by a cancellation) and its plan on, in the caller's transaction.
enum Ledger {
  enum Kind: String {
    case payment = "PAYMENT"
    case adjustment = "ADJUSTMENT"
    case exemption = "EXEMPTION"
    case cancellation = "CANCELLATION"

    var message: Etimad_Debts_V1_MovementKind {
      switch self {
      case .payment: .payment
      case .adjustment: .adjustment
      case .exemption: .exemption
      case .cancellation: .cancellation
      }
    }
  }

  /// The balance of a debt, summed now from its ledger.
  static func balance(_ db: Database, debt: DebtRow) throws -> Halalas {
    let total =
      try Int64.fetchOne(
        db.cachedStatement(sql: "SELECT COALESCE(SUM(delta), 0) FROM debt_movements WHERE debt_id = ?"),
        arguments: [debt.id]) ?? 0
    return try debt.fields.amount.adding(Halalas(total))
  }

  /// Appends a movement of `delta` (its effect on the balance) and applies its consequences.
  static func post(
    _ db: Database, debt: DebtRow, kind: Kind, delta: Halalas, effectiveTime: Date, caller: DebtCaller,
    requestID: String, sadadReference: String? = nil, paymentReference: String? = nil, source: String? = nil,
    now: Date
  ) throws -> (movement: Etimad_Debts_V1_DebtMovement, state: DebtRules.State) {
    let balance = try balance(db, debt: debt)
    let after = try balance.adding(delta)
    guard after.value >= 0 else { throw DebtRuleError.amountExceedsBalance(balance).etimadError }
    let action: DebtRules.Action = kind == .cancellation ? .cancel : DebtRules.movementAction(balanceAfter: after)
    let state = try DebtRules.next(debt.state, action)
    let actor = caller.recordedAs
    try db.execute(
      sql: """
        INSERT INTO debt_movements (debt_id, agency_code, kind, delta, balance_after, record_time, effective_time,
          actor_kind, actor_id, employee, request_id, sadad_reference, payment_reference, source)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        debt.id, debt.agencyCode, kind.rawValue, delta.value, after.value, now.timeIntervalSince1970,
        effectiveTime.timeIntervalSince1970, actor.kind, actor.id, caller.employee, requestID, sadadReference,
        paymentReference,
        source,
      ])
    let movementID = db.lastInsertedRowID
    if state != debt.state {
      try db.execute(
        sql: "UPDATE debts SET state = ?, update_time = ? WHERE id = ?",
        arguments: [state.rawValue, now.timeIntervalSince1970, debt.id])
      if let plan = try PlanRow.latest(db, debtID: debt.id), !plan.state.isFinal {
        try plan.move(db, state == .cancelled ? .cancel : .settle, now: now)
      }
      if state.isFinal {
        try closePendingRequests(db, debtID: debt.id, closedAs: state, except: source, requestID: requestID, now: now)
      }
    }
    guard let row = try Row.fetchOne(db, sql: "SELECT * FROM debt_movements WHERE id = ?", arguments: [movementID])
    else { throw DebtsErrors.debtNotFound }
    return (movement(row, forDebtor: caller.isDebtor), state)
  }

  /// Rejects, on behalf of the platform, the requests still pending on a debt that just closed
  /// (PAID or CANCELLED): nothing can be applied to a closed debt any more, and a request left
  /// pending would show the debt under review for ever. The request being applied by this very
  /// movement (`except`, its source) is left to its caller. Each closure gets an audit row.
  static func closePendingRequests(
    _ db: Database, debtID: Int64, closedAs state: DebtRules.State, except source: String?, requestID: String,
    now: Date
  ) throws {
    let next = try RequestRules.next(.pending, .reject)
    let note = PlatformNote.debtClosed(state)
    for (table, kind) in [("debt_change_requests", "change-request"), ("debt_relief_requests", "relief-request")] {
      let ids = try db.fetchAll(
        "SELECT id FROM \(table) WHERE debt_id = ? AND state = 'PENDING' ORDER BY id", [.int(debtID)]
      ) { $0[0] as Int64 }
      for id in ids where "\(kind)/\(id)" != source {
        try db.execute(
          sql: "UPDATE \(table) SET state = ?, decision_note = ?, decided_by = ?, decide_time = ? WHERE id = ?",
          arguments: [next.rawValue, note, PlatformNote.system, now.timeIntervalSince1970, id])
        try AuditLog.append(
          db, kind: "system", id: "etimadd", employee: nil, method: "debt closed", target: "debt/\(debtID)",
          requestID: requestID, peer: "local",
          summary: "\(kind) \(id) rejected: the debt was \(state.rawValue)", time: now)
      }
    }
  }

  /// The wire form of a `debt_movements` row.
  static func movement(_ row: Row, forDebtor: Bool) -> Etimad_Debts_V1_DebtMovement {
    let delta = Halalas(row["delta"])
    return .with {
      $0.id = String(row["id"] as Int64)
      $0.debtID = String(row["debt_id"] as Int64)
      $0.kind = (Kind(rawValue: row["kind"]) ?? .payment).message
      $0.amount = .sar(Halalas(delta.value.magnitude > UInt64(Int64.max) ? Int64.max : Int64(delta.value.magnitude)))
      $0.balanceDelta = .sar(delta)
      $0.balanceAfter = .sar(Halalas(row["balance_after"]))
      $0.recordTime = .init(unixSeconds: row["record_time"])
      $0.effectiveTime = .init(unixSeconds: row["effective_time"])
      $0.actor = .with {
        $0.kind = row["actor_kind"]
        $0.id = row["actor_id"]
        if !forDebtor { $0.employee = row["employee"] ?? "" }
      }
      $0.requestID = row["request_id"]
      $0.sadadReference = row["sadad_reference"] ?? ""
      $0.paymentReference = row["payment_reference"] ?? ""
      $0.sourceRequestID = row["source"] ?? ""
    }
  }
}

/// A row of `instalment_plans` with its instalments.
struct PlanRow: Sendable {
  var id: Int64
  var debtID: Int64
  var reliefRequestID: Int64
  var state: PlanRules.State
  var total: Halalas
  var createTime: Double
  var closeTime: Double?

  static func latest(_ db: Database, debtID: Int64) throws -> PlanRow? {
    try Row.fetchOne(
      db.cachedStatement(
        sql: """
          SELECT id, debt_id, relief_request_id, state, total, create_time, close_time FROM instalment_plans
          WHERE debt_id = ? ORDER BY id DESC LIMIT 1
          """), arguments: [debtID]
    ).map(PlanRow.init(row:))
  }

  init(row: Row) {
    id = row[0]
    debtID = row[1]
    reliefRequestID = row[2]
    state = PlanRules.State(rawValue: row[3]) ?? .active
    total = Halalas(row[4])
    createTime = row[5]
    closeTime = row[6]
  }

  func instalments(_ db: Database) throws -> [(number: Int, due: CivilDay, amount: Halalas)] {
    try Row.fetchAll(
      db.cachedStatement(sql: "SELECT number, due_date, amount FROM instalments WHERE plan_id = ? ORDER BY number"),
      arguments: [id]
    ).map { row in
      (
        number: row[0] as Int, due: CivilDay(row[1] as String) ?? CivilDay.epoch,
        amount: Halalas(row[2] as Int64)
      )
    }
  }

  /// What has been paid into the plan: how far the balance fell below the plan's total.
  func settled(balance: Halalas) -> Halalas {
    Halalas(max(0, total.value - balance.value))
  }

  func effectiveState(_ db: Database, balance: Halalas, today: CivilDay, graceDays: Int) throws -> PlanRules.State {
    guard state == .active else { return state }
    let instalments = try instalments(db)
    return PlanRules.effectiveState(
      state, instalments: instalments.map { ($0.due, $0.amount) }, settled: settled(balance: balance), today: today,
      graceDays: graceDays)
  }

  /// Records that the plan defaulted (an instalment unpaid past the grace period), with the
  /// platform's audit row: by the periodic job, or by a request that finds it so first.
  func recordDefault(_ db: Database, graceDays: Int, now: Date) throws {
    try move(db, .overdue, now: now)
    try AuditLog.append(
      db, kind: "system", id: "debts", employee: nil, method: "job/instalment-plan-defaults",
      target: "debt/\(debtID)", requestID: nil, peer: "local",
      summary: "instalment plan \(id) defaulted: an instalment unpaid \(graceDays) days past due", time: now)
  }

  func move(_ db: Database, _ action: PlanRules.Action, now: Date) throws {
    let next = try PlanRules.next(state, action)
    try db.execute(
      sql: "UPDATE instalment_plans SET state = ?, close_time = ? WHERE id = ?",
      arguments: [next.rawValue, now.timeIntervalSince1970, id])
  }

  func message(
    _ db: Database, balance: Halalas, today: CivilDay, graceDays: Int
  ) throws
    -> Etimad_Debts_V1_InstalmentPlan
  {
    let instalments = try instalments(db)
    let paid = PlanRules.allocate(instalments.map(\.amount), settled: settled(balance: balance))
    let state = try effectiveState(db, balance: balance, today: today, graceDays: graceDays)
    return .with {
      $0.id = String(id)
      $0.debtID = String(debtID)
      $0.reliefRequestID = String(reliefRequestID)
      $0.state = state.message
      $0.total = .sar(total)
      $0.graceDays = Int32(graceDays)
      $0.createTime = .init(unixSeconds: createTime)
      if let closeTime { $0.closeTime = .init(unixSeconds: closeTime) }
      $0.instalments = zip(instalments, paid).map { instalment, paid in
        Etimad_Debts_V1_Instalment.with {
          $0.number = Int32(instalment.number)
          $0.dueDate = instalment.due.message
          $0.amount = .sar(instalment.amount)
          $0.paid = .sar(paid)
          $0.overdue = PlanRules.overdue(due: instalment.due, amount: instalment.amount, paid: paid, today: today)
        }
      }
    }
  }
}
