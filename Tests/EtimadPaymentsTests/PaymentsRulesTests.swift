import EtimadKit
import EtimadProtos
import Foundation
import Testing

@testable import EtimadPayments

@Suite("Payment balances")
struct PaymentBalanceTests {
  @Test("every step keeps available + refundable + pending + consumed + refunded = paid")
  func identityAfterEveryStep() throws {
    var balance = PaymentBalance(paid: 100_000)
    #expect(balance.addsUp && balance.state == .paid)
    let steps: [(PaymentBalance.Change, PaymentState)] = [
      (.consume(30_000), .paid), (.cancel(50_000), .cancelled), (.requestRefund(20_000), .refundRequested),
      (.completeRefund(20_000), .cancelled), (.requestRefund(30_000), .refundRequested),
      (.rejectRefund(30_000), .cancelled), (.refundDirectly(30_000), .paid), (.consume(20_000), .refunded),
    ]
    for (change, state) in steps {
      balance = try balance.applying(change)
      #expect(balance.addsUp, "after \(change)")
      #expect(balance.state == state, "after \(change)")
    }
    #expect(balance.available == 0 && balance.refundable == 0 && balance.refunded == 50_000)
  }

  @Test("a change larger than its source is refused with what is left")
  func limits() throws {
    let balance = try PaymentBalance(paid: 10_000).applying(.cancel(4_000))
    #expect(throws: PaymentBalance.Problem.exceeds(limit: 6_000)) { try balance.applying(.consume(6_001)) }
    #expect(throws: PaymentBalance.Problem.exceeds(limit: 4_000)) { try balance.applying(.requestRefund(4_001)) }
    #expect(throws: PaymentBalance.Problem.exceeds(limit: 0)) { try balance.applying(.completeRefund(1)) }
    #expect(throws: PaymentBalance.Problem.notPositive) { try balance.applying(.consume(0)) }
    #expect(throws: PaymentBalance.Problem.notPositive) { try balance.applying(.cancel(-5)) }
    let reserved = try balance.applying(.requestRefund(4_000))
    #expect(reserved.refundable == 0 && reserved.refundPending == 4_000 && reserved.addsUp)
    #expect(throws: PaymentBalance.Problem.exceeds(limit: 0)) { try reserved.applying(.requestRefund(1)) }
  }

  @Test("sums of balances are checked for overflow")
  func overflow() {
    let huge = PaymentBalance(paid: .max)
    #expect(throws: Halalas.Problem.overflow) { try huge.adding(PaymentBalance(paid: 1)) }
  }
}

@Suite("Payments field rules")
struct PaymentsFieldRulesTests {
  @Test("beneficiaries: national ID and iqama with a check digit, border numbers 3-9 without")
  func beneficiaries() {
    var violations: [EtimadError.FieldViolation] = []
    let citizen = PaymentsRules.beneficiary(.with { $0.number = "1012345672" }, field: "b", into: &violations)
    #expect(citizen?.kind == .nationalID)
    let border = PaymentsRules.beneficiary(
      .with {
        $0.type = .borderNumber
        $0.number = "٣١٢٣٤٥٦٧٨٩"
      }, field: "b", into: &violations)
    #expect(border?.number == "3123456789" && border?.kind == .borderNumber)
    #expect(violations.isEmpty)
    _ = PaymentsRules.beneficiary(.with { $0.number = "1012345673" }, field: "b", into: &violations)
    _ = PaymentsRules.beneficiary(
      .with {
        $0.type = .iqama
        $0.number = "1012345672"
      }, field: "b", into: &violations)
    #expect(violations.map(\.reason) == ["CHECK_DIGIT", "TYPE_MISMATCH"])
  }

  @Test("customer numbers, SADAD references and amounts")
  func fields() {
    var violations: [EtimadError.FieldViolation] = []
    #expect(PaymentsRules.customerNumber("30 0000 0007", field: "c", into: &violations) == "3000000007")
    #expect(PaymentsRules.sadadReference("sd-2026-001", field: "s", into: &violations) == "SD-2026-001")
    #expect(PaymentsRules.positiveAmount(.with { $0.amountHalalas = 5 }, field: "a", into: &violations) == 5)
    #expect(violations.isEmpty)
    _ = PaymentsRules.customerNumber("12345", field: "c", into: &violations)
    _ = PaymentsRules.sadadReference("bad ref!", field: "s", into: &violations)
    _ = PaymentsRules.positiveAmount(.with { $0.amountHalalas = 0 }, field: "a", into: &violations)
    _ = PaymentsRules.positiveAmount(
      .with {
        $0.currencyCode = "USD"
        $0.amountHalalas = 5
      }, field: "a2", into: &violations)
    #expect(
      violations.map(\.reason) == [
        "INVALID_CUSTOMER_NUMBER", "INVALID_SADAD_REFERENCE", "NOT_POSITIVE", "WRONG_CURRENCY",
      ])
  }

  @Test("a period whose start is after its end names both fields")
  func reversedPeriod() {
    var violations: [EtimadError.FieldViolation] = []
    let ok = PaymentsRules.period(
      from: .init(seconds: 100, nanos: 0), to: .init(seconds: 100, nanos: 0), prefix: "filter.", into: &violations)
    #expect(ok.from == 100_000 && ok.to == 100_000 && violations.isEmpty)
    _ = PaymentsRules.period(
      from: .init(seconds: 200, nanos: 0), to: .init(seconds: 100, nanos: 0), prefix: "filter.", into: &violations)
    #expect(violations.map(\.field) == ["filter.paid_from", "filter.paid_to"])
    #expect(violations.allSatisfy { $0.reason == "PERIOD_REVERSED" })
  }

  @Test("refund IBANs: 24 characters, mod 97, a known bank; a holder's name")
  func ibans() {
    var violations: [EtimadError.FieldViolation] = []
    #expect(PaymentsRules.refundIBAN("sa03 8000 0000 6080 1016 7519", field: "iban", into: &violations) != nil)
    #expect(violations.isEmpty)
    for bad in [
      "SA0380000000608010167519X", "SA0480000000608010167519", "SA3399000000608010167519", "GB29NWBK60161331926819",
    ] {
      _ = PaymentsRules.refundIBAN(bad, field: "iban", into: &violations)
    }
    #expect(violations.map(\.reason) == ["WRONG_LENGTH", "CHECKSUM", "UNKNOWN_BANK", "NOT_SAUDI"])
    violations = []
    #expect(PaymentsRules.accountHolderName("  نورة العتيبي ", field: "n", into: &violations) == "نورة العتيبي")
    _ = PaymentsRules.accountHolderName(" ", field: "n", into: &violations)
    #expect(violations.map(\.reason) == ["REQUIRED"])
  }

  @Test("timestamps and milliseconds round-trip, also before 1970")
  func times() {
    for millis: Int64 in [0, 1_764_000_000_123, -1, -1_500] {
      #expect(WireTime.milliseconds(PaymentsRules.timestamp(milliseconds: millis)) == millis)
    }
  }
}

@Suite("Export format")
struct ExportFormatTests {
  static func row(sectorName: String, serviceName: String) -> ExportRow {
    ExportRow(
      id: 42, paidTime: 1_764_065_730_000, amount: 65_005, state: .cancelled,
      texts: [
        "PASSPORTS", sectorName, "IQAMA_RENEWAL", serviceName, "IQAMA", "2044556671", "3000000007", "SD-1",
      ])
  }

  @Test("CSV: BOM, Arabic headers, quoted names, riyals with two decimals and halalas, Riyadh time")
  func csv() {
    let writer = ExportWriter(format: .csv, arabic: true)
    var bytes = writer.preamble()
    #expect(bytes.prefix(3) == [0xEF, 0xBB, 0xBF])
    writer.append(Self.row(sectorName: "الجوازات", serviceName: "تجديد الإقامة, \"سنة\""), to: &bytes)
    let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
    let lines = text.components(separatedBy: "\r\n")
    #expect(lines[0].hasPrefix("رقم العملية,وقت السداد"))
    #expect(
      lines[1]
        == "42,2025-11-25T13:15:30+03:00,PASSPORTS,الجوازات,IQAMA_RENEWAL,\"تجديد الإقامة, \"\"سنة\"\"\",إقامة,\"\t2044556671\",\"\t3000000007\",\"\tSD-1\",650.05,65005,ملغاة"
    )
  }

  @Test("states and ID types in Arabic only in the Arabic CSV; English CSV and JSON Lines keep codes")
  func codesOrNames() throws {
    let row = Self.row(sectorName: "Passports", serviceName: "Iqama renewal")
    var english: [UInt8] = []
    ExportWriter(format: .csv, arabic: false).append(row, to: &english)
    #expect(
      String(decoding: english, as: UTF8.self).hasSuffix(
        ",IQAMA,\"\t2044556671\",\"\t3000000007\",\"\tSD-1\",650.05,65005,CANCELLED\r\n")
    )
    var lines: [UInt8] = []
    ExportWriter(format: .jsonLines, arabic: true).append(row, to: &lines)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(lines)) as? [String: Any])
    #expect(object["state"] as? String == "CANCELLED")
    #expect(object["beneficiary_type"] as? String == "IQAMA")
    for state in PaymentState.allCases {
      var arabic: [UInt8] = []
      ExportWriter(format: .csv, arabic: true).append(
        ExportRow(
          id: 1, paidTime: 0, amount: 1, state: state,
          texts: ["S", "s", "V", "v", "BORDER_NUMBER", "3", "4", "R"]),
        to: &arabic)
      #expect(
        String(decoding: arabic, as: UTF8.self).hasSuffix(
          ",رقم حدود,\"\t3\",\"\t4\",\"\tR\",0.01,1,\(state.arabicName)\r\n"))
    }
  }

  @Test(
    "CSV: a cell a spreadsheet would run as a formula is quoted after a single quote (OWASP)",
    arguments: [
      ("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\""),
      ("+1+1", "\"'+1+1\""), ("-2-3", "\"'-2-3\""), ("@SUM(A1)", "\"'@SUM(A1)\""),
      ("\t=1+1", "\"'\t=1+1\""), ("\r=1+1", "\"'\r=1+1\""),
      // Elsewhere in a cell these are text; an empty cell stays empty
      ("a=1", "a=1"), ("1-2", "1-2"), ("", ""), ("جوازات", "جوازات"),
    ])
  func formulaCells(text: String, cell: String) {
    var out: [UInt8] = []
    var value = text
    value.withUTF8 { ExportWriter.csvField($0, into: &out) }
    #expect(String(decoding: out, as: UTF8.self) == cell)
  }

  @Test("CSV: identifiers are text after a tab, or after a single quote when they begin like a formula")
  func identifierCells() {
    func cell(_ text: String) -> String {
      var out: [UInt8] = []
      var value = text
      value.withUTF8 { ExportWriter.csvField($0, identifier: true, into: &out) }
      return String(decoding: out, as: UTF8.self)
    }
    #expect(cell("300000000007") == "\"\t300000000007\"")
    #expect(cell("00012345678901234567") == "\"\t00012345678901234567\"")
    #expect(cell("-10-10-10") == "\"'-10-10-10\"")
    #expect(cell("") == "")
    #expect(
      ExportWriter.identifierFields.enumerated().filter(\.element).map { ExportWriter.textFields[$0.offset] } == [
        "beneficiary_number", "customer_number", "sadad_reference",
      ])
  }

  @Test("JSON Lines parse back with the same values")
  func jsonLines() throws {
    let writer = ExportWriter(format: .jsonLines, arabic: false)
    #expect(writer.preamble().isEmpty)
    var bytes: [UInt8] = []
    writer.append(Self.row(sectorName: "Passports \"P\"\n\u{1}", serviceName: "Iqama"), to: &bytes)
    #expect(bytes.last == 0x0A)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
    #expect(object["payment_id"] as? String == "42")
    #expect(object["sector_name"] as? String == "Passports \"P\"\n\u{1}")
    #expect(object["amount_sar"] as? String == "650.05")
    #expect(object["amount_halalas"] as? Int == 65_005)
    #expect(object["paid_time"] as? String == "2025-11-25T13:15:30+03:00")
    #expect(Set(object.keys) == Set(ExportWriter.columns))
  }

  @Test("dates agree with Foundation's calendar across centuries, and milliseconds show")
  func dates() {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(secondsFromGMT: 3 * 3600)!
    for millis: Int64 in [0, 951_782_400_000, 4_107_542_399_000, -2_208_988_800_000, 1_709_164_800_000] {
      var out: [UInt8] = []
      ExportWriter.riyadhTime(millis, into: &out)
      let parts = calendar.dateComponents(
        [.year, .month, .day, .hour, .minute, .second], from: Date(timeIntervalSince1970: Double(millis) / 1000))
      let expected = String(
        format: "%04d-%02d-%02dT%02d:%02d:%02d+03:00", parts.year!, parts.month!, parts.day!, parts.hour!,
        parts.minute!, parts.second!)
      #expect(String(decoding: out, as: UTF8.self) == expected)
    }
    var out: [UInt8] = []
    ExportWriter.riyadhTime(1_007, into: &out)
    #expect(String(decoding: out, as: UTF8.self) == "1970-01-01T03:00:01.007+03:00")
    out = []
    ExportWriter.riyals(-5, into: &out)
    #expect(String(decoding: out, as: UTF8.self) == "-0.05")
  }
}
