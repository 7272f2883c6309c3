import Testing

@testable import EtimadKit

@Suite("SaudiMobile")
struct SaudiMobileTests {
  @Test(
    "the forms people type are kept in E.164",
    arguments: [
      "0501234567",  // national, with the trunk 0
      "501234567",  // national, without it
      "966501234567",  // international without a plus
      "+966501234567",  // E.164
      "00966501234567",  // international with the 00 prefix
      "٠٥٠١٢٣٤٥٦٧",  // Arabic-Indic digits
      "۰۵۰۱۲۳۴۵۶۷",  // Extended Arabic-Indic digits
      "+٩٦٦٥٠١٢٣٤٥٦٧",
      "050 123 4567", "050-123-4567", "+966 50 123 4567", "\u{202A}+966 50 123 4567\u{202C}",
    ])
  func acceptedForms(text: String) throws {
    // When a Saudi mobile number is read in any usual form
    let mobile = try SaudiMobile(parsing: text)
    // Then it is kept in E.164
    #expect(mobile.e164 == "+966501234567")
    #expect(mobile.description == "+966501234567")
  }

  @Test(
    "every mobile operator prefix 05X is accepted", arguments: ["050", "053", "054", "055", "056", "057", "058", "059"])
  func operators(prefix: String) throws {
    #expect(try SaudiMobile(parsing: prefix + "1234567").e164 == "+966" + prefix.dropFirst() + "1234567")
  }

  @Test(
    "landlines and numbers of another length or country are refused",
    arguments: [
      "0112345678",  // Riyadh landline
      "0126543210",  // Jeddah landline
      "+966112345678",  // Riyadh landline in E.164
      "05012345",  // 8 digits
      "050123456",  // 9 digits with the trunk 0
      "05012345678",  // 11 digits
      "5012345678",  // 10 digits without the trunk 0
      "+971501234567",  // a UAE mobile
      "0966501234567",  // a stray 0 before the country code
      "0",
    ])
  func notSaudiMobile(text: String) {
    #expect(throws: SaudiMobile.Problem.notSaudiMobile) { try SaudiMobile(parsing: text) }
  }

  @Test(
    "letters and symbols are refused",
    arguments: ["05O1234567", "050123456x", "mobile", "+966+501234567", "(050)1234567", "050.123.4567"])
  func notDigits(text: String) {
    #expect(throws: SaudiMobile.Problem.notDigits) { try SaudiMobile(parsing: text) }
  }

  @Test("an empty number is refused", arguments: ["", "  ", "-"])
  func empty(text: String) {
    #expect(throws: SaudiMobile.Problem.empty) { try SaudiMobile(parsing: text) }
  }

  @Test("the same number typed differently is the same mobile")
  func equality() throws {
    #expect(try SaudiMobile(parsing: "٠٥٠١٢٣٤٥٦٧") == SaudiMobile(parsing: "+966 50 123 4567"))
  }

  @Test("the masked form shows only the last four digits")
  func maskedKeepsLastFour() throws {
    // Given a mobile number
    let mobile = try SaudiMobile(parsing: "0501234567")
    // When it is masked
    let masked = mobile.masked
    // Then it ends with the last four digits and shows none of the hidden ones
    #expect(masked.hasSuffix("4567"))
    #expect(masked.hasPrefix("+9665"))
    #expect(masked.filter(\.isNumber) == "96654567")
  }

  @Test("the masked form has one mark for each hidden digit")
  func maskedKeepsLength() throws {
    // Given +966 5 0123 4567: after the 5 that every Saudi mobile starts with, four digits are hidden
    let mobile = try SaudiMobile(parsing: "0501234567")
    // Then the mask is as long as the number, so that its owner recognises it
    #expect(mobile.masked == "+9665••••4567")
    #expect(mobile.masked.count == mobile.e164.count)
  }
}
