import EtimadKit
import Foundation
import Testing

@testable import EtimadDebts

/// The outcome a state machine gives: the next state or the exact error.
enum Outcome<S: Hashable & Sendable>: Hashable, Sendable {
  case to(S)
  case refused(DebtRuleError)
}

@Suite("Debt state machine")
struct DebtStateMachineTests {
  typealias S = DebtRules.State

  /// Every state x every action, written out: the table a reviewer checks against DESIGN §3.
  static let table: [S: [DebtRules.Action: Outcome<S>]] = [
    .draft: [
      .edit: .to(.draft), .submit: .to(.underReview), .approve: .refused(.debtNotUnderReview(.draft)),
      .reject: .refused(.debtNotUnderReview(.draft)), .request: .refused(.debtNotOutstanding(.draft)),
      .post: .refused(.debtNotOutstanding(.draft)), .settle: .refused(.debtNotOutstanding(.draft)),
      .cancel: .refused(.debtNotOutstanding(.draft)),
    ],
    .underReview: [
      .edit: .refused(.debtNotDraft(.underReview)), .submit: .refused(.debtNotDraft(.underReview)),
      .approve: .to(.outstanding), .reject: .to(.draft), .request: .refused(.debtNotOutstanding(.underReview)),
      .post: .refused(.debtNotOutstanding(.underReview)), .settle: .refused(.debtNotOutstanding(.underReview)),
      .cancel: .refused(.debtNotOutstanding(.underReview)),
    ],
    .outstanding: [
      .edit: .refused(.debtNotDraft(.outstanding)), .submit: .refused(.debtNotDraft(.outstanding)),
      .approve: .refused(.debtNotUnderReview(.outstanding)), .reject: .refused(.debtNotUnderReview(.outstanding)),
      .request: .to(.outstanding), .post: .to(.outstanding), .settle: .to(.paid), .cancel: .to(.cancelled),
    ],
    .paid: Dictionary(uniqueKeysWithValues: DebtRules.Action.allCases.map { ($0, .refused(.debtClosed(.paid))) }),
    .cancelled: Dictionary(
      uniqueKeysWithValues: DebtRules.Action.allCases.map { ($0, .refused(.debtClosed(.cancelled))) }),
  ]

  @Test("every state x every action gives the tabled next state or error", arguments: S.allCases)
  func exhaustive(state: S) throws {
    let row = try #require(Self.table[state])
    #expect(row.count == DebtRules.Action.allCases.count)
    for action in DebtRules.Action.allCases {
      let outcome: Outcome<S>
      do { outcome = .to(try DebtRules.next(state, action)) } catch { outcome = .refused(error) }
      #expect(outcome == row[action], "\(state) x \(action)")
    }
  }

  @Test("a movement that leaves 0 settles the debt, any other posts")
  func movementAction() {
    #expect(DebtRules.movementAction(balanceAfter: .zero) == .settle)
    #expect(DebtRules.movementAction(balanceAfter: Halalas(1)) == .post)
  }

  @Test("four eyes: the submitter cannot decide, another employee can")
  func fourEyes() throws {
    #expect(throws: DebtRuleError.sameEmployee) { try DebtRules.checkFourEyes(submitter: "e1", decider: "e1") }
    #expect(throws: DebtRuleError.employeeRequired) { try DebtRules.checkFourEyes(submitter: "e1", decider: nil) }
    #expect(throws: DebtRuleError.employeeRequired) { try DebtRules.checkFourEyes(submitter: "e1", decider: "") }
    try DebtRules.checkFourEyes(submitter: "e1", decider: "e2")
  }

  @Test("amounts: at least 1 halala, at most the balance (with the balance in the error)")
  func amounts() throws {
    try DebtRules.checkAmount(Halalas(1), balance: Halalas(1))
    try DebtRules.checkAmount(Halalas(500), balance: Halalas(1_000))
    #expect(throws: DebtRuleError.amountNotPositive) { try DebtRules.checkAmount(.zero, balance: Halalas(5)) }
    #expect(throws: DebtRuleError.amountNotPositive) { try DebtRules.checkAmount(Halalas(-3), balance: Halalas(5)) }
    #expect(throws: DebtRuleError.amountExceedsBalance(Halalas(5))) {
      try DebtRules.checkAmount(Halalas(6), balance: Halalas(5))
    }
    let error = DebtRuleError.amountExceedsBalance(Halalas(12_345)).etimadError
    #expect(error.code == .failedPrecondition)
    #expect(error.metadata["balance_halalas"] == "12345")
  }
}

@Suite("Change and relief request state machine")
struct RequestStateMachineTests {
  typealias S = RequestRules.State

  static let table: [S: [RequestRules.Action: Outcome<S>]] = [
    .new: [
      .submit: .to(.pending), .approve: .refused(.requestNotPending(.new)),
      .reject: .refused(.requestNotPending(.new)), .withdraw: .refused(.requestNotPending(.new)),
    ],
    .pending: [
      .submit: .refused(.requestNotNew(.pending)), .approve: .to(.approved), .reject: .to(.rejected),
      .withdraw: .to(.withdrawn),
    ],
    .approved: [
      .submit: .refused(.requestNotNew(.approved)), .approve: .refused(.requestNotPending(.approved)),
      .reject: .refused(.requestNotPending(.approved)), .withdraw: .refused(.requestNotPending(.approved)),
    ],
    .rejected: [
      .submit: .refused(.requestNotNew(.rejected)), .approve: .refused(.requestNotPending(.rejected)),
      .reject: .refused(.requestNotPending(.rejected)), .withdraw: .refused(.requestNotPending(.rejected)),
    ],
    .withdrawn: [
      .submit: .refused(.requestNotNew(.withdrawn)), .approve: .refused(.requestNotPending(.withdrawn)),
      .reject: .refused(.requestNotPending(.withdrawn)), .withdraw: .refused(.requestNotPending(.withdrawn)),
    ],
  ]

  @Test("every state x every action gives the tabled next state or error", arguments: S.allCases)
  func exhaustive(state: S) throws {
    let row = try #require(Self.table[state])
    #expect(row.count == RequestRules.Action.allCases.count)
    for action in RequestRules.Action.allCases {
      let outcome: Outcome<S>
      do { outcome = .to(try RequestRules.next(state, action)) } catch { outcome = .refused(error) }
      #expect(outcome == row[action], "\(state) x \(action)")
    }
  }

  @Test("who may act: every raiser x actor x action")
  func authorization() {
    typealias A = RequestRules.Actor
    let debtor = A(party: .debtor)
    let raiserEmployee = A(party: .agency, employee: "e1")
    let otherEmployee = A(party: .agency, employee: "e2")
    func outcome(_ action: RequestRules.Action, raiser: A, actor: A) -> DebtRuleError? {
      do {
        try RequestRules.authorize(action, raiser: raiser, actor: actor)
        return nil
      } catch { return error }
    }
    // A debtor's request: any employee decides, only the debtor withdraws.
    for action in [RequestRules.Action.approve, .reject] {
      #expect(outcome(action, raiser: debtor, actor: raiserEmployee) == nil)
      #expect(outcome(action, raiser: debtor, actor: debtor) == .debtorCannotDecide)
      // An agency's request: another employee decides, never the one who raised it.
      #expect(outcome(action, raiser: raiserEmployee, actor: otherEmployee) == nil)
      #expect(outcome(action, raiser: raiserEmployee, actor: raiserEmployee) == .sameEmployee)
      #expect(outcome(action, raiser: raiserEmployee, actor: debtor) == .debtorCannotDecide)
    }
    for action in [RequestRules.Action.withdraw, .submit] {
      #expect(outcome(action, raiser: debtor, actor: debtor) == nil)
      #expect(outcome(action, raiser: debtor, actor: otherEmployee) == .notRaiser)
      #expect(outcome(action, raiser: raiserEmployee, actor: otherEmployee) == nil)
      #expect(outcome(action, raiser: raiserEmployee, actor: debtor) == .notRaiser)
    }
  }
}

@Suite("Instalment plan state machine")
struct PlanStateMachineTests {
  typealias S = PlanRules.State

  static let table: [S: [PlanRules.Action: Outcome<S>]] = [
    .active: [.settle: .to(.completed), .overdue: .to(.defaulted), .cancel: .to(.cancelled)],
    .defaulted: [.settle: .to(.completed), .overdue: .refused(.planNotActive(.defaulted)), .cancel: .to(.cancelled)],
    .completed: [
      .settle: .refused(.planClosed(.completed)), .overdue: .refused(.planClosed(.completed)),
      .cancel: .refused(.planClosed(.completed)),
    ],
    .cancelled: [
      .settle: .refused(.planClosed(.cancelled)), .overdue: .refused(.planClosed(.cancelled)),
      .cancel: .refused(.planClosed(.cancelled)),
    ],
  ]

  @Test("every state x every action gives the tabled next state or error", arguments: S.allCases)
  func exhaustive(state: S) throws {
    let row = try #require(Self.table[state])
    #expect(row.count == PlanRules.Action.allCases.count)
    for action in PlanRules.Action.allCases {
      let outcome: Outcome<S>
      do { outcome = .to(try PlanRules.next(state, action)) } catch { outcome = .refused(error) }
      #expect(outcome == row[action], "\(state) x \(action)")
    }
  }

  @Test("an instalment unpaid past the grace period defaults an active plan, on the day after")
  func defaulting() throws {
    let due = try #require(CivilDay("2026-01-10"))
    let instalments = [(due: due, amount: Halalas(100)), (due: due.adding(months: 1), amount: Halalas(100))]
    func state(_ today: String, settled: Int64, stored: S = .active) throws -> S {
      PlanRules.effectiveState(
        stored, instalments: instalments, settled: Halalas(settled), today: try #require(CivilDay(today)),
        graceDays: 30)
    }
    #expect(try state("2026-02-09", settled: 0) == .active)
    #expect(try state("2026-02-10", settled: 99) == .defaulted)
    #expect(try state("2026-02-10", settled: 100) == .active)
    #expect(try state("2026-03-13", settled: 100) == .defaulted)
    #expect(try state("2026-03-13", settled: 200) == .active)
    #expect(try state("2027-01-01", settled: 0, stored: .completed) == .completed)
    #expect(PlanRules.overdue(due: due, amount: Halalas(5), paid: Halalas(4), today: due.adding(days: 1)))
    #expect(!PlanRules.overdue(due: due, amount: Halalas(5), paid: Halalas(4), today: due))
  }
}

@Suite("Instalment splitting")
struct InstalmentSplittingTests {
  @Test("sums exactly, none below 1 halala, equal parts with the remainder on the last (10 000 random cases)")
  func properties() throws {
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<10_000 {
      let count = Int.random(in: PlanRules.counts, using: &generator)
      let magnitudes: [Int64] = [100, 10_000, 10_000_000, Int64.max / 2]
      let magnitude: Int64 = magnitudes.randomElement(using: &generator) ?? 100
      let total = Halalas(Int64.random(in: Int64(count)...max(Int64(count), magnitude), using: &generator))
      let parts = try PlanRules.split(total, into: count)
      #expect(parts.count == count)
      #expect(try Halalas.sum(parts) == total)
      #expect(parts.allSatisfy { $0.value >= 1 })
      let first = parts[0]
      #expect(parts.dropLast().allSatisfy { $0 == first })
      #expect(parts[count - 1].value - first.value == total.value % Int64(count))
      #expect(parts[count - 1].value - first.value < Int64(count))
    }
  }

  @Test("edge cases: the smallest balance, counts out of range, a balance too small")
  func edges() throws {
    #expect(try PlanRules.split(Halalas(2), into: 2) == [Halalas(1), Halalas(1)])
    #expect(try PlanRules.split(Halalas(100), into: 3) == [Halalas(33), Halalas(33), Halalas(34)])
    #expect(try PlanRules.split(Halalas(60), into: 60) == Array(repeating: Halalas(1), count: 60))
    #expect(throws: DebtRuleError.instalmentCountOutOfRange(1)) { try PlanRules.split(Halalas(100), into: 1) }
    #expect(throws: DebtRuleError.instalmentCountOutOfRange(61)) { try PlanRules.split(Halalas(100), into: 61) }
    #expect(throws: DebtRuleError.balanceTooSmallForInstalments(Halalas(5), 6)) {
      try PlanRules.split(Halalas(5), into: 6)
    }
  }

  @Test("payments settle the oldest instalment first, never beyond each amount")
  func allocation() {
    let amounts = [Halalas(33), Halalas(33), Halalas(34)]
    #expect(PlanRules.allocate(amounts, settled: .zero) == [.zero, .zero, .zero])
    #expect(PlanRules.allocate(amounts, settled: Halalas(40)) == [Halalas(33), Halalas(7), .zero])
    #expect(PlanRules.allocate(amounts, settled: Halalas(100)) == amounts)
    #expect(PlanRules.allocate(amounts, settled: Halalas(500)) == amounts)
    #expect(PlanRules.allocate(amounts, settled: Halalas(-5)) == [.zero, .zero, .zero])
    for settled in Int64(0)...100 {
      #expect(PlanRules.allocate(amounts, settled: Halalas(settled)).reduce(0) { $0 + $1.value } == settled)
    }
  }

  @Test("monthly due dates keep the day, or the month's last day")
  func dueDates() throws {
    let first = try #require(CivilDay("2026-01-31"))
    #expect(
      PlanRules.dueDates(first: first, count: 4).map(\.description) == [
        "2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30",
      ])
    #expect(CivilDay("2026-02-30") == nil)
    #expect(try #require(CivilDay("2028-02-28")).adding(days: 1).description == "2028-02-29")
    // 1 Ramadan 1447 (Umm al-Qura) is 2026-02-18.
    let hijri = CivilDay(
      .with {
        $0.year = 1447
        $0.month = 9
        $0.day = 1
        $0.calendar = .hijri
      })
    #expect(hijri?.description == "2026-02-18")
  }
}

@Suite("Civil days")
struct CivilDayTests {
  @Test("integer day arithmetic agrees with Foundation's Gregorian calendar (5 000 random days)")
  func agreesWithFoundation() throws {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = try #require(TimeZone(identifier: "UTC"))
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<5_000 {
      // From 1600: before October 1582 Foundation counts Julian days, this type proleptic Gregorian ones.
      let ordinal = Int.random(in: -135_000...2_000_000, using: &generator)
      let day = CivilDay(ordinal: ordinal)
      let date = Date(timeIntervalSince1970: Double(ordinal) * 86_400)
      let parts = calendar.dateComponents([.year, .month, .day], from: date)
      #expect([day.year, day.month, day.day] == [parts.year, parts.month, parts.day])
      #expect(day.ordinal == ordinal)
      #expect(CivilDay(day.description) == day)
      let months = Int.random(in: 0...60, using: &generator)
      let later = try #require(calendar.date(byAdding: .month, value: months, to: date))
      let laterParts = calendar.dateComponents([.year, .month, .day], from: later)
      let added = day.adding(months: months)
      #expect([added.year, added.month, added.day] == [laterParts.year, laterParts.month, laterParts.day])
    }
  }

  @Test("the date in Riyadh turns at 21:00 UTC")
  func riyadh() {
    #expect(CivilDay.inRiyadh(Date(timeIntervalSince1970: 1_767_214_799)).description == "2025-12-31")
    #expect(CivilDay.inRiyadh(Date(timeIntervalSince1970: 1_767_214_800)).description == "2026-01-01")
  }
}
