import Etimad
import EtimadKit
import EtimadPayments
import Foundation
import GRPCCore
import Testing

/// Sectors, payments and signed-in individuals for payments tests, on a running `TestDaemon`.
extension TestDaemon {
  /// A client configuration for the agency that records `sector` (from the seeded catalogue).
  func sectorAgency(
    _ sector: String = "PASSPORTS", employee: String = "emp-7"
  ) async throws
    -> EtimadClient.Configuration
  {
    let code = try #require(PaymentsCatalogue.sectors.first { $0.code == sector }?.agencyCode)
    return try await agencyClient(code: code, employee: employee)
  }

  /// Seeds the registry, registers and signs in the citizen and the resident, and runs `body`
  /// with their clients.
  func withIndividuals<T: Sendable>(
    _ body: @Sendable (_ citizen: EtimadClient, _ resident: EtimadClient) async throws -> T
  ) async throws -> T {
    try await seedRegistry()
    return try await EtimadClient.withClient(publicClient(language: "en")) { citizen in
      try await register(citizen, TestDaemon.citizen)
      try await signIn(citizen, TestDaemon.citizen)
      return try await EtimadClient.withClient(publicClient(language: "en")) { resident in
        try await register(resident, TestDaemon.resident)
        try await signIn(resident, TestDaemon.resident)
        return try await body(citizen, resident)
      }
    }
  }
}

extension EtimadClient {
  /// Records a payment as a sector agency.
  func record(
    sector: String = "PASSPORTS", service: String = "IQAMA_RENEWAL", beneficiary: String = TestDaemon.citizen.idNumber,
    customer: String = "3000000007", sadad: String = "SD-\(UUID().uuidString.prefix(8))", amount: Int64 = 65_000,
    paidAt: Date = Date().addingTimeInterval(-3600), requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Payments_V1_Payment {
    try await payments.recordPayment(
      .with {
        $0.requestID = requestID
        $0.sectorCode = sector
        $0.serviceCode = service
        $0.beneficiary.number = beneficiary
        $0.customerNumber = customer
        $0.sadadReference = sadad
        $0.amount = .with { $0.amountHalalas = amount }
        $0.paidTime = .init(date: paidAt)
      }
    ).payment
  }

  /// Records a CONSUMED, CANCELLED or REFUNDED movement as a sector agency.
  @discardableResult
  func move(
    _ payment: String, _ kind: Etimad_Payments_V1_MovementKind, _ amount: Int64
  ) async throws
    -> Etimad_Payments_V1_Payment
  {
    try await payments.recordMovement(
      .with {
        $0.requestID = EtimadClient.newRequestID()
        $0.paymentID = payment
        $0.kind = kind
        $0.amount = .with { $0.amountHalalas = amount }
      }
    ).payment
  }

  /// Asks for a refund as an individual.
  func refund(
    _ payment: String, _ amount: Int64, iban: String = "SA0380000000608010167519", holder: String = "نورة العتيبي"
  ) async throws -> Etimad_Payments_V1_RequestRefundResponse {
    try await payments.requestRefund(
      .with {
        $0.requestID = EtimadClient.newRequestID()
        $0.paymentID = payment
        $0.amount = .with { $0.amountHalalas = amount }
        $0.iban = iban
        $0.accountHolderName = holder
      })
  }

  /// Every payment matching `filter`, page by page.
  func searchAll(
    _ filter: Etimad_Payments_V1_PaymentFilter = .init(), pageSize: Int32 = 7
  ) async throws
    -> [Etimad_Payments_V1_Payment]
  {
    var all: [Etimad_Payments_V1_Payment] = []
    var token = ""
    repeat {
      let page = try await payments.searchPayments(
        .with {
          $0.filter = filter
          $0.pageSize = pageSize
          $0.pageToken = token
        })
      all += page.payments
      token = page.nextPageToken
    } while !token.isEmpty
    return all
  }
}

extension Etimad_Payments_V1_Balance {
  /// available + refundable + refund_pending + consumed + refunded = paid.
  var addsUp: Bool {
    [available, refundable, refundPending, consumed, refunded].map(\.amountHalalas).reduce(0, +)
      == paid.amountHalalas
      && [available, refundable, refundPending, consumed, refunded].allSatisfy { $0.amountHalalas >= 0 }
  }
}

/// The field violations of a failed call, as "field:REASON".
func violations(_ body: () async throws -> Void) async -> [String] {
  do {
    try await body()
    return ["accepted"]
  } catch let error as RPCError {
    return (error.etimadDetails?.fieldViolations ?? []).map { "\($0.field):\($0.reason)" }
  } catch {
    return ["\(error)"]
  }
}

/// A small RFC 4180 reader for the tests: quoted fields, doubled quotes, CRLF.
enum CSV {
  static func rows(_ text: String) -> [[String]] {
    var rows: [[String]] = []
    var row: [String] = []
    var field = ""
    var quoted = false
    var characters = Array(text.unicodeScalars)[...]
    while let c = characters.popFirst() {
      if quoted {
        if c == "\"" {
          if characters.first == "\"" {
            field.unicodeScalars.append("\"")
            characters.removeFirst()
          } else {
            quoted = false
          }
        } else {
          field.unicodeScalars.append(c)
        }
      } else if c == "\"" {
        quoted = true
      } else if c == "," {
        row.append(field)
        field = ""
      } else if c == "\r" {
        continue
      } else if c == "\n" {
        row.append(field)
        rows.append(row)
        row = []
        field = ""
      } else {
        field.unicodeScalars.append(c)
      }
    }
    if !field.isEmpty || !row.isEmpty {
      row.append(field)
      rows.append(row)
    }
    return rows
  }
}
