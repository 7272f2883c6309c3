import Foundation

/// Folds the spellings of one word to one form, so that a tender written one way is found
/// when typed another: applied to the indexed text and to the user's query alike.
///
/// - Unicode compatibility forms first (NFKC): a hamza typed as a combining mark becomes the
///   letter it sits on (ي + ٔ = ئ, as typed at once), and presentation forms copied out of a
///   PDF (ﻻ, ﺍﻟﻤ...) and ligatures (ﷲ) become letters;
/// - alef with madda, hamza above or below, and wasla (آ أ إ ٱ) become a bare alef (ا);
/// - alef maqsura (ى) becomes yaa (ي), taa marbuta (ة) becomes haa (ه);
/// - tatweel (ـ) and the harakat U+064B-U+065F and U+0670 (dagger alef) are removed;
/// - Arabic-Indic (٠-٩) and Persian (۰-۹) digits become ASCII digits;
/// - other letters are lowercased (English case folding).
///
/// SQLite's FTS5 tokenizer folds nothing Arabic and splits words at harakat, so the text must
/// reach it already normalised.
public enum ArabicNormalizer {
  public static func normalize(_ text: String) -> String {
    let text = needsCompatibilityMapping(text) ? text.precomposedStringWithCompatibilityMapping : text
    var scalars = String.UnicodeScalarView()
    scalars.reserveCapacity(text.unicodeScalars.count)
    for scalar in text.unicodeScalars {
      switch scalar.value {
      case 0x0622, 0x0623, 0x0625, 0x0671: scalars.append("\u{0627}")
      case 0x0649: scalars.append("\u{064A}")
      case 0x0629: scalars.append("\u{0647}")
      case 0x0640, 0x064B...0x065F, 0x0670: continue
      case 0x0660...0x0669: scalars.append(Unicode.Scalar(0x30 + scalar.value - 0x0660)!)
      case 0x06F0...0x06F9: scalars.append(Unicode.Scalar(0x30 + scalar.value - 0x06F0)!)
      case 0x41...0x5A: scalars.append(Unicode.Scalar(scalar.value + 0x20)!)
      case 0...0x7F, 0x0600...0x06FF: scalars.append(scalar)
      default:
        // Other scripts: Unicode lowercase mapping (Latin letters with accents, and so on).
        scalars.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
      }
    }
    return String(scalars)
  }

  /// Whether NFKC could change `text`: it holds something other than ASCII and the Arabic
  /// letters, harakat and digits that have no compatibility or composition mapping (most tender
  /// text; NFKC costs ~3 us per 100 characters, the index build maps 100k tenders).
  static func needsCompatibilityMapping(_ text: String) -> Bool {
    text.unicodeScalars.contains { scalar in
      switch scalar.value {
      // (private use, as the index's barrier word, is left alone by NFKC too)
      case 0...0x7F, 0x0600...0x0652, 0x0656...0x0674, 0x0679...0x06FF, 0xE000...0xF8FF: false
      default: true
      }
    }
  }

  /// The words of `text` after normalisation, split where SQLite FTS5's `unicode61`
  /// tokenizer splits: every character that is not a letter, a number or private use
  /// separates words.
  public static func words(_ text: String) -> [String] {
    split(normalize(text))
  }

  /// The words of text already normalised.
  static func split(_ normalized: String) -> [String] {
    var words: [String] = []
    var current = String.UnicodeScalarView()
    for scalar in normalized.unicodeScalars {
      if isWordCharacter(scalar) {
        current.append(scalar)
      } else if !current.isEmpty {
        words.append(String(current))
        current = String.UnicodeScalarView()
      }
    }
    if !current.isEmpty { words.append(String(current)) }
    return words
  }

  /// A normalised Arabic word without its leading article and conjunction, or nil when it has
  /// none: the article ال or لل, after a conjunction و or ف and a particle ب ك ف (وال بال كال
  /// فال وبال وكال فبال فكال ولل فلل), then at least two letters; or the conjunction و alone,
  /// then at least three. So والصيانه, وبالصيانه, الصيانه and صيانه share the stem صيانه, and
  /// فللمستشفيات, المستشفيات and مستشفيات share مستشفيات. Queries and the index use this stem;
  /// the one-letter particles alone (بمدينه) are only indexed, see `stems(_:)`.
  public static func stem(_ word: String) -> String? {
    // Most words start with none of و ب ك ف ل ا: answered without copying the word.
    guard let first = word.unicodeScalars.first, stemInitials.contains(first) else { return nil }
    let letters = Array(word.unicodeScalars)
    return articleCut(letters).map { string(letters[$0...]) }
  }

  /// The stems a normalised word is indexed by besides itself, at most two: its `stem`, and the
  /// word without a one-letter particle ب ل ك ف (alone, or after the conjunction و or ف) when
  /// at least three letters remain: لاداره gives اداره, بمدينه مدينه, وبمدينه بمدينه and
  /// مدينه. A dictionary would know that ك in كامل is the word's own; without one the stripped
  /// form is indexed as an additional stem and the word itself stays indexed, while a query
  /// keeps the particle (`stem` never cuts it), so كامل typed finds كامل, not امل; مدينه typed
  /// finds بمدينه.
  public static func stems(_ word: String) -> [String] {
    var stems: [String] = []
    appendStems(of: word, to: &stems)
    return stems
  }

  static func appendStems(of word: String, to stems: inout [String]) {
    guard let first = word.unicodeScalars.first, stemInitials.contains(first) else { return }
    let letters = Array(word.unicodeScalars)
    let article = articleCut(letters)
    if let article { stems.append(string(letters[article...])) }
    // A particle that cuts no more than the article rule (بالمدينه, للمستشفيات) adds nothing.
    if let particle = particleCut(letters), particle > article ?? 0 { stems.append(string(letters[particle...])) }
  }

  /// How many letters the article rule of `stem` cuts from `letters` (not empty), or nil.
  /// Decided by the first letters, without trying each prefix in turn (the index build stems
  /// every word of 100k tenders).
  private static func articleCut(_ letters: [Unicode.Scalar]) -> Int? {
    let count = letters.count
    // ال or لل at `index`, with at least two letters after it.
    func article(at index: Int) -> Bool {
      count - index >= 4 && (letters[index] == "ا" || letters[index] == "ل") && letters[index + 1] == "ل"
    }
    switch letters[0] {
    case "ا": return count >= 4 && letters[1] == "ل" ? 2 : nil
    case "ل": return count >= 4 && letters[1] == "ل" ? 2 : nil
    case "ب", "ك": return count >= 5 && letters[1] == "ا" && letters[2] == "ل" ? 3 : nil
    case "و", "ف":
      // وال ولل فال فلل, then وبال وكال فبال فكال, then و alone
      if article(at: 1) { return 3 }
      if count >= 6, letters[1] == "ب" || letters[1] == "ك", letters[2] == "ا", letters[3] == "ل" { return 4 }
      return letters[0] == "و" && count > 3 ? 1 : nil
    default: return nil
    }
  }

  /// How many letters a one-letter particle (after a conjunction, or alone) takes from
  /// `letters`, leaving an Arabic letter and at least `minimumParticleStem` letters; or nil.
  private static func particleCut(_ letters: [Unicode.Scalar]) -> Int? {
    let count = letters.count
    if count > 2, letters[0] == "و" || letters[0] == "ف", isParticle(letters[1]),
      count - 2 >= minimumParticleStem, isArabicLetter(letters[2])
    {
      return 2
    }
    // A particle alone, also where و or ف and a particle leave too little (فكره: كره).
    if isParticle(letters[0]), count - 1 >= minimumParticleStem, isArabicLetter(letters[1]) { return 1 }
    return nil
  }

  private static func isParticle(_ scalar: Unicode.Scalar) -> Bool {
    scalar == "ب" || scalar == "ل" || scalar == "ك" || scalar == "ف"
  }

  private static func isArabicLetter(_ scalar: Unicode.Scalar) -> Bool { (0x0621...0x064A).contains(scalar.value) }

  private static func string(_ letters: ArraySlice<Unicode.Scalar>) -> String {
    var out = String.UnicodeScalarView()
    out.append(contentsOf: letters)
    return String(out)
  }

  /// Fewest letters left by cutting a one-letter particle: بنود gives نود, بيع stays whole.
  static let minimumParticleStem = 3
  private static let stemInitials: Set<Unicode.Scalar> = ["و", "ب", "ك", "ف", "ل", "ا"]

  /// The text FTS5 indexes for `text`: normalised, then the stems of its words that have one
  /// (so that a search by any form of a word finds the others).
  public static func indexed(_ text: String) -> (text: String, terms: [String]) {
    let normalized = normalize(text)
    let words = split(normalized)
    var stems: [String] = []
    for word in words { appendStems(of: word, to: &stems) }
    let text = stems.isEmpty ? normalized : normalized + " " + stems.joined(separator: " ")
    return (text, words + stems)
  }

  static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
    // Fast answers for the text this index holds: ASCII and the Arabic letters.
    switch scalar.value {
    case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, 0x0621...0x063A, 0x0641...0x064A: return true
    case 0...0x7F: return false
    default: break
    }
    switch scalar.properties.generalCategory {
    case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter,
      .decimalNumber, .letterNumber, .otherNumber, .privateUse:
      return true
    default:
      return false
    }
  }
}
