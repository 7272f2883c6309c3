import Testing

@testable import EtimadTenders

@Suite("Search text")
struct SearchTextTests {
  @Test("words are quoted and the last one is a prefix")
  func expression() throws {
    #expect(try SearchText("صيانة المباني").matchExpression == "\"صيانه\" AND \"مباني\"*")
    #expect(try SearchText("CT").matchExpression == "\"ct\"*")
  }

  @Test(
    "operators, quotes and SQL are only words",
    arguments: [
      ("a OR b", "\"a\" AND \"or\" AND \"b\"*"),
      ("NEAR(a b)", "\"near\" AND \"a\" AND \"b\"*"),
      ("\"unbalanced", "\"unbalanced\"*"),
      ("'; DROP TABLE tenders; --", "\"drop\" AND \"table\" AND \"tenders\"*"),
      ("name:x ^y -z *", "\"name\" AND \"x\" AND \"y\" AND \"z\"*"),
    ])
  func literal(text: String, expected: String) throws {
    #expect(try SearchText(text).matchExpression == expected)
  }

  @Test(
    "Arabic words lose their article and conjunction, and only those",
    arguments: [
      ("الصيانة", "صيانه"), ("والصيانة", "صيانه"), ("بالمستشفى", "مستشفي"), ("للمستشفيات", "مستشفيات"),
      ("وللمدارس", "مدارس"), ("ومباني", "مباني"), ("فالعقد", "عقد"), ("كالأجهزة", "اجهزه"),
      // Kept whole: no prefix, too short once cut, or not Arabic
      ("صيانة", "صيانه"), ("الم", "الم"), ("ولد", "ولد"), ("بناء", "بناء"), ("lights", "lights"),
    ])
  func stems(word: String, stem: String) throws {
    #expect(try SearchText(word + " x").words.first == stem)
  }

  @Test("text of punctuation only has no words")
  func empty() throws {
    #expect(try SearchText("\"()*").isEmpty)
    #expect(try SearchText("").matchExpression == "")
  }

  @Test("too long or too many words is refused")
  func limits() {
    #expect(throws: SearchText.Problem.tooLong) { try SearchText(String(repeating: "a", count: 201)) }
    #expect(throws: SearchText.Problem.tooManyWords) {
      try SearchText(Array(repeating: "ab", count: 17).joined(separator: " "))
    }
  }
}
