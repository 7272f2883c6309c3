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

  @Test("ListCancelledOperations pages through every operation once, newest first; tampered tokens are refused")
  func cancelledOperationsPaging() async throws {
    try await TestDaemon.with { daemon in
      let passports = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, resident in
        // Seven cancelled operations on three of the citizen's payments, two on the resident's own
        let (citizens, residents) = try await EtimadClient.withClient(passports) { agency in
          var citizens: [String: String] = [:]  // movement id -> payment id
          var residents: Set<String> = []
          for (index, cancellations) in [3, 2, 2].enumerated() {
            let payment = try await agency.record(
              customer: "300000000007", amount: 30_000, paidAt: Date().addingTimeInterval(Double(-3600 * (index + 2))))
            for _ in 0..<cancellations {
              let moved = try await agency.payments.recordMovement(
                .with {
                  $0.requestID = EtimadClient.newRequestID()
                  $0.paymentID = payment.paymentID
                  $0.kind = .cancelled
                  $0.amount = .with { $0.amountHalalas = 1_000 }
                })
              citizens[moved.movement.movementID] = payment.paymentID
            }
          }
          let own = try await agency.record(beneficiary: TestDaemon.resident.idNumber, customer: "400000000001")
          for _ in 0..<2 {
            let moved = try await agency.payments.recordMovement(
              .with {
                $0.requestID = EtimadClient.newRequestID()
                $0.paymentID = own.paymentID
                $0.kind = .cancelled
                $0.amount = .with { $0.amountHalalas = 500 }
              })
            residents.insert(moved.movement.movementID)
          }
          return (citizens, residents)
        }
        #expect(citizens.count == 7)

        let (operations, pages) = try await collectPages { token in
          let page = try await citizen.payments.listCancelledOperations(
            .with {
              $0.pageSize = 3
              $0.pageToken = token
            })
          return (page.operations, page.nextPageToken)
        }
        #expect(pages == [3, 3, 1])
        let ids = operations.map(\.movement.movementID)
        #expect(Set(ids).count == ids.count)
        #expect(Set(ids) == Set(citizens.keys))
        // Newest first, each with the payment it belongs to
        #expect(ids == ids.sorted { Int64($0) ?? 0 > Int64($1) ?? 0 })
        #expect(operations.allSatisfy { citizens[$0.movement.movementID] == $0.payment.paymentID })
        #expect(operations.allSatisfy { $0.movement.kind == .cancelled && $0.movement.amount.amountHalalas == 1_000 })
        // One page holds them all by default
        let all = try await citizen.payments.listCancelledOperations(.init())
        #expect(all.operations.map(\.movement.movementID) == ids)
        #expect(all.nextPageToken.isEmpty)
        // The resident pages through their own only
        let (theirs, _) = try await collectPages { token in
          let page = try await resident.payments.listCancelledOperations(
            .with {
              $0.pageSize = 1
              $0.pageToken = token
            })
          return (page.operations, page.nextPageToken)
        }
        #expect(Set(theirs.map(\.movement.movementID)) == residents)

        // Tokens: tampered with, or handed to another person, are INVALID_ARGUMENT on page_token
        let first = try await citizen.payments.listCancelledOperations(.with { $0.pageSize = 3 })
        #expect(!first.nextPageToken.isEmpty)
        let tampered = await failureDetails {
          _ = try await citizen.payments.listCancelledOperations(
            .with {
              $0.pageSize = 3
              $0.pageToken = tamper(first.nextPageToken)
            })
        }
        #expect(tampered?.code == .invalidArgument)
        #expect(tampered?.fieldViolations.map { "\($0.field):\($0.reason)" } == ["page_token:INVALID_PAGE_TOKEN"])
        let garbage = await violations {
          _ = try await citizen.payments.listCancelledOperations(.with { $0.pageToken = "not a token!" })
        }
        #expect(garbage == ["page_token:INVALID_PAGE_TOKEN"])
        let handedOver = await violations {
          _ = try await resident.payments.listCancelledOperations(
            .with {
              $0.pageSize = 3
              $0.pageToken = first.nextPageToken
            })
        }
        #expect(handedOver == ["page_token:INVALID_PAGE_TOKEN"])
        let negative = await violations {
          _ = try await citizen.payments.listCancelledOperations(.with { $0.pageSize = -1 })
        }
        #expect(negative == ["page_size:NEGATIVE"])
      }
    }
  }

  @Test(
    "ListRefundRequests pages through the sector's requests once, oldest first; tokens are bound to agency and state")
  func refundRequestsPaging() async throws {
    try await TestDaemon.with { daemon in
      let passports = try await daemon.sectorAgency("PASSPORTS")
      let traffic = try await daemon.sectorAgency("TRAFFIC")
      try await daemon.withIndividuals { citizen, resident in
        try await EtimadClient.withClient(passports) { agency in
          try await EtimadClient.withClient(traffic) { otherSector in
            // Seven requests of the citizen and one of the resident in the passports sector
            let payment = try await agency.record(customer: "300000000007", amount: 20_000)
            try await agency.move(payment.paymentID, .cancelled, 10_000)
            let residents = try await agency.record(beneficiary: TestDaemon.resident.idNumber, customer: "400000000001")
            try await agency.move(residents.paymentID, .cancelled, 3_000)
            var created: [String] = []
            for index in 0..<8 {
              let response =
                index == 4
                ? try await resident.refund(residents.paymentID, 3_000, holder: "Ahmed Hassan")
                : try await citizen.refund(payment.paymentID, 1_000)
              created.append(response.refundRequest.refundRequestID)
            }
            // And one in the traffic sector, which the passports agency never sees
            let fine = try await otherSector.record(sector: "TRAFFIC", service: "TRAFFIC_VIOLATION", amount: 5_000)
            try await otherSector.move(fine.paymentID, .cancelled, 5_000)
            let trafficRequest = try await citizen.refund(fine.paymentID, 5_000).refundRequest.refundRequestID

            let (requests, pages) = try await collectPages { token in
              let page = try await agency.payments.listRefundRequests(
                .with {
                  $0.pageSize = 3
                  $0.pageToken = token
                })
              return (page.refundRequests, page.nextPageToken)
            }
            #expect(pages == [3, 3, 2])
            #expect(requests.map(\.refundRequestID) == created)
            #expect(!requests.map(\.refundRequestID).contains(trafficRequest))
            #expect(requests.allSatisfy { $0.state == .pending })
            #expect(requests[4].requesterIDNumber == TestDaemon.resident.idNumber)
            #expect(requests[4].paymentID == residents.paymentID)

            // Decide three; the pending ones page on their own
            for (index, complete) in [(0, true), (4, false), (7, true)] {
              if complete {
                _ = try await agency.payments.completeRefund(
                  .with {
                    $0.requestID = EtimadClient.newRequestID()
                    $0.refundRequestID = created[index]
                    $0.note = "transfer \(index)"
                  })
              } else {
                _ = try await agency.payments.rejectRefund(
                  .with {
                    $0.requestID = EtimadClient.newRequestID()
                    $0.refundRequestID = created[index]
                    $0.reason = "IBAN holder differs"
                  })
              }
            }
            let (pending, pendingPages) = try await collectPages { token in
              let page = try await agency.payments.listRefundRequests(
                .with {
                  $0.state = .pending
                  $0.pageSize = 2
                  $0.pageToken = token
                })
              return (page.refundRequests, page.nextPageToken)
            }
            #expect(pendingPages == [2, 2, 1])
            #expect(pending.map(\.refundRequestID) == [created[1], created[2], created[3], created[5], created[6]])
            let (completed, _) = try await collectPages { token in
              let page = try await agency.payments.listRefundRequests(
                .with {
                  $0.state = .completed
                  $0.pageSize = 1
                  $0.pageToken = token
                })
              return (page.refundRequests, page.nextPageToken)
            }
            #expect(completed.map(\.refundRequestID) == [created[0], created[7]])
            #expect(completed.map(\.decisionNote) == ["transfer 0", "transfer 7"])
            let (everything, _) = try await collectPages { token in
              let page = try await agency.payments.listRefundRequests(
                .with {
                  $0.pageSize = 5
                  $0.pageToken = token
                })
              return (page.refundRequests, page.nextPageToken)
            }
            #expect(everything.map(\.refundRequestID) == created)
            #expect(
              everything.map(\.state) == [
                .completed, .pending, .pending, .pending, .rejected, .pending, .pending, .completed,
              ])

            // Tokens: tampered, for another state filter, or handed to another agency
            let first = try await agency.payments.listRefundRequests(
              .with {
                $0.state = .pending
                $0.pageSize = 2
              })
            #expect(!first.nextPageToken.isEmpty)
            let tampered = await failureDetails {
              _ = try await agency.payments.listRefundRequests(
                .with {
                  $0.state = .pending
                  $0.pageSize = 2
                  $0.pageToken = tamper(first.nextPageToken)
                })
            }
            #expect(tampered?.code == .invalidArgument)
            #expect(tampered?.fieldViolations.map { "\($0.field):\($0.reason)" } == ["page_token:INVALID_PAGE_TOKEN"])
            let otherState = await violations {
              _ = try await agency.payments.listRefundRequests(
                .with {
                  $0.pageSize = 2
                  $0.pageToken = first.nextPageToken
                })
            }
            #expect(otherState == ["page_token:INVALID_PAGE_TOKEN"])
            let otherAgency = await violations {
              _ = try await otherSector.payments.listRefundRequests(
                .with {
                  $0.state = .pending
                  $0.pageSize = 2
                  $0.pageToken = first.nextPageToken
                })
            }
            #expect(otherAgency == ["page_token:INVALID_PAGE_TOKEN"])
            // The traffic agency lists only its own request
            let trafficList = try await otherSector.payments.listRefundRequests(.init()).refundRequests
            #expect(trafficList.map(\.refundRequestID) == [trafficRequest])
          }
        }
      }
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

/// Every item of a paged list, and the size of each page, following next_page_token to the end.
private func collectPages<Item>(
  _ fetch: (_ token: String) async throws -> ([Item], String)
) async throws -> (items: [Item], pages: [Int]) {
  var items: [Item] = []
  var pages: [Int] = []
  var token = ""
  repeat {
    let (page, next) = try await fetch(token)
    items += page
    pages.append(page.count)
    token = next
    if pages.count > 100 { throw TestFailure("more than 100 pages: the token does not advance") }
  } while !token.isEmpty
  return (items, pages)
}

/// A page token with one character in the middle changed, so that its signed body differs.
private func tamper(_ token: String) -> String {
  var bytes = Array(token.utf8)
  let middle = bytes.count / 2
  bytes[middle] = bytes[middle] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
  return String(decoding: bytes, as: UTF8.self)
}
