/// Digit handling shared by every identifier the platform reads from people.
public enum Digits {
  /// Folds Arabic-Indic (U+0660-U+0669) and Extended Arabic-Indic (U+06F0-U+06F9) digits to
  /// ASCII and drops spaces, dashes and the invisible marks phones paste into copied numbers.
  public static func normalized(_ text: String) -> String {
    var out = String.UnicodeScalarView()
    for scalar in text.unicodeScalars {
      switch scalar.value {
      case 0x0660...0x0669: out.append(Unicode.Scalar(scalar.value - 0x0660 + 0x30)!)
      case 0x06F0...0x06F9: out.append(Unicode.Scalar(scalar.value - 0x06F0 + 0x30)!)
      case 0x20, 0x2D, 0x00A0, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: continue
      default: out.append(scalar)
      }
    }
    return String(out)
  }

  /// Whether every character is an ASCII digit (and there is at least one).
  public static func allASCIIDigits(_ text: String) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
  }

  /// An integer in ASCII digits, zeros in front up to `width` (a minus sign first, as printf
  /// does). For identifiers and dates instead of `String(format: "%0Nd")`, which reads a 32-bit
  /// C `int` on Linux: a Swift `Int` above 2^31 comes out wrapped (300000000000 as -00647710720).
  public static func zeroPadded(_ value: some BinaryInteger, width: Int) -> String {
    let digits = String(value.magnitude)
    let sign = value < 0 ? "-" : ""
    let zeros = max(0, width - sign.count - digits.count)
    return sign + String(repeating: "0", count: zeros) + digits
  }
}
