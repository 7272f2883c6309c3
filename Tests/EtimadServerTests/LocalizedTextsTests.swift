import EtimadKit
import Foundation
import Testing

@testable import EtimadDebts
@testable import EtimadIdentity
@testable import EtimadPayments
@testable import EtimadSupport
@testable import EtimadTenders

/// Every text a person can see exists in Arabic and in English: the Arabic has no English
/// words (codes such as field names and reasons aside), the English is not empty and has no
/// Arabic, and counts take the right plural form.
@Suite("Texts people read, in both languages")
struct LocalizedTextsTests {
  /// Every error of every area, with the field violations of the kit's value types.
  static var allErrors: [EtimadError] {
    IdentityErrors.catalog + DebtsErrors.catalog + PaymentsErrors.catalog + TendersErrors.catalog
      + SupportErrors.catalog + [
        .invalidFields(kitViolations, domain: "platform.etimad.sa")
      ]
  }

  static var kitViolations: [EtimadError.FieldViolation] {
    let problems: [any Error] =
      [NationalID.Problem.empty, .notDigits, .wrongLength, .wrongFirstDigit, .checkDigit, .kindMismatch]
      + [SaudiIBAN.Problem.empty, .notSaudi, .wrongLength, .badCharacters, .checksum, .unknownBank]
      + [SaudiMobile.Problem.empty, .notDigits, .notSaudiMobile]
      + [Halalas.Problem.overflow, .negative, .wrongCurrency("USD")]
      + [EmployeeID.Problem.empty, .tooLong, .badCharacters]
    return problems.map { FieldRules.violation($0, field: "field") }
  }

  /// Latin words an Arabic text may hold: identifiers a person types or reads as they are.
  static let codes: Set<String> = [
    "SA", "SAR", "CSV", "JSON", "Lines", "UUID", "XXXXXXXX", "a-z", "x-etimad-employee", "request_id",
  ]

  /// The Latin words of an Arabic text that are not codes (UPPER_SNAKE reasons, snake_case
  /// field names and the listed identifiers are codes).
  static func englishWords(in arabic: String, fields: [String] = []) -> [String] {
    arabic.split(whereSeparator: { !($0.isASCII && ($0.isLetter || $0 == "_" || $0 == "-")) })
      .map(String.init)
      .filter { $0.contains(where: \.isLetter) }
      .filter { word in
        !codes.contains(word) && !fields.contains(word) && word != word.uppercased() && !word.contains("_")
      }
  }

  static func hasArabic(_ text: String) -> Bool {
    text.unicodeScalars.contains { (0x0600...0x06FF).contains($0.value) }
  }

  @Test("every error reason reads in Arabic without English words, and in English")
  func everyErrorInBothLanguages() {
    let errors = Self.allErrors
    #expect(errors.count > 100)
    for error in errors {
      let texts = [error.message] + error.fieldViolations.map(\.description)
      for text in texts {
        #expect(!text.arabic.isEmpty, "\(error.reason)")
        #expect(Self.hasArabic(text.arabic), "\(error.reason): \(text.arabic)")
        // Field names are codes: the message of INVALID_FIELDS lists them
        let fields = error.fieldViolations.map(\.field)
        #expect(Self.englishWords(in: text.arabic, fields: fields).isEmpty, "\(error.reason): \(text.arabic)")
        #expect(!text.english.isEmpty, "\(error.reason)")
        #expect(!Self.hasArabic(text.english), "\(error.reason): \(text.english)")
      }
      // The status a client unpacks carries the reason and the text in the language asked for
      for language in Language.allCases {
        let status = error.googleRPCStatus(in: language)
        #expect(status.details.first?.errorInfo?.reason == error.reason)
        #expect(status.details.last?.localizedMessage?.message == error.message.text(in: language))
      }
    }
  }

  @Test("no English plural after one, and Arabic's dual and plural forms")
  func plurals() {
    for error in Self.allErrors {
      #expect(error.message.english.firstMatch(of: /\b1 [a-z]+s\b/) == nil, "\(error.message.english)")
      // An Arabic number from 3 to 10 never stands before a singular noun of ours, nor 11+ before a plural
      #expect(error.message.arabic.firstMatch(of: /(^|[^0-9])([3-9]|10) (دقيقة|ثانية|محاولة|قسط|حرف|كلمة)/) == nil)
      #expect(
        error.message.arabic.firstMatch(of: /(^|[^0-9])(1[1-9]|[2-9][0-9]) (دقائق|ثوانٍ|محاولات|أقساط|أحرف|كلمات)/)
          == nil)
    }
    #expect(CountedNoun.attempt(1) == LocalizedString(en: "1 attempt", ar: "محاولة واحدة"))
    #expect(CountedNoun.attempt(2) == LocalizedString(en: "2 attempts", ar: "محاولتان"))
    #expect(CountedNoun.attempt(3).arabic == "3 محاولات")
    #expect(CountedNoun.attempt(10).arabic == "10 محاولات")
    #expect(CountedNoun.attempt(11).arabic == "11 محاولة")
    #expect(CountedNoun.attempt(103).arabic == "103 محاولات")
    #expect(CountedNoun.minute(15) == LocalizedString(en: "15 minutes", ar: "15 دقيقة"))
    #expect(CountedNoun.instalment(12).arabic == "12 قسطًا")
    #expect(CountedNoun.arabicCategory(0) == .zero)
    #expect(CountedNoun.arabicCategory(100) == .other)
  }

  @Test("NOT_FOUND names the resource in the reader's language, the code stays in ErrorInfo")
  func notFoundIsLocalized() {
    let notFound = Self.allErrors.filter { $0.reason == "NOT_FOUND" }
    #expect(notFound.count == 10)
    for error in notFound {
      #expect(error.metadata["resource"]?.isEmpty == false)
      #expect(!error.message.arabic.contains(error.metadata["resource"] ?? "-"), "\(error.message.arabic)")
    }
    #expect(
      TendersErrors.notFound.message
        == LocalizedString(en: "The tender was not found.", ar: "لم يتم العثور على المنافسة."))
  }

  @Test("a field with several problems is named once in the message")
  func fieldsNamedOnce() {
    let problems = IdentityRules.passwordProblems("x", idNumber: "", field: "new_password")
    #expect(problems.count == 2)
    let error = EtimadError.invalidFields(problems, domain: IdentityRules.domain)
    #expect(error.message.english == "The request has an invalid field: new_password.")
    #expect(error.message.arabic == "الطلب يحتوي على حقل غير صحيح: new_password.")
    #expect(error.fieldViolations.count == 2)
  }

  @Test("the platform's notes on requests it closes are worded in both languages")
  func platformNotes() {
    for note in DebtsErrors.platformNotes {
      #expect(Self.hasArabic(note.arabic) && Self.englishWords(in: note.arabic).isEmpty)
      #expect(!note.english.isEmpty && !Self.hasArabic(note.english))
    }
    // Rows written before the note was a code read the same way
    let old = "Closed by the platform: the debt was PAID before this request was decided."
    #expect(PlatformNote.text(old, decidedBy: "system", in: .arabic) == DebtsErrors.platformNotes[0].arabic)
    #expect(
      PlatformNote.text(PlatformNote.debtClosed(.cancelled), decidedBy: "system", in: .english)
        == DebtsErrors.platformNotes[1].english)
    // An employee's note is shown as written
    #expect(PlatformNote.text("PAID twice", decidedBy: "emp-1", in: .arabic) == "PAID twice")
  }

  /// The Arabic literals of the sources (every `ar:` argument), so that texts built inline in
  /// handlers, outside the catalogues, are held to the same rule.
  @Test("every Arabic text written in the sources is free of English words")
  func arabicLiteralsInSources() throws {
    let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent().appendingPathComponent("Sources")
    let files = try #require(FileManager.default.enumerator(atPath: sources.path)).compactMap { $0 as? String }
      .filter { $0.hasSuffix(".swift") && !$0.hasPrefix("EtimadProtos") }
    #expect(files.count > 50)
    var checked = 0
    for file in files {
      let text = try String(contentsOf: sources.appendingPathComponent(file), encoding: .utf8)
      for match in text.matches(of: /ar:\s*"((?:[^"\\\n]|\\.)*)"/) {
        // Interpolated values are checked at run time, through the catalogues.
        let literal = String(match.1).replacing(/\\\((?:[^()]|\([^()]*\))*\)/, with: "")
        checked += 1
        #expect(Self.englishWords(in: literal).isEmpty, "\(file): \(literal)")
      }
    }
    #expect(checked > 150)
  }
}
