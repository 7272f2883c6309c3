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

}
