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

  /// Why a text was refused.
  public enum Problem: Error, Sendable, Equatable {
    case tooLong, tooManyWords
  }

  /// The normalised words, in the order typed.
  public let words: [String]

  /// No words: no text condition.
  public static let empty = SearchText(words: [])

  private init(words: [String]) {
    self.words = words
  }

  public init(_ text: String) throws(Problem) {
    guard text.count <= Self.maximumLength else { throw .tooLong }
    // Arabic words are searched by their stem, which the index holds for every form.
    let words = ArabicNormalizer.words(text).map { ArabicNormalizer.stem($0) ?? $0 }
    guard words.count <= Self.maximumWords else { throw .tooManyWords }
    self.words = words
  }

  /// True when the text holds no word (empty, or only punctuation): no text condition.
  public var isEmpty: Bool { words.isEmpty }

  /// The FTS5 MATCH expression: `"w1" AND "w2" AND "w3"*` (all words, the last as a prefix).
  public var matchExpression: String {
    words.enumerated().map { index, word in
      index == words.count - 1 ? Self.quoted(word) + "*" : Self.quoted(word)
    }.joined(separator: " AND ")
  }

  /// A word as an FTS5 string: in double quotes, quotes inside doubled.
  static func quoted(_ word: String) -> String {
    "\"" + word.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }
}
