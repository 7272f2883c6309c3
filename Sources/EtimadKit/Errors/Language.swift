import Foundation

/// The two languages the platform speaks. Arabic is its first language.
public enum Language: String, Sendable, Hashable, CaseIterable {
  case arabic = "ar"
  case english = "en"

  /// The language of the call being handled, from its `accept-language`; set per call by the
  /// server so that errors convert to the caller's language wherever they are thrown.
  @TaskLocal public static var current: Language = .arabic

  /// The language a caller prefers from an `accept-language` value (RFC 9110: a list of
  /// tags with optional q-weights). Arabic when the header names neither language.
  public init(acceptLanguage header: String?) {
    guard let header, !header.isEmpty else {
      self = .arabic
      return
    }
    var best: (language: Language, weight: Double)?
    for item in header.split(separator: ",") {
      // An item of only ";" splits into nothing: skip it rather than trap on parts[0].
      let parts = item.split(separator: ";")
      guard let first = parts.first else { continue }
      let tag = first.trimmingCharacters(in: .whitespaces).lowercased()
      let primary = tag.split(separator: "-").first.map(String.init) ?? tag
      guard let language = Language(rawValue: primary) else { continue }
      var weight = 1.0
      for parameter in parts.dropFirst() {
        let pair = parameter.trimmingCharacters(in: .whitespaces)
        if pair.hasPrefix("q="), let q = Double(pair.dropFirst(2)) { weight = q }
      }
      if weight > 0, weight > (best?.weight ?? 0) { best = (language, weight) }
    }
    self = best?.language ?? .arabic
  }
}

/// A text in both of the platform's languages.
public struct LocalizedString: Sendable, Hashable {
  public var english: String
  public var arabic: String

  public init(en english: String, ar arabic: String) {
    self.english = english
    self.arabic = arabic
  }

  public func text(in language: Language) -> String {
    language == .arabic ? arabic : english
  }
}
