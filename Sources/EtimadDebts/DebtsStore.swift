import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf

/// What the debts handler needs from storage, so that the handler stays free of SQL.
/// `DebtsStore` keeps it in the embedded SQLite database; an implementation on PostgreSQL (for
/// several replicas behind a load balancer) would apply the same pure rules in its transactions.
/// Every method checks that `caller` owns the records it touches (NOT_FOUND otherwise), and
/// every change runs exactly once per request_id with its audit row.
protocol DebtStorage: Sendable {
  var clock: any WallClock { get }

  func createDebt(
    _ call: MutationCall<Etimad_Debts_V1_CreateDebtRequest>, fields: DebtFields, agency: String, employee: String
  ) async throws -> Etimad_Debts_V1_CreateDebtResponse
  func updateDebt(
    _ call: MutationCall<Etimad_Debts_V1_UpdateDebtRequest>, id: Int64, paths: Set<String>, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_UpdateDebtResponse
  /// Submit, approve or reject (the last two by another employee than the submitter).
  func review<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message & Sendable>(
    _ call: MutationCall<Request>, id: Int64, action: DebtRules.Action, note: String, caller: DebtCaller,
    respond: @escaping @Sendable (Etimad_Debts_V1_Debt) -> Response
  ) async throws -> Response
  func recordPayment(
    _ call: MutationCall<Etimad_Debts_V1_RecordPaymentRequest>, id: Int64, amount: Halalas, paidTime: Date,
    reference: String, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_RecordPaymentResponse

  func getDebt(id: Int64, caller: DebtCaller) async throws -> Etimad_Debts_V1_Debt
  func listDebts(
    _ filter: DebtFilter, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> (debts: [Etimad_Debts_V1_Debt], last: Int64?)
  func listMovements(
    id: Int64, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> (movements: [Etimad_Debts_V1_DebtMovement], last: Int64?)
  func summary(idNumber: String) async throws -> Etimad_Debts_V1_GetDebtSummaryResponse
  func getPlan(id: Int64, caller: DebtCaller) async throws -> Etimad_Debts_V1_InstalmentPlan

  func createChangeRequest(
    _ call: MutationCall<Etimad_Debts_V1_CreateChangeRequestRequest>, debtID: Int64, change: DebtsStore.NewChange,
    caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_CreateChangeRequestResponse
  func withdrawChangeRequest(
    _ call: MutationCall<Etimad_Debts_V1_WithdrawChangeRequestRequest>, id: Int64, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_WithdrawChangeRequestResponse
  func decideChangeRequest<Request: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: Int64, approve: Bool, note: String, caller: DebtCaller
  ) async throws -> (Etimad_Debts_V1_ChangeRequest, Etimad_Debts_V1_Debt, Etimad_Debts_V1_DebtMovement?)
  func listChangeRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> (items: [Etimad_Debts_V1_ChangeRequest], last: Int64?)

  func createReliefRequest(
    _ call: MutationCall<Etimad_Debts_V1_CreateReliefRequestRequest>, debtID: Int64, relief: DebtsStore.NewRelief,
    caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_CreateReliefRequestResponse
  func withdrawReliefRequest(
    _ call: MutationCall<Etimad_Debts_V1_WithdrawReliefRequestRequest>, id: Int64, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_WithdrawReliefRequestResponse
  func decideReliefRequest<Request: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: Int64, approve: Bool, note: String, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_ApproveReliefRequestResponse
  func listReliefRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> (items: [Etimad_Debts_V1_ReliefRequest], last: Int64?)

  /// Marks DEFAULTED the plans with an instalment unpaid past the grace period; returns how many.
  func markDefaultedPlans() async throws -> Int
}

/// The filters of a debt list; the caller's own scope (agency or debtor) is always applied.
struct DebtFilter: Sendable {
  var state: DebtRules.State?
  var debtor: String?
  var createdFrom: Date?
  var createdBefore: Date?
  var dueFrom: CivilDay?
  var dueTo: CivilDay?
}

/// The debts area's storage on the embedded SQLite database. Every change is one write
/// transaction (through `EtimadDatabase.mutate`: exactly once by request_id, with its audit
/// row) that reads the rows it needs, applies the pure rules, and writes; GRDB's single writer
/// serializes them, so a balance checked is the balance the movement is posted against.
public struct DebtsStore: DebtStorage {
  let database: EtimadDatabase
  /// Days an instalment may stay unpaid past its due date.
  let graceDays: Int

  public init(database: EtimadDatabase, graceDays: Int) {
    self.database = database
    self.graceDays = graceDays
  }

  var clock: any WallClock { database.clock }
  static let domain = DebtRules.domain

  // MARK: Helpers inside a transaction

  func debt(_ db: Database, _ id: Int64, _ caller: DebtCaller) throws -> DebtRow {
    guard let row = try DebtRow.load(db, id: id, for: caller) else { throw DebtsErrors.debtNotFound }
    return row
  }

  func view(_ db: Database, _ id: Int64, _ caller: DebtCaller, now: Date) throws -> Etimad_Debts_V1_Debt {
    try DebtView.debt(db, try debt(db, id, caller), for: caller, today: CivilDay.inRiyadh(now), graceDays: graceDays)
  }

  // MARK: Agency: the debt's life

  func createDebt(
    _ call: MutationCall<Etimad_Debts_V1_CreateDebtRequest>, fields: DebtFields, agency: String, employee: String
  ) async throws -> Etimad_Debts_V1_CreateDebtResponse {
    let caller = DebtCaller.agency(code: agency, employee: employee)
    return try await database.mutate(call, domain: Self.domain) { db, now in
      let time = now.timeIntervalSince1970
      try db.execute(
        sql: """
          INSERT INTO debts (agency_code, debtor_id_type, debtor_id_number, debtor_name, category, reason,
            original_amount, due_date, sadad_bill_number, attachment_refs, notes, state, created_by, create_time,
            update_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'DRAFT', ?, ?, ?)
          """,
        arguments: [
          agency, fields.debtorIDType, fields.debtorIDNumber, fields.debtorName, fields.category, fields.reason,
          fields.amount.value, fields.dueDate.description, fields.sadadBillNumber,
          DebtFields.encodeList(fields.attachmentRefs), fields.notes, employee, time, time,
        ])
      let id = db.lastInsertedRowID
      return (
        try .with { $0.debt = try view(db, id, caller, now: now) },
        AuditRecord(
          target: "debt/\(id)", summary: "debt created as draft: \(fields.amount) on \(fields.debtorIDNumber)")
      )
    }
  }

  func updateDebt(
    _ call: MutationCall<Etimad_Debts_V1_UpdateDebtRequest>, id: Int64, paths: Set<String>, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_UpdateDebtResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let row = try debt(db, id, caller)
      _ = try DebtRules.next(row.state, .edit)
      var violations: DebtValidation.Violations = []
      let fields = DebtValidation.fields(
        call.request.debt, paths: paths, base: row.fields, prefix: "debt.", into: &violations)
      guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
      try Self.write(db, fields: fields, id: id, now: now)
      return (
        try .with { $0.debt = try view(db, id, caller, now: now) },
        AuditRecord(target: "debt/\(id)", summary: "draft updated: \(paths.sorted().joined(separator: ","))")
      )
    }
  }

  static func write(_ db: Database, fields: DebtFields, id: Int64, now: Date) throws {
    try db.execute(
      sql: """
        UPDATE debts SET debtor_id_type = ?, debtor_id_number = ?, debtor_name = ?, category = ?, reason = ?,
          original_amount = ?, due_date = ?, sadad_bill_number = ?, attachment_refs = ?, notes = ?, update_time = ?
        WHERE id = ?
        """,
      arguments: [
        fields.debtorIDType, fields.debtorIDNumber, fields.debtorName, fields.category, fields.reason,
        fields.amount.value, fields.dueDate.description, fields.sadadBillNumber,
        DebtFields.encodeList(fields.attachmentRefs), fields.notes, now.timeIntervalSince1970, id,
      ])
  }

  /// Submit, approve or reject: the state rule, then four eyes for a decision.
  func review<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message & Sendable>(
    _ call: MutationCall<Request>, id: Int64, action: DebtRules.Action, note: String, caller: DebtCaller,
    respond: @escaping @Sendable (Etimad_Debts_V1_Debt) -> Response
  ) async throws -> Response {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let row = try debt(db, id, caller)
      let next = try DebtRules.next(row.state, action)
      let employee = caller.employee
      let time = now.timeIntervalSince1970
      switch action {
      case .submit:
        try db.execute(
          sql: "UPDATE debts SET state = ?, submitted_by = ?, submit_time = ?, update_time = ? WHERE id = ?",
          arguments: [next.rawValue, employee, time, time, id])
      case .approve:
        try DebtRules.checkFourEyes(submitter: row.submittedBy, decider: employee)
        try db.execute(
          sql: "UPDATE debts SET state = ?, approved_by = ?, approve_time = ?, update_time = ? WHERE id = ?",
          arguments: [next.rawValue, employee, time, time, id])
      default:
        try DebtRules.checkFourEyes(submitter: row.submittedBy, decider: employee)
        try db.execute(
          sql: "UPDATE debts SET state = ?, review_note = ?, update_time = ? WHERE id = ?",
          arguments: [next.rawValue, note, time, id])
      }
      let debt = try view(db, id, caller, now: now)
      return (
        respond(debt),
        AuditRecord(target: "debt/\(id)", summary: "debt \(action.rawValue): \(row.state.rawValue) -> \(next.rawValue)")
      )
    }
  }

  /// A payment reference as compared: its ASCII letters and digits, upper case (BNK-77, bnk77
  /// and BNK77 name one payment); nil when nothing is left.
  static func referenceKey(_ reference: String) -> String? {
    let kept = reference.unicodeScalars.filter {
      $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))
    }
    let key = String(String.UnicodeScalarView(kept)).uppercased()
    return key.isEmpty ? nil : key
  }

  /// Refuses a payment this debt was already credited with under the same reference (`key`,
  /// from `referenceKey`): a SADAD notice, or an approved PAYMENT request that gave it. One
  /// payment is credited once, whichever way it arrived.
  static func refuseCredited(_ db: Database, debtID: Int64, key: String) throws {
    if try Bool.fetchOne(db.cachedStatement(sql: "SELECT " + credited), arguments: [debtID, key, debtID, key]) == true {
      throw DebtsErrors.paymentAlreadyCredited
    }
  }

  /// Whether a debt was credited under a reference key (arguments: debt id, key, debt id, key).
  static let credited = """
    (EXISTS (SELECT 1 FROM debt_movements WHERE debt_id = ? AND payment_reference = ?)
      OR EXISTS (SELECT 1 FROM debt_movements WHERE debt_id = ? AND upper(sadad_reference) = ?))
    """

  /// A SADAD payment notification: exactly once by request_id, and by SADAD reference.
  func recordPayment(
    _ call: MutationCall<Etimad_Debts_V1_RecordPaymentRequest>, id: Int64, amount: Halalas, paidTime: Date,
    reference: String, caller: DebtCaller
  ) async throws -> Etimad_Debts_V1_RecordPaymentResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let row = try debt(db, id, caller)
      // A used reference first: SADAD redelivering the notice that settled the debt must hear
      // ALREADY_EXISTS, not that the debt is closed (which reads as a refused payment). Then a
      // payment the debt was credited with through a PAYMENT request. One statement for both.
      let key = Self.referenceKey(reference) ?? reference
      let seen = try Row.fetchOne(
        db.cachedStatement(
          sql: "SELECT EXISTS (SELECT 1 FROM debt_movements WHERE agency_code = ? AND sadad_reference = ?), "
            + Self.credited),
        arguments: [row.agencyCode, reference, row.id, key, row.id, key])
      if let seen, seen[0] as Bool { throw DebtsErrors.sadadReferenceUsed }
      if let seen, seen[1] as Bool { throw DebtsErrors.paymentAlreadyCredited }
      _ = try DebtRules.next(row.state, .post)
      let balance = try Ledger.balance(db, debt: row)
      try DebtRules.checkAmount(amount, balance: balance)
      let posted = try Ledger.post(
        db, debt: row, kind: .payment, delta: Halalas(-amount.value), effectiveTime: paidTime, caller: caller,
        requestID: call.requestID, sadadReference: reference, now: now)
      let debt = try view(db, id, caller, now: now)
      return (
        .with {
          $0.debt = debt
          $0.movement = posted.movement
        },
        AuditRecord(target: "debt/\(id)", summary: "SADAD payment \(reference) of \(amount) recorded")
      )
    }
  }

  // MARK: Reads

  func getDebt(id: Int64, caller: DebtCaller) async throws -> Etimad_Debts_V1_Debt {
    let now = clock.now
    let graceDays = graceDays
    let today = CivilDay.inRiyadh(now)
    do {
      // Most debts have no plan: their view is one statement, on a quick-read connection.
      return try await database.quickRead { db in
        guard
          let debt = try DebtView.load(
            db, id: id, for: caller, today: today, graceDays: graceDays, planReads: false)
        else { throw DebtsErrors.debtNotFound }
        return debt
      }
    } catch is DebtView.NeedsSnapshot {
      return try await database.read { db in
        guard let debt = try DebtView.load(db, id: id, for: caller, today: today, graceDays: graceDays)
        else { throw DebtsErrors.debtNotFound }
        return debt
      }
    }
  }

  struct Cursor: Codable { var after: Int64 }

  /// One page of debts matching `filter`, newest first.
  func listDebts(
    _ filter: DebtFilter, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> (debts: [Etimad_Debts_V1_Debt], last: Int64?)
  {
    let now = clock.now
    let graceDays = graceDays
    var conditions: [String] = []
    var arguments: [SQLArgument] = []
    switch caller {
    case .agency(let code, _):
      conditions.append("agency_code = ?")
      arguments.append(.text(code))
    case .debtor(let idNumber):
      conditions.append("debtor_id_number = ? AND state IN \(DebtRow.visibleStates)")
      arguments.append(.text(idNumber))
    }
    if let debtor = filter.debtor {
      conditions.append("debtor_id_number = ?")
      arguments.append(.text(debtor))
    }
    if let state = filter.state {
      conditions.append("state = ?")
      arguments.append(.text(state.rawValue))
    }
    if let from = filter.createdFrom {
      conditions.append("create_time >= ?")
      arguments.append(.double(from.timeIntervalSince1970))
    }
    if let before = filter.createdBefore {
      conditions.append("create_time < ?")
      arguments.append(.double(before.timeIntervalSince1970))
    }
    if let from = filter.dueFrom {
      conditions.append("due_date >= ?")
      arguments.append(.text(from.description))
    }
    if let to = filter.dueTo {
      conditions.append("due_date <= ?")
      arguments.append(.text(to.description))
    }
    let whereSQL = conditions.joined(separator: " AND ")
    return try await database.read { [arguments] db in
      var arguments = arguments
      var sql = "SELECT \(DebtRow.columns) FROM debts WHERE \(whereSQL)"
      if let after {
        sql += " AND id < ?"
        arguments.append(.int(after))
      }
      sql += " ORDER BY id DESC LIMIT ?"
      arguments.append(.int(pageSize + 1))
      let rows = try db.fetchAll(sql, arguments, DebtRow.init(row:))
      let page = rows.prefix(pageSize)
      let today = CivilDay.inRiyadh(now)
      let debts = try page.map {
        try DebtView.debt(db, $0, for: caller, today: today, graceDays: graceDays)
      }
      return (debts, rows.count > pageSize ? page.last?.id : nil)
    }
  }

  func listMovements(
    id: Int64, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> (movements: [Etimad_Debts_V1_DebtMovement], last: Int64?)
  {
    try await database.read { db in
      _ = try debt(db, id, caller)
      let rows = try Row.fetchAll(
        db, sql: "SELECT * FROM debt_movements WHERE debt_id = ? AND id > ? ORDER BY id LIMIT ?",
        arguments: [id, after ?? 0, pageSize + 1])
      let page = rows.prefix(pageSize)
      return (
        page.map { Ledger.movement($0, forDebtor: caller.isDebtor) },
        rows.count > pageSize ? page.last.map { $0["id"] as Int64 } : nil
      )
    }
  }

  func summary(idNumber: String) async throws -> Etimad_Debts_V1_GetDebtSummaryResponse {
    try await database.read { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT state, COUNT(*), SUM(original_amount + COALESCE(
            (SELECT SUM(delta) FROM debt_movements m WHERE m.debt_id = d.id), 0))
          FROM debts d WHERE debtor_id_number = ? AND state IN \(DebtRow.visibleStates)
          GROUP BY state
          """, arguments: [idNumber])
      var response = Etimad_Debts_V1_GetDebtSummaryResponse()
      response.totalOutstanding = .sar(.zero)
      for state in [DebtRules.State.outstanding, .paid, .cancelled] {
        guard let row = rows.first(where: { ($0[0] as String) == state.rawValue }) else { continue }
        let balance = Halalas(row[2] as Int64? ?? 0)
        response.states.append(
          .with {
            $0.state = state.message
            $0.count = Int32(clamping: row[1] as Int64)
            $0.balance = .sar(balance)
          })
        if state == .outstanding { response.totalOutstanding = .sar(balance) }
      }
      return response
    }
  }

  func getPlan(id: Int64, caller: DebtCaller) async throws -> Etimad_Debts_V1_InstalmentPlan {
    let now = clock.now
    let graceDays = graceDays
    return try await database.read { db in
      let row = try debt(db, id, caller)
      guard let plan = try PlanRow.latest(db, debtID: id) else { throw DebtsErrors.planNotFound }
      return try plan.message(
        db, balance: try Ledger.balance(db, debt: row), today: CivilDay.inRiyadh(now), graceDays: graceDays)
    }
  }

  // MARK: Periodic job

  /// Marks DEFAULTED every ACTIVE plan with an instalment unpaid past the grace period, with
  /// an audit row each. Returns how many it marked.
  @discardableResult
  public func markDefaultedPlans() async throws -> Int {
    let graceDays = graceDays
    let now = clock.now
    return try await database.write(as: .system("debts"), method: "job/instalment-plan-defaults") { db, _ in
      let today = CivilDay.inRiyadh(now)
      let plans = try Row.fetchAll(
        db,
        sql: """
          SELECT p.id, p.debt_id, p.relief_request_id, p.state, p.total, p.create_time, p.close_time,
            d.original_amount + COALESCE((SELECT SUM(delta) FROM debt_movements m WHERE m.debt_id = d.id), 0)
          FROM instalment_plans p JOIN debts d ON d.id = p.debt_id WHERE p.state = 'ACTIVE'
          """)
      var marked = 0
      for row in plans {
        let plan = PlanRow(row: row)
        let balance = Halalas(row[7])
        guard try plan.effectiveState(db, balance: balance, today: today, graceDays: graceDays) == .defaulted else {
          continue
        }
        try plan.recordDefault(db, graceDays: graceDays, now: now)
        marked += 1
      }
      return marked
    }
  }
}
