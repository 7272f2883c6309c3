import EtimadServer
import Foundation
import Testing
import X509

@Suite("Development PKI in the data directory")
struct CertificateTests {
  @Test("creates the CAs and the server certificate once, with private keys 0600, and reuses them")
  func createdOnceAndReused() throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // Given an empty data directory
    let first = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    #expect(first.changes.count == 3)
    for key in [first.paths.caKey, first.paths.serverKey, first.paths.agencyCAKey] {
      let mode = try FileManager.default.attributesOfItem(atPath: key)[.posixPermissions] as? Int
      #expect(mode == 0o600, "\(key) has mode \(String(mode ?? 0, radix: 8))")
    }
    // When it is prepared again
    let second = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    // Then nothing is made anew
    #expect(second.changes.isEmpty)
    #expect(second.serverCertificatePEM == first.serverCertificatePEM)
    #expect(second.developmentCA.certificatePEM == first.developmentCA.certificatePEM)
    #expect(second.agencyCA.certificatePEM == first.agencyCA.certificatePEM)
  }

  @Test("names the server localhost, 127.0.0.1 and ::1 plus configured names, and reissues for a new name")
  func serverNames() throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let first = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    let names = try #require(try Certificate(pemEncoded: first.serverCertificatePEM).extensions.subjectAlternativeNames)
    #expect(names.contains(.dnsName("localhost")))
    let again = try ServerIdentity.prepare(
      dataDirectory: directory, serverNames: ["etimad.internal", "10.1.2.3"], now: Date())
    #expect(again.changes.count == 1)
    let renamed = try #require(
      try Certificate(pemEncoded: again.serverCertificatePEM).extensions.subjectAlternativeNames)
    #expect(renamed.contains(.dnsName("etimad.internal")))
    #expect(renamed.count == 5)
    #expect(again.developmentCA.certificatePEM == first.developmentCA.certificatePEM)
  }

  @Test("renews a server certificate that expires within 30 days, keeping the CA")
  func renewsExpiring() throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let first = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    let later = Date().addingTimeInterval(380 * 86_400)
    let renewed = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: later)
    #expect(renewed.serverCertificatePEM != first.serverCertificatePEM)
    #expect(renewed.developmentCA.certificatePEM == first.developmentCA.certificatePEM)
    let certificate = try Certificate(pemEncoded: renewed.serverCertificatePEM)
    #expect(certificate.notValidAfter > later.addingTimeInterval(300 * 86_400))
  }

  @Test("refuses a CA whose key is missing instead of silently replacing it")
  func halfCA() throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let first = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    try FileManager.default.removeItem(atPath: first.paths.caKey)
    #expect(throws: TLSSetupError.self) {
      _ = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    }
  }

  @Test("refuses an unreadable key with a message naming the file")
  func unreadableKey() throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let first = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    try "not a key".write(toFile: first.paths.agencyCAKey, atomically: true, encoding: .utf8)
    let error = #expect(throws: TLSSetupError.self) {
      _ = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    }
    #expect(error?.description.contains("agency-ca") == true)
  }
}
