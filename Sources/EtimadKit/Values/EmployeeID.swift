/// The employee an agency acts through, named in the `x-etimad-employee` metadata, in its one
/// canonical form: surrounding whitespace trimmed, ASCII letters folded to lower case, then 1
/// to 64 characters of `a-z 0-9 . _ - @`. Everything that compares or stores an employee
/// (four eyes, the audit trail, decisions) sees only this form, so that `E1`, `e1` and ` E1`
/// are one employee.
public enum EmployeeID {
  /// The metadata key that carries it.
  public static let metadataKey = "x-etimad-employee"
  public static let maximumLength = 64

  /// Why a value was refused.
  public enum Problem: Error, Sendable, Equatable {
    case empty, tooLong, badCharacters
  }

  /// The canonical form of `raw`, or why it is not an employee identifier.
  public static func normalized(_ raw: String) throws(Problem) -> String {
    // Trim and check the alphabet on the bytes before folding case: Unicode case mapping
    // turns some non-ASCII letters into ASCII ones (the Kelvin sign into "k").
    var bytes = Substring(raw).utf8[...]
    while let first = bytes.first, isSpace(first) { bytes.removeFirst() }
    while let last = bytes.last, isSpace(last) { bytes.removeLast() }
    guard !bytes.isEmpty else { throw .empty }
    guard bytes.count <= maximumLength else { throw .tooLong }
    var folded: [UInt8] = []
    folded.reserveCapacity(bytes.count)
    for byte in bytes {
      switch byte {
      case UInt8(ascii: "A")...UInt8(ascii: "Z"): folded.append(byte + 32)
      case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): folded.append(byte)
      case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "@"): folded.append(byte)
      default: throw .badCharacters
      }
    }
    return String(decoding: folded, as: UTF8.self)
  }

  /// Whether two stored employee values name the same employee (rows written before values
  /// were normalised compare by their canonical form too). Nil or invalid never matches.
  public static func same(_ a: String?, _ b: String?) -> Bool {
    guard let a, let b, let left = try? normalized(a), let right = try? normalized(b) else { return false }
    return left == right
  }

  private static func isSpace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
  }
}
