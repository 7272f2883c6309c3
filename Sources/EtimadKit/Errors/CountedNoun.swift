/// A noun that follows a number in a text a person reads, with its forms in both languages:
/// English one/other; Arabic after CLDR's plural rules (1 one, 2 two, 3-10 few, 11-99 many,
/// the rest other, each taken modulo 100), so that "1 attempts left" and "3 دقيقة" never
/// happen. Each form is a template in which `#` stands for the number.
public struct CountedNoun: Sendable, Hashable {
  public var englishOne: String
  public var englishOther: String
  /// Arabic forms: "محاولة واحدة", "محاولتان", "# محاولات", "# محاولة", "# محاولة".
  public var arabicOne: String
  public var arabicTwo: String
  public var arabicFew: String
  public var arabicMany: String
  public var arabicOther: String

  public init(
    en one: String, _ other: String, ar arabicOne: String, two: String, few: String, many: String,
    other arabicOther: String
  ) {
    self.englishOne = one
    self.englishOther = other
    self.arabicOne = arabicOne
    self.arabicTwo = two
    self.arabicFew = few
    self.arabicMany = many
    self.arabicOther = arabicOther
  }

  /// The Arabic plural category of `count`.
  public enum ArabicCategory: Sendable, Hashable, CaseIterable {
    case zero, one, two, few, many, other
  }

  public static func arabicCategory(_ count: Int) -> ArabicCategory {
    let n = count.magnitude
    switch n {
    case 0: return .zero
    case 1: return .one
    case 2: return .two
    default:
      switch n % 100 {
      case 3...10: return .few
      case 11...99: return .many
      default: return .other
      }
    }
  }

  /// `count` with the noun, in both languages.
  public func callAsFunction(_ count: Int) -> LocalizedString {
    let english = count == 1 ? englishOne : englishOther
    let arabic: String
    switch Self.arabicCategory(count) {
    case .one: arabic = arabicOne
    case .two: arabic = arabicTwo
    case .few: arabic = arabicFew
    case .many: arabic = arabicMany
    case .zero, .other: arabic = arabicOther
    }
    let number = String(count)
    return LocalizedString(
      en: english.replacingAll("#", with: number), ar: arabic.replacingAll("#", with: number))
  }

  public static let minute = CountedNoun(
    en: "1 minute", "# minutes", ar: "دقيقة واحدة", two: "دقيقتين", few: "# دقائق", many: "# دقيقة", other: "# دقيقة")
  public static let second = CountedNoun(
    en: "1 second", "# seconds", ar: "ثانية واحدة", two: "ثانيتين", few: "# ثوانٍ", many: "# ثانية", other: "# ثانية")
  public static let attempt = CountedNoun(
    en: "1 attempt", "# attempts", ar: "محاولة واحدة", two: "محاولتان", few: "# محاولات", many: "# محاولة",
    other: "# محاولة")
  public static let instalment = CountedNoun(
    en: "1 instalment", "# instalments", ar: "قسط واحد", two: "قسطين", few: "# أقساط", many: "# قسطًا", other: "# قسط")
  public static let character = CountedNoun(
    en: "1 character", "# characters", ar: "حرفًا واحدًا", two: "حرفين", few: "# أحرف", many: "# حرفًا", other: "# حرف")
  public static let word = CountedNoun(
    en: "1 word", "# words", ar: "كلمة واحدة", two: "كلمتين", few: "# كلمات", many: "# كلمة", other: "# كلمة")
}

extension String {
  fileprivate func replacingAll(_ target: Character, with replacement: String) -> String {
    var result = ""
    for character in self {
      if character == target { result += replacement } else { result.append(character) }
    }
    return result
  }
}
