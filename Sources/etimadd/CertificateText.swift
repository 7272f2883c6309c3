import Foundation
import X509

/// Certificate facts as OpenSSL prints them, so that an operator can compare our output with
/// `openssl x509 -serial -noout -in CERT` and `openssl x509 -text -noout -in CERT` at a glance.
enum CertificateText {
  /// A serial number as `openssl x509 -serial` prints it: upper-case hex, two digits a byte,
  /// without the sign byte DER adds before a high bit.
  static func serial(_ bytes: some Collection<UInt8>) -> String {
    var magnitude = Array(bytes.drop { $0 == 0 })
    if magnitude.isEmpty { magnitude = [0] }
    return magnitude.map { String(format: "%02X", $0) }.joined()
  }

  /// A serial as the agency registry stores it (swift-certificates' `a:3f:...`, hex bytes
  /// without leading zeros) in OpenSSL's form; anything else unchanged.
  static func serial(stored: String) -> String {
    let bytes = stored.split(separator: ":", omittingEmptySubsequences: false).map { UInt8($0, radix: 16) }
    guard !bytes.isEmpty, bytes.allSatisfy({ $0 != nil }) else { return stored }
    return serial(bytes.compactMap { $0 })
  }

  /// A subject alternative name as OpenSSL prints it: `DNS:localhost`, `IP Address:127.0.0.1`,
  /// `IP Address:0:0:0:0:0:0:0:1`.
  static func name(_ name: GeneralName) -> String {
    switch name {
    case .dnsName(let dns): "DNS:\(dns)"
    case .rfc822Name(let mail): "email:\(mail)"
    case .uniformResourceIdentifier(let uri): "URI:\(uri)"
    case .directoryName(let directory): "DirName:\(directory)"
    case .ipAddress(let octets): "IP Address:\(address(Array(octets.bytes)))"
    case .registeredID(let oid): "Registered ID:\(oid)"
    case .otherName, .x400Address, .ediPartyName: "\(name)"
    }
  }

  private static func address(_ bytes: [UInt8]) -> String {
    switch bytes.count {
    case 4:
      return bytes.map(String.init).joined(separator: ".")
    case 16:
      return stride(from: 0, to: 16, by: 2).map {
        String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16, uppercase: true)
      }
      .joined(separator: ":")
    default:
      return "<invalid>"
    }
  }
}
