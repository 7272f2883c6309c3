import Etimad
import EtimadIdentity
import EtimadKit
import EtimadPayments
import EtimadProtos
import EtimadServer
import Foundation
import GRPCCore
import Testing

@Suite("Demo data")
struct DemoDataTests {
  /// A client of the agency port for a demo agency, with the certificate `etimadd demo` wrote.
  static func demoAgency(_ daemon: TestDaemon, _ code: String) throws -> EtimadClient.Configuration {
    var configuration = daemon.publicClient()
    configuration.port = daemon.endpoints.agencyPort
    configuration.clientIdentity = (
      try String(contentsOfFile: daemon.dataDirectory + "/agencies/\(code).pem", encoding: .utf8),
      try String(contentsOfFile: daemon.dataDirectory + "/agencies/\(code)-key.pem", encoding: .utf8)
    )
    configuration.employee = "demo-check"
    return configuration
  }

  @Test("every record etimadd demo seeds passes the contract's input rules, and is found by its own numbers")
  func seededRecordsAreValid() async throws {
    // Given a data directory seeded as `etimadd demo` seeds it (cheap password hashes)
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    _ = try await DemoData.seed(dataDirectory: directory, accounts: 1, logN: 10)
    try await TestDaemon.with(dataDirectory: directory) { daemon in
      // The civil registry reads back as an importable file
      let persons = DemoData.persons()
      let csv =
        (["id_number,name_ar,name_en,birth_date,mobile,nationality"]
        + persons.map {
          [$0.idNumber, $0.nameAr, $0.nameEn, $0.birthDate, $0.mobile, $0.nationality].joined(separator: ",")
        })
        .joined(separator: "\n")
      switch CivilRegistry.parse(csv: csv) {
      case .success(let parsed): #expect(parsed.count == persons.count)
      case .failure(let rejected): Issue.record("demo persons rejected: \(rejected.rows.prefix(3))")
      }

      // Every payment, read back by the sector that recorded it (its export, as JSON Lines),
      // passes the rules RecordPayment applies to its input, unchanged
      var recorded = 0
      for sector in PaymentsCatalogue.sectors {
        recorded += try await EtimadClient.withClient(try Self.demoAgency(daemon, sector.agencyCode)) { agency in
          let (data, rows, _) = try await PaymentsExportTests.export(agency, format: .jsonLines)
          for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let payment = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let number = try #require(payment["beneficiary_number"] as? String)
            let customer = try #require(payment["customer_number"] as? String)
            let sadad = try #require(payment["sadad_reference"] as? String)
            let amount = try #require(payment["amount_halalas"] as? Int64)
            var violations: [EtimadError.FieldViolation] = []
            let id = PaymentsRules.beneficiary(.with { $0.number = number }, field: "beneficiary", into: &violations)
            #expect(id?.number == number)
            #expect(PaymentsRules.customerNumber(customer, field: "customer_number", into: &violations) == customer)
            #expect(PaymentsRules.sadadReference(sadad, field: "sadad_reference", into: &violations) == sadad)
            let money = Etimad_Type_V1_Money.with {
              $0.currencyCode = "SAR"
              $0.amountHalalas = amount
            }
            #expect(PaymentsRules.positiveAmount(money, field: "amount", into: &violations) == amount)
            #expect(violations.isEmpty, "payment \(payment["payment_id"] ?? "?") (customer \(customer)): \(violations)")
          }
          return Int(rows)
        }
      }
      #expect(recorded > 0)

      // The demo account signs in with the demo password; each of its customer numbers finds
      // exactly the payments that carry it, and its balance adds up
      let person = persons[0]
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let before = daemon.smsCount()
        let challenge = try await client.startLogin(idNumber: person.idNumber, password: DemoData.password)
        try await client.completeLogin(
          ticket: challenge.ticket, code: try await daemon.code(to: person.mobile, after: before))
        let mine = try await client.searchAll()
        #expect(!mine.isEmpty)
        for customer in Set(mine.map(\.customerNumber)) {
          let found = try await client.searchAll(.with { $0.customerNumber = customer })
          #expect(
            !found.isEmpty
              && Set(found.map(\.paymentID)) == Set(mine.filter { $0.customerNumber == customer }.map(\.paymentID)),
            "customer \(customer)")
        }
        #expect(try await client.payments.getBalance(.init()).total.addsUp)
        #expect(!(try await client.myDebts()).isEmpty)
      }

      // Every debt the demo agencies registered is accepted again by CreateDebt's rules
      try await EtimadClient.withClient(try Self.demoAgency(daemon, "MOF")) { agency in
        var debts: [Etimad_Debts_V1_Debt] = []
        var token = ""
        repeat {
          let page = try await agency.debts.listDebts(.with { $0.pageToken = token })
          debts += page.debts
          token = page.nextPageToken
        } while !token.isEmpty
        #expect(debts.count == 6)
        for debt in debts {
          let copy = try await agency.createDebt(debt.details)
          #expect(copy.details.amount == debt.details.amount)
        }
      }

      // Every public demo tender is accepted again by CreateTender's rules (a new reference)
      try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
        let tenders = try await anonymous.searchAllTenders()
        #expect(!tenders.isEmpty)
        try await EtimadClient.withClient(try Self.demoAgency(daemon, "MOH")) { agency in
          for tender in tenders {
            var copy = tender
            copy.referenceNumber = "R" + tender.referenceNumber.dropFirst()
            let created = try await agency.createTender(copy)
            #expect(created.name == tender.name)
          }
        }
      }
    }
  }
}
