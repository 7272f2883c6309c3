import Etimad
import EtimadDebts
import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import GRPCCore
import Testing

@Suite("Debts: change and relief requests, instalment plans")
struct DebtsRequestsTests {
  @Test("a debtor's payment request: under review, one pending per kind, applied with its movement")
  func paymentRequest() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 100_000)
        let request = try await a.debtor.requestPayment(debtID: id, halalas: 25_000, reason: "Paid", reference: "BNK-1")
        #expect(request.state == .pending)
        #expect(request.raisedBy == .debtor)
        var debt = try await a.debtor.debt(id)
        #expect(debt.underReview)
        #expect(debt.pendingChangeKinds == [.payment])
        // A second pending request of the kind is refused, from either side
        let second = await failure { _ = try await a.debtor.requestPayment(debtID: id, halalas: 1, reason: "again") }
        #expect(second?.code == .failedPrecondition)
        #expect(second?.reason == "REQUEST_ALREADY_PENDING")
        #expect(
          await failure { _ = try await a.maker.requestPayment(debtID: id, halalas: 1, reason: "x") }?.reason
            == "REQUEST_ALREADY_PENDING")
        // A payment request above the balance is refused with the balance
        let over = await failureDetails {
          _ = try await a.debtor.requestCancellation(debtID: id, reason: "wrong person")
          _ = try await a.debtor.debts.createChangeRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.debtID = id
              $0.kind = .payment
              $0.amount = money(100_001)
              $0.reason = "all"
            })
        }
        #expect(over?.reason == "REQUEST_ALREADY_PENDING")
        // The agency approves: the movement is posted in the same transaction
        let approved = try await a.maker.approveChangeRequest(request.id)
        #expect(approved.changeRequest.state == .approved)
        #expect(approved.movement.kind == .payment)
        #expect(approved.movement.sourceRequestID == "change-request/\(request.id)")
        #expect(approved.debt.balance.amountHalalas == 75_000)
        // Deciding it again is refused
        #expect(
          await failure { _ = try await a.checker.approveChangeRequest(request.id) }?.reason
            == "REQUEST_NOT_PENDING")
        // The cancellation request is still pending; the debtor withdraws it
        let pending = try await a.debtor.debts.listChangeRequests(.with { $0.debtID = id }).changeRequests
        #expect(pending.map(\.state) == [.pending, .approved])
        let withdrawn = try await a.debtor.debts.withdrawChangeRequest(
          .with {
            $0.requestID = EtimadClient.newRequestID()
            $0.changeRequestID = pending[0].id
          })
        #expect(withdrawn.changeRequest.state == .withdrawn)
        debt = try await a.debtor.debt(id)
        #expect(!debt.underReview)
        #expect(debt.state == .outstanding)
      }
    }
  }

  @Test("cancellation through an agency request approved by another employee; rejection needs a note")
  func cancellation() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 40_000)
        _ = try await a.maker.recordPayment(debtID: id, halalas: 10_000, sadadReference: "C1")
        let request = try await a.maker.requestCancellation(debtID: id, reason: "Registered on the wrong person")
        #expect(request.raisedByEmployee == "emp-maker")
        // The raiser cannot decide, nor the debtor withdraw the agency's request
        #expect(await failure { _ = try await a.maker.approveChangeRequest(request.id) }?.reason == "SAME_EMPLOYEE")
        let notRaiser = await failure {
          _ = try await a.debtor.debts.withdrawChangeRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.changeRequestID = request.id
            })
        }
        #expect(notRaiser?.reason == "NOT_RAISER")
        let noNote = await failure {
          _ = try await a.checker.debts.rejectChangeRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.changeRequestID = request.id
            })
        }
        #expect(noNote?.code == .invalidArgument)
        let approved = try await a.checker.approveChangeRequest(request.id)
        #expect(approved.debt.state == .cancelled)
        #expect(approved.debt.balance.amountHalalas == 0)
        #expect(approved.debt.paidAmount.amountHalalas == 10_000)
        #expect(approved.movement.kind == .cancellation)
        #expect(approved.movement.balanceDelta.amountHalalas == -30_000)
        #expect(
          await failure { _ = try await a.debtor.requestPayment(debtID: id, halalas: 1, reason: "x") }?.reason
            == "DEBT_CLOSED")
      }
    }
  }

  @Test("a data correction changes the amount through an ADJUSTMENT movement")
  func updateData() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 50_000)
        let notChangeable = await failure {
          _ = try await a.debtor.debts.createChangeRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.debtID = id
              $0.kind = .updateData
              $0.newValues.debtorID.number = TestDaemon.resident.idNumber
              $0.updateMask.paths = ["debtor_id"]
              $0.reason = "not me"
            })
        }
        #expect(notChangeable?.code == .invalidArgument)
        let request = try await a.debtor.requestAmountChange(
          debtID: id, halalas: 45_000, paths: ["amount", "reason"], reason: "The deduction was not counted"
        ) { $0.reason = "Allowance paid twice, less the deduction" }
        let approved = try await a.maker.approveChangeRequest(request.id)
        #expect(approved.movement.kind == .adjustment)
        #expect(approved.movement.balanceDelta.amountHalalas == -5_000)
        #expect(approved.debt.details.amount.amountHalalas == 50_000)
        #expect(approved.debt.amountDue.amountHalalas == 45_000)
        #expect(approved.debt.balance.amountHalalas == 45_000)
        #expect(approved.debt.details.reason == "Allowance paid twice, less the deduction")
      }
    }
  }

  @Test("two concurrent pending requests of one kind: exactly one succeeds")
  func concurrentRequests() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt()
        let outcomes = await withTaskGroup(of: Bool.self) { group in
          for client in [a.debtor, a.maker, a.debtor, a.checker] {
            group.addTask {
              (try? await client.requestPayment(debtID: id, halalas: 100, reason: "paid")) != nil
            }
          }
          return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let requests = try await a.maker.debts.listChangeRequests(.with { $0.debtID = id }).changeRequests
        #expect(requests.count == 1)
      }
    }
  }

  @Test("requests still pending when a debt closes are rejected by the platform, except the one that closed it")
  func pendingRequestsCloseWithTheDebt() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        // Paid in full by a SADAD payment while a correction and an exemption wait
        let paid = try await a.outstandingDebt(halalas: 50_000)
        let cancellation = try await a.debtor.requestCancellation(debtID: paid, reason: "not mine")
        let exemption = try await a.debtor.requestExemption(debtID: paid, halalas: 10_000, reason: "Hardship")
        let payment = try await a.maker.recordPayment(debtID: paid, halalas: 50_000, sadadReference: "FULL1")
        #expect(payment.debt.state == .paid)
        #expect(!payment.debt.underReview)
        let changes = try await a.maker.debts.listChangeRequests(.with { $0.debtID = paid }).changeRequests
        #expect(changes.map(\.id) == [cancellation.id])
        #expect(changes.map(\.state) == [.rejected])
        // The note is worded in the reader's language: Arabic for the agency's clients here,
        // English for the debtor's
        #expect(changes[0].decisionNote == "أُغلق الطلب من المنصة: سُددت المديونية بالكامل قبل البت في هذا الطلب.")
        #expect(changes[0].decidedBy == "system")
        let debtorView = try await a.debtor.debts.listChangeRequests(.with { $0.debtID = paid }).changeRequests
        #expect(
          debtorView.map(\.decisionNote) == [
            "Closed by the platform: the debt was paid in full before this request was decided."
          ])
        let reliefs = try await a.debtor.debts.listReliefRequests(.with { $0.debtID = paid }).reliefRequests
        #expect(reliefs.map(\.state) == [.rejected])
        // Deciding one now is refused as already decided, not as a closed debt
        let late = await failure { _ = try await a.checker.approveReliefRequest(exemption.id) }
        #expect(late?.reason == "REQUEST_NOT_PENDING")
        // Cancelled by approving the debtor's cancellation request: that one is APPROVED, the other rejected
        let cancelled = try await a.outstandingDebt(halalas: 30_000)
        let wrongPerson = try await a.debtor.requestCancellation(debtID: cancelled, reason: "wrong person")
        let relief = try await a.debtor.requestExemption(debtID: cancelled, halalas: 1_000, reason: "Hardship")
        let approved = try await a.maker.approveChangeRequest(wrongPerson.id)
        #expect(approved.changeRequest.state == .approved)
        #expect(approved.debt.state == .cancelled)
        #expect(!approved.debt.underReview)
        let closed = try await a.maker.debts.listReliefRequests(.with { $0.debtID = cancelled }).reliefRequests
        #expect(closed.map(\.id) == [relief.id])
        #expect(closed.map(\.state) == [.rejected])
        #expect(closed[0].decisionNote == "أُغلق الطلب من المنصة: أُلغيت المديونية قبل البت في هذا الطلب.")
        // Each platform closure left an audit row
        let file = try DatabaseQueue(path: daemon.dataDirectory + "/etimad.sqlite")
        let audit = try await file.read { db in
          try String.fetchAll(
            db, sql: "SELECT summary FROM audit WHERE principal_kind = 'system' AND target IN (?, ?) ORDER BY id",
            arguments: ["debt/\(paid)", "debt/\(cancelled)"])
        }
        #expect(audit.count == 3)
      }
    }
  }

  @Test("an exemption posts a write-off; an instalment plan settles oldest first to COMPLETED")
  func exemptionAndPlan() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let today = CivilDay.inRiyadh(Date())
        let id = try await a.outstandingDebt(halalas: 100_000)
        let exemption = try await a.debtor.requestExemption(debtID: id, halalas: 10_000, reason: "Hardship")
        let exempted = try await a.maker.approveReliefRequest(exemption.id)
        #expect(exempted.movement.kind == .exemption)
        #expect(exempted.debt.exemptedAmount.amountHalalas == 10_000)
        #expect(exempted.debt.balance.amountHalalas == 90_000)
        // Instalments: out-of-range counts and dates are refused
        let tooMany = await failure {
          _ = try await a.debtor.requestInstalments(
            debtID: id, count: 61, firstDue: today.adding(days: 10).message, reason: "monthly")
        }
        #expect(tooMany?.code == .invalidArgument)
        let tooLate = await failure {
          _ = try await a.debtor.requestInstalments(
            debtID: id, count: 3, firstDue: today.adding(days: 91).message, reason: "monthly")
        }
        #expect(tooLate?.code == .invalidArgument)
        let first = today.adding(days: 30)
        let relief = try await a.debtor.requestInstalments(
          debtID: id, count: 7, firstDue: first.message, reason: "Monthly from my salary")
        let approved = try await a.checker.approveReliefRequest(relief.id)
        let plan = approved.plan
        #expect(plan.state == .active)
        #expect(
          plan.instalments.map(\.amount.amountHalalas) == [12_857, 12_857, 12_857, 12_857, 12_857, 12_857, 12_858])
        #expect(plan.instalments.map { CivilDay($0.dueDate) } == PlanRules.dueDates(first: first, count: 7))
        #expect(approved.debt.planState == .active)
        // A second plan cannot be requested while this one is active
        #expect(
          await failure {
            _ = try await a.debtor.requestInstalments(debtID: id, count: 2, firstDue: first.message, reason: "x")
          }?.reason == "PLAN_ALREADY_ACTIVE")
        // Nor an exemption or a new amount: the instalments were split from this balance
        let exempting = await failureDetails {
          _ = try await a.debtor.requestExemption(debtID: id, halalas: 10_000, reason: "hardship")
        }
        #expect(exempting?.code == .failedPrecondition)
        #expect(exempting?.reason == "PLAN_ALREADY_ACTIVE")
        #expect(exempting?.metadata["plan_state"] == "ACTIVE")
        let newAmount = await failure {
          _ = try await a.maker.requestAmountChange(debtID: id, halalas: 120_000, reason: "interest added")
        }
        #expect(newAmount?.reason == "PLAN_ALREADY_ACTIVE")
        // The amount due unchanged, beside another field: no change of the balance, raised as usual
        let sameAmount = try await a.maker.requestAmountChange(
          debtID: id, halalas: 100_000, paths: ["amount", "reason"], reason: "wording"
        ) { $0.reason = "Allowance paid twice (corrected wording)" }
        #expect(sameAmount.state == .pending)
        // Payments settle the oldest instalment first
        _ = try await a.maker.recordPayment(debtID: id, halalas: 20_000, sadadReference: "P1")
        var current = try await a.debtor.instalmentPlan(debtID: id)
        #expect(current.instalments.map(\.paid.amountHalalas).prefix(3) == [12_857, 7_143, 0])
        _ = try await a.maker.recordPayment(debtID: id, halalas: 70_000, sadadReference: "P2")
        current = try await a.debtor.instalmentPlan(debtID: id)
        #expect(current.state == .completed)
        #expect(current.instalments.allSatisfy { $0.paid == $0.amount })
        let debt = try await a.debtor.debt(id)
        #expect(debt.state == .paid)
        #expect(debt.planState == .completed)
      }
    }
  }

  @Test("an instalment unpaid past the grace period: DEFAULTED on read and by the periodic job; then a new plan")
  func planDefaults() async throws {
    // Agency certificates are checked against the daemon's clock: start it at the real time.
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock) { daemon in
      try await daemon.withDebtActors { a in
        let first = CivilDay.inRiyadh(clock.now).adding(days: 9)
        let id = try await a.outstandingDebt(halalas: 30_000)
        let relief = try await a.debtor.requestInstalments(
          debtID: id, count: 3, firstDue: first.message, reason: "Three months")
        _ = try await a.maker.approveReliefRequest(relief.id)
        _ = try await a.maker.recordPayment(debtID: id, halalas: 10_000, sadadReference: "I1")
        // The second instalment is unpaid; its 30 days of grace end 30 days after it falls due
        let lastGraceDay = first.adding(months: 1).adding(days: 30)
        clock.set(noonInRiyadh(lastGraceDay))
        // (the debtor's session idled out while the clock moved: sign in again)
        a.debtor.session.value = nil
        try await daemon.signIn(a.debtor, DebtActors.debtorPerson)
        var plan = try await a.debtor.instalmentPlan(debtID: id)
        #expect(plan.state == .active)
        #expect(plan.instalments.map(\.overdue) == [false, true, false])
        clock.advance(by: 86_400)
        // Read with the server's clock, before any job ran
        plan = try await a.maker.instalmentPlan(debtID: id)
        #expect(plan.state == .defaulted)
        #expect(try await a.maker.debt(id).planState == .defaulted)
        // The periodic job records it, with an audit row, once
        let store = DebtsStore(database: daemon.daemon.database, graceDays: 30)
        #expect(try await store.markDefaultedPlans() == 1)
        #expect(try await store.markDefaultedPlans() == 0)
        let audit = try await daemon.daemon.database.read { db in
          try AuditLog.entries(db, target: "debt/\(id)").map(\.summary)
        }
        #expect(audit.contains { $0.contains("defaulted") })
        // A defaulted plan binds nothing: the agency may grant a new one on what is left
        a.debtor.session.value = nil
        try await daemon.signIn(a.debtor, DebtActors.debtorPerson)
        let replan = try await a.debtor.requestInstalments(
          debtID: id, count: 2, firstDue: CivilDay.inRiyadh(clock.now).adding(days: 5).message, reason: "again")
        let granted = try await a.checker.approveReliefRequest(replan.id)
        #expect(granted.plan.state == .active)
        #expect(granted.plan.instalments.map(\.amount.amountHalalas) == [10_000, 10_000])
        #expect(try await a.debtor.instalmentPlan(debtID: id).id == granted.plan.id)
        let states = try await daemon.daemon.database.read { db in
          try String.fetchAll(
            db, sql: "SELECT state FROM instalment_plans WHERE debt_id = ? ORDER BY id", arguments: [id])
        }
        #expect(states == ["DEFAULTED", "ACTIVE"])
        // The debt stays payable; paying it off completes the new plan
        let paid = try await a.maker.recordPayment(debtID: id, halalas: 20_000, sadadReference: "I2")
        #expect(paid.debt.state == .paid)
        #expect(paid.debt.planState == .completed)
      }
    }
  }
}

extension DebtsRequestsTests {
  @Test("a request that finds a plan defaulted before the job did records the default, then goes ahead")
  func requestRecordsDefault() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock) { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 30_000)
        let first = CivilDay.inRiyadh(clock.now).adding(days: 9)
        let relief = try await a.debtor.requestInstalments(
          debtID: id, count: 3, firstDue: first.message, reason: "Three months")
        _ = try await a.checker.approveReliefRequest(relief.id)
        // Nothing paid; the first instalment's grace ends 30 days after it falls due
        clock.set(noonInRiyadh(first.adding(days: 31)))
        a.debtor.session.value = nil
        try await daemon.signIn(a.debtor, DebtActors.debtorPerson)
        let exemption = try await a.debtor.requestExemption(debtID: id, halalas: 5_000, reason: "hardship")
        #expect(exemption.state == .pending)
        let (states, audit) = try await daemon.daemon.database.read { db in
          (
            try String.fetchAll(db, sql: "SELECT state FROM instalment_plans WHERE debt_id = ?", arguments: [id]),
            try AuditLog.entries(db, target: "debt/\(id)").map(\.summary)
          )
        }
        #expect(states == ["DEFAULTED"])
        #expect(audit.contains { $0.contains("defaulted") })
        #expect(try await DebtsStore(database: daemon.daemon.database, graceDays: 30).markDefaultedPlans() == 0)
      }
    }
  }

  @Test("a plan stands on the balance it was split from: a pending exemption or amount change is refused at approval")
  func planRefusesEarlierRequests() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 30_000)
        let today = CivilDay.inRiyadh(Date())
        // Raised before the plan existed
        let exemption = try await a.debtor.requestExemption(debtID: id, halalas: 6_000, reason: "hardship")
        let correction = try await a.debtor.requestAmountChange(debtID: id, halalas: 36_000, reason: "recount")
        let relief = try await a.debtor.requestInstalments(
          debtID: id, count: 3, firstDue: today.adding(days: 10).message, reason: "Three months")
        _ = try await a.checker.approveReliefRequest(relief.id)
        let exempted = await failure { _ = try await a.checker.approveReliefRequest(exemption.id) }
        #expect(exempted?.reason == "PLAN_ALREADY_ACTIVE")
        let corrected = await failure { _ = try await a.checker.approveChangeRequest(correction.id) }
        #expect(corrected?.reason == "PLAN_ALREADY_ACTIVE")
        // Nothing of either was applied; paying the first instalment pays exactly it
        let debt = try await a.debtor.debt(id)
        #expect(debt.balance.amountHalalas == 30_000)
        #expect(debt.details.amount.amountHalalas == 30_000)
        _ = try await a.maker.recordPayment(debtID: id, halalas: 10_000, sadadReference: "PL1")
        let plan = try await a.debtor.instalmentPlan(debtID: id)
        #expect(plan.instalments.map(\.paid.amountHalalas) == [10_000, 0, 0])
      }
    }
  }

  @Test(
    "an instalment request approved after its first due date is refused; its replay days later gets the first answer")
  func lateApprovalAndReplay() async throws {
    // Agency certificates are checked against the daemon's clock: start it at the real time.
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock) { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 30_000)
        let request = Etimad_Debts_V1_CreateReliefRequestRequest.with {
          $0.requestID = EtimadClient.newRequestID()
          $0.debtID = id
          $0.kind = .instalment
          $0.instalmentCount = 3
          $0.firstDueDate = CivilDay.inRiyadh(clock.now).adding(days: 5).message
          $0.reason = "Three months"
        }
        let first = try await a.debtor.debts.createReliefRequest(request)
        clock.advance(by: 10 * 86_400)
        a.debtor.session.value = nil
        try await daemon.signIn(a.debtor, DebtActors.debtorPerson)
        // The date has passed, yet the retry is answered as the first call was
        let replayed = try await a.debtor.debts.createReliefRequest(request)
        #expect(replayed.reliefRequest.id == first.reliefRequest.id)
        let late = await failureDetails { _ = try await a.checker.approveReliefRequest(first.reliefRequest.id) }
        #expect(late?.code == .failedPrecondition)
        #expect(late?.reason == "FIRST_DUE_DATE_PASSED")
        #expect(try await a.debtor.debt(id).planState == .unspecified)
      }
    }
  }

  @Test("SADAD redelivering the notice that settled a debt hears ALREADY_EXISTS, not that the debt is closed")
  func settledNoticeRedelivered() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 30_000)
        let paid = try await a.maker.recordPayment(debtID: id, halalas: 30_000, sadadReference: "FULL1")
        #expect(paid.debt.state == .paid)
        let again = await failureDetails {
          _ = try await a.maker.recordPayment(debtID: id, halalas: 30_000, sadadReference: "FULL1")
        }
        #expect(again?.code == .alreadyExists)
        #expect(again?.reason == "SADAD_REFERENCE_USED")
      }
    }
  }
}

extension DebtsRequestsTests {
  @Test("a payment is credited once per debt and reference, by SADAD notice or PAYMENT request, spelling aside")
  func paymentReferenceCreditedOnce() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 50_000)
        let other = try await a.outstandingDebt(halalas: 50_000)
        func paymentRequest(_ reference: String) async throws -> Etimad_Debts_V1_ChangeRequest {
          try await a.debtor.debts.createChangeRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.debtID = id
              $0.kind = .payment
              $0.amount = money(10_000)
              $0.paymentReference = reference
              $0.reason = "Paid at the bank"
            }
          ).changeRequest
        }
        let request = try await paymentRequest("BNK-77")
        let approved = try await a.maker.approveChangeRequest(request.id)
        #expect(approved.movement.paymentReference == "BNK77")
        #expect(approved.movement.sadadReference.isEmpty)
        // The same payment's SADAD notice, and another request naming it, are refused
        let notice = await failureDetails {
          _ = try await a.maker.recordPayment(debtID: id, halalas: 10_000, sadadReference: "bnk77")
        }
        #expect(notice?.code == .alreadyExists)
        #expect(notice?.reason == "PAYMENT_ALREADY_CREDITED")
        let second = await failureDetails { _ = try await paymentRequest("bnk 77") }
        #expect(second?.reason == "PAYMENT_ALREADY_CREDITED")
        // A debtor's typed reference never blocks a real notice on another debt
        let elsewhere = try await a.maker.recordPayment(debtID: other, halalas: 5_000, sadadReference: "BNK77")
        #expect(elsewhere.debt.balance.amountHalalas == 45_000)
        // A request raised before the notice arrived is refused when approved after it
        let early = try await paymentRequest("SADAD88")
        _ = try await a.maker.recordPayment(debtID: id, halalas: 10_000, sadadReference: "SADAD88")
        let late = await failureDetails { _ = try await a.maker.approveChangeRequest(early.id) }
        #expect(late?.reason == "PAYMENT_ALREADY_CREDITED")
        #expect(try await a.debtor.debt(id).balance.amountHalalas == 30_000)
      }
    }
  }
}

func noonInRiyadh(_ day: CivilDay) -> Date {
  RiyadhCalendars.gregorian.date(from: DateComponents(year: day.year, month: day.month, day: day.day, hour: 12))
    ?? Date()
}

func date(_ year: Int32, _ month: Int32, _ day: Int32) -> Etimad_Type_V1_CalendarDate {
  .with {
    $0.year = year
    $0.month = month
    $0.day = day
  }
}
