/// The number of a person's identity document in the kingdom: a Saudi national ID (first
/// digit 1), a resident's iqama (first digit 2), or a visitor's border number (first digit 3
/// to 9). National IDs and iqamas carry a Luhn check digit.
public struct NationalID: Sendable, Hashable, Comparable, CustomStringConvertible {
  /// Which document the number belongs to; read from its first digit.
  public enum Kind: Sendable, Hashable {
    case nationalID, iqama, borderNumber
  }

  /// Why a number was refused.
  public enum Problem: Error, Sendable, Equatable {
    case empty, notDigits, wrongLength, wrongFirstDigit, checkDigit, kindMismatch
  }

  /// Ten ASCII digits.
  public let number: String
  public let kind: Kind

  /// Reads a number as typed by a person: Arabic-Indic digits and spaces are accepted.
  /// - Parameter expected: the document type the form asked for; nil infers it.
  public init(parsing text: String, expected: Kind? = nil) throws(Problem) {
    let digits = Digits.normalized(text)
    guard !digits.isEmpty else { throw .empty }
    guard Digits.allASCIIDigits(digits) else { throw .notDigits }
    guard digits.utf8.count == 10 else { throw .wrongLength }
    let kind: Kind
    switch digits.utf8.first! {
    case UInt8(ascii: "1"): kind = .nationalID
    case UInt8(ascii: "2"): kind = .iqama
    case UInt8(ascii: "3")...UInt8(ascii: "9"): kind = .borderNumber
    default: throw .wrongFirstDigit
    }
    if let expected, expected != kind {
      throw expected == .borderNumber ? .wrongFirstDigit : .kindMismatch
    }
    if kind != .borderNumber, !Self.luhnValid(digits) { throw .checkDigit }
    self.number = digits
    self.kind = kind
  }

  /// The Luhn check over all ten digits: digits at even positions from the left are doubled.
  static func luhnValid(_ digits: String) -> Bool {
    var total = 0
    for (index, byte) in digits.utf8.enumerated() {
      var digit = Int(byte - UInt8(ascii: "0"))
      if index % 2 == 0 {
        digit *= 2
        if digit > 9 { digit -= 9 }
      }
      total += digit
    }
    return total % 10 == 0
  }

  /// The check digit that completes nine leading digits (for demo data and tests).
  public static func checkDigit(for prefix: String) -> Character {
    for candidate in 0...9 where luhnValid(prefix + String(candidate)) {
      return Character(String(candidate))
    }
    preconditionFailure("a Luhn check digit always exists")
  }

  public var description: String { number }

  public static func < (lhs: Self, rhs: Self) -> Bool { lhs.number < rhs.number }
}
