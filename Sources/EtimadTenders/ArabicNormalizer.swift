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
  /// none: وال بال كال فال (then at least two letters), لل and ال (two letters), و (three
  /// letters, then ال or لل once more). So والصيانه, الصيانه and صيانه share the stem صيانه,
  /// and للمستشفيات, المستشفيات and مستشفيات share مستشفيات. Only prefixes are taken: the
  /// single letters ب ل ف ك begin too many words to be cut without a dictionary.
  public static func stem(_ word: String) -> String? {
    // Most words start with none of و ب ك ف ل ا: answered without copying the word.
    guard let first = word.unicodeScalars.first, stemInitials.contains(first) else { return nil }
    var letters = Array(word.unicodeScalars)
    func strip(_ prefix: [Unicode.Scalar], leaving minimum: Int) -> Bool {
      guard letters.count - prefix.count >= minimum, letters.starts(with: prefix) else { return false }
      letters.removeFirst(prefix.count)
      return true
    }
    var stripped = articleAfterParticle.contains { strip($0, leaving: 2) }
    if !stripped, strip(conjunction, leaving: 3) { stripped = true }
    if articles.contains(where: { strip($0, leaving: 2) }) { stripped = true }
    guard stripped else { return nil }
    var out = String.UnicodeScalarView()
    out.append(contentsOf: letters)
    return String(out)
  }

  private static let stemInitials: Set<Unicode.Scalar> = ["و", "ب", "ك", "ف", "ل", "ا"]
  private static let articleAfterParticle = ["وال", "بال", "كال", "فال"].map { Array($0.unicodeScalars) }
  private static let conjunction = Array("و".unicodeScalars)
  private static let articles = ["لل", "ال"].map { Array($0.unicodeScalars) }

  /// The text FTS5 indexes for `text`: normalised, then the stems of its words that have one
  /// (so that a search by any form of a word finds the others).
  public static func indexed(_ text: String) -> (text: String, terms: [String]) {
    let normalized = normalize(text)
    let words = split(normalized)
    let stems = words.compactMap(stem)
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
