import EtimadProtos
import Testing

@testable import EtimadKit

@Suite("FieldRules")
struct FieldRulesTests {
  @Test(
    "each value problem becomes a field violation with a stable reason",
    arguments: [
      (NationalID.Problem.empty, "REQUIRED"),
      (NationalID.Problem.notDigits, "NOT_DIGITS"),
      (NationalID.Problem.wrongLength, "WRONG_LENGTH"),
      (NationalID.Problem.wrongFirstDigit, "WRONG_FIRST_DIGIT"),
      (NationalID.Problem.checkDigit, "CHECK_DIGIT"),
      (NationalID.Problem.kindMismatch, "TYPE_MISMATCH"),
      (SaudiIBAN.Problem.empty, "REQUIRED"),
      (SaudiIBAN.Problem.notSaudi, "NOT_SAUDI"),
      (SaudiIBAN.Problem.wrongLength, "WRONG_LENGTH"),
      (SaudiIBAN.Problem.badCharacters, "BAD_CHARACTERS"),
      (SaudiIBAN.Problem.checksum, "CHECKSUM"),
      (SaudiIBAN.Problem.unknownBank, "UNKNOWN_BANK"),
      (SaudiMobile.Problem.empty, "REQUIRED"),
      (SaudiMobile.Problem.notDigits, "NOT_DIGITS"),
      (SaudiMobile.Problem.notSaudiMobile, "NOT_SAUDI_MOBILE"),
      (Halalas.Problem.overflow, "OUT_OF_RANGE"),
      (Halalas.Problem.negative, "NEGATIVE"),
      (Halalas.Problem.wrongCurrency("USD"), "WRONG_CURRENCY"),
      (CancellationError(), "INVALID"),
    ] as [(any Error & Sendable, String)])
  func reasons(problem: any Error & Sendable, reason: String) {
    // When a problem is reported for a field
    let violation = FieldRules.violation(problem, field: "person_id.number")
    // Then it names the field and the reason, with a description in both languages
    #expect(violation.field == "person_id.number")
    #expect(violation.reason == reason)
    #expect(!violation.description.english.isEmpty)
    #expect(violation.description.arabic.unicodeScalars.contains { (0x0600...0x06FF).contains($0.value) })
  }

  @Test("a wrong currency names the code it was given")
  func wrongCurrency() {
    let violation = FieldRules.violation(Halalas.Problem.wrongCurrency("USD"), field: "amount.currency_code")
    #expect(violation.description.english == "Amounts are in SAR, not USD.")
    #expect(violation.description.arabic.hasSuffix("USD."))
  }

  @Test("the wire's document type maps to a kind and back")
  func personIdType() {
    #expect(Etimad_Type_V1_PersonIdType.unspecified.kind == nil)
    for kind in [NationalID.Kind.nationalID, .iqama, .borderNumber] {
      #expect(Etimad_Type_V1_PersonIdType(kind).kind == kind)
    }
  }
}

@Suite("Digits")
struct DigitsTests {
  @Test("zero padding is exact for any integer width, where %d would wrap to 32 bits on Linux")
  func zeroPadded() {
    #expect(Digits.zeroPadded(300_000_000_000, width: 12) == "300000000000")
    #expect(Digits.zeroPadded(Int64(7), width: 12) == "000000000007")
    #expect(Digits.zeroPadded(Int64.max, width: 4) == "9223372036854775807")
    #expect(Digits.zeroPadded(5, width: 2) == "05")
    #expect(Digits.zeroPadded(0, width: 0) == "0")
    #expect(Digits.zeroPadded(-42, width: 5) == "-0042")
    #expect(Digits.zeroPadded(Int64.min, width: 1) == "-9223372036854775808")
  }
}
