import Etimad
import EtimadDebts
import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import GRPCCore
import Testing

/// End-to-end coverage of the debts methods the other suites touch only in passing:
/// withdrawing and rejecting relief requests, the debtor's summary, ownership of the list and
/// plan reads, and replays of approvals.
@Suite("Debts coverage: relief withdraw/reject, summary, ownership of reads, replayed approvals")
struct DebtsCoverageTests {
  @Test("the debtor withdraws a relief request once; the agency rejects another with a note and nothing is posted")
  func withdrawAndRejectRelief() async throws {
    try await TestDaemon.with { daemon in
      let (id, withdrawnID, rejectedID) = try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 100_000)
        let exemption = try await a.debtor.requestExemption(debtID: id, halalas: 10_000, reason: "Hardship")
        #expect(exemption.state == .pending)
        var debt = try await a.debtor.debt(id)
        #expect(debt.underReview)
        #expect(debt.pendingReliefKinds == [.exemption])

        // The agency cannot withdraw the debtor's request: the method is the individual's alone
        let byAgency = await failureDetails {
          _ = try await a.maker.debts.withdrawReliefRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.reliefRequestID = exemption.id
            })
        }
        #expect(byAgency?.code == .permissionDenied)
        #expect(byAgency?.reason == "CALLER_NOT_ALLOWED")
        // Another individual does not even see it
        let byStranger = await failureDetails {
          _ = try await a.stranger.debts.withdrawReliefRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.reliefRequestID = exemption.id
            })
        }
        #expect(byStranger?.code == .notFound)
        #expect(byStranger?.metadata["resource"] == "relief request")

        // The debtor withdraws it; a retry of that call gets the same answer
        let withdraw = Etimad_Debts_V1_WithdrawReliefRequestRequest.with {
          $0.requestID = EtimadClient.newRequestID()
          $0.reliefRequestID = exemption.id
        }
        let withdrawn = try await a.debtor.debts.withdrawReliefRequest(withdraw)
        #expect(withdrawn.reliefRequest.state == .withdrawn)
        #expect(withdrawn.reliefRequest.id == exemption.id)
        #expect(withdrawn.reliefRequest.hasDecideTime)
        #expect(try await a.debtor.debts.withdrawReliefRequest(withdraw) == withdrawn)
        // A second withdrawal (a new call) is refused: WITHDRAWN is final
        let twice = await failureDetails {
          _ = try await a.debtor.debts.withdrawReliefRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.reliefRequestID = exemption.id
            })
        }
        #expect(twice?.code == .failedPrecondition)
        #expect(twice?.reason == "REQUEST_NOT_PENDING")
        #expect(twice?.metadata["state"] == "WITHDRAWN")
        // Nor can the agency approve it any more
        let approveWithdrawn = await failureDetails { _ = try await a.checker.approveReliefRequest(exemption.id) }
        #expect(approveWithdrawn?.code == .failedPrecondition)
        #expect(approveWithdrawn?.reason == "REQUEST_NOT_PENDING")
        debt = try await a.debtor.debt(id)
        #expect(!debt.underReview)
        #expect(debt.pendingReliefKinds.isEmpty)

        // An instalment request, rejected by the agency: a note is required
        let today = CivilDay.inRiyadh(Date())
        let instalments = try await a.debtor.requestInstalments(
          debtID: id, count: 4, firstDue: today.adding(days: 20).message, reason: "Four months")
        let noNote = await failureDetails {
          _ = try await a.checker.debts.rejectReliefRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.reliefRequestID = instalments.id
            })
        }
        #expect(noNote?.code == .invalidArgument)
        #expect(noNote?.fieldViolations.map(\.field) == ["note"])
        // The debtor has no say in the decision
        let byDebtor = await failure {
          _ = try await a.debtor.debts.rejectReliefRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.reliefRequestID = instalments.id
              $0.note = "never mind"
            })
        }
        #expect(byDebtor?.code == .permissionDenied)
        let note = "A salary certificate is needed for a plan of this length"
        let rejected = try await a.checker.debts.rejectReliefRequest(
          .with {
            $0.requestID = EtimadClient.newRequestID()
            $0.reliefRequestID = instalments.id
            $0.note = note
          }
        ).reliefRequest
        #expect(rejected.state == .rejected)
        #expect(rejected.decisionNote == note)
        #expect(rejected.decidedBy == "emp-checker")
        #expect(rejected.planID.isEmpty)
        // Deciding it again is refused, either way
        let again = await failureDetails {
          _ = try await a.maker.debts.rejectReliefRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.reliefRequestID = instalments.id
              $0.note = "again"
            })
        }
        #expect(again?.reason == "REQUEST_NOT_PENDING")
        #expect(again?.metadata["state"] == "REJECTED")
        #expect(
          await failure { _ = try await a.maker.approveReliefRequest(instalments.id) }?.reason == "REQUEST_NOT_PENDING")

        // The debtor sees the note, without the employee; newest first
        let seen = try await a.debtor.debts.listReliefRequests(.with { $0.debtID = id }).reliefRequests
        #expect(seen.map(\.id) == [instalments.id, exemption.id])
        #expect(seen.map(\.state) == [.rejected, .withdrawn])
        #expect(seen[0].decisionNote == note)
        #expect(seen[0].decidedBy.isEmpty)
        #expect(seen[0].kind == .instalment)
        #expect(seen[0].instalmentCount == 4)

        // Nothing reached the ledger: no movement, no plan, the balance untouched
        #expect(try await a.debtor.debtMovements(id).isEmpty)
        #expect(try await a.maker.debtMovements(id).isEmpty)
        debt = try await a.debtor.debt(id)
        #expect(debt.state == .outstanding)
        #expect(debt.balance.amountHalalas == 100_000)
        #expect(debt.exemptedAmount.amountHalalas == 0)
        #expect(debt.planState == .unspecified)
        #expect(!debt.underReview)
        let noPlan = await failureDetails { _ = try await a.debtor.instalmentPlan(debtID: id) }
        #expect(noPlan?.code == .notFound)
        #expect(noPlan?.metadata["resource"] == "instalment plan")
        // Both kinds may be asked for again
        let fresh = try await a.debtor.requestExemption(debtID: id, halalas: 1_000, reason: "Hardship, with papers")
        #expect(fresh.state == .pending)
        return (id, exemption.id, instalments.id)
      }
      // One audit row per change, the refused attempts and the replay left none
      let audit = try await daemon.daemon.database.read { db in
        try AuditLog.entries(db, target: "debt/\(id)")
      }
      let summaries = audit.map(\.summary)
      #expect(summaries.filter { $0 == "relief request \(withdrawnID) withdrawn" }.count == 1)
      #expect(summaries.filter { $0 == "INSTALMENT relief request \(rejectedID) rejected" }.count == 1)
      #expect(audit.first { $0.summary.hasSuffix("rejected") }?.employee == "emp-checker")
      #expect(summaries.filter { $0.contains("relief request") }.count == 5)
    }
  }

  @Test("the debtor's summary counts and sums exactly the debts they can see, per state")
  func summary() async throws {
    try await TestDaemon.with { daemon in
      // A third agency with its own maker and checker, so that debts of two creditors add up
      let educationMaker = try await daemon.agencyClient(code: "MOE", employee: "emp-moe-maker")
      var educationChecker = educationMaker
      educationChecker.employee = "emp-moe-checker"
      try await daemon.withDebtActors { a in
        try await EtimadClient.withClient(educationMaker) { moeMaker in
          try await EtimadClient.withClient(educationChecker) { moeChecker in
            // Nothing yet
            let empty = try await a.debtor.debts.getDebtSummary(.init())
            #expect(empty.states.isEmpty)
            #expect(empty.totalOutstanding.amountHalalas == 0)
            #expect(empty.totalOutstanding.currencyCode == "SAR")

            // OUTSTANDING: one partly paid, one untouched, one partly exempted, one of the other creditor
            let partlyPaid = try await a.outstandingDebt(halalas: 100_000)
            _ = try await a.maker.recordPayment(debtID: partlyPaid, halalas: 30_000, sadadReference: "SUM1")
            _ = try await a.outstandingDebt(halalas: 50_000)
            let exempted = try await a.outstandingDebt(halalas: 25_000)
            let relief = try await a.debtor.requestExemption(debtID: exempted, halalas: 5_000, reason: "Hardship")
            _ = try await a.checker.approveReliefRequest(relief.id)
            let other = try await moeMaker.createDebt(DebtActors.details(halalas: 15_000))
            _ = try await moeMaker.submitDebt(other.id)
            _ = try await moeChecker.approveDebt(other.id)
            // PAID: in full by SADAD
            let paid = try await a.outstandingDebt(halalas: 20_000)
            #expect(
              try await a.maker.recordPayment(debtID: paid, halalas: 20_000, sadadReference: "SUM2").debt.state == .paid
            )
            // PAID: by an approved PAYMENT request and a full exemption
            let settled = try await a.outstandingDebt(halalas: 12_000)
            let payment = try await a.debtor.requestPayment(debtID: settled, halalas: 2_000, reason: "Paid at the bank")
            _ = try await a.maker.approveChangeRequest(payment.id)
            let full = try await a.debtor.requestExemption(debtID: settled, halalas: nil, reason: "Hardship")
            #expect(try await a.checker.approveReliefRequest(full.id).debt.state == .paid)
            // CANCELLED after a part payment
            let cancelled = try await a.outstandingDebt(halalas: 40_000)
            _ = try await a.maker.recordPayment(debtID: cancelled, halalas: 10_000, sadadReference: "SUM3")
            let cancellation = try await a.maker.requestCancellation(debtID: cancelled, reason: "Wrong person")
            #expect(try await a.checker.approveChangeRequest(cancellation.id).debt.state == .cancelled)
            // Invisible to the debtor: a draft, a debt under review, a draft rejected back, and another person's debt
            _ = try await a.maker.createDebt(DebtActors.details(halalas: 999))
            let underReview = try await a.maker.createDebt(DebtActors.details(halalas: 888))
            _ = try await a.maker.submitDebt(underReview.id)
            let sentBack = try await moeMaker.createDebt(DebtActors.details(halalas: 777))
            _ = try await moeMaker.submitDebt(sentBack.id)
            _ = try await moeChecker.rejectDebt(sentBack.id, note: "Wrong category")
            _ = try await a.outstandingDebt(halalas: 7_000, on: DebtActors.strangerPerson)

            let summary = try await a.debtor.debts.getDebtSummary(.init())
            #expect(summary.states.map(\.state) == [.outstanding, .paid, .cancelled])
            #expect(summary.states.map(\.count) == [4, 2, 1])
            // 70,000 + 50,000 + 20,000 + 15,000 outstanding; settled debts have a balance of 0
            #expect(summary.states.map(\.balance.amountHalalas) == [155_000, 0, 0])
            #expect(summary.states.allSatisfy { $0.balance.currencyCode == "SAR" })
            #expect(summary.totalOutstanding.amountHalalas == 155_000)
            // It agrees with the debts the debtor can list
            let mine = try await a.debtor.myDebts()
            #expect(mine.count == 7)
            #expect(
              mine.filter { $0.state == .outstanding }.map(\.balance.amountHalalas).reduce(0, +) == 155_000)
            #expect(Set(mine.map(\.agencyCode)) == ["MOF", "MOE"])
            // The other person's summary has only their own debt
            let strangers = try await a.stranger.debts.getDebtSummary(.init())
            #expect(strangers.states.map(\.state) == [.outstanding])
            #expect(strangers.states.map(\.count) == [1])
            #expect(strangers.totalOutstanding.amountHalalas == 7_000)
            // Approving the debt under review makes it count at once
            _ = try await a.checker.approveDebt(underReview.id)
            let after = try await a.debtor.debts.getDebtSummary(.init())
            #expect(after.states.map(\.count) == [5, 2, 1])
            #expect(after.totalOutstanding.amountHalalas == 155_888)
            // It is the individual's method only
            #expect(await failure { _ = try await a.maker.debts.getDebtSummary(.init()) }?.code == .permissionDenied)
          }
        }
      }
    }
  }

  @Test(
    "another individual and another agency get NOT_FOUND on a debt's movements, requests and plan, and decide nothing")
  func ownershipOfReads() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 60_000)
        _ = try await a.maker.recordPayment(debtID: id, halalas: 6_000, sadadReference: "OWN1")
        // Pending requests of both sides, and an approved plan
        let payment = try await a.debtor.requestPayment(debtID: id, halalas: 1_000, reason: "Paid at the bank")
        let cancellation = try await a.maker.requestCancellation(debtID: id, reason: "Registered twice")
        let exemption = try await a.debtor.requestExemption(debtID: id, halalas: 2_000, reason: "Hardship")
        let instalments = try await a.debtor.requestInstalments(
          debtID: id, count: 3, firstDue: CivilDay.inRiyadh(Date()).adding(days: 15).message, reason: "Three months")
        _ = try await a.checker.approveReliefRequest(instalments.id)
        // The owner sees all of it
        #expect(try await a.debtor.debtMovements(id).count == 1)
        #expect(try await a.debtor.debts.listChangeRequests(.with { $0.debtID = id }).changeRequests.count == 2)
        #expect(try await a.debtor.debts.listReliefRequests(.with { $0.debtID = id }).reliefRequests.count == 2)
        #expect(try await a.debtor.instalmentPlan(debtID: id).state == .active)

        /// The four reads of a debt's records, as `client` would make them.
        func reads(_ client: EtimadClient) -> [(String, () async throws -> Void)] {
          [
            ("ListDebtMovements", { _ = try await client.debts.listDebtMovements(.with { $0.debtID = id }) }),
            ("ListChangeRequests", { _ = try await client.debts.listChangeRequests(.with { $0.debtID = id }) }),
            ("ListReliefRequests", { _ = try await client.debts.listReliefRequests(.with { $0.debtID = id }) }),
            ("GetInstalmentPlan", { _ = try await client.debts.getInstalmentPlan(.with { $0.debtID = id }) }),
          ]
        }
        for (who, client) in [("another individual", a.stranger), ("another agency", a.otherAgency)] {
          for (method, read) in reads(client) {
            let refused = await failureDetails { try await read() }
            // The debt itself is not found: not PERMISSION_DENIED, and not "this debt has no plan"
            #expect(refused?.code == .notFound, "\(method) by \(who)")
            #expect(refused?.reason == "NOT_FOUND", "\(method) by \(who)")
            #expect(refused?.metadata["resource"] == "debt", "\(method) by \(who)")
          }
        }

        // Another agency decides nothing of the first agency's requests
        func changeDecisions(_ requestID: String) -> [(String, () async throws -> Void)] {
          [
            ("ApproveChangeRequest", { _ = try await a.otherAgency.approveChangeRequest(requestID) }),
            (
              "RejectChangeRequest",
              {
                _ = try await a.otherAgency.debts.rejectChangeRequest(
                  .with {
                    $0.requestID = EtimadClient.newRequestID()
                    $0.changeRequestID = requestID
                    $0.note = "not ours"
                  })
              }
            ),
            (
              "WithdrawChangeRequest",
              {
                _ = try await a.otherAgency.debts.withdrawChangeRequest(
                  .with {
                    $0.requestID = EtimadClient.newRequestID()
                    $0.changeRequestID = requestID
                  })
              }
            ),
          ]
        }
        for request in [payment.id, cancellation.id] {
          for (method, decide) in changeDecisions(request) {
            let refused = await failureDetails { try await decide() }
            #expect(refused?.code == .notFound, "\(method) \(request)")
            #expect(refused?.metadata["resource"] == "change request", "\(method) \(request)")
          }
        }
        let approveRelief = await failureDetails { _ = try await a.otherAgency.approveReliefRequest(exemption.id) }
        #expect(approveRelief?.code == .notFound)
        #expect(approveRelief?.metadata["resource"] == "relief request")
        let rejectRelief = await failureDetails {
          _ = try await a.otherAgency.debts.rejectReliefRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.reliefRequestID = exemption.id
              $0.note = "not ours"
            })
        }
        #expect(rejectRelief?.code == .notFound)
        #expect(rejectRelief?.metadata["resource"] == "relief request")
        // Another individual cannot withdraw the debtor's requests either
        let strangerWithdraws = await failureDetails {
          _ = try await a.stranger.debts.withdrawChangeRequest(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.changeRequestID = payment.id
            })
        }
        #expect(strangerWithdraws?.code == .notFound)

        // Nothing changed: the requests still wait, the ledger and the plan are as they were
        let changes = try await a.maker.debts.listChangeRequests(.with { $0.debtID = id }).changeRequests
        #expect(changes.map(\.id) == [cancellation.id, payment.id])
        #expect(changes.map(\.state) == [.pending, .pending])
        let reliefs = try await a.maker.debts.listReliefRequests(.with { $0.debtID = id }).reliefRequests
        #expect(reliefs.map(\.id) == [instalments.id, exemption.id])
        #expect(reliefs.map(\.state) == [.approved, .pending])
        let debt = try await a.maker.debt(id)
        #expect(debt.balance.amountHalalas == 54_000)
        #expect(debt.state == .outstanding)
        #expect(try await a.maker.debtMovements(id).count == 1)
        #expect(try await a.maker.instalmentPlan(debtID: id).total.amountHalalas == 54_000)
        // And the other agency's own list stays empty
        #expect(try await a.otherAgency.debts.listDebts(.init()).debts.isEmpty)
      }
    }
  }

  @Test("approvals replayed with the same request_id answer as the first and apply once; another body is refused")
  func replayedApprovals() async throws {
    try await TestDaemon.with { daemon in
      let id = try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 100_000)

        // ApproveChangeRequest, PAYMENT kind
        let payment = try await a.debtor.requestPayment(
          debtID: id, halalas: 20_000, reason: "Paid at the bank", reference: "BNK-900")
        let approvePayment = Etimad_Debts_V1_ApproveChangeRequestRequest.with {
          $0.requestID = EtimadClient.newRequestID()
          $0.changeRequestID = payment.id
          $0.note = "Bank statement checked"
        }
        let paid = try await a.maker.debts.approveChangeRequest(approvePayment)
        #expect(paid.changeRequest.state == .approved)
        #expect(paid.movement.kind == .payment)
        #expect(paid.movement.requestID == approvePayment.requestID)
        #expect(paid.debt.balance.amountHalalas == 80_000)
        let paidAgain = try await a.maker.debts.approveChangeRequest(approvePayment)
        #expect(paidAgain == paid)
        #expect(try await a.maker.debtMovements(id).map(\.id) == [paid.movement.id])
        #expect(try await a.maker.debt(id).balance.amountHalalas == 80_000)
        // The same id with another body, or for another method, is refused and changes nothing
        var otherNote = approvePayment
        otherNote.note = "Bank statement checked twice"
        let reusedNote = await failureDetails { _ = try await a.maker.debts.approveChangeRequest(otherNote) }
        #expect(reusedNote?.code == .invalidArgument)
        #expect(reusedNote?.reason == "REQUEST_ID_REUSED")
        let reusedReject = await failureDetails {
          _ = try await a.maker.debts.rejectChangeRequest(
            .with {
              $0.requestID = approvePayment.requestID
              $0.changeRequestID = payment.id
              $0.note = "Bank statement checked"
            })
        }
        #expect(reusedReject?.code == .invalidArgument)
        #expect(reusedReject?.reason == "REQUEST_ID_REUSED")

        // ApproveReliefRequest, EXEMPTION kind
        let exemption = try await a.debtor.requestExemption(debtID: id, halalas: 10_000, reason: "Hardship")
        let approveExemption = Etimad_Debts_V1_ApproveReliefRequestRequest.with {
          $0.requestID = EtimadClient.newRequestID()
          $0.reliefRequestID = exemption.id
        }
        let exempted = try await a.checker.debts.approveReliefRequest(approveExemption)
        #expect(exempted.movement.kind == .exemption)
        #expect(exempted.movement.balanceDelta.amountHalalas == -10_000)
        #expect(exempted.debt.balance.amountHalalas == 70_000)
        #expect(try await a.checker.debts.approveReliefRequest(approveExemption) == exempted)
        #expect(try await a.maker.debtMovements(id).map(\.id) == [paid.movement.id, exempted.movement.id])
        var debt = try await a.maker.debt(id)
        #expect(debt.balance.amountHalalas == 70_000)
        #expect(debt.exemptedAmount.amountHalalas == 10_000)
        var otherBody = approveExemption
        otherBody.note = "approved"
        let reusedRelief = await failureDetails { _ = try await a.checker.debts.approveReliefRequest(otherBody) }
        #expect(reusedRelief?.code == .invalidArgument)
        #expect(reusedRelief?.reason == "REQUEST_ID_REUSED")

        // ApproveReliefRequest, INSTALMENT kind
        let first = CivilDay.inRiyadh(Date()).adding(days: 10)
        let instalments = try await a.debtor.requestInstalments(
          debtID: id, count: 4, firstDue: first.message, reason: "Four months")
        let approvePlan = Etimad_Debts_V1_ApproveReliefRequestRequest.with {
          $0.requestID = EtimadClient.newRequestID()
          $0.reliefRequestID = instalments.id
          $0.note = "Salary certificate attached"
        }
        let planned = try await a.checker.debts.approveReliefRequest(approvePlan)
        #expect(planned.plan.state == .active)
        #expect(planned.plan.total.amountHalalas == 70_000)
        #expect(planned.plan.instalments.map(\.amount.amountHalalas) == [17_500, 17_500, 17_500, 17_500])
        #expect(planned.reliefRequest.planID == planned.plan.id)
        let plannedAgain = try await a.checker.debts.approveReliefRequest(approvePlan)
        #expect(plannedAgain == planned)
        // After the plan, the earlier exemption's replay still gets its first answer, not PLAN_ALREADY_ACTIVE
        #expect(try await a.checker.debts.approveReliefRequest(approveExemption) == exempted)
        var pointedElsewhere = approvePlan
        pointedElsewhere.reliefRequestID = exemption.id
        let reusedPlan = await failureDetails { _ = try await a.checker.debts.approveReliefRequest(pointedElsewhere) }
        #expect(reusedPlan?.code == .invalidArgument)
        #expect(reusedPlan?.reason == "REQUEST_ID_REUSED")
        // One plan, no new movement, the balance as it was
        #expect(try await a.maker.instalmentPlan(debtID: id).id == planned.plan.id)
        #expect(try await a.maker.debtMovements(id).count == 2)
        debt = try await a.debtor.debt(id)
        #expect(debt.balance.amountHalalas == 70_000)
        #expect(debt.paidAmount.amountHalalas == 20_000)
        #expect(debt.planState == .active)
        let reliefs = try await a.debtor.debts.listReliefRequests(.with { $0.debtID = id }).reliefRequests
        #expect(reliefs.map(\.state) == [.approved, .approved])
        return id
      }
      let plans = try await daemon.daemon.database.read { db in
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM instalment_plans WHERE debt_id = ?", arguments: [id])
      }
      #expect(plans == 1)
      // Each approval left one audit row, the replays none
      let approvals = try await daemon.daemon.database.read { db in
        try AuditLog.entries(db, target: "debt/\(id)").map(\.summary).filter { $0.hasSuffix("approved") }
      }
      #expect(approvals.count == 3)
      #expect(approvals.filter { $0.hasPrefix("PAYMENT change request") }.count == 1)
      #expect(approvals.filter { $0.hasPrefix("EXEMPTION relief request") }.count == 1)
      #expect(approvals.filter { $0.hasPrefix("INSTALMENT relief request") }.count == 1)
    }
  }
}
