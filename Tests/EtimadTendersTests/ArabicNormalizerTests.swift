import Testing

@testable import EtimadTenders

@Suite("Arabic normaliser")
struct ArabicNormalizerTests {
  @Test(
    "every spelling of a real tender title folds to one form",
    arguments: [
      // Hamza forms, taa marbuta, harakat and tatweel.
      ("إنشاء مبنى إدارة التعليم بمنطقة الرياض", "انشاء مبني اداره التعليم بمنطقه الرياض"),
      ("اِنْشَاءُ مَبْنَى إِدَارَةِ التَّعْلِيمِ", "انشاء مبني اداره التعليم"),
      ("انشــاء مبنـى ادارة التعليـــم", "انشاء مبني اداره التعليم"),
      // Alef with madda and wasla, alef maqsura.
      ("توريد آلات تصوير لمستشفى الملك فهد", "توريد الات تصوير لمستشفي الملك فهد"),
      ("ٱلصيانة والتشغيل لمبنى الوزارة", "الصيانه والتشغيل لمبني الوزاره"),
      // Dagger alef (U+0670) as in هٰذا, and shadda and sukun.
      ("هٰذه المنافسة لصيانة الطُّرُق", "هذه المنافسه لصيانه الطرق"),
      // Arabic-Indic and Persian digits in reference numbers and years.
      ("منافسة رقم ٢٥٠١٣٩٠٠٩٨٧٦ لعام ١٤٤٦هـ", "منافسه رقم 250139009876 لعام 1446ه"),
      ("Reference ۲۵۰۱۳۹", "reference 250139"),
      // English is case-folded; Latin accents are left to the tokenizer.
      ("Supply of CT Scanners for King Fahad Hospital", "supply of ct scanners for king fahad hospital"),
      ("Café SUPPLIES", "café supplies"),
    ])
  func folds(original: String, expected: String) {
    #expect(ArabicNormalizer.normalize(original) == expected)
  }

  @Test("each folded character on its own")
  func singleCharacters() {
    for alef in ["آ", "أ", "إ", "ٱ"] { #expect(ArabicNormalizer.normalize(alef) == "ا") }
    #expect(ArabicNormalizer.normalize("ى") == "ي")
    #expect(ArabicNormalizer.normalize("ة") == "ه")
    #expect(ArabicNormalizer.normalize("ـ") == "")
    for mark in 0x064B...0x065F { #expect(ArabicNormalizer.normalize("ب" + String(UnicodeScalar(mark)!)) == "ب") }
    #expect(ArabicNormalizer.normalize("ه\u{0670}") == "ه")
    #expect(ArabicNormalizer.normalize("٠١٢٣٤٥٦٧٨٩") == "0123456789")
    #expect(ArabicNormalizer.normalize("۰۱۲۳۴۵۶۷۸۹") == "0123456789")
    // Letters that are not folded stay as they are.
    #expect(ArabicNormalizer.normalize("ؤئء") == "ؤئء")
  }

  @Test("a hamza typed as a combining mark, presentation forms and ligatures fold like the letters")
  func compatibilityForms() {
    // هيئة with ئ precomposed, and as ي followed by a combining hamza above
    #expect(ArabicNormalizer.normalize("\u{0647}\u{064A}\u{0626}\u{0629}") == "هيئه")
    #expect(ArabicNormalizer.normalize("\u{0647}\u{064A}\u{064A}\u{0654}\u{0629}") == "هيئه")
    #expect(ArabicNormalizer.normalize("\u{0645}\u{0648}\u{0654}\u{0633}\u{0633}\u{0629}") == "مؤسسه")
    // Presentation forms copied from a PDF: ﺻﻴﺎﻧﺔ (isolated, initial, medial, final forms)
    #expect(ArabicNormalizer.normalize("\u{FEBB}\u{FEF4}\u{FE8E}\u{FEE7}\u{FE94}") == "صيانه")
    #expect(ArabicNormalizer.normalize("\u{FEFB}") == "لا")
    #expect(ArabicNormalizer.words("ﷲ") == ["الله"])
    // Full-width Latin, as some keyboards type it
    #expect(ArabicNormalizer.normalize("ＭＯＨ１２") == "moh12")
    // Plain Arabic and ASCII never take the slow path
    #expect(!ArabicNormalizer.needsCompatibilityMapping("صيانة أجهزة التكييف MOH-1446/12 ٤٥"))
    #expect(!ArabicNormalizer.needsCompatibilityMapping("MOH-1446/12" + SearchIndex.barrier + "7/1447"))
  }

  @Test("all spellings of one title give the same words")
  func sameWords() {
    let spellings = [
      "صيانة وتشغيل مستشفى الأمير سلطان", "صيانه وتشغيل مستشفي الامير سلطان", "صِيَانَةُ وَتَشْغِيلُ مُسْتَشْفَى الأَمِيرِ سُلْطَانَ",
      "صيــانة وتشغيــل مستشفـى الإمير سلطان",
    ]
    let words = spellings.map(ArabicNormalizer.words)
    #expect(Set(words.map { $0.joined(separator: " ") }).count == 1)
    #expect(words[0] == ["صيانه", "وتشغيل", "مستشفي", "الامير", "سلطان"])
  }

  @Test("words split at spaces and punctuation, Arabic punctuation included")
  func wordSplitting() {
    #expect(
      ArabicNormalizer.words("توريد، وتركيب؛ أجهزة (حاسب) آلي - 2025/14") == [
        "توريد", "وتركيب", "اجهزه", "حاسب", "الي", "2025", "14",
      ])
    #expect(ArabicNormalizer.words("  \"quoted\" OR NOT* ^x:y ") == ["quoted", "or", "not", "x", "y"])
    #expect(ArabicNormalizer.words("") == [])
  }

  @Test(
    "words of real titles are indexed without their article, conjunction and one-letter particle",
    arguments: [
      // Articles, after a conjunction and a particle (the query's stem too)
      ("الصيانه", ["صيانه"]), ("والصيانه", ["صيانه"]), ("بالمستشفي", ["مستشفي"]), ("للمستشفيات", ["مستشفيات"]),
      ("وبالمدينه", ["مدينه"]), ("فللمستشفيات", ["مستشفيات"]), ("وكالاجهزه", ["اجهزه"]),
      // One-letter particles: لإدارة, بمدينة, كمشروع, فبمدينة, ولإدارة, لمبنى
      ("لاداره", ["اداره"]), ("بمدينه", ["مدينه"]), ("كمشروع", ["مشروع"]), ("فبمدينه", ["مدينه"]),
      ("لمبني", ["مبني"]), ("بمحافظه", ["محافظه"]),
      // و alone is the query's stem; و with a particle is indexed under both
      ("ولاداره", ["لاداره", "اداره"]), ("وبمدينه", ["بمدينه", "مدينه"]),
      // Three letters must remain: بيع, فلل (villas) and وبنك stay whole; فكره keeps كره
      ("بيع", []), ("فلل", []), ("وبنك", ["بنك"]), ("فكره", ["كره"]),
      // A particle before a digit is no particle; words without these initials have no stem
      ("ب2025", []), ("مدينه", []), ("توريد", []), ("الم", []), ("ولد", []),
    ])
  func indexedStems(word: String, stems: [String]) {
    #expect(ArabicNormalizer.stems(word) == stems)
  }

  @Test("the index text of a real title holds each word and its stems; the query's stem keeps the particle")
  func indexedTitle() {
    let (text, terms) = ArabicNormalizer.indexed("توريد أجهزة حاسب آلي لإدارة التعليم بمدينة الرياض")
    #expect(text == "توريد اجهزه حاسب الي لاداره التعليم بمدينه الرياض اداره تعليم مدينه رياض")
    #expect(terms.contains("اداره") && terms.contains("مدينه") && terms.contains("لاداره"))
    // A query word keeps a one-letter particle: the letter may be the word's own
    #expect(ArabicNormalizer.stem("كامل") == nil)
    #expect(ArabicNormalizer.stem("بمدينه") == nil)
    #expect(ArabicNormalizer.stem("وبالمدينه") == "مدينه")
  }
}
