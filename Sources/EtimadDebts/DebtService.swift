import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `etimad.debts.v1.DebtService`: reads the caller, validates the request once into domain
/// values, runs each change through `DebtStorage.change` with the rules of `DebtWorkflow`, and
/// turns what comes back into messages (`DebtWire`): the only place protos meet the area's
/// values. Who may call each method is `DebtsAccess`; which records a caller may touch is
/// checked by storage on every read and change.
public struct DebtService: Etimad_Debts_V1_DebtService.SimpleServiceProtocol {
  let store: any DebtStorage
  let paging: Paging
  let workflow: DebtWorkflow

  init(store: any DebtStorage, paging: Paging) {
    self.store = store
    self.paging = paging
    self.workflow = DebtWorkflow(graceDays: store.graceDays)
  }

  static let domain = DebtRules.domain
  static let defaultPageSize = 50
  static let maximumPageSize = 500

  /// A page token's position: the last id of the page before.
  struct Cursor: Codable { var after: Int64 }

  // MARK: Agency: the debt's life

  public func createDebt(
    request: Etimad_Debts_V1_CreateDebtRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_CreateDebtResponse {
    let call = try mutation(request, request.requestID, context)
    let (agency, employee) = try agencyEmployee()
    var violations: DebtValidation.Violations = []
    if !request.hasDebt { violations.append(DebtValidation.required("debt")) }
    let patch = DebtValidation.patch(
      request.debt, paths: Set(DebtValidation.paths), prefix: "debt.", into: &violations)
    guard violations.isEmpty, let fields = patch.complete else {
      throw EtimadError.invalidFields(violations, domain: Self.domain)
    }
    let workflow = workflow
    return try await change(
      call, caller: .agency(code: agency, employee: employee), target: .newDebt,
      decide: { _, _ in workflow.create(fields, agency: agency, employee: employee) },
      answer: { outcome, wire in try .with { $0.debt = try outcome.debt(wire) } })
  }

  public func updateDebt(
    request: Etimad_Debts_V1_UpdateDebtRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_UpdateDebtResponse {
    let call = try mutation(request, request.requestID, context)
    let caller = try agency()
    var violations: DebtValidation.Violations = []
    let paths = DebtValidation.mask(
      request.updateMask, present: request.hasUpdateMask, field: "update_mask", into: &violations)
    let patch = DebtValidation.patch(request.debt, paths: paths, prefix: "debt.", into: &violations)
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let workflow = workflow
    return try await change(
      call, caller: caller, target: .debt(try debtID(request.debtID)),
      decide: { snapshot, _ in try workflow.update(snapshot, patch: patch) },
      answer: { outcome, wire in try .with { $0.debt = try outcome.debt(wire) } })
  }

  public func submitDebt(
    request: Etimad_Debts_V1_SubmitDebtRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_SubmitDebtResponse {
    let call = try mutation(request, request.requestID, context)
    return try await review(call, id: try debtID(request.debtID), .submit, note: "") { debt in .with { $0.debt = debt }
    }
  }

  public func approveDebt(
    request: Etimad_Debts_V1_ApproveDebtRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ApproveDebtResponse {
    let call = try mutation(request, request.requestID, context)
    return try await review(call, id: try debtID(request.debtID), .approve, note: "") { debt in .with { $0.debt = debt }
    }
  }

  public func rejectDebt(
    request: Etimad_Debts_V1_RejectDebtRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_RejectDebtResponse {
    let call = try mutation(request, request.requestID, context)
    let note = try requiredNote(request.note, field: "note")
    return try await review(call, id: try debtID(request.debtID), .reject, note: note) { debt in
      .with { $0.debt = debt }
    }
  }

  /// Submit, approve or reject, answered with the debt.
  private func review<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: Int64, _ action: DebtRules.Action, note: String,
    respond: @escaping @Sendable (Etimad_Debts_V1_Debt) -> Response
  ) async throws -> Response {
    let caller = try agency()
    let workflow = workflow
    return try await change(
      call, caller: caller, target: .debt(id),
      decide: { snapshot, _ in try workflow.review(snapshot, action, note: note, caller: caller) },
      answer: { outcome, wire in respond(try outcome.debt(wire)) })
  }

  public func recordPayment(
    request: Etimad_Debts_V1_RecordPaymentRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_RecordPaymentResponse {
    let call = try mutation(request, request.requestID, context)
    let caller = try agency()
    var violations: DebtValidation.Violations = []
    let amount = DebtValidation.amount(request.amount, present: request.hasAmount, field: "amount", into: &violations)
    let reference = request.sadadReference.trimmingCharacters(in: .whitespaces)
    if reference.isEmpty || reference.count > 64
      || !reference.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) })
    {
      violations.append(
        DebtValidation.violation(
          "sadad_reference", reference.isEmpty ? "REQUIRED" : "INVALID_REFERENCE",
          en: "The SADAD reference has 1 to 64 letters or digits.", ar: "مرجع سداد من 1 إلى 64 حرفًا أو رقمًا."))
    }
    let paidTime = request.hasPaidTime ? WireTime.date(request.paidTime) : store.clock.now
    if paidTime.timeIntervalSince(store.clock.now) > 300 {
      violations.append(
        DebtValidation.violation(
          "paid_time", "IN_FUTURE", en: "The paid time cannot be in the future.",
          ar: "لا يمكن أن يكون وقت السداد في المستقبل."))
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let workflow = workflow
    let requestID = call.requestID
    let target = DebtTarget.debt(
      try debtID(request.debtID), sadad: reference, credited: PaymentReference.key(reference) ?? reference)
    return try await change(
      call, caller: caller, target: target,
      decide: { snapshot, now in
        try workflow.recordPayment(
          snapshot, amount: amount, paidTime: paidTime, reference: reference, caller: caller, requestID: requestID,
          now: now)
      },
      answer: { outcome, wire in
        try .with {
          $0.debt = try outcome.debt(wire)
          if let movement = outcome.movement { $0.movement = wire.movement(movement) }
        }
      })
  }

  // MARK: Reads

  public func listDebts(
    request: Etimad_Debts_V1_ListDebtsRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ListDebtsResponse {
    let caller = try caller()
    let size = try pageSize(request.pageSize)
    var filter = DebtFilter()
    var violations: DebtValidation.Violations = []
    if request.state != .unspecified {
      filter.state = DebtRules.State(request.state)
      if filter.state == nil {
        violations.append(
          DebtValidation.violation("state", "UNKNOWN_STATE", en: "Unknown debt state.", ar: "حالة مديونية غير معروفة."))
      }
    }
    if !request.debtorIDNumber.isEmpty { filter.debtor = Digits.normalized(request.debtorIDNumber) }
    if request.hasCreateTimeFrom { filter.createdFrom = WireTime.date(request.createTimeFrom) }
    if request.hasCreateTimeTo { filter.createdBefore = WireTime.date(request.createTimeTo) }
    if request.hasDueDateFrom { filter.dueFrom = day(request.dueDateFrom, field: "due_date_from", into: &violations) }
    if request.hasDueDateTo { filter.dueTo = day(request.dueDateTo, field: "due_date_to", into: &violations) }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    var filters = request
    filters.pageSize = 0
    filters.pageToken = ""
    let key = "ListDebts:\(caller.pagingKey):" + (try filters.jsonString())
    let cursor = try paging.cursor(Cursor.self, from: request.pageToken, filters: key, domain: Self.domain)
    let page = try await store.debts(filter, caller: caller, pageSize: size, after: cursor?.after)
    let wire = wire(caller)
    return try .with {
      $0.debts = try page.items.map(wire.debt)
      if let last = page.last { $0.nextPageToken = paging.token(for: Cursor(after: last), filters: key) }
    }
  }

  private func day(
    _ date: Etimad_Type_V1_CalendarDate, field: String, into violations: inout DebtValidation.Violations
  ) -> CivilDay? {
    guard let day = CivilDay(date) else {
      violations.append(
        DebtValidation.violation(field, "INVALID_DATE", en: "Enter a real date.", ar: "أدخل تاريخًا صحيحًا."))
      return nil
    }
    return day
  }

  public func getDebt(
    request: Etimad_Debts_V1_GetDebtRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_GetDebtResponse {
    let caller = try caller()
    let debt = try await store.debt(id: try debtID(request.debtID), caller: caller)
    let wire = wire(caller)
    return try .with { $0.debt = try wire.debt(debt) }
  }

  public func listMyDebts(
    request: Etimad_Debts_V1_ListMyDebtsRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ListMyDebtsResponse {
    let caller = try caller()
    let size = try pageSize(request.pageSize)
    var filter = DebtFilter()
    if request.state != .unspecified {
      guard let state = DebtRules.State(request.state) else {
        throw EtimadError.invalidFields(
          [
            DebtValidation.violation(
              "state", "UNKNOWN_STATE", en: "Unknown debt state.", ar: "حالة مديونية غير معروفة.")
          ],
          domain: Self.domain)
      }
      filter.state = state
    }
    let key = "ListMyDebts:\(caller.pagingKey):\(request.state.rawValue)"
    let cursor = try paging.cursor(Cursor.self, from: request.pageToken, filters: key, domain: Self.domain)
    let page = try await store.debts(filter, caller: caller, pageSize: size, after: cursor?.after)
    let wire = wire(caller)
    return try .with {
      $0.debts = try page.items.map(wire.debt)
      if let last = page.last { $0.nextPageToken = paging.token(for: Cursor(after: last), filters: key) }
    }
  }

  public func listDebtMovements(
    request: Etimad_Debts_V1_ListDebtMovementsRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ListDebtMovementsResponse {
    let caller = try caller()
    let id = try debtID(request.debtID)
    let size = try pageSize(request.pageSize)
    let key = "ListDebtMovements:\(caller.pagingKey):\(id)"
    let cursor = try paging.cursor(Cursor.self, from: request.pageToken, filters: key, domain: Self.domain)
    let page = try await store.movements(debtID: id, caller: caller, pageSize: size, after: cursor?.after)
    let wire = wire(caller)
    return .with {
      $0.movements = page.items.map(wire.movement)
      if let last = page.last { $0.nextPageToken = paging.token(for: Cursor(after: last), filters: key) }
    }
  }

  public func getDebtSummary(
    request: Etimad_Debts_V1_GetDebtSummaryRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_GetDebtSummaryResponse {
    guard case .debtor(let idNumber) = try caller() else { throw DebtsErrors.debtNotFound }
    let totals = try await store.summary(idNumber: idNumber)
    var response = Etimad_Debts_V1_GetDebtSummaryResponse()
    response.totalOutstanding = .sar(.zero)
    for state in [DebtRules.State.outstanding, .paid, .cancelled] {
      guard let total = totals.first(where: { $0.state == state }) else { continue }
      response.states.append(
        .with {
          $0.state = state.message
          $0.count = Int32(clamping: total.count)
          $0.balance = .sar(total.balance)
        })
      if state == .outstanding { response.totalOutstanding = .sar(total.balance) }
    }
    return response
  }

  public func getInstalmentPlan(
    request: Etimad_Debts_V1_GetInstalmentPlanRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_GetInstalmentPlanResponse {
    let caller = try caller()
    let debt = try await store.debt(id: try debtID(request.debtID), caller: caller)
    guard let plan = debt.plan else { throw DebtsErrors.planNotFound }
    let wire = wire(caller)
    return try .with { $0.plan = try wire.plan(plan, balance: try debt.balance()) }
  }

  // MARK: Helpers

  /// Runs one change through storage: `target` loaded for `caller`, `decide` (the workflow's
  /// rules) on it, and the outcome answered by `answer` in the caller's view.
  func change<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, caller: DebtCaller, target: DebtTarget,
    decide: @escaping @Sendable (ChangeSnapshot, Date) throws -> DebtDecision,
    answer: @escaping @Sendable (DebtOutcome, DebtWire) throws -> Response
  ) async throws -> Response {
    let workflow = workflow
    return try await store.change(
      DebtChange(
        caller: caller, target: target, once: ExactlyOnce(call), decide: decide,
        answer: { outcome, now in try answer(outcome, DebtWire(caller: caller, now: now, workflow: workflow)) }))
  }

  /// The wire view for `caller` as of the server's clock now.
  func wire(_ caller: DebtCaller) -> DebtWire {
    DebtWire(caller: caller, now: store.clock.now, workflow: workflow)
  }

  func mutation<Request: SwiftProtobuf.Message>(
    _ request: Request, _ requestID: String, _ context: ServerContext
  )
    throws -> MutationCall<Request>
  {
    try MutationCall(request, requestID: requestID, context: context, domain: Self.domain)
  }

  func caller() throws -> DebtCaller {
    guard let caller = DebtCaller(Principal.current) else { throw DebtsErrors.debtNotFound }
    return caller
  }

  /// The agency and its acting employee; the access table already admits only agencies.
  func agencyEmployee() throws -> (String, String) {
    guard case .agency(let code, let employee) = try caller() else { throw DebtsErrors.debtNotFound }
    guard let employee, !employee.isEmpty else { throw DebtRuleError.employeeRequired.etimadError }
    return (code, employee)
  }

  func agency() throws -> DebtCaller {
    let (code, employee) = try agencyEmployee()
    return .agency(code: code, employee: employee)
  }

  /// A debt id: empty is INVALID_ARGUMENT; anything not an id this server issues is NOT_FOUND.
  func debtID(_ text: String, field: String = "debt_id") throws -> Int64 {
    if text.isEmpty { throw EtimadError.invalidFields([DebtValidation.required(field)], domain: Self.domain) }
    guard let id = DebtValidation.id(text) else { throw DebtsErrors.debtNotFound }
    return id
  }

  func pageSize(_ requested: Int32) throws -> Int {
    try Paging.pageSize(
      requested, default: Self.defaultPageSize, maximum: Self.maximumPageSize, domain: Self.domain)
  }

  func requiredNote(_ note: String, field: String) throws -> String {
    var violations: DebtValidation.Violations = []
    let text = DebtValidation.text(note, field: field, max: 1000, required: true, into: &violations)
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    return text
  }
}

extension DebtOutcome {
  /// The debt changed, in the caller's view.
  func debt(_ wire: DebtWire) throws -> Etimad_Debts_V1_Debt {
    guard let debt else { throw DebtsErrors.debtNotFound }
    return try wire.debt(debt)
  }
}
