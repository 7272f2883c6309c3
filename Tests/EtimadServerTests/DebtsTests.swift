import Etimad
import EtimadDebts
@_spi(Testing) import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import GRPCCore
import Testing

@Suite("Debts: lifecycle, ledger, ownership, retries")
struct DebtsTests {
  @Test("draft -> under review -> rejected -> approved by another employee -> partly paid -> paid")
  func lifecycle() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        // Given a draft the maker saves and corrects
        var debt = try await a.maker.createDebt(DebtActors.details(halalas: 90_000))
        #expect(debt.state == .draft)
        #expect(debt.balance.amountHalalas == 90_000)
        #expect(debt.createdBy == "emp-maker")
        debt = try await a.maker.debts.updateDebt(
          .with {
            $0.requestID = EtimadClient.newRequestID()
            $0.debtID = debt.id
            $0.debt.amount = money(100_000)
            $0.updateMask.paths = ["amount"]
          }
        ).debt
        #expect(debt.details.amount.amountHalalas == 100_000)
        // The debtor does not see a draft
        #expect(await failure { _ = try await a.debtor.debt(debt.id) }?.code == .notFound)
        // When it is submitted, the submitter cannot approve it (four eyes)
        debt = try await a.maker.submitDebt(debt.id)
        #expect(debt.state == .underReview)
        let same = await failure { _ = try await a.maker.approveDebt(debt.id) }
        #expect(same?.code == .permissionDenied)
        #expect(same?.reason == "SAME_EMPLOYEE")
        #expect(await failure { _ = try await a.maker.rejectDebt(debt.id, note: "x") }?.reason == "SAME_EMPLOYEE")
        // A draft under review cannot be edited
        let edit = await failure {
          _ = try await a.maker.debts.updateDebt(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.debtID = debt.id
              $0.debt.notes = "late"
              $0.updateMask.paths = ["notes"]
            })
        }
        #expect(edit?.code == .failedPrecondition)
        #expect(edit?.reason == "DEBT_NOT_DRAFT")
        // The checker rejects it with a note, the maker resubmits, the checker approves
        debt = try await a.checker.rejectDebt(debt.id, note: "Attach the payroll statement")
        #expect(debt.state == .draft)
        #expect(debt.reviewNote == "Attach the payroll statement")
        _ = try await a.maker.submitDebt(debt.id)
        debt = try await a.checker.approveDebt(debt.id)
        #expect(debt.state == .outstanding)
        #expect(debt.approvedBy == "emp-checker")
        // Then the debtor sees it, without the agency's employees
        let mine = try await a.debtor.myDebts()
        #expect(mine.map(\.id) == [debt.id])
        #expect(mine.first?.createdBy == "")
        #expect(mine.first?.balance.amountHalalas == 100_000)
        // A partial SADAD payment leaves it OUTSTANDING
        var paid = try await a.maker.recordPayment(debtID: debt.id, halalas: 30_000, sadadReference: "SAD001")
        #expect(paid.debt.state == .outstanding)
        #expect(paid.debt.paidAmount.amountHalalas == 30_000)
        #expect(paid.debt.balance.amountHalalas == 70_000)
        #expect(paid.movement.kind == .payment)
        #expect(paid.movement.balanceDelta.amountHalalas == -30_000)
        // A payment above the balance is refused with the balance in the details, nothing applied
        let over = await failureDetails {
          _ = try await a.maker.recordPayment(debtID: debt.id, halalas: 70_001, sadadReference: "SAD002")
        }
        #expect(over?.code == .failedPrecondition)
        #expect(over?.reason == "AMOUNT_EXCEEDS_BALANCE")
        #expect(over?.metadata["balance_halalas"] == "70000")
        #expect(try await a.debtor.debt(debt.id).balance.amountHalalas == 70_000)
        // The rest settles it: PAID, final
        paid = try await a.maker.recordPayment(debtID: debt.id, halalas: 70_000, sadadReference: "SAD003")
        #expect(paid.debt.state == .paid)
        #expect(paid.debt.balance.amountHalalas == 0)
        let closed = await failure {
          _ = try await a.maker.recordPayment(debtID: debt.id, halalas: 1, sadadReference: "SAD004")
        }
        #expect(closed?.reason == "DEBT_CLOSED")
        let movements = try await a.debtor.debtMovements(debt.id)
        #expect(movements.map(\.balanceAfter.amountHalalas) == [70_000, 0])
        #expect(movements.allSatisfy { $0.actor.employee.isEmpty })
        let summary = try await a.debtor.debts.getDebtSummary(.init())
        #expect(summary.states.map(\.state) == [.paid])
        #expect(summary.totalOutstanding.amountHalalas == 0)
      }
      // And every change left an audit row
      let audit = try await daemon.daemon.database.read { db in
        try AuditLog.entries(db, target: "debt/1").map(\.summary)
      }
      #expect(audit.count == 8)
      #expect(audit.contains { $0.contains("SADAD payment SAD003") })
      // And the ledger cannot be rewritten, even from inside the daemon
      for sql in ["UPDATE debt_movements SET delta = 0", "DELETE FROM debt_movements"] {
        await #expect(throws: DatabaseError.self) {
          try await daemon.daemon.database.testingPool.write { db in try db.execute(sql: sql) }
        }
      }
    }
  }

  @Test("bad input: every wrong field at once, in the caller's language")
  func validation() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let bad = await failureDetails {
          _ = try await a.maker.createDebt(
            .with {
              $0.debtorID.number = "1012345670"
              $0.amount = money(-5)
              $0.dueDate = .with {
                $0.year = 2026
                $0.month = 2
                $0.day = 30
              }
              $0.sadadBillNumber = "12ab"
            })
        }
        #expect(bad?.code == .invalidArgument)
        let fields = Set(bad?.fieldViolations.map(\.field) ?? [])
        #expect(
          fields == [
            "debt.debtor_id.number", "debt.debtor_name", "debt.category", "debt.reason", "debt.amount",
            "debt.due_date", "debt.sadad_bill_number",
          ])
        #expect(await failure { _ = try await a.maker.debt("") }?.code == .invalidArgument)
        #expect(await failure { _ = try await a.maker.debt("abc") }?.code == .notFound)
        let currency = await failureDetails {
          var details = DebtActors.details()
          details.amount.currencyCode = "USD"
          _ = try await a.maker.createDebt(details)
        }
        #expect(currency?.fieldViolations.first?.reason == "WRONG_CURRENCY")
      }
    }
  }

  @Test("lists are paged with tokens bound to their filters")
  func paging() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        var created: [String] = []
        for halalas in [1_000, 2_000, 3_000] as [Int64] {
          created.append(try await a.maker.createDebt(DebtActors.details(halalas: halalas)).id)
        }
        let first = try await a.checker.debts.listDebts(
          .with {
            $0.pageSize = 2
            $0.state = .draft
          })
        #expect(first.debts.map(\.id) == [created[2], created[1]])
        let second = try await a.checker.debts.listDebts(
          .with {
            $0.pageSize = 2
            $0.state = .draft
            $0.pageToken = first.nextPageToken
          })
        #expect(second.debts.map(\.id) == [created[0]])
        #expect(second.nextPageToken.isEmpty)
        let otherFilters = await failureDetails {
          _ = try await a.checker.debts.listDebts(
            .with {
              $0.pageSize = 2
              $0.pageToken = first.nextPageToken
            })
        }
        #expect(otherFilters?.fieldViolations.first?.reason == "INVALID_PAGE_TOKEN")
        let dueRange = try await a.maker.debts.listDebts(
          .with {
            $0.dueDateFrom = date(2026, 12, 31)
            $0.dueDateTo = date(2026, 12, 31)
            $0.debtorIDNumber = DebtActors.debtorPerson.idNumber
          })
        #expect(dueRange.debts.count == 3)
        let none = try await a.maker.debts.listDebts(.with { $0.dueDateFrom = date(2027, 1, 1) })
        #expect(none.debts.isEmpty)
      }
    }
  }

  @Test("ownership: another individual and another agency get NOT_FOUND; callers of the wrong kind are refused")
  func ownership() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt()
        // Individual B cannot see or act on A's debt
        #expect(await failure { _ = try await a.stranger.debt(id) }?.code == .notFound)
        #expect(await failure { _ = try await a.stranger.debtMovements(id) }?.code == .notFound)
        #expect(
          await failure { _ = try await a.stranger.requestPayment(debtID: id, halalas: 1, reason: "paid") }?.code
            == .notFound)
        #expect(
          await failure { _ = try await a.stranger.requestExemption(debtID: id, halalas: nil, reason: "poor") }?.code
            == .notFound)
        #expect(try await a.stranger.myDebts().isEmpty)
        // Agency Y cannot see or act on agency X's debt
        #expect(await failure { _ = try await a.otherAgency.debt(id) }?.code == .notFound)
        #expect(
          await failure { _ = try await a.otherAgency.recordPayment(debtID: id, halalas: 1, sadadReference: "X1") }?
            .code == .notFound)
        #expect(await failure { _ = try await a.otherAgency.approveDebt(id) }?.code == .notFound)
        let listed = try await a.otherAgency.debts.listDebts(.init()).debts
        #expect(listed.isEmpty)
        // A request on A's debt is invisible to B too
        let request = try await a.debtor.requestPayment(debtID: id, halalas: 100, reason: "paid at the bank")
        #expect(
          await failure {
            _ = try await a.stranger.debts.withdrawChangeRequest(
              .with {
                $0.requestID = EtimadClient.newRequestID()
                $0.changeRequestID = request.id
              })
          }?.code == .notFound)
        #expect(await failure { _ = try await a.otherAgency.approveChangeRequest(request.id) }?.code == .notFound)
        // Kinds of caller the access table does not admit
        #expect(
          await failure { _ = try await a.debtor.createDebt(DebtActors.details()) }?.code == .permissionDenied)
        #expect(await failure { _ = try await a.debtor.approveChangeRequest(request.id) }?.code == .permissionDenied)
        #expect(await failure { _ = try await a.maker.myDebts() }?.code == .permissionDenied)
        // The agency's own list has it, filtered by state and debtor
        let own = try await a.checker.debts.listDebts(
          .with {
            $0.state = .outstanding
            $0.debtorIDNumber = DebtActors.debtorPerson.idNumber
          })
        #expect(own.debts.map(\.id) == [id])
        #expect(own.debts.first?.underReview == true)
      }
    }
  }

  @Test("retries: the same request_id returns the first answer; a SADAD reference is used once")
  func retries() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 50_000)
        let requestID = EtimadClient.newRequestID()
        let first = try await a.maker.recordPayment(
          debtID: id, halalas: 10_000, sadadReference: "REF1", paidTime: Date(timeIntervalSince1970: 1_764_000_000),
          requestID: requestID)
        let again = try await a.maker.recordPayment(
          debtID: id, halalas: 10_000, sadadReference: "REF1", paidTime: Date(timeIntervalSince1970: 1_764_000_000),
          requestID: requestID)
        #expect(again == first)
        #expect(try await a.maker.debt(id).balance.amountHalalas == 40_000)
        // The same id with another request is refused
        let reused = await failure {
          _ = try await a.maker.recordPayment(
            debtID: id, halalas: 20_000, sadadReference: "REF2", requestID: requestID)
        }
        #expect(reused?.code == .invalidArgument)
        #expect(reused?.reason == "REQUEST_ID_REUSED")
        // The same SADAD reference under a new request_id is ALREADY_EXISTS, even from the other employee
        let replay = await failure {
          _ = try await a.checker.recordPayment(debtID: id, halalas: 10_000, sadadReference: "REF1")
        }
        #expect(replay?.code == .alreadyExists)
        #expect(replay?.reason == "SADAD_REFERENCE_USED")
        #expect(try await a.maker.debtMovements(id).count == 1)
        #expect(try await a.maker.debt(id).balance.amountHalalas == 40_000)
        // Another agency may use the same reference on its own debt
        let details = DebtActors.details(halalas: 5_000)
        let other = try await a.otherAgency.createDebt(details)
        #expect(other.state == .draft)
      }
    }
  }

  @Test("four eyes: one employee however the header spells it; identifiers outside the alphabet are refused")
  func employeeHeaderIsNormalised() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      let maker = try await daemon.agencyClient(code: "MOF", employee: "E1")
      try await EtimadClient.withClient(maker) { client in
        // Given a debt E1 creates and submits
        let debt = try await client.createDebt(DebtActors.details())
        #expect(debt.createdBy == "e1")
        _ = try await client.submitDebt(debt.id)
        // When the same employee approves it spelt another way, four eyes refuses it
        for spelling in ["e1", " E1", "  e1  "] {
          let same = await failure {
            _ = try await client.debts.approveDebt(
              .with {
                $0.requestID = EtimadClient.newRequestID()
                $0.debtID = debt.id
              }, metadata: ["x-etimad-employee": .string(spelling)])
          }
          #expect(same?.code == .permissionDenied, "\(spelling)")
          #expect(same?.reason == "SAME_EMPLOYEE", "\(spelling)")
        }
        // Identifiers outside the alphabet or the length are INVALID_ARGUMENT on the header
        for (spelling, reason) in [
          ("e 1", "BAD_CHARACTERS"), ("e1;drop", "BAD_CHARACTERS"),
          (String(repeating: "e", count: 65), "TOO_LONG"), ("   ", "REQUIRED"),
        ] {
          let refused = await failureDetails {
            _ = try await client.identity.whoAmI(.init(), metadata: ["x-etimad-employee": .string(spelling)])
          }
          #expect(refused?.code == .invalidArgument, "\(spelling)")
          #expect(refused?.fieldViolations.map(\.field) == ["x-etimad-employee"], "\(spelling)")
          #expect(refused?.fieldViolations.first?.reason == reason, "\(spelling)")
        }
        // Then another employee approves, and who-am-i shows the canonical form
        let approved = try await client.debts.approveDebt(
          .with {
            $0.requestID = EtimadClient.newRequestID()
            $0.debtID = debt.id
          }, metadata: ["x-etimad-employee": "E2"]
        ).debt
        #expect(approved.state == .outstanding)
        #expect(approved.approvedBy == "e2")
        #expect(
          try await client.identity.whoAmI(.init(), metadata: ["x-etimad-employee": " Emp.One@MOF "]).employee
            == "emp.one@mof")
      }
    }
  }
}
