import Foundation
import X509

/// The TLS material of a data directory: the development CA, the server certificate it signs,
/// and the agency CA. Made on first run, reused afterwards; a server certificate that expires
/// within 30 days, or lacks a configured name, is issued anew.
public struct ServerIdentity: Sendable {
  public let developmentCA: CertificateAuthority
  public let agencyCA: CertificateAuthority
  public let serverCertificatePEM: String
  public let serverKeyPEM: String
  public let paths: Paths
  /// What was created or renewed on this start, for the operator's log.
  public let changes: [String]

  /// Where the files live, under `<data-dir>/tls/`.
  public struct Paths: Sendable {
    public let directory: String
    public var caCertificate: String { directory + "/ca.pem" }
    public var caKey: String { directory + "/ca-key.pem" }
    public var serverCertificate: String { directory + "/server.pem" }
    public var serverKey: String { directory + "/server-key.pem" }
    public var agencyCACertificate: String { directory + "/agency-ca.pem" }
    public var agencyCAKey: String { directory + "/agency-ca-key.pem" }

    public init(dataDirectory: String) { self.directory = dataDirectory + "/tls" }
  }

  /// Loads or creates everything under `<dataDirectory>/tls`.
  /// - Parameter serverNames: extra DNS names or IP addresses for the server certificate.
  public static func prepare(dataDirectory: String, serverNames: [String], now: Date) throws -> ServerIdentity {
    let paths = Paths(dataDirectory: dataDirectory)
    do {
      try FileManager.default.createDirectory(
        atPath: paths.directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    } catch {
      throw TLSSetupError("cannot create \(paths.directory): \((error as NSError).localizedDescription)")
    }
    var changes: [String] = []
    let (ca, caCreated) = try CertificateAuthority.loadOrCreate(
      certificatePath: paths.caCertificate, keyPath: paths.caKey,
      commonName: "Etimad Development CA", now: now)
    if caCreated { changes.append("created development CA \(paths.caCertificate)") }
    let (agencyCA, agencyCreated) = try CertificateAuthority.loadOrCreate(
      certificatePath: paths.agencyCACertificate, keyPath: paths.agencyCAKey,
      commonName: "Etimad Agency CA", now: now)
    if agencyCreated { changes.append("created agency CA \(paths.agencyCACertificate)") }

    let names = Set(["localhost"] + serverNames.filter { IPAddressBytes.parse($0) == nil })
    let addresses = Set(["127.0.0.1", "::1"] + serverNames.filter { IPAddressBytes.parse($0) != nil })
    let files = FileManager.default
    if !caCreated, files.fileExists(atPath: paths.serverCertificate), files.fileExists(atPath: paths.serverKey),
      let existing = try? Certificate(pemEncoded: PEMFile.read(paths.serverCertificate)),
      existing.issuer == ca.certificate.subject,
      (try? ca.certificate.publicKey.isValidSignature(existing.signature, for: existing)) == true,
      existing.notValidAfter > now.addingTimeInterval(30 * 86_400),
      Self.covers(existing, names: names, addresses: addresses)
    {
      return ServerIdentity(
        developmentCA: ca, agencyCA: agencyCA,
        serverCertificatePEM: try PEMFile.read(paths.serverCertificate),
        serverKeyPEM: try PEMFile.read(paths.serverKey), paths: paths, changes: changes)
    }
    let issued = try ca.issue(
      subject: try DistinguishedName {
        CountryName("SA")
        OrganizationName("Etimad development")
        CommonName("etimadd")
      },
      dnsNames: names.sorted(), ipAddresses: addresses.sorted(), usage: .serverAuth,
      validity: 397 * 86_400, now: now)
    try PEMFile.write(issued.keyPEM, to: paths.serverKey, secret: true)
    try PEMFile.write(issued.certificatePEM, to: paths.serverCertificate, secret: false)
    changes.append(
      "issued server certificate \(paths.serverCertificate) for \((names.sorted() + addresses.sorted()).joined(separator: ", "))"
    )
    return ServerIdentity(
      developmentCA: ca, agencyCA: agencyCA, serverCertificatePEM: issued.certificatePEM,
      serverKeyPEM: issued.keyPEM, paths: paths, changes: changes)
  }

  static func covers(_ certificate: Certificate, names: Set<String>, addresses: Set<String>) -> Bool {
    guard let sans = try? certificate.extensions.subjectAlternativeNames else { return false }
    var present: Set<[UInt8]> = []
    var dns: Set<String> = []
    for name in sans {
      switch name {
      case .dnsName(let value): dns.insert(value)
      case .ipAddress(let octets): present.insert(Array(octets.bytes))
      default: break
      }
    }
    return names.isSubset(of: dns) && addresses.allSatisfy { present.contains(IPAddressBytes.parse($0) ?? []) }
  }
}
