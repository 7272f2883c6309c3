import Testing

@testable import EtimadKit

@Suite("SaudiIBAN")
struct SaudiIBANTests {
  /// Al Rajhi Bank (code 80): a published example IBAN.
  static let alRajhi = "SA0380000000608010167519"

  /// ISO 7064 mod 97-10, computed here independently of the kit: the BBAN, then "SA00" with
  /// letters as 10...35.
  static func mod97(_ text: String) -> Int {
    var remainder = 0
    for character in text {
      let value = character.wholeNumberValue ?? Int(character.asciiValue! - Character("A").asciiValue!) + 10
      remainder = (remainder * (value > 9 ? 100 : 10) + value) % 97
    }
    return remainder
  }

  /// A Saudi IBAN with correct check digits around `bankCode` and an 18-character account.
  static func iban(bankCode: String, account: String) -> String {
    let bban = bankCode + account
    let check = 98 - mod97(bban + "SA00")
    return "SA" + (check < 10 ? "0" : "") + String(check) + bban
  }

  @Test("the test's own check-digit helper reproduces a real IBAN")
  func helperMatchesRealIBAN() {
    #expect(Self.iban(bankCode: "80", account: "000000608010167519") == Self.alRajhi)
  }

  @Test("a known Al Rajhi IBAN is read with its bank")
  func knownIBAN() throws {
    // When a published Al Rajhi IBAN is read
    let iban = try SaudiIBAN(parsing: Self.alRajhi)
    // Then it is kept as is, with the bank of code 80
    #expect(iban.value == Self.alRajhi)
    #expect(iban.description == Self.alRajhi)
    #expect(iban.bank.code == "80")
    #expect(iban.bank.nameEN == "Al Rajhi Bank")
    #expect(iban.bank.nameAR == "مصرف الراجحي")
  }

  @Test(
    "lower case, spaces, dashes and Arabic-Indic digits are accepted",
    arguments: [
      "sa0380000000608010167519", "SA03 8000 0000 6080 1016 7519", "sa03 8000 0000 6080 1016 7519",
      "SA03-8000-0000-6080-1016-7519", "SA٠٣٨٠٠٠٠٠٠٠٦٠٨٠١٠١٦٧٥١٩", " SA0380000000608010167519 ",
    ])
  func typedForms(text: String) throws {
    #expect(try SaudiIBAN(parsing: text).value == Self.alRajhi)
  }

  @Test("letters in the account part count in the checksum")
  func lettersInAccount() throws {
    // Given a checksum-valid IBAN of the Saudi National Bank with letters in its account
    let text = Self.iban(bankCode: "10", account: "ABC00000000000001Z")
    // When it is read
    let iban = try SaudiIBAN(parsing: text.lowercased())
    // Then it is accepted, upper case
    #expect(iban.value == text)
    #expect(iban.bank.nameEN == "Saudi National Bank")
  }

  @Test("an empty IBAN is refused", arguments: ["", "   "])
  func empty(text: String) {
    #expect(throws: SaudiIBAN.Problem.empty) { try SaudiIBAN(parsing: text) }
  }

  @Test("an IBAN of another country is refused", arguments: ["GB82WEST12345698765432", "AE070331234567890123456", "S"])
  func notSaudi(text: String) {
    #expect(throws: SaudiIBAN.Problem.notSaudi) { try SaudiIBAN(parsing: text) }
  }

  @Test(
    "a Saudi IBAN of another length is refused",
    arguments: ["SA038000000060801016751", "SA03800000006080101675190", "SA", "SA03"])
  func wrongLength(text: String) {
    #expect(throws: SaudiIBAN.Problem.wrongLength) { try SaudiIBAN(parsing: text) }
  }

  @Test("every single digit off by one fails the checksum", arguments: 2..<24)
  func checksumOffByOne(position: Int) {
    // Given the known IBAN with one digit (check digits, bank code or account) moved by one
    var characters = Array(Self.alRajhi)
    characters[position] = Character(String((characters[position].wholeNumberValue! + 1) % 10))
    let text = String(characters)
    // When it is read, then the checksum refuses it
    #expect(throws: SaudiIBAN.Problem.checksum) { try SaudiIBAN(parsing: text) }
  }

  @Test("two swapped neighbouring digits fail the checksum")
  func checksumTransposition() {
    // "6080" typed as "0680"
    #expect(throws: SaudiIBAN.Problem.checksum) { try SaudiIBAN(parsing: "SA0380000000068010167519") }
  }

  @Test("a checksum-valid IBAN of an unknown bank is refused unless asked otherwise")
  func unknownBank() throws {
    // Given a checksum-valid IBAN with bank code 99, which no Saudi bank has
    let text = Self.iban(bankCode: "99", account: "000000608010167519")
    #expect(SaudiIBAN.banks["99"] == nil)
    // When it is read by default, then the bank is refused
    #expect(throws: SaudiIBAN.Problem.unknownBank) { try SaudiIBAN(parsing: text) }
    // When it is read without requiring a known bank, then it is accepted with a nameless bank
    let iban = try SaudiIBAN(parsing: text, requireKnownBank: false)
    #expect(iban.value == text)
    #expect(iban.bank.code == "99")
    #expect(iban.bank.nameEN.isEmpty)
    #expect(iban.bank.nameAR.isEmpty)
  }

  @Test("requireKnownBank false still names a known bank")
  func knownBankWithoutRequirement() throws {
    #expect(try SaudiIBAN(parsing: Self.alRajhi, requireKnownBank: false).bank.nameEN == "Al Rajhi Bank")
  }

  @Test(
    "letters in the check digits or bank code, and symbols anywhere, are refused",
    arguments: [
      "SA038A000000608010167519",  // a letter in the bank code
      "SAX380000000608010167519",  // a letter in the check digits
      "SA038000000060801016751!",  // a symbol in the account
      "SA03800000006080101675.9",
    ])
  func badCharacters(text: String) {
    #expect(throws: SaudiIBAN.Problem.badCharacters) { try SaudiIBAN(parsing: text) }
  }

  @Test("a checksum-valid IBAN with letters in the bank code is still refused")
  func checksumValidLetterBankCode() {
    // Given an IBAN whose check digits are right for the bank code "8A"
    let text = Self.iban(bankCode: "8A", account: "000000608010167519")
    #expect(Self.mod97(String(text.dropFirst(4)) + String(text.prefix(4))) == 1)
    // Then the bank code is refused for its letter
    #expect(throws: SaudiIBAN.Problem.badCharacters) { try SaudiIBAN(parsing: text) }
  }

  @Test("every listed bank has a two-digit code and names in both languages")
  func bankList() {
    for (code, bank) in SaudiIBAN.banks {
      #expect(code.count == 2 && code.allSatisfy(\.isASCII) && code.allSatisfy(\.isNumber))
      #expect(bank.code == code)
      #expect(!bank.nameAR.isEmpty && !bank.nameEN.isEmpty)
    }
  }
}
