/// An amount of Saudi riyals in halalas (1 SAR = 100 halalas). Arithmetic is checked: an
/// overflow is an error, never a wrapped or trapped value.
public struct Halalas: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
  /// Why an amount was refused.
  public enum Problem: Error, Sendable, Equatable {
    case overflow, negative
    case wrongCurrency(String)
  }

  public let value: Int64

  public init(_ value: Int64) { self.value = value }

  public static let zero = Halalas(0)

  /// The largest amount any request may carry: 10^13 halalas (100 billion riyals). Every
  /// amount on the wire is checked against it before a handler runs (`RequestBounds`), so the
  /// sum of up to 900,000 stored amounts cannot overflow.
  public static let ceiling: Int64 = 10_000_000_000_000

  /// Reads a wire `Money`; only SAR (or an empty code, read as SAR) is accepted.
  public init(currencyCode: String, amount: Int64) throws(Problem) {
    guard currencyCode.isEmpty || currencyCode == "SAR" else {
      throw .wrongCurrency(currencyCode)
    }
    self.value = amount
  }

  public func adding(_ other: Halalas) throws(Problem) -> Halalas {
    let (sum, overflow) = value.addingReportingOverflow(other.value)
    guard !overflow else { throw .overflow }
    return Halalas(sum)
  }

  public func subtracting(_ other: Halalas) throws(Problem) -> Halalas {
    let (difference, overflow) = value.subtractingReportingOverflow(other.value)
    guard !overflow else { throw .overflow }
    return Halalas(difference)
  }

  public func multiplied(by factor: Int64) throws(Problem) -> Halalas {
    let (product, overflow) = value.multipliedReportingOverflow(by: factor)
    guard !overflow else { throw .overflow }
    return Halalas(product)
  }

  /// The sum of many amounts, checked at every step.
  public static func sum<S: Sequence<Halalas>>(_ amounts: S) throws(Problem) -> Halalas {
    var total = Halalas.zero
    for amount in amounts { total = try total.adding(amount) }
    return total
  }

  /// `amount × rate ÷ 10 000` rounded half up to the halala, for rates in basis points
  /// (VAT 15 % = 1500). Exact integer arithmetic; negative amounts round half away from zero.
  public func percentage(basisPoints: Int64) throws(Problem) -> Halalas {
    let (product, overflow) = value.multipliedReportingOverflow(by: basisPoints)
    guard !overflow else { throw .overflow }
    let (quotient, remainder) = product.quotientAndRemainder(dividingBy: 10_000)
    let roundsAway = remainder.magnitude * 2 >= 10_000
    return Halalas(roundsAway ? quotient + (product < 0 ? -1 : 1) : quotient)
  }

  /// Riyals with two decimals, such as "1234.50" or "-0.05".
  public var riyals: String {
    let sign = value < 0 ? "-" : ""
    let magnitude = value.magnitude
    let fraction = magnitude % 100
    return "\(sign)\(magnitude / 100).\(fraction < 10 ? "0" : "")\(fraction)"
  }

  public var description: String { "\(riyals) SAR" }

  public static func < (lhs: Halalas, rhs: Halalas) -> Bool { lhs.value < rhs.value }
}
