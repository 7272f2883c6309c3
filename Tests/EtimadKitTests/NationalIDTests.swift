import Testing

@testable import EtimadKit

@Suite("NationalID")
struct NationalIDTests {
  /// A ten-digit number that passes the Luhn check, built with the kit's own helper.
  static func valid(_ prefix: String) -> String { prefix + String(NationalID.checkDigit(for: prefix)) }

  /// The same number with its check digit moved by one.
  static func wrongCheckDigit(_ prefix: String) -> String {
    let digit = NationalID.checkDigit(for: prefix).wholeNumberValue!
    return prefix + String((digit + 1) % 10)
  }

  @Test("a known national ID passes the Luhn check computed by hand")
  func knownNationalID() throws {
    // Given 1012345672: doubled digits 1,1,3,5,7 give 2+2+6+1+5 = 16, the others 0+2+4+6+2 = 14, 30 in all
    // When it is read
    let id = try NationalID(parsing: "1012345672")
    // Then it is a national ID, kept as typed
    #expect(id.number == "1012345672")
    #expect(id.kind == .nationalID)
    #expect(id.description == "1012345672")
    #expect(NationalID.checkDigit(for: "101234567") == "2")
  }

  @Test("national IDs start with 1", arguments: ["101234567", "112233445", "100000000", "199999999", "154321987"])
  func nationalIDs(prefix: String) throws {
    // Given a number starting with 1 completed by its check digit
    let number = Self.valid(prefix)
    // When it is read
    let id = try NationalID(parsing: number)
    // Then it is a national ID
    #expect(id.number == number)
    #expect(id.kind == .nationalID)
  }

  @Test("iqamas start with 2", arguments: ["212345678", "200000000", "298765432", "234567890"])
  func iqamas(prefix: String) throws {
    // Given a number starting with 2 completed by its check digit
    let number = Self.valid(prefix)
    // When it is read
    let id = try NationalID(parsing: number)
    // Then it is an iqama
    #expect(id.number == number)
    #expect(id.kind == .iqama)
  }

  @Test("a wrong check digit is refused", arguments: ["101234567", "112233445", "212345678", "298765432"])
  func wrongLuhn(prefix: String) {
    // Given a national ID or iqama whose last digit is off by one
    let number = Self.wrongCheckDigit(prefix)
    // When it is read, then the check digit is refused
    #expect(throws: NationalID.Problem.checkDigit) { try NationalID(parsing: number) }
  }

  @Test(
    "exactly one digit completes any nine-digit prefix",
    arguments: ["000000000", "101234567", "299999999", "123456789"])
  func oneCheckDigit(prefix: String) {
    // Given every possible last digit
    let passing = (0...9).filter { NationalID.luhnValid(prefix + String($0)) }
    // Then exactly one passes, and it is the one checkDigit(for:) names
    #expect(passing.count == 1)
    #expect(passing.first.map { Character(String($0)) } == NationalID.checkDigit(for: prefix))
  }

  @Test("a number starting with 0 is refused, even with a valid Luhn digit")
  func firstDigitZero() {
    // Given a Luhn-valid number starting with 0
    let number = Self.valid("012345678")
    #expect(NationalID.luhnValid(number))
    // When it is read, then its first digit is refused
    #expect(throws: NationalID.Problem.wrongFirstDigit) { try NationalID(parsing: number) }
  }

  @Test("border numbers start with 3 to 9 and carry no check digit", arguments: 3...9)
  func borderNumbers(firstDigit: Int) throws {
    // Given a number starting with 3...9 whose last digit fails the Luhn check
    let prefix = "\(firstDigit)12345678"
    let number = Self.wrongCheckDigit(prefix)
    #expect(!NationalID.luhnValid(number))
    // When it is read
    let id = try NationalID(parsing: number)
    // Then it is a border number all the same
    #expect(id.kind == .borderNumber)
    #expect(id.number == number)
  }

  @Test(
    "a number of another length is refused",
    arguments: ["101234567", "10123456721", "1", "10123456720000"])
  func wrongLength(text: String) {
    #expect(throws: NationalID.Problem.wrongLength) { try NationalID(parsing: text) }
  }

  @Test(
    "letters and symbols are refused",
    arguments: ["10123456a2", "abcdefghij", "1012345.72", "+1012345672", "１０１２３４５６７２"])
  func notDigits(text: String) {
    // Given a number with a letter, a symbol or full-width digits (not Arabic-Indic)
    // Then it is refused as not digits
    #expect(throws: NationalID.Problem.notDigits) { try NationalID(parsing: text) }
  }

  @Test("an empty number is refused", arguments: ["", " ", " - ", "\u{200F}"])
  func empty(text: String) {
    #expect(throws: NationalID.Problem.empty) { try NationalID(parsing: text) }
  }

  @Test(
    "Arabic-Indic and Extended Arabic-Indic digits are read as ASCII",
    arguments: [
      "١٠١٢٣٤٥٦٧٢",  // Arabic-Indic, U+0660...
      "۱۰۱۲۳۴۵۶۷۲",  // Extended Arabic-Indic (Persian, Urdu keyboards), U+06F0...
      "١٠١٢345٦۷٢",  // mixed with ASCII
    ])
  func arabicDigits(text: String) throws {
    // When a number typed on an Arabic keyboard is read
    let id = try NationalID(parsing: text)
    // Then it is kept in ASCII digits
    #expect(id.number == "1012345672")
    #expect(id.kind == .nationalID)
  }

  @Test(
    "spaces, dashes and invisible direction marks are dropped",
    arguments: ["101 234 5672", "1012-345-672", " 1012345672 ", "\u{200F}1012345672\u{200E}", "1012\u{00A0}345672"])
  func separators(text: String) throws {
    #expect(try NationalID(parsing: text).number == "1012345672")
  }

  @Test("the document type asked for must match the number")
  func kindMismatch() throws {
    // Given a national ID, an iqama and a border number
    let national = Self.valid("101234567")
    let iqama = Self.valid("212345678")
    let border = "3123456789"
    // When each is read as the type it is, then it is accepted
    #expect(try NationalID(parsing: national, expected: .nationalID).kind == .nationalID)
    #expect(try NationalID(parsing: iqama, expected: .iqama).kind == .iqama)
    #expect(try NationalID(parsing: border, expected: .borderNumber).kind == .borderNumber)
    // When each is read as another type, then it is refused
    #expect(throws: NationalID.Problem.kindMismatch) { try NationalID(parsing: national, expected: .iqama) }
    #expect(throws: NationalID.Problem.kindMismatch) { try NationalID(parsing: iqama, expected: .nationalID) }
    #expect(throws: NationalID.Problem.kindMismatch) { try NationalID(parsing: border, expected: .nationalID) }
    #expect(throws: NationalID.Problem.kindMismatch) { try NationalID(parsing: border, expected: .iqama) }
    // A border number must start with 3...9: a national ID or iqama asked as one has the wrong first digit
    #expect(throws: NationalID.Problem.wrongFirstDigit) { try NationalID(parsing: national, expected: .borderNumber) }
    #expect(throws: NationalID.Problem.wrongFirstDigit) { try NationalID(parsing: iqama, expected: .borderNumber) }
  }

  @Test("equal numbers typed differently are the same ID, and IDs sort by number")
  func equalityAndOrder() throws {
    // Given the same number in Arabic-Indic and in ASCII digits, and a larger one
    let arabic = try NationalID(parsing: "١٠١٢٣٤٥٦٧٢")
    let ascii = try NationalID(parsing: "1012345672")
    let iqama = try NationalID(parsing: Self.valid("212345678"))
    // Then the first two are equal and hash alike, and the iqama sorts after them
    #expect(arabic == ascii)
    #expect(Set([arabic, ascii]).count == 1)
    #expect([iqama, ascii].sorted() == [ascii, iqama])
  }
}
