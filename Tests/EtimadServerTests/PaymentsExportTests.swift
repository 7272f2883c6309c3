import Etimad
@_spi(Testing) import EtimadKit
import EtimadPayments
import EtimadServer
import Foundation
import GRPCCore
import Synchronization
import Testing

@Suite("Government payments export")
struct PaymentsExportTests {
  /// Records `count` payments for the citizen (and a few for the resident) in the passports sector.
  static func seed(_ agency: EtimadClient, count: Int) async throws {
    let base = Date().addingTimeInterval(-400 * 86_400)
    for index in 0..<count {
      let payment = try await agency.record(
        service: ["IQAMA_RENEWAL", "EXIT_REENTRY", "PASSPORT_ISSUE_5Y"][index % 3],
        beneficiary: index % 5 == 4 ? TestDaemon.resident.idNumber : TestDaemon.citizen.idNumber,
        customer: index % 5 == 4 ? "4000000001" : "3000000007", amount: Int64(10_000 + index * 37),
        paidAt: base.addingTimeInterval(Double(index) * 3_600))
      if index % 4 == 1 { try await agency.move(payment.paymentID, .cancelled, 5_000) }
    }
  }

  static func export(
    _ client: EtimadClient, format: Etimad_Payments_V1_ExportFormat, arabic: Bool = false,
    filter: Etimad_Payments_V1_PaymentFilter = .init()
  ) async throws -> (Data, Int64, Int64) {
    try await client.payments.exportPayments(
      .with {
        $0.filter = filter
        $0.format = format
        $0.arabicHeaders = arabic
      }
    ) { response in
      var data = Data()
      var rows: Int64 = 0
      var expected: Int64 = 0
      for try await chunk in response.messages {
        data += chunk.data
        rows += chunk.rows
        if chunk.expectedRows > 0 { expected = chunk.expectedRows }
      }
      return (data, rows, expected)
    }
  }

  /// An ISO 8601 time with or without milliseconds.
  static func time(_ text: String) -> Date? {
    let formatter = ISO8601DateFormatter()
    if text.contains(".") { formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds] }
    return formatter.date(from: text)
  }

  @Test("CSV and JSON Lines parse back to exactly the searched rows")
  func parsesBack() async throws {
    try await TestDaemon.with { daemon in
      let agencyConfig = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(agencyConfig) { agency in try await Self.seed(agency, count: 60) }
        let filter = Etimad_Payments_V1_PaymentFilter.with { $0.sectorCode = "PASSPORTS" }
        let searched = try await citizen.searchAll(filter, pageSize: 13)
        #expect(searched.count == 48)
        // CSV, English headers
        let (csv, csvRows, expected) = try await Self.export(citizen, format: .csv, filter: filter)
        #expect(csv.prefix(3) == Data([0xEF, 0xBB, 0xBF]))
        #expect(csvRows == 48 && expected == 48)
        let table = CSV.rows(String(decoding: csv.dropFirst(3), as: UTF8.self))
        #expect(table.first == ExportWriter.columns)
        let records = table.dropFirst()
        #expect(records.count == searched.count)
        for (row, payment) in zip(records, searched) {
          #expect(row[0] == payment.paymentID)
          #expect(row[2] == payment.sectorCode && row[4] == payment.serviceCode)
          #expect(row[5] == payment.serviceName.en)
          // Identifiers are text to a spreadsheet: one tab before them
          #expect(row[7] == "\t" + payment.beneficiary.number && row[8] == "\t" + payment.customerNumber)
          #expect(row[9] == "\t" + payment.sadadReference)
          #expect(row[10] == Halalas(payment.amount.amountHalalas).riyals)
          #expect(row[11] == String(payment.amount.amountHalalas))
          let time = try #require(Self.time(row[1]))
          #expect(Int64(time.timeIntervalSince1970) == payment.paidTime.seconds)
          #expect(row[12] == (payment.state == .cancelled ? "CANCELLED" : "PAID"))
        }
        // CSV, Arabic headers and names
        let (arabic, _, _) = try await Self.export(citizen, format: .csv, arabic: true, filter: filter)
        let arabicTable = CSV.rows(String(decoding: arabic.dropFirst(3), as: UTF8.self))
        #expect(arabicTable.first == ExportWriter.arabicColumns)
        #expect(arabicTable.dropFirst().map { $0[5] } == searched.map(\.serviceName.ar))
        // JSON Lines
        let (jsonl, jsonRows, _) = try await Self.export(citizen, format: .jsonLines, filter: filter)
        #expect(jsonRows == 48)
        let lines = String(decoding: jsonl, as: UTF8.self).split(separator: "\n")
        let objects = try lines.map {
          try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        #expect(objects.map { $0["payment_id"] as? String } == searched.map(\.paymentID))
        #expect(objects.map { $0["amount_halalas"] as? Int64 } == searched.map(\.amount.amountHalalas))
        #expect(objects.map { $0["sadad_reference"] as? String } == searched.map(\.sadadReference))
        // A reversed period is refused before anything streams
        let reversed = await violations {
          _ = try await Self.export(
            citizen, format: .csv,
            filter: .with {
              $0.paidFrom = .init(seconds: 200)
              $0.paidTo = .init(seconds: 100)
            })
        }
        #expect(reversed == ["filter.paid_from:PERIOD_REVERSED", "filter.paid_to:PERIOD_REVERSED"])
      }
    }
  }

  @Test("CSV cells a spreadsheet would run as formulas arrive neutralised; identifiers arrive as text")
  func formulaCells() async throws {
    try await TestDaemon.with { daemon in
      // Given a service whose names an operator typed as formulas, and payments whose SADAD
      // reference begins with a dash and whose customer numbers are long or begin with zeros
      try await daemon.daemon.database.testingPool.write { db in
        try PaymentsCatalogue.addService(
          db,
          .init(
            sectorCode: "PASSPORTS", code: "FORMULA", nameAr: "@SUM(1+1)",
            nameEn: "=HYPERLINK(\"http://x.example\",\"x\")",
            fee: 0))
      }
      let agencyConfig = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(agencyConfig) { agency in
          _ = try await agency.record(service: "FORMULA", customer: "000123456789", sadad: "-10-10-10")
          _ = try await agency.record(service: "FORMULA", customer: "12345678901234567890", sadad: "000000000123")
        }
        for arabic in [false, true] {
          // When the citizen exports them as CSV
          let (csv, rows, _) = try await Self.export(citizen, format: .csv, arabic: arabic)
          #expect(rows == 2)
          let text = String(decoding: csv.dropFirst(3), as: UTF8.self)
          let table = CSV.rows(text).dropFirst()
          // Then no cell begins with = + - @ tab or CR, except the identifiers' own tab before text
          for row in table {
            for (column, cell) in zip(ExportWriter.columns, row) {
              guard let first = cell.unicodeScalars.first else { continue }
              if ExportWriter.identifierColumns.contains(column), first == "\t" {
                #expect(cell.dropFirst().allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" }, "\(column) \(cell)")
              } else {
                #expect(!"=+-@\t\r".unicodeScalars.contains(first), "\(column) \(cell.debugDescription)")
              }
            }
          }
          #expect(
            table.map { $0[5] }.allSatisfy { $0 == (arabic ? "'@SUM(1+1)" : "'=HYPERLINK(\"http://x.example\",\"x\")") }
          )
          // The references that begin like formulas keep their characters after the quote
          #expect(Set(table.map { $0[9] }) == ["'-10-10-10", "\t000000000123"])
          #expect(Set(table.map { $0[8] }) == ["\t000123456789", "\t12345678901234567890"])
          #expect(text.contains("\"\t000123456789\""))
        }
      }
    }
  }

  @Test("an agency exports its sector's payments across many pages; another sector is NOT_FOUND")
  func agencyExport() async throws {
    try await TestDaemon.with { daemon in
      let passports = try await daemon.sectorAgency("PASSPORTS")
      // 4,500 payments written directly: more than two database pages of the export
      try await daemon.daemon.database.testingPool.write { db in
        for index in 0..<4_500 {
          try db.execute(
            sql: """
              INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
                sadad_reference, amount, paid_time, state, record_time)
              VALUES ('PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1012345672', '3000000007', ?, ?, ?, 'PAID', 0)
              """, arguments: ["BULK-\(index)", 20_000 + index, 1_700_000_000_000 + Int64(index / 2) * 1000])
        }
      }
      try await EtimadClient.withClient(passports) { agency in
        _ = try await agency.record(sector: "PASSPORTS")
        let (data, rows, expected) = try await Self.export(agency, format: .jsonLines)
        #expect(rows == 4_501 && expected == 4_501)
        let ids = String(decoding: data, as: UTF8.self).split(separator: "\n").map {
          (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["payment_id"] as? String ?? ""
        }
        #expect(Set(ids).count == 4_501)
        let other = await failure {
          _ = try await Self.export(agency, format: .csv, filter: .with { $0.sectorCode = "TRAFFIC" })
        }
        #expect(other?.code == .notFound)
      }
      try await EtimadClient.withClient(try await daemon.sectorAgency("TRAFFIC")) { traffic in
        let (_, rows, _) = try await Self.export(traffic, format: .csv)
        #expect(rows == 0)
      }
    }
  }

  @Test("a client that cancels mid-stream leaves the server healthy")
  func cancelMidStream() async throws {
    try await TestDaemon.with { daemon in
      let passports = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.daemon.database.testingPool.write { db in
        for index in 0..<20_000 {
          try db.execute(
            sql: """
              INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
                sadad_reference, amount, paid_time, state, record_time)
              VALUES ('PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1012345672', '3000000007', ?, 20000, ?, 'PAID', 0)
              """, arguments: ["BULK-\(index)", 1_700_000_000_000 + Int64(index) * 1000])
        }
      }
      try await EtimadClient.withClient(passports) { agency in
        for _ in 0..<3 {
          // Read one chunk and walk away
          let first = try await agency.payments.exportPayments(.with { $0.format = .csv }) { response in
            var iterator = response.messages.makeAsyncIterator()
            _ = try await iterator.next()
            return try await iterator.next()?.rows ?? 0
          }
          #expect(first == Int64(2000))
          // Cancel a task in the middle of a stream
          let task = Task {
            try await agency.payments.exportPayments(.with { $0.format = .jsonLines }) { response in
              for try await _ in response.messages { try await Task.sleep(for: .milliseconds(20)) }
            }
          }
          try await Task.sleep(for: .milliseconds(100))
          task.cancel()
          _ = await task.result
        }
        // The server still answers, and a full export still works
        #expect(try await agency.health.status() == .serving)
        let (_, rows, _) = try await Self.export(agency, format: .csv)
        #expect(rows == 20_000)
      }
    }
  }

  @Test("the client library writes an export to a file with progress, through a temporary file")
  func exportToFile() async throws {
    try await TestDaemon.with { daemon in
      let agencyConfig = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.withIndividuals { citizen, _ in
        try await EtimadClient.withClient(agencyConfig) { agency in try await Self.seed(agency, count: 25) }
        let directory = URL(fileURLWithPath: TemporaryDirectory.make())
        defer { try? FileManager.default.removeItem(at: directory) }
        let destination = directory.appendingPathComponent("payments.csv")
        let seen = Counter()
        let final = try await citizen.exportPayments(to: destination, format: .csv, arabicHeaders: true) {
          seen.add($0)
        }
        #expect(final.rows == 20 && final.expectedRows == 20 && final.fraction == 1)
        #expect(seen.last?.rows == 20)
        let data = try Data(contentsOf: destination)
        #expect(Int64(data.count) == final.bytes)
        #expect(CSV.rows(String(decoding: data.dropFirst(3), as: UTF8.self)).count == 21)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["payments.csv"])
        // A failed export leaves nothing behind
        let failed = directory.appendingPathComponent("failed.csv")
        let refused = await failure {
          try await citizen.exportPayments(to: failed, filter: .with { $0.customerNumber = "1" })
        }
        #expect(refused?.code == .invalidArgument)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["payments.csv"])
      }
    }
  }
}

/// Progress reports collected from a @Sendable callback.
final class Counter: Sendable {
  private let reports = Mutex<[EtimadClient.ExportProgress]>([])
  func add(_ progress: EtimadClient.ExportProgress) { reports.withLock { $0.append(progress) } }
  var last: EtimadClient.ExportProgress? { reports.withLock { $0.last } }
}
