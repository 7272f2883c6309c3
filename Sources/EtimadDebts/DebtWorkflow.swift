import EtimadKit
import Foundation

/// The order in which the debts rules run for each change, as pure functions of a snapshot:
/// the one place every store shares. A store loads the `ChangeSnapshot` in its transaction,
/// hands it here (through the handler's `decide` closure), and writes the `DebtDecision`.
struct DebtWorkflow: Sendable {
  /// Days an instalment may stay unpaid past its due date.
  let graceDays: Int

  // MARK: Views

  /// The state of `plan` on `today` with the debt at `balance`.
  func planState(_ plan: Plan, balance: Halalas, today: CivilDay) throws -> PlanRules.State {
    guard plan.state == .active else { return plan.state }
    return PlanRules.effectiveState(
      plan.state, instalments: plan.instalments.map { ($0.due, $0.amount) },
      settled: try plan.settled(balance: balance), today: today, graceDays: graceDays)
  }

  /// The debt's latest plan's state as of `today`, nil without a plan.
  func planState(_ snapshot: DebtSnapshot, today: CivilDay) throws -> PlanRules.State? {
    guard let plan = snapshot.plan else { return nil }
    return try planState(plan, balance: try snapshot.balance(), today: today)
  }

  // MARK: The debt's life (agency)

  func create(_ fields: DebtFields, agency: String, employee: String) -> DebtDecision {
    var decision = DebtDecision()
    decision.newDebt = .init(fields: fields, agencyCode: agency, employee: employee)
    decision.audit = { _ in "debt created as draft: \(fields.amount) on \(fields.debtorIDNumber)" }
    return decision
  }

  func update(_ snapshot: ChangeSnapshot, patch: DebtPatch) throws -> DebtDecision {
    let debt = try snapshot.requireDebt().debt
    _ = try DebtRules.next(debt.state, .edit)
    var decision = DebtDecision()
    decision.fields = patch.applied(to: debt.fields)
    let paths = patch.paths.sorted().joined(separator: ",")
    decision.audit = { _ in "draft updated: \(paths)" }
    return decision
  }

  /// Submit, approve or reject: the state rule, then four eyes for a decision.
  func review(
    _ snapshot: ChangeSnapshot, _ action: DebtRules.Action, note: String, caller: DebtCaller
  ) throws
    -> DebtDecision
  {
    let debt = try snapshot.requireDebt().debt
    let next = try DebtRules.next(debt.state, action)
    let employee = caller.employee
    let step: DebtDecision.Review.Step
    switch action {
    case .submit:
      step = .submitted(by: employee)
    case .approve:
      try DebtRules.checkFourEyes(submitter: debt.submittedBy, decider: employee)
      step = .approved(by: employee)
    default:
      try DebtRules.checkFourEyes(submitter: debt.submittedBy, decider: employee)
      step = .rejected(note: note)
    }
    var decision = DebtDecision()
    decision.review = .init(step: step, state: next)
    let summary = "debt \(action.rawValue): \(debt.state.rawValue) -> \(next.rawValue)"
    decision.audit = { _ in summary }
    return decision
  }

  /// A SADAD payment notification. A used reference first: SADAD redelivering the notice that
  /// settled the debt must hear ALREADY_EXISTS, not that the debt is closed (which reads as a
  /// refused payment); then a payment credited through a PAYMENT request.
  func recordPayment(
    _ snapshot: ChangeSnapshot, amount: Halalas, paidTime: Date, reference: String, caller: DebtCaller,
    requestID: String, now: Date
  ) throws -> DebtDecision {
    var debt = try snapshot.requireDebt()
    if snapshot.sadadReferenceUsed { throw DebtsErrors.sadadReferenceUsed }
    if snapshot.alreadyCredited { throw DebtsErrors.paymentAlreadyCredited }
    _ = try DebtRules.next(debt.debt.state, .post)
    try DebtRules.checkAmount(amount, balance: try debt.balance())
    var decision = DebtDecision()
    try post(
      &decision, &debt, kind: .payment, delta: Halalas(-amount.value), effectiveTime: paidTime, caller: caller,
      requestID: requestID, sadadReference: reference)
    decision.audit = { _ in "SADAD payment \(reference) of \(amount) recorded" }
    return decision
  }

  // MARK: Change requests

  /// What a new change request carries, validated by the handler.
  struct NewChange: Sendable {
    var kind: ChangeKind
    var reason: String
    /// PAYMENT: the amount paid and the payer's reference.
    var amount: Halalas? = nil
    var paymentReference = ""
    /// UPDATE_DATA: the new values (the debtor never changes).
    var patch: DebtPatch? = nil
  }

  func raiseChange(
    _ snapshot: ChangeSnapshot, _ change: NewChange, caller: DebtCaller, now: Date
  ) throws
    -> DebtDecision
  {
    var debt = try snapshot.requireDebt()
    _ = try DebtRules.next(debt.debt.state, .request)
    if debt.pending.contains(where: { $0.kind == .change(change.kind) }) {
      throw DebtsErrors.requestAlreadyPending(change.kind.rawValue)
    }
    let balance = try debt.balance()
    if let amount = change.amount { try DebtRules.checkAmount(amount, balance: balance) }
    if change.kind == .payment, PaymentReference.key(change.paymentReference) != nil, snapshot.alreadyCredited {
      throw DebtsErrors.paymentAlreadyCredited
    }
    var decision = DebtDecision()
    if let newAmount = change.patch?.amount, newAmount != (try debt.amountDue()) {
      try refuseWhilePlanActive(&decision, &debt, balance: balance, now: now)
    }
    // Created NEW and submitted in the same transaction.
    let state = try RequestRules.next(.new, .submit)
    decision.newChange = .init(
      kind: change.kind, state: state, raiser: caller.actor, amount: change.amount,
      paymentReference: change.paymentReference, patch: change.patch, reason: change.reason)
    let party = caller.party
    decision.audit = { ids in
      "\(change.kind.rawValue) change request \(ids.changeRequest ?? 0) raised by the \(party)"
    }
    return decision
  }

  func withdrawChange(_ snapshot: ChangeSnapshot, caller: DebtCaller) throws -> DebtDecision {
    guard let request = snapshot.changeRequest else { throw DebtsErrors.changeRequestNotFound }
    try RequestRules.authorize(.withdraw, raiser: request.raiser, actor: caller.actor)
    let next = try RequestRules.next(request.state, .withdraw)
    var decision = DebtDecision()
    decision.requestDecision = .init(request: .change(request.id), state: next)
    decision.answersWithDebt = false
    decision.audit = { _ in "change request \(request.id) withdrawn" }
    return decision
  }

  func decideChange(
    _ snapshot: ChangeSnapshot, approve: Bool, note: String, caller: DebtCaller, requestID: String, now: Date
  ) throws -> DebtDecision {
    guard let request = snapshot.changeRequest else { throw DebtsErrors.changeRequestNotFound }
    var debt = try snapshot.requireDebt()
    let action: RequestRules.Action = approve ? .approve : .reject
    try RequestRules.authorize(action, raiser: request.raiser, actor: caller.actor)
    let next = try RequestRules.next(request.state, action)
    var decision = DebtDecision()
    if approve {
      try apply(
        &decision, &debt, request, credited: snapshot.alreadyCredited, caller: caller, requestID: requestID, now: now)
    }
    decision.requestDecision = .init(request: .change(request.id), state: next, note: note, decidedBy: caller.employee)
    let summary = "\(request.kind.rawValue) change request \(request.id) \(approve ? "approved" : "rejected")"
    decision.audit = { _ in summary }
    return decision
  }

  /// Applies an approved change request to its debt with its ledger movement.
  private func apply(
    _ decision: inout DebtDecision, _ debt: inout DebtSnapshot, _ request: ChangeRequest, credited: Bool,
    caller: DebtCaller, requestID: String, now: Date
  ) throws {
    _ = try DebtRules.next(debt.debt.state, .request)
    let source = RequestRef.change(request.id).source
    let balance = try debt.balance()
    switch request.kind {
    case .payment:
      let amount = request.amount ?? .zero
      try DebtRules.checkAmount(amount, balance: balance)
      // The payer's reference goes with the movement, so the same payment is not credited
      // again by its SADAD notice or by another request.
      let key = PaymentReference.key(request.paymentReference)
      if key != nil, credited { throw DebtsErrors.paymentAlreadyCredited }
      try post(
        &decision, &debt, kind: .payment, delta: Halalas(-amount.value), effectiveTime: now, caller: caller,
        requestID: requestID, paymentReference: key, source: source)
    case .cancellation:
      try post(
        &decision, &debt, kind: .cancellation, delta: Halalas(-balance.value), effectiveTime: now, caller: caller,
        requestID: requestID, source: source)
    case .updateData:
      let patch = request.patch ?? DebtPatch()
      var fields = patch.applied(to: debt.debt.fields)
      // The registered amount stays as it was: a new amount is an ADJUSTMENT in the ledger.
      fields.amount = debt.debt.fields.amount
      decision.fields = fields
      guard let newAmount = patch.amount else { return }
      let delta = try newAmount.subtracting(try debt.amountDue())
      guard delta.value != 0 else { return }
      try refuseWhilePlanActive(&decision, &debt, balance: balance, now: now)
      guard try balance.adding(delta).value >= 0 else { throw DebtsErrors.balanceWouldBeNegative }
      try post(
        &decision, &debt, kind: .adjustment, delta: delta, effectiveTime: now, caller: caller, requestID: requestID,
        source: source)
    }
  }

  // MARK: Relief requests

  /// What a new relief request carries, validated by the handler.
  struct NewRelief: Sendable {
    var kind: ReliefKind
    var reason: String
    var attachmentRefs: [String]
    /// EXEMPTION: the whole balance, or an amount.
    var full = false
    var amount: Halalas? = nil
    /// INSTALMENT: how many, and the first due date.
    var instalmentCount: Int? = nil
    var firstDueDate: CivilDay? = nil
  }

  func raiseRelief(_ snapshot: ChangeSnapshot, _ relief: NewRelief, now: Date) throws -> DebtDecision {
    var debt = try snapshot.requireDebt()
    _ = try DebtRules.next(debt.debt.state, .request)
    if debt.pending.contains(where: { $0.kind == .relief(relief.kind) }) {
      throw DebtsErrors.requestAlreadyPending(relief.kind.rawValue)
    }
    let balance = try debt.balance()
    if let amount = relief.amount { try DebtRules.checkAmount(amount, balance: balance) }
    var decision = DebtDecision()
    try refuseWhilePlanActive(&decision, &debt, balance: balance, now: now)
    if let count = relief.instalmentCount { _ = try PlanRules.split(balance, into: count) }
    // Whether the date falls within 90 days is checked with the transaction's clock, after a
    // retry has been answered: a replay days later gets the first answer.
    if let first = relief.firstDueDate {
      let today = CivilDay.inRiyadh(now)
      guard first >= today, today.days(to: first) <= PlanRules.firstDueWithinDays else {
        throw EtimadError.invalidFields([DebtValidation.firstDueDate("OUT_OF_RANGE")], domain: DebtRules.domain)
      }
    }
    let state = try RequestRules.next(.new, .submit)
    decision.newRelief = .init(
      kind: relief.kind, state: state, amount: relief.amount, full: relief.full,
      instalmentCount: relief.instalmentCount, firstDueDate: relief.firstDueDate, reason: relief.reason,
      attachmentRefs: relief.attachmentRefs)
    decision.audit = { ids in
      "\(relief.kind.rawValue) relief request \(ids.reliefRequest ?? 0) raised by the debtor"
    }
    return decision
  }

  func withdrawRelief(_ snapshot: ChangeSnapshot, caller: DebtCaller) throws -> DebtDecision {
    guard let request = snapshot.reliefRequest else { throw DebtsErrors.reliefRequestNotFound }
    try RequestRules.authorize(.withdraw, raiser: .init(party: .debtor), actor: caller.actor)
    let next = try RequestRules.next(request.state, .withdraw)
    var decision = DebtDecision()
    decision.requestDecision = .init(request: .relief(request.id), state: next)
    decision.answersWithDebt = false
    decision.audit = { _ in "relief request \(request.id) withdrawn" }
    return decision
  }

  func decideRelief(
    _ snapshot: ChangeSnapshot, approve: Bool, note: String, caller: DebtCaller, requestID: String, now: Date
  ) throws -> DebtDecision {
    guard let request = snapshot.reliefRequest else { throw DebtsErrors.reliefRequestNotFound }
    var debt = try snapshot.requireDebt()
    let action: RequestRules.Action = approve ? .approve : .reject
    try RequestRules.authorize(action, raiser: .init(party: .debtor), actor: caller.actor)
    let next = try RequestRules.next(request.state, action)
    var decision = DebtDecision()
    if approve {
      _ = try DebtRules.next(debt.debt.state, .request)
      let balance = try debt.balance()
      try refuseWhilePlanActive(&decision, &debt, balance: balance, now: now)
      switch request.kind {
      case .exemption:
        let amount = request.full ? balance : (request.amount ?? .zero)
        try DebtRules.checkAmount(amount, balance: balance)
        try post(
          &decision, &debt, kind: .exemption, delta: Halalas(-amount.value), effectiveTime: now, caller: caller,
          requestID: requestID, source: RequestRef.relief(request.id).source)
      case .instalment:
        let count = request.instalmentCount ?? 0
        let amounts = try PlanRules.split(balance, into: count)
        let today = CivilDay.inRiyadh(now)
        let first = request.firstDueDate ?? today.adding(months: 1)
        // Approved after the date the debtor asked for, the plan would start overdue.
        if first < today { throw DebtsErrors.firstDueDatePassed(first) }
        decision.newPlan = .init(
          reliefRequestID: request.id, total: balance,
          instalments: Array(zip(PlanRules.dueDates(first: first, count: count), amounts)))
      }
    }
    decision.requestDecision = .init(request: .relief(request.id), state: next, note: note, decidedBy: caller.employee)
    let summary = "\(request.kind.rawValue) relief request \(request.id) \(approve ? "approved" : "rejected")"
    decision.audit = { _ in summary }
    return decision
  }

  // MARK: Periodic job

  /// Records that the debt's ACTIVE plan defaulted, when an instalment is unpaid past the grace
  /// period on `now`'s day; nil when there is nothing to record.
  func recordDefaultIfDue(_ snapshot: DebtSnapshot, now: Date) throws -> DebtDecision? {
    guard let plan = snapshot.plan, plan.state == .active,
      try planState(plan, balance: try snapshot.balance(), today: CivilDay.inRiyadh(now)) == .defaulted
    else { return nil }
    var decision = DebtDecision()
    var debt = snapshot
    try recordDefault(&decision, &debt, plan)
    decision.answersWithDebt = false
    return decision
  }

  // MARK: Shared steps

  /// Refuses while the debt's latest plan is ACTIVE by the server's clock: its instalments were
  /// split from the balance, so no second plan, no exemption and no new amount may change that
  /// balance outside the plan's payments. A plan that has defaulted binds nothing any more: the
  /// agency may grant a new plan or an exemption (or reject them); a default the periodic job has
  /// not recorded yet is recorded here first.
  private func refuseWhilePlanActive(
    _ decision: inout DebtDecision, _ debt: inout DebtSnapshot, balance: Halalas, now: Date
  ) throws {
    guard let plan = debt.plan, plan.state == .active else { return }
    switch try planState(plan, balance: balance, today: CivilDay.inRiyadh(now)) {
    case .active: throw DebtsErrors.planAlreadyActive
    case .defaulted: try recordDefault(&decision, &debt, plan)
    case .completed, .cancelled: return
    }
  }

  /// The plan defaulted (an instalment unpaid past the grace period), with the platform's
  /// audit row: by the periodic job, or by a request that finds it so first.
  private func recordDefault(_ decision: inout DebtDecision, _ debt: inout DebtSnapshot, _ plan: Plan) throws {
    let next = try PlanRules.next(plan.state, .overdue)
    decision.planMoves.append(.init(planID: plan.id, state: next))
    debt.plan?.state = next
    decision.systemAudits.append(
      .init(
        kind: "system", id: "debts", method: "job/instalment-plan-defaults", requestID: nil,
        summary: "instalment plan \(plan.id) defaulted: an instalment unpaid \(graceDays) days past due"))
  }

  /// Posts a movement of `delta` (its effect on the balance) and its consequences: the debt
  /// PAID at 0 or CANCELLED by a cancellation, its plan completed or cancelled, and the
  /// requests still pending on a debt that just closed rejected by the platform (nothing can be
  /// applied to a closed debt any more, and a request left pending would show the debt under
  /// review for ever). The request applied by this very movement (`source`) is its caller's.
  private func post(
    _ decision: inout DebtDecision, _ debt: inout DebtSnapshot, kind: MovementKind, delta: Halalas,
    effectiveTime: Date, caller: DebtCaller, requestID: String, sadadReference: String? = nil,
    paymentReference: String? = nil, source: String? = nil
  ) throws {
    let balance = try debt.balance()
    let after = try balance.adding(delta)
    guard after.value >= 0 else { throw DebtRuleError.amountExceedsBalance(balance) }
    let action: DebtRules.Action = kind == .cancellation ? .cancel : DebtRules.movementAction(balanceAfter: after)
    let state = try DebtRules.next(debt.debt.state, action)
    let actor = caller.recordedAs
    decision.movement = .init(
      kind: kind, delta: delta, balanceAfter: after, effectiveTime: effectiveTime, actorKind: actor.kind,
      actorID: actor.id, employee: caller.employee, sadadReference: sadadReference,
      paymentReference: paymentReference, source: source)
    debt.ledger.total = try debt.ledger.total.adding(delta)
    guard state != debt.debt.state else { return }
    decision.state = state
    debt.debt.state = state
    if let plan = debt.plan, !plan.state.isFinal {
      let next = try PlanRules.next(plan.state, state == .cancelled ? .cancel : .settle)
      decision.planMoves.append(.init(planID: plan.id, state: next))
      debt.plan?.state = next
    }
    guard state.isFinal else { return }
    decision.closedState = try RequestRules.next(.pending, .reject)
    decision.closedNote = PlatformNote.debtClosed(state)
    let changes = debt.pending.filter { if case .change = $0.kind { true } else { false } }
    let reliefs = debt.pending.filter { if case .relief = $0.kind { true } else { false } }
    for request in changes.sorted(by: { $0.id < $1.id }) + reliefs.sorted(by: { $0.id < $1.id })
    where request.ref.source != source {
      decision.closedRequests.append(request.ref)
      let noun = request.ref.source.split(separator: "/").first.map(String.init) ?? "request"
      decision.systemAudits.append(
        .init(
          kind: "system", id: "etimadd", method: "debt closed", requestID: requestID,
          summary: "\(noun) \(request.id) rejected: the debt was \(state.rawValue)"))
    }
  }
}
