import Crypto
import Foundation

/// Page sizes and page tokens of List and Search methods (AIP-158).
public struct Paging: Sendable {
  /// The size to use for a requested `page_size`: the default for 0, at most `maximum`.
  /// - Throws: INVALID_ARGUMENT for a negative size.
  public static func pageSize(
    _ requested: Int32, default standard: Int, maximum: Int, domain: String
  )
    throws(EtimadError) -> Int
  {
    guard requested >= 0 else {
      throw EtimadError.invalidFields(
        [
          .init(
            field: "page_size", reason: "NEGATIVE",
            description: LocalizedString(
              en: "page_size must not be negative.", ar: "يجب ألا يكون حجم الصفحة سالبًا."))
        ], domain: domain)
    }
    return requested == 0 ? standard : min(Int(requested), maximum)
  }

  private let key: SymmetricKey

  /// - Parameter key: the secret that signs tokens; keep it across restarts so that tokens stay
  ///   valid (the daemon keeps one in its data directory).
  public init(key: SymmetricKey) {
    self.key = key
  }

  /// An opaque token that resumes after `cursor`, bound to the request's `filters` (any stable
  /// description of the filters) and signed so that a tampered token is refused.
  public func token<Cursor: Codable>(for cursor: Cursor, filters: String) -> String {
    // Sorted keys: the same position always gets the same token (Linux's JSONEncoder orders
    // keys differently from run to run otherwise).
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    let body = (try? encoder.encode(cursor)) ?? Data()
    let mac = signature(body: body, filters: filters)
    return (body + mac).base64URLEncoded()
  }

  /// The cursor in `token`, or nil for an empty token (the first page).
  /// - Throws: INVALID_ARGUMENT when the token was altered or issued for other filters.
  public func cursor<Cursor: Codable>(
    _ type: Cursor.Type, from token: String, filters: String, domain: String
  )
    throws(EtimadError) -> Cursor?
  {
    if token.isEmpty { return nil }
    guard let raw = Data(base64URLEncoded: token), raw.count > 16 else {
      throw Self.badToken(domain: domain)
    }
    let body = raw.dropLast(16)
    guard constantTimeEqual(signature(body: Data(body), filters: filters), Data(raw.suffix(16))),
      let cursor = try? JSONDecoder().decode(Cursor.self, from: body)
    else { throw Self.badToken(domain: domain) }
    return cursor
  }

  private func signature(body: Data, filters: String) -> Data {
    var mac = HMAC<SHA256>(key: key)
    mac.update(data: Data(filters.utf8))
    mac.update(data: [0])
    mac.update(data: body)
    return Data(mac.finalize()).prefix(16)
  }

  private func constantTimeEqual(_ a: Data, _ b: Data) -> Bool {
    guard a.count == b.count else { return false }
    return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
  }

  static func badToken(domain: String) -> EtimadError {
    EtimadError.invalidFields(
      [
        .init(
          field: "page_token", reason: "INVALID_PAGE_TOKEN",
          description: LocalizedString(
            en: "page_token is not one this server issued for these filters; start again without it.",
            ar: "رمز الصفحة غير صالح لهذه المرشحات؛ ابدأ من جديد بدونه."))
      ], domain: domain)
  }
}

/// Base64 with the URL alphabet and no padding (RFC 4648 section 5), by table: Foundation's
/// `replacingOccurrences` three times over a base64 string cost more than the rest of a token.
enum Base64URL {
  private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
  private static let values: [UInt8] = {
    var table = [UInt8](repeating: 0xFF, count: 256)
    for (index, symbol) in alphabet.enumerated() { table[Int(symbol)] = UInt8(index) }
    return table
  }()

  static func encode(_ data: Data) -> String {
    var out: [UInt8] = []
    out.reserveCapacity((data.count * 4 + 2) / 3)
    var index = data.startIndex
    while index < data.endIndex {
      let available = data.distance(from: index, to: data.endIndex)
      let b0 = UInt32(data[index])
      let b1 = available > 1 ? UInt32(data[data.index(index, offsetBy: 1)]) : 0
      let b2 = available > 2 ? UInt32(data[data.index(index, offsetBy: 2)]) : 0
      let group = b0 << 16 | b1 << 8 | b2
      out.append(alphabet[Int(group >> 18 & 63)])
      out.append(alphabet[Int(group >> 12 & 63)])
      if available > 1 { out.append(alphabet[Int(group >> 6 & 63)]) }
      if available > 2 { out.append(alphabet[Int(group & 63)]) }
      index = data.index(index, offsetBy: min(3, available))
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// nil for a symbol outside the alphabet or a length no encoding produces.
  static func decode(_ text: String) -> Data? {
    let symbols = Array(text.utf8)
    guard symbols.count % 4 != 1 else { return nil }
    var out = Data()
    out.reserveCapacity(symbols.count * 3 / 4)
    var group: UInt32 = 0
    var bits = 0
    for symbol in symbols {
      let value = values[Int(symbol)]
      guard value != 0xFF else { return nil }
      group = group << 6 | UInt32(value)
      bits += 6
      if bits >= 8 {
        bits -= 8
        out.append(UInt8(truncatingIfNeeded: group >> UInt32(bits)))
      }
    }
    return out
  }
}

extension Data {
  func base64URLEncoded() -> String { Base64URL.encode(self) }

  init?(base64URLEncoded text: String) {
    guard let data = Base64URL.decode(text) else { return nil }
    self = data
  }
}
