import Etimad
import EtimadKit
import EtimadPayments
import EtimadServer
import Foundation
import GRPCCore
import Testing

@Suite("Government payments")
struct PaymentsTests {
  @Test("catalogue: sectors with their agencies and services with fees, for anyone")
  func catalogue() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
        let sectors = try await anonymous.payments.listSectors(.init()).sectors
        #expect(sectors.map(\.code).contains("PASSPORTS"))
        #expect(sectors.first { $0.code == "TRAFFIC" }?.name.ar == "المرور")
        #expect(Set(sectors.map(\.agencyCode)).count == sectors.count)
        let services = try await anonymous.payments.listServices(.with { $0.sectorCode = "PASSPORTS" }).services
        #expect(services.allSatisfy { $0.sectorCode == "PASSPORTS" })
        #expect(services.first { $0.code == "IQAMA_RENEWAL" }?.fee.amountHalalas == 65_000)
      }
    }
  }

  @Test("record, consume, cancel, refund request and completion: the balance adds up after every step")
  func journey() async throws {
    try await TestDaemon.with { daemon in
      let agencyConfig = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(agencyConfig) { agency in
          // Given a payment of 650 SAR recorded by the passports sector
          let payment = try await agency.record(amount: 65_000)
          #expect(payment.state == .paid && payment.balance.available.amountHalalas == 65_000)
          #expect(payment.balance.addsUp)
          func check(_ state: Etimad_Payments_V1_PaymentState) async throws -> Etimad_Payments_V1_Balance {
            let seen = try await citizen.payments.getPayment(.with { $0.paymentID = payment.paymentID })
            #expect(seen.payment.state == state)
            #expect(seen.payment.balance.addsUp)
            let overall = try await citizen.payments.getBalance(.init())
            #expect(overall.total.addsUp)
            #expect(overall.sectors.allSatisfy { $0.balance.addsUp })
            return seen.payment.balance
          }
          _ = try await check(.paid)
          // When the service consumes part and an operation of 200 SAR is cancelled
          try await agency.move(payment.paymentID, .consumed, 25_000)
          _ = try await check(.paid)
          try await agency.move(payment.paymentID, .cancelled, 20_000)
          var balance = try await check(.cancelled)
          #expect(balance.available.amountHalalas == 20_000 && balance.refundable.amountHalalas == 20_000)
          // Then the citizen sees the cancelled operation and asks for 150 SAR back
          let cancelled = try await citizen.payments.listCancelledOperations(.init()).operations
          #expect(cancelled.map(\.movement.amount.amountHalalas) == [20_000])
          let request = try await citizen.refund(payment.paymentID, 15_000)
          #expect(request.refundRequest.state == .pending)
          #expect(request.refundRequest.bankName.en == "Al Rajhi Bank")
          balance = try await check(.refundRequested)
          #expect(balance.refundPending.amountHalalas == 15_000 && balance.refundable.amountHalalas == 5_000)
          // And the sector lists it and completes it
          let pending = try await agency.payments.listRefundRequests(.with { $0.state = .pending }).refundRequests
          #expect(pending.map(\.refundRequestID) == [request.refundRequest.refundRequestID])
          let done = try await agency.payments.completeRefund(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.refundRequestID = request.refundRequest.refundRequestID
              $0.note = "transfer 88812"
            })
          #expect(done.refundRequest.state == .completed)
          balance = try await check(.cancelled)
          #expect(balance.refunded.amountHalalas == 15_000)
          // A second decision on the same request is refused
          let again = await failure {
            _ = try await agency.payments.rejectRefund(
              .with {
                $0.requestID = EtimadClient.newRequestID()
                $0.refundRequestID = request.refundRequest.refundRequestID
                $0.reason = "late"
              })
          }
          #expect(again?.reason == "REFUND_NOT_PENDING")
          // A rejected request makes the amount refundable again
          let second = try await citizen.refund(payment.paymentID, 5_000)
          _ = try await agency.payments.rejectRefund(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.refundRequestID = second.refundRequest.refundRequestID
              $0.reason = "IBAN holder differs"
            })
          balance = try await check(.cancelled)
          #expect(balance.refundable.amountHalalas == 5_000 && balance.refundPending.amountHalalas == 0)
          // Consuming more than is available is refused with what is left
          let tooMuch = await failure { try await agency.move(payment.paymentID, .consumed, 20_001) }
          #expect(tooMuch?.code == .failedPrecondition && tooMuch?.reason == "AMOUNT_EXCEEDS_AVAILABLE")
          let details = try await citizen.payments.getPayment(.with { $0.paymentID = payment.paymentID })
          #expect(
            details.movements.map(\.kind) == [
              .paid, .consumed, .cancelled, .refundRequested, .refunded, .refundRequested, .refundRejected,
            ])
          #expect(details.refundRequests.map(\.state) == [.completed, .rejected])
        }
      }
      // And every change left an audit row
      let audit = try await daemon.daemon.database.read { db in
        try AuditLog.entries(db, target: "payment/1").map(\.summary)
      }
      #expect(audit.count == 7)
    }
  }

  @Test("exactly once by request_id and by SADAD reference")
  func exactlyOnce() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(try await daemon.sectorAgency("TRAFFIC")) { agency in
        let id = EtimadClient.newRequestID()
        let paidAt = Date(timeIntervalSince1970: 1_764_000_000)
        let first = try await agency.record(
          sector: "TRAFFIC", service: "TRAFFIC_VIOLATION", sadad: "TR-0001", amount: 30_000, paidAt: paidAt,
          requestID: id)
        let retry = try await agency.record(
          sector: "TRAFFIC", service: "TRAFFIC_VIOLATION", sadad: "TR-0001", amount: 30_000, paidAt: paidAt,
          requestID: id)
        #expect(retry == first)
        // The same SADAD payment reported again under another request id is the same payment
        let resent = try await agency.record(
          sector: "TRAFFIC", service: "TRAFFIC_VIOLATION", sadad: "tr-0001", amount: 30_000, paidAt: paidAt)
        #expect(resent.paymentID == first.paymentID)
        // Another payment under that reference is refused; the same id for another request too
        let clash = await failure {
          _ = try await agency.record(
            sector: "TRAFFIC", service: "TRAFFIC_VIOLATION", sadad: "TR-0001", amount: 30_001, paidAt: paidAt)
        }
        #expect(clash?.code == .alreadyExists && clash?.reason == "SADAD_REFERENCE_EXISTS")
        let reused = await failure {
          _ = try await agency.record(sector: "TRAFFIC", service: "TRAFFIC_VIOLATION", sadad: "TR-0002", requestID: id)
        }
        #expect(reused?.reason == "REQUEST_ID_REUSED")
        // Another sector and unknown services are refused
        let foreign = await failure { _ = try await agency.record(sector: "PASSPORTS") }
        #expect(foreign?.code == .permissionDenied)
        let unknown = await violations { _ = try await agency.record(sector: "TRAFFIC", service: "NOPE") }
        #expect(unknown == ["service_code:UNKNOWN_SERVICE"])
        let bad = await violations {
          _ = try await agency.record(
            sector: "TRAFFIC", service: "TRAFFIC_VIOLATION", beneficiary: "1012345673", customer: "12", sadad: "x",
            amount: 0)
        }
        #expect(
          bad == [
            "beneficiary.number:CHECK_DIGIT", "customer_number:INVALID_CUSTOMER_NUMBER",
            "sadad_reference:INVALID_SADAD_REFERENCE", "amount:NOT_POSITIVE",
          ])
        let count = try await daemon.daemon.database.read { db in
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM payments")
        }
        #expect(count == 1)
      }
    }
  }

  @Test("concurrent refund requests through the server never exceed the refundable amount")
  func concurrentRefunds() async throws {
    try await TestDaemon.with { daemon in
      let agencyConfig = try await daemon.sectorAgency("CIVIL_AFFAIRS")
      try await daemon.withIndividuals { citizen, _ in
        let payment = try await EtimadClient.withClient(agencyConfig) { agency in
          let payment = try await agency.record(sector: "CIVIL_AFFAIRS", service: "ID_REPLACEMENT", amount: 10_000)
          try await agency.move(payment.paymentID, .cancelled, 10_000)
          return payment
        }
        // 40 requests of 7 SAR race for 100 SAR: exactly 14 fit
        let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
          for _ in 0..<40 {
            group.addTask {
              do {
                _ = try await citizen.refund(payment.paymentID, 700)
                return "ok"
              } catch let error as RPCError {
                return error.etimadDetails?.reason ?? "\(error.code)"
              }
            }
          }
          return try await group.reduce(into: [String]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 == "ok" }.count == 14)
        #expect(outcomes.filter { $0 == "AMOUNT_EXCEEDS_REFUNDABLE" }.count == 26)
        let balance = try await citizen.payments.getPayment(.with { $0.paymentID = payment.paymentID }).payment.balance
        #expect(balance.refundPending.amountHalalas == 9_800 && balance.refundable.amountHalalas == 200)
        #expect(balance.addsUp)
      }
    }
  }

  @Test("ownership: another individual's or another sector's payment is NOT_FOUND; owned customer numbers count")
  func ownership() async throws {
    try await TestDaemon.with { daemon in
      let passports = try await daemon.sectorAgency("PASSPORTS")
      let traffic = try await daemon.sectorAgency("TRAFFIC")
      try await daemon.withIndividuals { citizen, resident in
        let (mine, workers, residents) = try await EtimadClient.withClient(passports) { agency in
          // The citizen's own payment, a payment for the resident under the citizen's SADAD
          // account number (a sponsor's), and one of the resident's own under another account
          let day = Date().addingTimeInterval(-86_400)
          let mine = try await agency.record(customer: "300000000007", paidAt: day)
          let workers = try await agency.record(
            beneficiary: TestDaemon.resident.idNumber, customer: "300000000007", paidAt: day.addingTimeInterval(60))
          let residents = try await agency.record(
            beneficiary: TestDaemon.resident.idNumber, customer: "400000000001", paidAt: day.addingTimeInterval(120))
          try await agency.move(residents.paymentID, .cancelled, 1_000)
          return (mine, workers, residents)
        }
        let seen = try await citizen.searchAll().map(\.paymentID)
        #expect(Set(seen) == [mine.paymentID, workers.paymentID])
        _ = try await citizen.payments.getPayment(.with { $0.paymentID = workers.paymentID })
        let byCustomer = try await citizen.searchAll(.with { $0.customerNumber = "300000000007" })
        #expect(byCustomer.count == 2)
        #expect(try await citizen.searchAll(.with { $0.customerNumber = "400000000001" }).isEmpty)
        #expect(try await citizen.searchAll(.with { $0.beneficiary.number = TestDaemon.resident.idNumber }).count == 1)
        let hidden = await failure {
          _ = try await citizen.payments.getPayment(.with { $0.paymentID = residents.paymentID })
        }
        #expect(hidden?.code == .notFound)
        let noRefund = await failure { _ = try await citizen.refund(residents.paymentID, 500) }
        #expect(noRefund?.code == .notFound)
        let garbage = await failure { _ = try await citizen.payments.getPayment(.with { $0.paymentID = "x1" }) }
        #expect(garbage?.code == .notFound)
        // The worker sees both of their own payments but not the sponsor's
        let residentSees = try await resident.searchAll().map(\.paymentID)
        #expect(Set(residentSees) == [workers.paymentID, residents.paymentID])
        let sponsors = await failure {
          _ = try await resident.payments.getPayment(.with { $0.paymentID = mine.paymentID })
        }
        #expect(sponsors?.code == .notFound)
        // Another sector's agency sees nothing of the passports payments
        try await EtimadClient.withClient(traffic) { other in
          let moved = await failure { try await other.move(mine.paymentID, .consumed, 100) }
          #expect(moved?.code == .notFound)
          let read = await failure { _ = try await other.payments.getPayment(.with { $0.paymentID = mine.paymentID }) }
          #expect(read?.code == .notFound)
          let request = try await resident.refund(residents.paymentID, 500)
          let decided = await failure {
            _ = try await other.payments.completeRefund(
              .with {
                $0.requestID = EtimadClient.newRequestID()
                $0.refundRequestID = request.refundRequest.refundRequestID
              })
          }
          #expect(decided?.code == .notFound)
          #expect(try await other.payments.listRefundRequests(.init()).refundRequests.isEmpty)
        }
        // Individuals cannot record, anonymous callers cannot search
        let recording = await failure { _ = try await citizen.record() }
        #expect(recording?.code == .permissionDenied)
      }
      try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
        let search = await failure { _ = try await anonymous.payments.searchPayments(.init()) }
        #expect(search?.code == .unauthenticated)
      }
    }
  }

  @Test("a payment notified late with an earlier paid time does not hand the customer number to its beneficiary")
  func lateNotificationKeepsTheHolder() async throws {
    try await TestDaemon.with { daemon in
      let passports = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, resident in
        let (sponsors, workers) = try await EtimadClient.withClient(passports) { agency in
          // The citizen's payment is recorded first; the resident's, under the same customer
          // number, arrives afterwards although it was paid a day earlier
          let day = Date().addingTimeInterval(-86_400)
          let sponsors = try await agency.record(customer: "300000000015", paidAt: day)
          let workers = try await agency.record(
            beneficiary: TestDaemon.resident.idNumber, customer: "300000000015", paidAt: day.addingTimeInterval(-86_400)
          )
          return (sponsors, workers)
        }
        // The number stays the citizen's: they see both, the resident only their own
        #expect(
          Set(try await citizen.searchAll().map(\.paymentID)).isSuperset(of: [sponsors.paymentID, workers.paymentID]))
        #expect(try await resident.searchAll().map(\.paymentID) == [workers.paymentID])
        let hidden = await failure {
          _ = try await resident.payments.getPayment(.with { $0.paymentID = sponsors.paymentID })
        }
        #expect(hidden?.code == .notFound)
      }
    }
  }

  @Test("a customer number shaped like an ID number is only that person's, whoever's payment first carried it")
  func idNumberAsCustomerNumber() async throws {
    try await TestDaemon.with { daemon in
      let passports = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, resident in
        let (forResident, citizens) = try await EtimadClient.withClient(passports) { agency in
          // The citizen pays the resident's iqama under the citizen's own ID number, recorded
          // first; then a payment of the citizen's own under the same number is cancelled
          let day = Date().addingTimeInterval(-86_400)
          let forResident = try await agency.record(
            beneficiary: TestDaemon.resident.idNumber, customer: TestDaemon.citizen.idNumber, paidAt: day)
          let citizens = try await agency.record(
            customer: TestDaemon.citizen.idNumber, paidAt: day.addingTimeInterval(60))
          try await agency.move(citizens.paymentID, .cancelled, 10_000)
          return (forResident, citizens)
        }
        // The citizen sees both; the resident only the payment made for them
        #expect(Set(try await citizen.searchAll().map(\.paymentID)) == [forResident.paymentID, citizens.paymentID])
        #expect(try await resident.searchAll().map(\.paymentID) == [forResident.paymentID])
        let byNumber = try await resident.searchAll(.with { $0.customerNumber = TestDaemon.citizen.idNumber })
        #expect(byNumber.map(\.paymentID) == [forResident.paymentID])
        let read = await failure {
          _ = try await resident.payments.getPayment(.with { $0.paymentID = citizens.paymentID })
        }
        #expect(read?.code == .notFound)
        let refund = await failure { _ = try await resident.refund(citizens.paymentID, 10_000) }
        #expect(refund?.code == .notFound)
        let balance = try await resident.payments.getBalance(.init())
        #expect(balance.total.refundable.amountHalalas == 0)
        let citizensBalance = try await citizen.payments.getBalance(.init())
        #expect(citizensBalance.total.refundable.amountHalalas == 10_000)
      }
    }
  }

  @Test("refused IBANs, reversed periods and tampered page tokens are INVALID_ARGUMENT with field violations")
  func invalidInput() async throws {
    try await TestDaemon.with { daemon in
      let agencyConfig = try await daemon.sectorAgency("PUBLIC_SECURITY")
      try await daemon.withIndividuals { citizen, _ in
        let payment = try await EtimadClient.withClient(agencyConfig) { agency in
          let payment = try await agency.record(sector: "PUBLIC_SECURITY", service: "FIREARM_LICENCE", amount: 20_000)
          try await agency.move(payment.paymentID, .cancelled, 20_000)
          for _ in 0..<4 { _ = try await agency.record(sector: "PUBLIC_SECURITY", service: "FIREARM_LICENCE") }
          return payment
        }
        for (iban, reason) in [
          ("SA038000000060801016751", "iban:WRONG_LENGTH"), ("SA0480000000608010167519", "iban:CHECKSUM"),
          ("SA3399000000608010167519", "iban:UNKNOWN_BANK"), ("", "iban:REQUIRED"),
        ] {
          let refused = await violations { _ = try await citizen.refund(payment.paymentID, 100, iban: iban) }
          #expect(refused == [reason])
        }
        let noHolder = await violations { _ = try await citizen.refund(payment.paymentID, 0, holder: "") }
        #expect(noHolder == ["amount:NOT_POSITIVE", "account_holder_name:REQUIRED"])
        let tooMuch = await failure { _ = try await citizen.refund(payment.paymentID, 20_001) }
        #expect(tooMuch?.code == .failedPrecondition)
        // A period whose start is after its end
        let reversed = await violations {
          _ = try await citizen.payments.searchPayments(
            .with {
              $0.filter.paidFrom = .init(date: Date())
              $0.filter.paidTo = .init(date: Date().addingTimeInterval(-86_400))
            })
        }
        #expect(reversed == ["filter.paid_from:PERIOD_REVERSED", "filter.paid_to:PERIOD_REVERSED"])
        // Page tokens: tampered with, or reused with other filters
        let first = try await citizen.payments.searchPayments(.with { $0.pageSize = 2 })
        #expect(first.payments.count == 2 && !first.nextPageToken.isEmpty)
        let altered = Self.alter(first.nextPageToken)
        let tampered = await violations {
          _ = try await citizen.payments.searchPayments(
            .with {
              $0.pageSize = 2
              $0.pageToken = altered
            })
        }
        #expect(tampered == ["page_token:INVALID_PAGE_TOKEN"])
        let otherFilter = await failure {
          _ = try await citizen.payments.searchPayments(
            .with {
              $0.pageSize = 2
              $0.pageToken = first.nextPageToken
              $0.filter.sectorCode = "PUBLIC_SECURITY"
            })
        }
        #expect(otherFilter?.code == .invalidArgument)
      }
    }
  }

  @Test("page tokens survive payments recorded between pages; filters narrow the search")
  func pagingSurvivesInserts() async throws {
    try await TestDaemon.with { daemon in
      let agencyConfig = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(agencyConfig) { agency in
          let base = Date().addingTimeInterval(-30 * 86_400)
          var recorded: [String] = []
          for day in 0..<9 {
            let payment = try await agency.record(
              service: day % 2 == 0 ? "IQAMA_RENEWAL" : "EXIT_REENTRY",
              paidAt: base.addingTimeInterval(Double(day) * 86_400))
            recorded.append(payment.paymentID)
          }
          let first = try await citizen.payments.searchPayments(.with { $0.pageSize = 4 })
          #expect(first.payments.map(\.paymentID) == Array(recorded.reversed().prefix(4)))
          // Payments recorded meanwhile, newer and older than the cursor, neither repeat nor shift the rest
          let newer = try await agency.record(paidAt: Date().addingTimeInterval(-60))
          _ = try await agency.record(paidAt: base.addingTimeInterval(-86_400))
          var rest: [String] = []
          var token = first.nextPageToken
          while !token.isEmpty {
            let page = try await citizen.payments.searchPayments(
              .with {
                $0.pageSize = 4
                $0.pageToken = token
              })
            rest += page.payments.map(\.paymentID)
            token = page.nextPageToken
          }
          #expect(Array(rest.prefix(5)) == Array(recorded.reversed().dropFirst(4)))
          #expect(!rest.contains(newer.paymentID))
          // Filters: service, period and state
          let exits = try await citizen.searchAll(.with { $0.serviceCode = "EXIT_REENTRY" })
          #expect(exits.count == 4)
          let period = try await citizen.searchAll(
            .with {
              $0.paidFrom = .init(date: base.addingTimeInterval(2 * 86_400))
              $0.paidTo = .init(date: base.addingTimeInterval(4 * 86_400))
            })
          #expect(period.map(\.paymentID) == [recorded[4], recorded[3], recorded[2]])
          try await agency.move(recorded[0], .consumed, 65_000)
          let consumed = try await citizen.searchAll(.with { $0.state = .consumed })
          #expect(consumed.map(\.paymentID) == [recorded[0]])
          let border = try await agency.record(beneficiary: "3123456789", customer: "5000000001")
          #expect(border.beneficiary.type == .borderNumber)
        }
      }
    }
  }

  /// A page token with one character changed.
  static func alter(_ token: String) -> String {
    var bytes = Array(token.utf8)
    bytes[3] = bytes[3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
    return String(decoding: bytes, as: UTF8.self)
  }
}
