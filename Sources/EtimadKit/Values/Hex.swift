import Foundation

public enum Hex {
  /// Lower-case hex of `bytes`. Inlinable so that each caller gets a specialised loop (a token
  /// hash is encoded on every signed-in call).
  @inlinable
  public static func encode<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> String {
    var out: [UInt8] = []
    out.reserveCapacity(Swift.max(bytes.underestimatedCount, 32) * 2)
    for byte in bytes {
      out.append(digit(byte >> 4))
      out.append(digit(byte & 0x0f))
    }
    return String(decoding: out, as: UTF8.self)
  }

  @inlinable
  static func digit(_ value: UInt8) -> UInt8 {
    value < 10 ? 0x30 + value : 0x57 + value
  }

  /// A random version-4 UUID in lower case, from the system's generator (Foundation's `UUID()`
  /// opens /dev/urandom on every call here, which cost every RPC two system calls).
  public static func randomUUID() -> String {
    var generator = SystemRandomNumberGenerator()
    var bytes = [UInt8](repeating: 0, count: 16)
    for half in 0..<2 {
      var word = generator.next()
      for index in 0..<8 {
        bytes[half * 8 + index] = UInt8(truncatingIfNeeded: word)
        word >>= 8
      }
    }
    bytes[6] = (bytes[6] & 0x0f) | 0x40
    bytes[8] = (bytes[8] & 0x3f) | 0x80
    var out: [UInt8] = []
    out.reserveCapacity(36)
    for (index, byte) in bytes.enumerated() {
      if index == 4 || index == 6 || index == 8 || index == 10 { out.append(0x2d) }
      out.append(digit(byte >> 4))
      out.append(digit(byte & 0x0f))
    }
    return String(decoding: out, as: UTF8.self)
  }
}
