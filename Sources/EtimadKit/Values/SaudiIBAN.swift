/// A Saudi International Bank Account Number: "SA", two check digits, a two-digit bank code
/// and eighteen account characters (24 in all), valid under ISO 13616's mod-97 check.
public struct SaudiIBAN: Sendable, Hashable, CustomStringConvertible {
  /// Why an IBAN was refused.
  public enum Problem: Error, Sendable, Equatable {
    case empty, notSaudi, wrongLength, badCharacters, checksum, unknownBank
  }

  /// A bank that issues Saudi IBANs.
  public struct Bank: Sendable, Hashable {
    public let code: String
    public let nameAR: String
    public let nameEN: String
  }

  /// The 24 characters, upper case, without spaces.
  public let value: String
  public let bank: Bank

  /// Reads an IBAN as typed: spaces and lower case are accepted.
  /// - Parameter requireKnownBank: refuse a bank code that is not in `banks`.
  public init(parsing text: String, requireKnownBank: Bool = true) throws(Problem) {
    let compact = Digits.normalized(text).uppercased()
    guard !compact.isEmpty else { throw .empty }
    guard compact.hasPrefix("SA") else { throw .notSaudi }
    guard compact.count == 24 else { throw .wrongLength }
    let bytes = Array(compact.utf8)
    guard bytes[2...].allSatisfy({ $0.isASCIIDigit || $0.isASCIIUpperLetter }),
      bytes[2...5].allSatisfy(\.isASCIIDigit)
    else { throw .badCharacters }
    // ISO 13616 check digits run from 02 to 98; 00, 01 and 99 are never issued.
    let checkDigits = Int(compact.dropFirst(2).prefix(2)) ?? 0
    guard (2...98).contains(checkDigits), Self.mod97(bytes) == 1 else { throw .checksum }
    let code = String(compact.dropFirst(4).prefix(2))
    if let bank = Self.banks[code] {
      self.bank = bank
    } else if requireKnownBank {
      throw .unknownBank
    } else {
      self.bank = Bank(code: code, nameAR: "", nameEN: "")
    }
    self.value = compact
  }

  /// ISO 7064 mod 97-10 over the IBAN with its first four characters moved to the end and
  /// letters read as 10...35, computed digit by digit so it never overflows.
  static func mod97(_ bytes: [UInt8]) -> Int {
    var remainder = 0
    for byte in bytes[4...] + bytes[..<4] {
      if byte.isASCIIDigit {
        remainder = (remainder * 10 + Int(byte - UInt8(ascii: "0"))) % 97
      } else {
        remainder = (remainder * 100 + Int(byte - UInt8(ascii: "A")) + 10) % 97
      }
    }
    return remainder
  }

  public var description: String { value }

  /// Bank codes of the Saudi Central Bank's IBAN structure.
  public static let banks: [String: Bank] = Dictionary(
    uniqueKeysWithValues: [
      ("05", "مصرف الإنماء", "Alinma Bank"),
      ("10", "البنك الأهلي السعودي", "Saudi National Bank"),
      ("15", "بنك البلاد", "Bank AlBilad"),
      ("20", "بنك الرياض", "Riyad Bank"),
      ("30", "البنك العربي الوطني", "Arab National Bank"),
      ("40", "البنك الأهلي السعودي (سامبا)", "Saudi National Bank (Samba)"),
      ("45", "البنك السعودي الأول", "Saudi Awwal Bank"),
      ("50", "البنك السعودي الأول (الأول)", "Saudi Awwal Bank (Alawwal)"),
      ("55", "البنك السعودي الفرنسي", "Banque Saudi Fransi"),
      ("60", "بنك الجزيرة", "Bank AlJazira"),
      ("65", "البنك السعودي للاستثمار", "Saudi Investment Bank"),
      ("71", "بنك البحرين الوطني", "National Bank of Bahrain"),
      ("75", "بنك الكويت الوطني", "National Bank of Kuwait"),
      ("76", "بنك مسقط", "Bank Muscat"),
      ("80", "مصرف الراجحي", "Al Rajhi Bank"),
      ("81", "دويتشه بنك", "Deutsche Bank"),
      ("82", "بنك باكستان الوطني", "National Bank of Pakistan"),
      ("83", "بنك الدولة الهندي", "State Bank of India"),
      ("84", "بنك زراعات التركي", "T.C. Ziraat Bankasi"),
      ("85", "بي إن بي باريبا", "BNP Paribas"),
      ("86", "جي بي مورقان", "J.P. Morgan Chase"),
      ("87", "البنك الصناعي والتجاري الصيني", "Industrial and Commercial Bank of China"),
      ("90", "بنك الخليج الدولي", "Gulf International Bank"),
      ("95", "بنك الإمارات دبي الوطني", "Emirates NBD"),
    ].map { ($0.0, Bank(code: $0.0, nameAR: $0.1, nameEN: $0.2)) })
}

extension UInt8 {
  var isASCIIDigit: Bool { self >= UInt8(ascii: "0") && self <= UInt8(ascii: "9") }
  var isASCIIUpperLetter: Bool { self >= UInt8(ascii: "A") && self <= UInt8(ascii: "Z") }
}
