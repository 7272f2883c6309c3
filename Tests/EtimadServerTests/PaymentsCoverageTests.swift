import Etimad
import EtimadKit
import EtimadPayments
import EtimadServer
import Foundation
import GRPCCore
import Testing

/// End-to-end coverage of payments paths the other suites touch only in passing: refunds the
/// sector records itself, and paging through cancelled operations and refund requests.
@Suite("Payments coverage: direct refunds, paging of cancelled operations and refund requests")
struct PaymentsCoverageTests {
  @Test("a REFUNDED movement takes money from refundable to refunded, never more than is refundable")
  func directRefund() async throws {
    try await TestDaemon.with { daemon in
      let civil = try await daemon.sectorAgency("CIVIL_AFFAIRS")
      let paymentID = try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(civil) { agency in
          let payment = try await agency.record(sector: "CIVIL_AFFAIRS", service: "ID_REPLACEMENT", amount: 50_000)
          let id = payment.paymentID

          /// Reads the payment as the sector and as the citizen, and the citizen's overall
          /// balance (this is their only payment), and checks all three against `expected`.
          func check(
            _ expected: Parts, _ state: Etimad_Payments_V1_PaymentState, _ step: String,
            sourceLocation: SourceLocation = #_sourceLocation
          ) async throws {
            let bySector = try await agency.payments.getPayment(.with { $0.paymentID = id }).payment
            let byCitizen = try await citizen.payments.getPayment(.with { $0.paymentID = id }).payment
            let overall = try await citizen.payments.getBalance(.init())
            for (who, balance) in [
              ("sector", bySector.balance), ("citizen", byCitizen.balance), ("overall", overall.total),
            ] {
              #expect(Parts(balance) == expected, "\(step): \(who)", sourceLocation: sourceLocation)
              // available + refundable + refund_pending + consumed + refunded = paid
              #expect(balance.addsUp, "\(step): \(who)", sourceLocation: sourceLocation)
            }
            #expect(bySector.state == state, "\(step)", sourceLocation: sourceLocation)
            #expect(byCitizen.state == state, "\(step)", sourceLocation: sourceLocation)
          }

          try await check(Parts(paid: 50_000, available: 50_000), .paid, "recorded")
          // Nothing is refundable before an operation is cancelled
          let early = await failureDetails { _ = try await agency.refundDirectly(id, 1) }
          #expect(early?.code == .failedPrecondition)
          #expect(early?.reason == "AMOUNT_EXCEEDS_REFUNDABLE")
          #expect(early?.metadata["refundable_halalas"] == "0")
          try await check(Parts(paid: 50_000, available: 50_000), .paid, "refused before any cancellation")

          // 200 SAR cancelled, 50 SAR of it asked back by the citizen
          try await agency.move(id, .cancelled, 20_000)
          try await check(Parts(paid: 50_000, available: 30_000, refundable: 20_000), .cancelled, "cancelled")
          let request = try await citizen.refund(id, 5_000)
          try await check(
            Parts(paid: 50_000, available: 30_000, refundable: 15_000, refundPending: 5_000), .refundRequested,
            "refund requested")

          // The sector refunds 100 SAR by cheque: refundable -> refunded, nothing else moves
          let cheque = Etimad_Payments_V1_RecordMovementRequest.with {
            $0.requestID = EtimadClient.newRequestID()
            $0.paymentID = id
            $0.kind = .refunded
            $0.amount = .with { $0.amountHalalas = 10_000 }
            $0.note = "cheque 5521"
          }
          let refunded = try await agency.payments.recordMovement(cheque)
          #expect(refunded.movement.kind == .refunded)
          #expect(refunded.movement.amount.amountHalalas == 10_000)
          #expect(refunded.movement.note == "cheque 5521")
          #expect(refunded.movement.refundRequestID.isEmpty)
          #expect(
            Parts(refunded.payment.balance)
              == Parts(
                paid: 50_000, available: 30_000, refundable: 5_000, refundPending: 5_000, refunded: 10_000))
          // A retry of that call is answered, not applied again
          #expect(try await agency.payments.recordMovement(cheque) == refunded)
          try await check(
            Parts(paid: 50_000, available: 30_000, refundable: 5_000, refundPending: 5_000, refunded: 10_000),
            .refundRequested, "refunded directly")

          // One halala above what is refundable is refused with the limit; the pending request is not refundable
          let above = await failureDetails { _ = try await agency.refundDirectly(id, 5_001) }
          #expect(above?.code == .failedPrecondition)
          #expect(above?.reason == "AMOUNT_EXCEEDS_REFUNDABLE")
          #expect(above?.metadata["refundable_halalas"] == "5000")
          let zero = await violations { _ = try await agency.refundDirectly(id, 0) }
          #expect(zero == ["amount:NOT_POSITIVE"])
          try await check(
            Parts(paid: 50_000, available: 30_000, refundable: 5_000, refundPending: 5_000, refunded: 10_000),
            .refundRequested, "refused above the refundable amount")

          // Exactly the rest is accepted; then the citizen cannot ask for more
          try await agency.refundDirectly(id, 5_000)
          try await check(
            Parts(paid: 50_000, available: 30_000, refundPending: 5_000, refunded: 15_000), .refundRequested,
            "refundable used up")
          let more = await failureDetails { _ = try await citizen.refund(id, 1) }
          #expect(more?.reason == "AMOUNT_EXCEEDS_REFUNDABLE")

          // The pending request completes; the service consumes the rest
          _ = try await agency.payments.completeRefund(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.refundRequestID = request.refundRequest.refundRequestID
              $0.note = "transfer 4410"
            })
          try await check(Parts(paid: 50_000, available: 30_000, refunded: 20_000), .paid, "request completed")
          try await agency.move(id, .consumed, 30_000)
          try await check(Parts(paid: 50_000, consumed: 30_000, refunded: 20_000), .refunded, "consumed")
          let after = await failureDetails { _ = try await agency.refundDirectly(id, 1) }
          #expect(after?.reason == "AMOUNT_EXCEEDS_REFUNDABLE")
          #expect(after?.metadata["refundable_halalas"] == "0")

          // The ledger has the two direct refunds, with no refund request, and the completed one with it
          let movements = try await citizen.payments.getPayment(.with { $0.paymentID = id }).movements
          #expect(
            movements.map(\.kind) == [.paid, .cancelled, .refundRequested, .refunded, .refunded, .refunded, .consumed])
          #expect(movements.filter { $0.kind == .refunded }.map(\.amount.amountHalalas) == [10_000, 5_000, 5_000])
          #expect(
            movements.filter { $0.kind == .refunded }.map(\.refundRequestID) == [
              "", "", request.refundRequest.refundRequestID,
            ])
          return id
        }
      }
      // One audit row per change; the refused calls and the retry left none
      let audit = try await daemon.daemon.database.read { db in
        try AuditLog.entries(db, target: "payment/\(paymentID)").map(\.summary)
      }
      #expect(audit.count == 7)
      #expect(audit.filter { $0.hasPrefix("movement refunded") }.count == 2)
    }
  }

}

/// A payment's balance as plain numbers, for exact comparisons.
private struct Parts: Equatable, CustomStringConvertible {
  var paid: Int64
  var available: Int64
  var refundable: Int64
  var refundPending: Int64
  var consumed: Int64
  var refunded: Int64

  init(
    paid: Int64, available: Int64 = 0, refundable: Int64 = 0, refundPending: Int64 = 0, consumed: Int64 = 0,
    refunded: Int64 = 0
  ) {
    self.paid = paid
    self.available = available
    self.refundable = refundable
    self.refundPending = refundPending
    self.consumed = consumed
    self.refunded = refunded
  }

  init(_ balance: Etimad_Payments_V1_Balance) {
    self.init(
      paid: balance.paid.amountHalalas, available: balance.available.amountHalalas,
      refundable: balance.refundable.amountHalalas, refundPending: balance.refundPending.amountHalalas,
      consumed: balance.consumed.amountHalalas, refunded: balance.refunded.amountHalalas)
  }

  var description: String {
    "paid \(paid) = available \(available) + refundable \(refundable) + pending \(refundPending)"
      + " + consumed \(consumed) + refunded \(refunded)"
  }
}

extension EtimadClient {
  /// Records a REFUNDED movement (a refund the sector made without a request) as a sector agency.
  @discardableResult
  fileprivate func refundDirectly(_ payment: String, _ amount: Int64) async throws -> Etimad_Payments_V1_Payment {
    try await payments.recordMovement(
      .with {
        $0.requestID = EtimadClient.newRequestID()
        $0.paymentID = payment
        $0.kind = .refunded
        $0.amount = .with { $0.amountHalalas = amount }
      }
    ).payment
  }
}
