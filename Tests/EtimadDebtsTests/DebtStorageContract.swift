import EtimadKit
import Foundation
import SwiftProtobuf
import Synchronization
import Testing

@testable import EtimadDebts

/// What every `DebtStorage` must do, written against the protocol alone: the SQLite store runs
/// it below (`SQLiteDebtStorageTests`), and a PostgreSQL store runs the same cases with its own
/// `make`. Each case gets a fresh, empty store whose clock it may move.
struct DebtStorageContract: Sendable {
  /// A fresh, empty store reading `clock`, with 30 grace days.
  let make: @Sendable (ManualClock) async throws -> any DebtStorage

  static let agency = DebtCaller.agency(code: "MOF", employee: "maker")
  static let checker = DebtCaller.agency(code: "MOF", employee: "checker")
  static let otherAgency = DebtCaller.agency(code: "MOH", employee: "someone")
  static let debtorNumber = nationalID(1)
  static let debtor = DebtCaller.debtor(idNumber: debtorNumber)
  static let otherDebtor = DebtCaller.debtor(idNumber: nationalID(2))

  static func nationalID(_ index: Int) -> String {
    let prefix = "1" + Digits.zeroPadded(10_000_000 + index, width: 8)
    return prefix + String(NationalID.checkDigit(for: prefix))
  }

  let workflow = DebtWorkflow(graceDays: 30)

  // MARK: Driving the protocol

  /// Runs one change as `caller` and returns the outcome it was answered with (nil when the
  /// kit answered a retry from its record without running the change).
  @discardableResult
  func change(
    _ store: any DebtStorage, _ caller: DebtCaller, _ target: DebtTarget, requestID: String = UUID().uuidString,
    body: String = "", decide: @escaping @Sendable (ChangeSnapshot, Date) throws -> DebtDecision
  ) async throws -> DebtOutcome? {
    let answered = Mutex<DebtOutcome?>(nil)
    let call = try MutationCall(
      method: "/test.Debts/Change", request: Google_Protobuf_StringValue(body), requestID: requestID,
      principal: Self.principal(caller), peer: "test", domain: DebtRules.domain)
    _ = try await store.change(
      DebtChange(
        caller: caller, target: target, once: ExactlyOnce(call), decide: decide,
        answer: { outcome, _ in
          answered.withLock { $0 = outcome }
          return Google_Protobuf_StringValue("done")
        }))
    return answered.withLock { $0 }
  }

  static func principal(_ caller: DebtCaller) throws -> Principal {
    switch caller {
    case .agency(let code, let employee): .agency(.init(code: code, employee: employee))
    case .debtor(let number): .individual(.init(nationalID: try NationalID(parsing: number), sessionID: "test"))
    }
  }

  static func fields(halalas: Int64, debtor: String = debtorNumber) -> DebtFields {
    DebtFields(
      debtorIDType: .nationalID, debtorIDNumber: debtor, debtorName: "Debtor", category: .fee, reason: "Unpaid fee",
      amount: Halalas(halalas), dueDate: CivilDay(year: 2026, month: 3, day: 1)!, sadadBillNumber: "",
      attachmentRefs: ["a1"], notes: "")
  }

  /// A DRAFT debt of `halalas`; its id.
  func draft(_ store: any DebtStorage, halalas: Int64, debtor: String = debtorNumber) async throws -> Int64 {
    let fields = Self.fields(halalas: halalas, debtor: debtor)
    let outcome = try await change(store, Self.agency, .newDebt) { _, _ in
      workflow.create(fields, agency: "MOF", employee: "maker")
    }
    return try #require(outcome?.debt?.debt.id)
  }

  /// An OUTSTANDING debt of `halalas`; its id.
  func outstanding(_ store: any DebtStorage, halalas: Int64, debtor: String = debtorNumber) async throws -> Int64 {
    let id = try await draft(store, halalas: halalas, debtor: debtor)
    try await change(store, Self.agency, .debt(id)) { s, _ in
      try workflow.review(s, .submit, note: "", caller: Self.agency)
    }
    try await change(store, Self.checker, .debt(id)) { s, _ in
      try workflow.review(s, .approve, note: "", caller: Self.checker)
    }
    return id
  }

  func pay(_ store: any DebtStorage, _ id: Int64, halalas: Int64, reference: String) async throws -> DebtOutcome? {
    let requestID = UUID().uuidString.lowercased()
    return try await change(
      store, Self.agency, .debt(id, sadad: reference, credited: PaymentReference.key(reference)),
      requestID: requestID
    ) { s, now in
      try workflow.recordPayment(
        s, amount: Halalas(halalas), paidTime: now, reference: reference, caller: Self.agency, requestID: requestID,
        now: now)
    }
  }

  // MARK: Cases

  /// A created debt reads back as written; only its agency sees a draft, its debtor sees it
  /// from OUTSTANDING on, anyone else never.
  func createAndOwnership() async throws {
    let store = try await make(ManualClock())
    let id = try await draft(store, halalas: 12_345)
    let read = try await store.debt(id: id, caller: Self.agency)
    #expect(read.debt.fields == Self.fields(halalas: 12_345))
    #expect(read.debt.state == .draft)
    #expect(read.debt.createdBy == "maker")
    #expect(try read.balance() == Halalas(12_345))
    for stranger in [Self.otherAgency, Self.debtor, Self.otherDebtor] {
      await #expect(throws: EtimadError.self) { try await store.debt(id: id, caller: stranger) }
    }
    let approved = try await outstanding(store, halalas: 500)
    #expect(try await store.debt(id: approved, caller: Self.debtor).debt.state == .outstanding)
    await #expect(throws: EtimadError.self) { try await store.debt(id: approved, caller: Self.otherDebtor) }
  }

  /// Rule errors come out of `decide` untouched and nothing is written.
  func refusedChangeWritesNothing() async throws {
    let store = try await make(ManualClock())
    let id = try await draft(store, halalas: 1_000)
    try await change(store, Self.agency, .debt(id)) { s, _ in
      try workflow.review(s, .submit, note: "", caller: Self.agency)
    }
    await #expect(throws: DebtRuleError.sameEmployee) {
      try await change(store, Self.agency, .debt(id)) { s, _ in
        try workflow.review(s, .approve, note: "", caller: Self.agency)
      }
    }
    #expect(try await store.debt(id: id, caller: Self.agency).debt.state == .underReview)
  }

  /// Payments post movements with the checked balance; PAID at 0; a SADAD reference is used once.
  func paymentsAndMovements() async throws {
    let clock = ManualClock()
    let store = try await make(clock)
    let id = try await outstanding(store, halalas: 10_000)
    let first = try #require(try await pay(store, id, halalas: 4_000, reference: "REF1"))
    #expect(first.movement?.kind == .payment)
    #expect(first.movement?.delta == Halalas(-4_000))
    #expect(first.movement?.balanceAfter == Halalas(6_000))
    #expect(first.movement?.effectiveTime == StoredTime.date(StoredTime.milliseconds(clock.now)))
    await #expect(throws: EtimadError.self) { try await pay(store, id, halalas: 1, reference: "REF1") }
    await #expect(throws: DebtRuleError.amountExceedsBalance(Halalas(6_000))) {
      try await pay(store, id, halalas: 6_001, reference: "REF2")
    }
    let paid = try #require(try await pay(store, id, halalas: 6_000, reference: "REF3")?.debt)
    #expect(paid.debt.state == .paid)
    #expect(paid.ledger.paid == Halalas(10_000))
    #expect(try paid.balance() == .zero)
    let page = try await store.movements(debtID: id, caller: Self.debtor, pageSize: 1, after: nil)
    #expect(page.items.map(\.sadadReference) == ["REF1"])
    let rest = try await store.movements(debtID: id, caller: Self.debtor, pageSize: 5, after: page.last)
    #expect(rest.items.map(\.sadadReference) == ["REF3"])
    #expect(rest.last == nil)
  }

  /// A retry with the same request_id is answered from the record: the rules do not run again.
  func exactlyOnce() async throws {
    let store = try await make(ManualClock())
    let id = try await outstanding(store, halalas: 10_000)
    let requestID = UUID().uuidString
    let runs = Mutex(0)
    for _ in 0..<2 {
      try await change(store, Self.agency, .debt(id, sadad: "ONCE", credited: "ONCE"), requestID: requestID) {
        s, now in
        runs.withLock { $0 += 1 }
        return try workflow.recordPayment(
          s, amount: Halalas(100), paidTime: now, reference: "ONCE", caller: Self.agency, requestID: requestID,
          now: now)
      }
    }
    #expect(runs.withLock { $0 } == 1)
    #expect(try await store.debt(id: id, caller: Self.agency).balance() == Halalas(9_900))
  }

  /// Change requests: typed kinds pending on the debt, one per kind, an UPDATE_DATA patch kept
  /// as validated and applied as an ADJUSTMENT when approved.
  func changeRequests() async throws {
    let store = try await make(ManualClock())
    let id = try await outstanding(store, halalas: 10_000)
    var patch = DebtPatch()
    patch.amount = Halalas(12_000)
    patch.reason = "Corrected reason"
    let change = DebtWorkflow.NewChange(kind: .updateData, reason: "typo", patch: patch)
    let raised = try #require(
      try await self.change(store, Self.agency, .debt(id)) { s, now in
        try workflow.raiseChange(s, change, caller: Self.agency, now: now)
      })
    let request = try #require(raised.changeRequest)
    #expect(request.kind == .updateData)
    #expect(request.state == .pending)
    #expect(request.patch == patch)
    #expect(raised.debt?.pending == [PendingRequest(id: request.id, kind: .change(.updateData))])
    await #expect(throws: EtimadError.self) {
      try await self.change(store, Self.agency, .debt(id)) { s, now in
        try workflow.raiseChange(s, change, caller: Self.agency, now: now)
      }
    }
    let listed = try await store.changeRequests(debtID: id, caller: Self.debtor, pageSize: 10, before: nil)
    #expect(listed.items == [request])
    let approved = try #require(
      try await self.change(store, Self.checker, .changeRequest(request.id)) { s, now in
        try workflow.decideChange(
          s, approve: true, note: "ok", caller: Self.checker, requestID: UUID().uuidString, now: now)
      })
    #expect(approved.changeRequest?.state == .approved)
    #expect(approved.movement?.kind == .adjustment)
    #expect(approved.movement?.delta == Halalas(2_000))
    let debt = try #require(approved.debt)
    #expect(debt.debt.fields.reason == "Corrected reason")
    #expect(debt.debt.fields.amount == Halalas(10_000))
    #expect(try debt.amountDue() == Halalas(12_000))
    #expect(try debt.balance() == Halalas(12_000))
    #expect(debt.pending.isEmpty)
  }

  /// Closing a debt rejects the requests still pending on it, on the platform's behalf.
  func closingRejectsPending() async throws {
    let store = try await make(ManualClock())
    let id = try await outstanding(store, halalas: 5_000)
    let exemption = DebtWorkflow.NewRelief(kind: .exemption, reason: "hardship", attachmentRefs: [], amount: Halalas(1))
    let relief = try #require(
      try await change(store, Self.debtor, .debt(id)) { s, now in try workflow.raiseRelief(s, exemption, now: now) }?
        .reliefRequest)
    _ = try await pay(store, id, halalas: 5_000, reference: "ALL")
    let closed = try await store.reliefRequests(debtID: id, caller: Self.agency, pageSize: 10, before: nil).items
    #expect(closed.map(\.id) == [relief.id])
    #expect(closed.first?.state == .rejected)
    #expect(closed.first?.decidedBy == PlatformNote.system)
  }

  /// An instalment plan splits the balance exactly; a read shows it; the job records its
  /// default once, and only past the grace period.
  func plansAndDefaults() async throws {
    let clock = ManualClock(Date(timeIntervalSince1970: 1_764_000_000))
    let store = try await make(clock)
    let id = try await outstanding(store, halalas: 10_001)
    let first = CivilDay.inRiyadh(clock.now).adding(days: 10)
    let ask = DebtWorkflow.NewRelief(
      kind: .instalment, reason: "months", attachmentRefs: [], instalmentCount: 3, firstDueDate: first)
    let relief = try #require(
      try await change(store, Self.debtor, .debt(id)) { s, now in try workflow.raiseRelief(s, ask, now: now) }?
        .reliefRequest)
    let granted = try #require(
      try await change(store, Self.checker, .reliefRequest(relief.id)) { s, now in
        try workflow.decideRelief(
          s, approve: true, note: "", caller: Self.checker, requestID: UUID().uuidString, now: now)
      })
    let plan = try #require(granted.plan)
    #expect(plan.instalments.map(\.amount) == [Halalas(3_333), Halalas(3_333), Halalas(3_335)])
    #expect(plan.instalments.map(\.due) == PlanRules.dueDates(first: first, count: 3))
    #expect(granted.reliefRequest?.planID == plan.id)
    let read = try await store.debt(id: id, caller: Self.debtor)
    #expect(read.plan?.id == plan.id)
    #expect(try workflow.planState(read, today: CivilDay.inRiyadh(clock.now)) == .active)
    #expect(try await store.markDefaultedPlans() == 0)
    clock.advance(by: Double(10 + 31) * 86_400)
    #expect(try await store.markDefaultedPlans() == 1)
    #expect(try await store.markDefaultedPlans() == 0)
    #expect(try await store.debt(id: id, caller: Self.agency).plan?.state == .defaulted)
  }

  /// Lists: the caller's scope and filters, newest first, paged by id; the summary adds up.
  func listsAndSummary() async throws {
    let store = try await make(ManualClock())
    let a = try await outstanding(store, halalas: 1_000)
    let b = try await outstanding(store, halalas: 2_000)
    _ = try await draft(store, halalas: 3_000)
    _ = try await outstanding(store, halalas: 4_000, debtor: Self.nationalID(2))
    _ = try await pay(store, b, halalas: 2_000, reference: "B")
    let mine = try await store.debts(DebtFilter(), caller: Self.debtor, pageSize: 1, after: nil)
    #expect(mine.items.map(\.debt.id) == [b])
    let next = try await store.debts(DebtFilter(), caller: Self.debtor, pageSize: 1, after: mine.last)
    #expect(next.items.map(\.debt.id) == [a])
    #expect(next.last == nil)
    var outstandingOnly = DebtFilter()
    outstandingOnly.state = .outstanding
    let agencyPage = try await store.debts(outstandingOnly, caller: Self.agency, pageSize: 10, after: nil)
    #expect(agencyPage.items.count == 2)
    #expect(try await store.debts(DebtFilter(), caller: Self.otherAgency, pageSize: 10, after: nil).items.isEmpty)
    let totals = try await store.summary(idNumber: Self.debtorNumber)
    #expect(
      Set(totals) == [
        DebtStateTotal(state: .outstanding, count: 1, balance: Halalas(1_000)),
        DebtStateTotal(state: .paid, count: 1, balance: .zero),
      ])
  }
}
