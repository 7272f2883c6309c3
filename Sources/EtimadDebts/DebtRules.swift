import EtimadKit

/// The state machines of the debts area as pure functions: every state and action gives the
/// next state or the exact `DebtRuleError`. The store applies them inside its transactions;
/// `Tests/EtimadDebtsTests` checks every pair.
public enum DebtRules {
  public static let domain = "debts.etimad.sa"

  /// The life of a debt.
  public enum State: String, CaseIterable, Sendable {
    case draft = "DRAFT"
    case underReview = "UNDER_REVIEW"
    case outstanding = "OUTSTANDING"
    case paid = "PAID"
    case cancelled = "CANCELLED"

    /// PAID and CANCELLED never change again.
    public var isFinal: Bool { self == .paid || self == .cancelled }
  }

  /// What can happen to a debt.
  public enum Action: String, CaseIterable, Sendable {
    /// UpdateDebt on a draft.
    case edit
    /// SubmitDebt.
    case submit
    /// ApproveDebt by another employee.
    case approve
    /// RejectDebt by another employee.
    case reject
    /// A change or relief request raised or decided.
    case request
    /// A movement that leaves a balance above 0 (partial payment, exemption, adjustment).
    case post
    /// A movement that brings the balance to 0.
    case settle
    /// An approved cancellation request.
    case cancel
  }

  /// The state after `action`, or why it is refused.
  public static func next(_ state: State, _ action: Action) throws(DebtRuleError) -> State {
    if state.isFinal { throw .debtClosed(state) }
    switch (action, state) {
    case (.edit, .draft): return .draft
    case (.submit, .draft): return .underReview
    case (.edit, _), (.submit, _): throw .debtNotDraft(state)
    case (.approve, .underReview): return .outstanding
    case (.reject, .underReview): return .draft
    case (.approve, _), (.reject, _): throw .debtNotUnderReview(state)
    case (.request, .outstanding), (.post, .outstanding): return .outstanding
    case (.settle, .outstanding): return .paid
    case (.cancel, .outstanding): return .cancelled
    case (.request, _), (.post, _), (.settle, _), (.cancel, _): throw .debtNotOutstanding(state)
    }
  }

  /// The action a movement is for a debt, by the balance it leaves.
  public static func movementAction(balanceAfter: Halalas) -> Action {
    balanceAfter.value == 0 ? .settle : .post
  }

  /// Four eyes: the employee deciding must not be the one who submitted. Compared in the
  /// kit's canonical form (`EmployeeID`), so that case and spacing never make two employees.
  public static func checkFourEyes(submitter: String?, decider: String?) throws(DebtRuleError) {
    guard let decider, !decider.isEmpty else { throw .employeeRequired }
    if EmployeeID.same(submitter, decider) { throw .sameEmployee }
  }

  /// Refuses an amount above the balance, and amounts below 1 halala.
  public static func checkAmount(_ amount: Halalas, balance: Halalas) throws(DebtRuleError) {
    guard amount.value > 0 else { throw .amountNotPositive }
    guard amount <= balance else { throw .amountExceedsBalance(balance) }
  }
}

/// The life of a change request and of a relief request.
public enum RequestRules {
  public enum State: String, CaseIterable, Sendable {
    case new = "NEW"
    case pending = "PENDING"
    case approved = "APPROVED"
    case rejected = "REJECTED"
    case withdrawn = "WITHDRAWN"
  }

  public enum Action: String, CaseIterable, Sendable {
    case submit, approve, reject, withdraw
  }

  /// Which side raised a request or acts on it.
  public enum Party: String, CaseIterable, Sendable {
    case debtor, agency
  }

  /// Someone acting on a request: the side, and the employee for an agency.
  public struct Actor: Sendable, Hashable {
    public var party: Party
    public var employee: String?

    public init(party: Party, employee: String? = nil) {
      self.party = party
      self.employee = employee
    }
  }

  public static func next(_ state: State, _ action: Action) throws(DebtRuleError) -> State {
    switch (action, state) {
    case (.submit, .new): return .pending
    case (.submit, _): throw .requestNotNew(state)
    case (.approve, .pending): return .approved
    case (.reject, .pending): return .rejected
    case (.withdraw, .pending): return .withdrawn
    case (.approve, _), (.reject, _), (.withdraw, _): throw .requestNotPending(state)
    }
  }

  /// Who may take `action` on a request raised by `raiser`: the agency decides (another
  /// employee than the one who raised an agency request); only the raising side withdraws.
  public static func authorize(_ action: Action, raiser: Actor, actor: Actor) throws(DebtRuleError) {
    switch action {
    case .submit:
      guard actor.party == raiser.party else { throw .notRaiser }
    case .approve, .reject:
      guard actor.party == .agency else { throw .debtorCannotDecide }
      if raiser.party == .agency { try DebtRules.checkFourEyes(submitter: raiser.employee, decider: actor.employee) }
    case .withdraw:
      guard actor.party == raiser.party else { throw .notRaiser }
    }
  }
}

/// The life of an instalment plan.
public enum PlanRules {
  public enum State: String, CaseIterable, Sendable {
    case active = "ACTIVE"
    case completed = "COMPLETED"
    case defaulted = "DEFAULTED"
    case cancelled = "CANCELLED"

    public var isFinal: Bool { self == .completed || self == .cancelled }
  }

  public enum Action: String, CaseIterable, Sendable {
    /// The debt's balance reached 0.
    case settle
    /// An instalment is unpaid past the grace period.
    case overdue
    /// The debt was cancelled.
    case cancel
  }

  public static func next(_ state: State, _ action: Action) throws(DebtRuleError) -> State {
    if state.isFinal { throw .planClosed(state) }
    switch (action, state) {
    case (.settle, _): return .completed
    case (.cancel, _): return .cancelled
    case (.overdue, .active): return .defaulted
    case (.overdue, _): throw .planNotActive(state)
    }
  }

  /// The instalment counts a plan may have.
  public static let counts = 2...60
  /// How far ahead the first instalment may fall due.
  public static let firstDueWithinDays = 90

  /// Splits `total` into `count` monthly amounts that sum exactly to it: equal parts, the
  /// remainder of the division on the last one; none below 1 halala.
  public static func split(_ total: Halalas, into count: Int) throws(DebtRuleError) -> [Halalas] {
    guard counts.contains(count) else { throw .instalmentCountOutOfRange(count) }
    guard total.value >= Int64(count) else { throw .balanceTooSmallForInstalments(total, count) }
    let (base, remainder) = total.value.quotientAndRemainder(dividingBy: Int64(count))
    return Array(repeating: Halalas(base), count: count - 1) + [Halalas(base + remainder)]
  }

  /// What each instalment has received when `settled` was paid into the plan, oldest first.
  public static func allocate(_ amounts: [Halalas], settled: Halalas) -> [Halalas] {
    var left = max(0, settled.value)
    return amounts.map { amount in
      let part = min(left, amount.value)
      left -= part
      return Halalas(part)
    }
  }

  /// The due dates of `count` monthly instalments from `first` (the 31st falls on the last day
  /// of shorter months).
  public static func dueDates(first: CivilDay, count: Int) -> [CivilDay] {
    (0..<count).map { first.adding(months: $0) }
  }

  /// Whether an instalment unpaid (`paid < amount`) is overdue on `today`, and whether it is
  /// past the grace period, which defaults the plan.
  public static func overdue(due: CivilDay, amount: Halalas, paid: Halalas, today: CivilDay) -> Bool {
    paid < amount && today > due
  }

  public static func defaulted(
    due: CivilDay, amount: Halalas, paid: Halalas, today: CivilDay, graceDays: Int
  ) -> Bool {
    paid < amount && today > due.adding(days: graceDays)
  }

  /// The plan's state as of `today`: an ACTIVE plan with an instalment unpaid past the grace
  /// period reads DEFAULTED even before the periodic job has recorded it.
  public static func effectiveState(
    _ stored: State, instalments: [(due: CivilDay, amount: Halalas)], settled: Halalas, today: CivilDay,
    graceDays: Int
  ) -> State {
    guard stored == .active else { return stored }
    let received = allocate(instalments.map(\.amount), settled: settled)
    for (instalment, paid) in zip(instalments, received)
    where defaulted(due: instalment.due, amount: instalment.amount, paid: paid, today: today, graceDays: graceDays) {
      return .defaulted
    }
    return stored
  }
}
