import Etimad
import EtimadKit
import Foundation
import GRPCCore
import Testing

@Suite("Debts: concurrent payments")
struct DebtsConcurrencyTests {
  @Test("50 concurrent partial payments never over-pay: balance = original - sum(accepted)")
  func concurrentPayments() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.withDebtActors { a in
        let id = try await a.outstandingDebt(halalas: 100_000)
        // 50 x 3 000 = 150 000 offered against 100 000: 33 fit, the rest must be refused whole.
        let results = await withTaskGroup(of: (Int64, String?).self) { group in
          for index in 0..<50 {
            let client = index % 2 == 0 ? a.maker : a.checker
            group.addTask {
              do {
                _ = try await client.recordPayment(debtID: id, halalas: 3_000, sadadReference: "CONC\(index)")
                return (3_000, nil)
              } catch let error as RPCError {
                return (0, error.etimadDetails?.reason ?? "\(error.code)")
              } catch {
                return (0, "\(error)")
              }
            }
          }
          return await group.reduce(into: [(Int64, String?)]()) { $0.append($1) }
        }
        let accepted = results.map(\.0).reduce(0, +)
        #expect(accepted == 99_000)
        #expect(results.compactMap(\.1).allSatisfy { $0 == "AMOUNT_EXCEEDS_BALANCE" })
        let debt = try await a.debtor.debt(id)
        #expect(debt.balance.amountHalalas == 100_000 - accepted)
        #expect(debt.paidAmount.amountHalalas == accepted)
        let movements = try await a.maker.debtMovements(id)
        #expect(movements.count == 33)
        // Typed apart: every generated message adds an `==` the solver tries here.
        let balances: [Int64] = movements.map(\.balanceAfter.amountHalalas)
        let expected: [Int64] = (1...33).map { (step: Int) -> Int64 in 100_000 - Int64(step) * 3_000 }
        #expect(balances == expected)
      }
    }
  }
}
