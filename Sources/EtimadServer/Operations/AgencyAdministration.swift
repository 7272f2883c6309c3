import EtimadIdentity
import EtimadKit
import Foundation
import X509

/// The operator's agency commands: register an agency and issue its client certificate (signed
/// by the agency CA, the agency code as the subject's common name), reissue, revoke.
public struct AgencyAdministration: Sendable {
  public let registry: AgencyRegistry
  /// The data directory's database, opened and migrated.
  public let database: EtimadDatabase
  let identity: ServerIdentity
  let clock: any WallClock

  public init(dataDirectory: String, clock: any WallClock = SystemClock()) throws {
    try FileManager.default.createDirectory(
      atPath: dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let database = try EtimadDatabase(
      path: dataDirectory + "/etimad.sqlite", migrations: ServiceAreasCatalog.migrations,
      connectionSetup: ServiceAreasCatalog.connectionSetup, clock: clock)
    self.database = database
    self.registry = AgencyRegistry(database: database)
    self.identity = try ServerIdentity.prepare(dataDirectory: dataDirectory, serverNames: [], now: clock.now)
    self.clock = clock
  }

  /// Where an agency's certificate and key were written.
  public struct Issued: Sendable {
    public let certificatePath: String
    public let keyPath: String
    public let serial: String
    public let notValidAfter: Date
  }

  public func add(
    code: String, nameAr: String, nameEn: String, outputDirectory: String, operator user: String
  )
    async throws -> Issued
  {
    guard AgencyRegistry.validCode(code) else {
      throw RegistryError("agency code '\(code)' must be 2-16 upper-case letters, digits or dashes")
    }
    guard !nameAr.isEmpty, !nameEn.isEmpty else { throw RegistryError("--name-ar and --name-en are required") }
    if try await registry.agency(code) != nil {
      throw RegistryError("agency \(code) is already registered; use 'agency reissue \(code)' for a new certificate")
    }
    let issued = try issue(code: code, nameEn: nameEn)
    try await registry.add(code: code, nameAr: nameAr, nameEn: nameEn, serial: issued.serial, operator: user)
    return try write(issued, code: code, to: outputDirectory)
  }

  public func reissue(code: String, outputDirectory: String, operator user: String) async throws -> Issued {
    guard let agency = try await registry.agency(code) else {
      throw RegistryError("no agency \(code); 'agency list' shows the registered ones")
    }
    let issued = try issue(code: code, nameEn: agency.nameEn)
    try await registry.reissue(code: code, serial: issued.serial, operator: user)
    return try write(issued, code: code, to: outputDirectory)
  }

  private func issue(code: String, nameEn: String) throws -> (certificate: IssuedCertificate, serial: String) {
    let certificate = try identity.agencyCA.issue(
      subject: try DistinguishedName {
        CountryName("SA")
        OrganizationName(nameEn)
        OrganizationalUnitName("Etimad agency")
        CommonName(code)
      }, usage: .clientAuth, validity: 365 * 86_400, now: clock.now)
    return (certificate, certificate.certificate.serialNumber.description)
  }

  private func write(
    _ issued: (certificate: IssuedCertificate, serial: String), code: String, to directory: String
  )
    throws -> Issued
  {
    try FileManager.default.createDirectory(
      atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    let certificatePath = directory + "/\(code).pem"
    let keyPath = directory + "/\(code)-key.pem"
    try PEMFile.write(issued.certificate.keyPEM, to: keyPath, secret: true)
    try PEMFile.write(issued.certificate.certificatePEM, to: certificatePath, secret: false)
    return Issued(
      certificatePath: certificatePath, keyPath: keyPath, serial: issued.serial,
      notValidAfter: issued.certificate.certificate.notValidAfter)
  }
}
