/// A user's free text turned into an FTS5 query that has no syntax of its own: the daemon
/// splits the normalised text into words, double-quotes each one (doubling any quote inside)
/// and lets the last word match as a prefix. Quotes, operators (AND OR NOT NEAR * ^ : ( ) -)
/// and SQL fragments are therefore searched as plain words, and the expression only ever
/// reaches SQLite as a bound parameter.
public struct SearchText: Sendable, Equatable {
  /// Longest accepted text, in characters.
  public static let maximumLength = 200
  /// Most words accepted.
  public static let maximumWords = 16
  /// Fewest letters a stem keeps to be matched as a prefix: the stem of آلات is ات, and
  /// `"ات"*` finds اتصالات and every other word that begins so.
  static let minimumPrefixStem = 3

  /// Why a text was refused.
  public enum Problem: Error, Sendable, Equatable {
    case tooLong, tooManyWords
  }

  /// The words matched whole, in the order typed: every word but the last, by its stem when it
  /// has one (the index holds the stem of every form, so any form finds the others); a code
  /// typed as one term is its words with spaces between, which FTS5 reads as a phrase.
  public let words: [String]
  /// The forms the last word is matched by as a prefix, any of them: as typed (normalised), and
  /// its stem when that keeps `minimumPrefixStem` letters (a code: the phrase, its last word a
  /// prefix). The word may be half typed, and the
  /// article and conjunction rules misread a part of a word: والت loses و and leaves الت, which
  /// والتعليم (indexed as والتعليم and تعليم) does not begin.
  public let prefixes: [String]

  /// No words: no text condition.
  public static let empty = SearchText(words: [], prefixes: [])

  private init(words: [String], prefixes: [String]) {
    self.words = words
    self.prefixes = prefixes
  }

  public init(_ text: String) throws(Problem) {
    guard text.count <= Self.maximumLength else { throw .tooLong }
    let typed = Self.terms(text)
    guard typed.reduce(0, { $0 + $1.count }) <= Self.maximumWords else { throw .tooManyWords }
    words = typed.dropLast().map { $0.count == 1 ? ArabicNormalizer.stem($0[0]) ?? $0[0] : $0.joined(separator: " ") }
    prefixes = typed.last.map { $0.count == 1 ? Self.prefixes($0[0]) : [$0.joined(separator: " ")] } ?? []
  }

  /// The text's terms, each the normalised words of one term: a word, or a code typed as one
  /// (a space-separated piece with a digit, such as MOH-1446/12 or 91/1447), whose words the
  /// tokenizer splits but which is searched as a phrase, its words together and in order, not
  /// as words anywhere in the tender.
  static func terms(_ text: String) -> [[String]] {
    text.split(whereSeparator: \.isWhitespace).flatMap { piece -> [[String]] in
      let words = ArabicNormalizer.words(String(piece))
      guard words.count > 1, words.contains(where: { $0.unicodeScalars.contains { ("0"..."9").contains($0) } }) else {
        return words.map { [$0] }
      }
      return [words]
    }
  }

  /// The prefixes a last word is matched by: the word, then its stem when it is long enough.
  static func prefixes(_ word: String) -> [String] {
    guard let stem = ArabicNormalizer.stem(word), stem.unicodeScalars.count >= minimumPrefixStem else {
      return [word]
    }
    return [word, stem]
  }

  /// True when the text holds no word (empty, or only punctuation): no text condition.
  public var isEmpty: Bool { prefixes.isEmpty }

  /// The FTS5 MATCH expression: `"w1" AND "w2" AND ("p1"* OR "p2"*)`, all words, the last by
  /// any of its prefixes.
  public var matchExpression: String {
    Self.expression(whole: words.map(Self.quoted), last: prefixes.map { Self.quoted($0) + "*" })
  }

  /// The expression of FTS5 phrases `whole` AND any of `last`; FTS5 numbers its phrases in
  /// the order `whole + last`, the order `TenderRank` receives their document counts in.
  static func expression(whole: [String], last: [String]) -> String {
    guard !last.isEmpty else { return whole.joined(separator: " AND ") }
    // FTS5 takes no implicit AND before a parenthesis: every AND is spelled out.
    let any = last.count == 1 ? last[0] : "(" + last.joined(separator: " OR ") + ")"
    return (whole + [any]).joined(separator: " AND ")
  }

  /// A word as an FTS5 string: in double quotes, quotes inside doubled.
  static func quoted(_ word: String) -> String {
    "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
