/// A Saudi mobile number, kept in E.164 form (+9665XXXXXXXX).
public struct SaudiMobile: Sendable, Hashable, CustomStringConvertible {
  /// Why a number was refused.
  public enum Problem: Error, Sendable, Equatable {
    case empty, notDigits, notSaudiMobile
  }

  /// The number in E.164 form: "+966" followed by nine digits starting with 5.
  public let e164: String

  /// Reads the forms people type: 05XXXXXXXX, 5XXXXXXXX, 9665XXXXXXXX, +9665XXXXXXXX and
  /// 009665XXXXXXXX, with Arabic-Indic digits, spaces or dashes.
  public init(parsing text: String) throws(Problem) {
    var digits = Digits.normalized(text)
    guard !digits.isEmpty else { throw .empty }
    if digits.hasPrefix("+") { digits.removeFirst() }
    guard Digits.allASCIIDigits(digits) else { throw .notDigits }
    let national: Substring
    if digits.hasPrefix("00966") {
      national = digits.dropFirst(5)
    } else if digits.hasPrefix("966") {
      national = digits.dropFirst(3)
    } else if digits.hasPrefix("05") {
      national = digits.dropFirst(1)
    } else {
      national = Substring(digits)
    }
    guard national.count == 9, national.hasPrefix("5") else { throw .notSaudiMobile }
    self.e164 = "+966" + national
  }

  /// The number as shown to its owner on screen: all but the last four digits hidden.
  public var masked: String { "+9665••••" + e164.suffix(4) }

  public var description: String { e164 }
}
