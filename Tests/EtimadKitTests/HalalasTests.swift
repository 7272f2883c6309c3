import Foundation
import Testing

@testable import EtimadKit

@Suite("Halalas")
struct HalalasTests {
  static let max = Halalas(.max)
  static let min = Halalas(.min)

  @Test("adding, subtracting and multiplying within range")
  func arithmetic() throws {
    #expect(try Halalas(1_050).adding(Halalas(250)) == Halalas(1_300))
    #expect(try Halalas(1_050).subtracting(Halalas(2_000)) == Halalas(-950))
    #expect(try Halalas(1_050).multiplied(by: 3) == Halalas(3_150))
    #expect(try Halalas(1_050).multiplied(by: -1) == Halalas(-1_050))
    #expect(try Self.max.adding(.zero) == Self.max)
    #expect(try Self.min.subtracting(.zero) == Self.min)
    #expect(try Self.max.adding(Self.min) == Halalas(-1))
  }

  @Test("an overflowing sum or difference is an error, never a trap")
  func addSubtractOverflow() {
    #expect(throws: Halalas.Problem.overflow) { try Self.max.adding(Halalas(1)) }
    #expect(throws: Halalas.Problem.overflow) { try Self.max.adding(Self.max) }
    #expect(throws: Halalas.Problem.overflow) { try Self.min.adding(Halalas(-1)) }
    #expect(throws: Halalas.Problem.overflow) { try Self.min.subtracting(Halalas(1)) }
    #expect(throws: Halalas.Problem.overflow) { try Self.max.subtracting(Halalas(-1)) }
    #expect(throws: Halalas.Problem.overflow) { try Halalas.zero.subtracting(Self.min) }
  }

  @Test("an overflowing product is an error, never a trap")
  func multiplyOverflow() {
    #expect(throws: Halalas.Problem.overflow) { try Self.max.multiplied(by: 2) }
    #expect(throws: Halalas.Problem.overflow) { try Self.min.multiplied(by: -1) }
    #expect(throws: Halalas.Problem.overflow) { try Halalas(4_611_686_018_427_387_904).multiplied(by: 2) }
    #expect(throws: Halalas.Problem.overflow) { try Halalas(3_037_000_500).multiplied(by: 3_037_000_500) }
  }

  @Test("a sum of many amounts, checked at every step")
  func sum() throws {
    #expect(try Halalas.sum([Halalas(100), Halalas(250), Halalas(-50)]) == Halalas(300))
    #expect(try Halalas.sum([Halalas]()) == .zero)
    #expect(try Halalas.sum((1...100).map { Halalas(Int64($0)) }) == Halalas(5_050))
    #expect(throws: Halalas.Problem.overflow) { try Halalas.sum([Self.max, Halalas(1)]) }
    // The total would fit again after the last amount, but an intermediate step overflowed
    #expect(throws: Halalas.Problem.overflow) { try Halalas.sum([Self.max, Halalas(1), Halalas(-1)]) }
  }

  @Test(
    "percentages in basis points round half up to the halala",
    arguments: [
      // (amount, basis points, expected): VAT 15 % is 1500
      (1, 1500, 0),  // 0.15
      (3, 1500, 0),  // 0.45
      (4, 1500, 1),  // 0.60
      (7, 1500, 1),  // 1.05
      (10, 1500, 2),  // 1.50: half goes up
      (70, 1500, 11),  // 10.50
      (33, 1500, 5),  // 4.95
      (100, 1500, 15),
      (123_456, 1500, 18_518),  // 18518.40
      (5_000, 1, 1),  // 0.50
      (4_999, 1, 0),  // 0.4999
      (1, 10_000, 1),  // 100 %
      (123_456, 0, 0),
      (0, 1500, 0),
    ] as [(Int64, Int64, Int64)])
  func percentage(amount: Int64, basisPoints: Int64, expected: Int64) throws {
    #expect(try Halalas(amount).percentage(basisPoints: basisPoints) == Halalas(expected))
  }

  @Test(
    "negative amounts round half away from zero",
    arguments: [
      (-1, 1500, 0),  // -0.15
      (-3, 1500, 0),  // -0.45
      (-4, 1500, -1),  // -0.60
      (-7, 1500, -1),  // -1.05
      (-10, 1500, -2),  // -1.50
      (-70, 1500, -11),  // -10.50
      (-5_000, 1, -1),  // -0.50
      (10, -1500, -2),  // a negative rate
    ] as [(Int64, Int64, Int64)])
  func negativePercentage(amount: Int64, basisPoints: Int64, expected: Int64) throws {
    #expect(try Halalas(amount).percentage(basisPoints: basisPoints) == Halalas(expected))
  }

  @Test("a percentage whose product overflows is an error, never a trap")
  func percentageOverflow() throws {
    #expect(throws: Halalas.Problem.overflow) { try Self.max.percentage(basisPoints: 1500) }
    #expect(throws: Halalas.Problem.overflow) { try Self.min.percentage(basisPoints: 2) }
    // The largest amount whose product still fits gives the exact answer, 922337203685477.55 rounded up
    #expect(try Halalas(Int64.max / 1500).percentage(basisPoints: 1500) == Halalas(922_337_203_685_478))
  }

  @Test(
    "riyals have two decimals",
    arguments: [
      (0, "0.00"), (5, "0.05"), (-5, "-0.05"), (10, "0.10"), (99, "0.99"), (100, "1.00"), (-100, "-1.00"),
      (123_450, "1234.50"), (-123_456, "-1234.56"), (Int64.max, "92233720368547758.07"),
      (Int64.min, "-92233720368547758.08"),
    ] as [(Int64, String)])
  func riyals(value: Int64, expected: String) {
    #expect(Halalas(value).riyals == expected)
    #expect(Halalas(value).description == expected + " SAR")
  }

  @Test("only SAR is accepted from the wire, and an empty code is read as SAR")
  func currency() throws {
    #expect(try Halalas(currencyCode: "SAR", amount: 1_500) == Halalas(1_500))
    #expect(try Halalas(currencyCode: "", amount: 1_500) == Halalas(1_500))
    #expect(throws: Halalas.Problem.wrongCurrency("USD")) { try Halalas(currencyCode: "USD", amount: 1_500) }
    #expect(throws: Halalas.Problem.wrongCurrency("sar")) { try Halalas(currencyCode: "sar", amount: 1_500) }
    #expect(throws: Halalas.Problem.wrongCurrency(" SAR")) { try Halalas(currencyCode: " SAR", amount: 1) }
  }

  @Test("amounts order by value and survive a JSON round trip")
  func orderAndCoding() throws {
    let amounts = [Halalas(500), Halalas(-5), Self.max, Halalas.zero, Self.min]
    #expect(amounts.sorted().map(\.value) == [.min, -5, 0, 500, .max])
    let decoded = try JSONDecoder().decode([Halalas].self, from: JSONEncoder().encode(amounts))
    #expect(decoded == amounts)
  }
}
