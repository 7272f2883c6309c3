import Testing

@testable import EtimadTenders

@Suite("Search text")
struct SearchTextTests {
  @Test("words are quoted and the last one is a prefix")
  func expression() throws {
    #expect(try SearchText("صيانة مباني").matchExpression == "\"صيانه\" AND \"مباني\"*")
    #expect(try SearchText("CT").matchExpression == "\"ct\"*")
  }

  @Test(
    "the last word is a prefix as typed, or by its stem when the stem keeps three letters",
    arguments: [
      // Half typed: والت is و + الت, yet والتعليم is indexed as والتعليم and تعليم
      ("والت", ["والت", "الت"], "(\"والت\"* OR \"الت\"*)"),
      ("صيانة المباني", ["المباني", "مباني"], "\"صيانه\" AND (\"المباني\"* OR \"مباني\"*)"),
      // آلات is الات; its stem ات would find اتصالات
      ("توريد آلات", ["الات"], "\"توريد\" AND \"الات\"*"),
      ("والتعليم", ["والتعليم", "تعليم"], "(\"والتعليم\"* OR \"تعليم\"*)"),
      ("الم", ["الم"], "\"الم\"*"), ("ال", ["ال"], "\"ال\"*"),
      // Words before the last keep their stem alone
      ("والتعليم الات", ["الات"], "\"تعليم\" AND \"الات\"*"),
    ])
  func lastWordPrefixes(text: String, prefixes: [String], expected: String) throws {
    let search = try SearchText(text)
    #expect(search.prefixes == prefixes)
    #expect(search.matchExpression == expected)
  }

  @Test(
    "a code typed as one term (a piece with a digit) is a phrase; other pieces stay words",
    arguments: [
      ("MOH-1446/12", "\"moh 1446 12\"*"),
      ("91/1447 صيانة", "\"91 1447\" AND \"صيانه\"*"),
      ("عقد ٩١/١٤٤٧", "\"عقد\" AND \"91 1447\"*"),
      ("صيانة/تشغيل", "\"صيانه\" AND \"تشغيل\"*"),
      ("B2501", "\"b2501\"*"),
      ("x1\"OR\"y", "\"x1 or y\"*"),
    ])
  func codes(text: String, expected: String) throws {
    #expect(try SearchText(text).matchExpression == expected)
  }

  @Test("the expression builder quotes nothing itself, ANDs the words and ORs the last word's phrases")
  func expressionBuilder() {
    #expect(SearchText.expression(whole: [], last: []) == "")
    #expect(SearchText.expression(whole: ["\"a\""], last: ["\"b\"*"]) == "\"a\" AND \"b\"*")
    #expect(
      SearchText.expression(whole: ["\"a\"", "\"b\""], last: ["\"c\"", "\"d\"*"])
        == "\"a\" AND \"b\" AND (\"c\" OR \"d\"*)")
    // A quote inside a word stays inside its string
    #expect(SearchText.quoted("a\"OR\"b") == "\"a\"\"OR\"\"b\"")
  }

  @Test(
    "operators, quotes and SQL are only words",
    arguments: [
      ("a OR b", "\"a\" AND \"or\" AND \"b\"*"),
      ("NEAR(a b)", "\"near\" AND \"a\" AND \"b\"*"),
      ("\"unbalanced", "\"unbalanced\"*"),
      ("'; DROP TABLE tenders; --", "\"drop\" AND \"table\" AND \"tenders\"*"),
      ("name:x ^y -z *", "\"name\" AND \"x\" AND \"y\" AND \"z\"*"),
      ("NOT) OR (والت*", "\"not\" AND \"or\" AND (\"والت\"* OR \"الت\"*)"),
    ])
  func literal(text: String, expected: String) throws {
    #expect(try SearchText(text).matchExpression == expected)
  }

  @Test(
    "Arabic words typed lose their article and conjunction, and only those",
    arguments: [
      ("الصيانة", "صيانه"), ("والصيانة", "صيانه"), ("بالمستشفى", "مستشفي"), ("للمستشفيات", "مستشفيات"),
      ("وللمدارس", "مدارس"), ("ومباني", "مباني"), ("فالعقد", "عقد"), ("كالأجهزة", "اجهزه"),
      ("وبالمدينة", "مدينه"), ("فللمستشفيات", "مستشفيات"), ("وكالأجهزة", "اجهزه"),
      // A one-letter particle typed is kept (the index holds both forms of an indexed word)
      ("بمدينة", "بمدينه"), ("لإدارة", "لاداره"), ("كامل", "كامل"), ("وبمدينة", "بمدينه"),
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
