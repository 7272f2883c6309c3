import Crypto
import Foundation
import Testing

@testable import EtimadKit

@Suite("Paging")
struct PagingTests {
  /// Where the next page of a debt list starts.
  struct DebtCursor: Codable, Equatable {
    var createTime: Int64
    var id: String
  }

  static let domain = "debts.etimad.sa"
  static let filters = "debtor=1012345672;state=OUTSTANDING"
  static let cursor = DebtCursor(createTime: 1_764_000_000, id: "debts/42-دين")

  let paging = Paging(key: SymmetricKey(size: .bits256))

  // MARK: page_size

  @Test(
    "page_size 0 means the default, and larger sizes are capped at the maximum",
    arguments: [(0, 50), (1, 1), (50, 50), (499, 499), (500, 500), (501, 500), (Int32.max, 500)] as [(Int32, Int)])
  func pageSize(requested: Int32, expected: Int) throws {
    #expect(try Paging.pageSize(requested, default: 50, maximum: 500, domain: Self.domain) == expected)
  }

  @Test("a negative page_size is INVALID_ARGUMENT on the page_size field", arguments: [-1, Int32.min] as [Int32])
  func negativePageSize(requested: Int32) throws {
    // When a negative size is asked for
    let error = try #require(
      throws: EtimadError.self,
      performing: { try Paging.pageSize(requested, default: 50, maximum: 500, domain: Self.domain) })
    // Then the field is named in the error
    #expect(error.code == .invalidArgument)
    #expect(error.reason == "INVALID_FIELDS")
    #expect(error.domain == Self.domain)
    #expect(error.fieldViolations.map(\.field) == ["page_size"])
    #expect(error.fieldViolations.map(\.reason) == ["NEGATIVE"])
  }

  // MARK: page_token

  @Test("a token gives back its cursor for the same filters")
  func roundTrip() throws {
    // Given a token for a cursor
    let token = paging.token(for: Self.cursor, filters: Self.filters)
    // When it is read back for the same filters
    let cursor = try paging.cursor(DebtCursor.self, from: token, filters: Self.filters, domain: Self.domain)
    // Then it is the same cursor, and the token is safe in a URL or metadata
    #expect(cursor == Self.cursor)
    #expect(!token.isEmpty)
    #expect(token.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") })
  }

  @Test("a token stays valid for another Paging with the same key, as across a restart")
  func sameKey() throws {
    // Given two Paging values sharing one key
    let key = SymmetricKey(size: .bits256)
    let token = Paging(key: key).token(for: Self.cursor, filters: Self.filters)
    // Then one reads the other's token
    #expect(
      try Paging(key: key).cursor(DebtCursor.self, from: token, filters: Self.filters, domain: Self.domain)
        == Self.cursor)
  }

  @Test("an empty token is the first page")
  func emptyToken() throws {
    #expect(try paging.cursor(DebtCursor.self, from: "", filters: Self.filters, domain: Self.domain) == nil)
  }

  @Test("changing any character of a token makes it refused")
  func tamperedToken() throws {
    // Given a valid token
    let token = Array(paging.token(for: Self.cursor, filters: Self.filters))
    // When each character but the last (whose low bits may be padding) is replaced in turn
    for index in token.indices.dropLast() {
      var tampered = token
      tampered[index] = token[index] == "A" ? "B" : "A"
      // Then the token is refused
      try expectBadToken(String(tampered), filters: Self.filters)
    }
  }

  @Test("a token issued for other filters is refused")
  func otherFilters() throws {
    // Given a token for outstanding debts
    let token = paging.token(for: Self.cursor, filters: Self.filters)
    // When it is presented with a different filter, then it is refused
    try expectBadToken(token, filters: "debtor=1012345672;state=PAID")
    try expectBadToken(token, filters: "")
  }

  @Test("a token signed with another key is refused")
  func otherKey() throws {
    let foreign = Paging(key: SymmetricKey(size: .bits256)).token(for: Self.cursor, filters: Self.filters)
    try expectBadToken(foreign, filters: Self.filters)
  }

  @Test(
    "garbage and base64 of junk are refused",
    arguments: [
      "garbage!", "not a token", "%%%%", "A", "====",
      Data("a long enough piece of junk that is not a token".utf8).base64EncodedString(),
      Data(repeating: 0, count: 16).base64EncodedString(),  // too short to hold a signature and a body
      Data(repeating: 0xFF, count: 64).base64EncodedString(),
    ])
  func garbage(token: String) throws {
    try expectBadToken(token, filters: Self.filters)
  }

  @Test("a correctly signed token whose body is not the expected cursor is refused")
  func otherCursorType() throws {
    let token = paging.token(for: ["unexpected": true], filters: Self.filters)
    try expectBadToken(token, filters: Self.filters)
  }

  /// Checks that `token` is refused with INVALID_ARGUMENT naming `page_token`.
  private func expectBadToken(
    _ token: String, filters: String, sourceLocation: SourceLocation = #_sourceLocation
  )
    throws
  {
    let error = try #require(
      throws: EtimadError.self, sourceLocation: sourceLocation,
      performing: { try paging.cursor(DebtCursor.self, from: token, filters: filters, domain: Self.domain) })
    #expect(error.code == .invalidArgument, sourceLocation: sourceLocation)
    #expect(error.reason == "INVALID_FIELDS", sourceLocation: sourceLocation)
    #expect(error.domain == Self.domain, sourceLocation: sourceLocation)
    #expect(error.fieldViolations.map(\.field) == ["page_token"], sourceLocation: sourceLocation)
    #expect(error.fieldViolations.map(\.reason) == ["INVALID_PAGE_TOKEN"], sourceLocation: sourceLocation)
  }
}
