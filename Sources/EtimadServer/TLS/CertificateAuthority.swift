import Crypto
import Foundation
import SwiftASN1
import X509

/// A certificate authority kept as two PEM files: the CA certificate and its key (0600).
/// The daemon keeps two: the development CA that signs the server certificate, and the agency
/// CA that signs agencies' client certificates for the mutual-TLS port.
public struct CertificateAuthority: Sendable {
  public let certificate: Certificate
  public let certificatePEM: String
  let key: P256.Signing.PrivateKey

  /// Loads the CA from `certificatePath` and `keyPath`, or creates and writes it when neither
  /// file exists. One without the other is an error: the operator must look, not the daemon guess.
  public static func loadOrCreate(
    certificatePath: String, keyPath: String, commonName: String, now: Date
  ) throws -> (authority: CertificateAuthority, created: Bool) {
    let files = FileManager.default
    switch (files.fileExists(atPath: certificatePath), files.fileExists(atPath: keyPath)) {
    case (true, true):
      return (try load(certificatePath: certificatePath, keyPath: keyPath), false)
    case (false, false):
      let authority = try create(commonName: commonName, now: now)
      try PEMFile.write(authority.certificatePEM, to: certificatePath, secret: false)
      try PEMFile.write(authority.key.pemRepresentation, to: keyPath, secret: true)
      return (authority, true)
    default:
      throw TLSSetupError(
        "found only one of \(certificatePath) and \(keyPath); restore the other or remove both to create a new CA")
    }
  }

  static func load(certificatePath: String, keyPath: String) throws -> CertificateAuthority {
    let certificatePEM = try PEMFile.read(certificatePath)
    let keyPEM = try PEMFile.read(keyPath)
    do {
      let certificate = try Certificate(pemEncoded: certificatePEM)
      let key = try P256.Signing.PrivateKey(pemRepresentation: keyPEM)
      guard certificate.publicKey == Certificate.PublicKey(key.publicKey) else {
        throw TLSSetupError("the key in \(keyPath) does not belong to the certificate in \(certificatePath)")
      }
      return CertificateAuthority(certificate: certificate, certificatePEM: certificatePEM, key: key)
    } catch let error as TLSSetupError {
      throw error
    } catch {
      throw TLSSetupError("cannot read the CA in \(certificatePath) / \(keyPath): \(error)")
    }
  }

  /// A new self-signed CA (P-256), valid ten years.
  public static func create(commonName: String, now: Date) throws -> CertificateAuthority {
    let key = P256.Signing.PrivateKey()
    let name = try DistinguishedName {
      CountryName("SA")
      OrganizationName("Etimad development")
      CommonName(commonName)
    }
    let publicKey = Certificate.PublicKey(key.publicKey)
    let certificate = try Certificate(
      version: .v3,
      serialNumber: Certificate.SerialNumber(),
      publicKey: publicKey,
      notValidBefore: now.addingTimeInterval(-3600),
      notValidAfter: now.addingTimeInterval(10 * 365 * 86_400),
      issuer: name,
      subject: name,
      signatureAlgorithm: .ecdsaWithSHA256,
      extensions: try Certificate.Extensions {
        Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
        Critical(KeyUsage(digitalSignature: true, keyCertSign: true, cRLSign: true))
        SubjectKeyIdentifier(hash: publicKey)
      },
      issuerPrivateKey: Certificate.PrivateKey(key)
    )
    return CertificateAuthority(
      certificate: certificate, certificatePEM: try certificate.serializeAsPEM().pemString, key: key)
  }

  /// A leaf certificate signed by this CA, with a new P-256 key.
  /// - Parameters:
  ///   - subject: the leaf's subject.
  ///   - dnsNames: DNS SANs; `ipAddresses` IP SANs (IPv4 or IPv6 text).
  ///   - usage: `.serverAuth` for the server, `.clientAuth` for agencies.
  public func issue(
    subject: DistinguishedName, dnsNames: [String] = [], ipAddresses: [String] = [],
    usage: ExtendedKeyUsage.Usage, validity: TimeInterval, now: Date
  ) throws -> IssuedCertificate {
    let key = P256.Signing.PrivateKey()
    let publicKey = Certificate.PublicKey(key.publicKey)
    var names: [GeneralName] = dnsNames.map { .dnsName($0) }
    for address in ipAddresses {
      guard let bytes = IPAddressBytes.parse(address) else {
        throw TLSSetupError("'\(address)' is not an IPv4 or IPv6 address")
      }
      names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(bytes))))
    }
    let authorityKeyID = try certificate.extensions.subjectKeyIdentifier?.keyIdentifier
    let certificate = try Certificate(
      version: .v3,
      serialNumber: Certificate.SerialNumber(),
      publicKey: publicKey,
      notValidBefore: now.addingTimeInterval(-3600),
      notValidAfter: now.addingTimeInterval(validity),
      issuer: self.certificate.subject,
      subject: subject,
      signatureAlgorithm: .ecdsaWithSHA256,
      extensions: try Certificate.Extensions {
        Critical(BasicConstraints.notCertificateAuthority)
        Critical(KeyUsage(digitalSignature: true))
        try ExtendedKeyUsage([usage])
        SubjectKeyIdentifier(hash: publicKey)
        if let authorityKeyID { AuthorityKeyIdentifier(keyIdentifier: authorityKeyID) }
        if !names.isEmpty { SubjectAlternativeNames(names) }
      },
      issuerPrivateKey: Certificate.PrivateKey(self.key)
    )
    return IssuedCertificate(
      certificate: certificate,
      certificatePEM: try certificate.serializeAsPEM().pemString,
      keyPEM: key.pemRepresentation)
  }
}

/// A leaf certificate with its key, as PEM.
public struct IssuedCertificate: Sendable {
  public let certificate: Certificate
  public let certificatePEM: String
  public let keyPEM: String
}

/// A TLS setup problem the operator must fix; its message says what and where.
public struct TLSSetupError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}

enum IPAddressBytes {
  /// The network-order bytes of an IPv4 or IPv6 address in text form.
  static func parse(_ text: String) -> [UInt8]? {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      return withUnsafeBytes(of: &v4) { Array($0) }
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
      return withUnsafeBytes(of: &v6) { Array($0) }
    }
    return nil
  }
}

/// Reading and writing PEM files with the right permissions.
enum PEMFile {
  static func read(_ path: String) throws -> String {
    do {
      return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw TLSSetupError("cannot read \(path): \((error as NSError).localizedDescription)")
    }
  }

  /// Writes atomically; secrets get mode 0600 before any byte is written.
  static func write(_ pem: String, to path: String, secret: Bool) throws {
    let temporary = path + ".tmp"
    let mode: mode_t = secret ? 0o600 : 0o644
    let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, mode)
    guard fd >= 0 else { throw TLSSetupError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
    fchmod(fd, mode)
    let bytes = Array(pem.utf8)
    let written = bytes.withUnsafeBytes { Foundation.write(fd, $0.baseAddress, $0.count) }
    fsync(fd)
    close(fd)
    guard written == bytes.count, rename(temporary, path) == 0 else {
      throw TLSSetupError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
  }
}
