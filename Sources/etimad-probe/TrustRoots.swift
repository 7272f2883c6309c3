import Foundation
import NIOSSL
import SwiftASN1
import X509

/// The roots a server certificate is checked against, and the reason a chain fails in words an
/// operator can act on.
enum TrustRoots {
  /// Where Linux distributions keep the system's roots.
  static let systemBundles = [
    "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/cert.pem",
  ]

  /// The CA file's certificates, or the system's when no file is given (none when the system
  /// has no bundle: the gRPC transport reads the same files, so it would trust nothing either).
  static func load(caPath: String?) throws -> [Certificate]? {
    if let caPath {
      let pem: String
      do {
        pem = try String(contentsOfFile: caPath, encoding: .utf8)
      } catch {
        throw ConnectionFailure(address: caPath, cause: "cannot read the CA certificate file")
      }
      let roots =
        (try? PEMDocument.parseMultiple(pemString: pem).compactMap { try? Certificate(pemDocument: $0) }) ?? []
      guard !roots.isEmpty else {
        throw ConnectionFailure(address: caPath, cause: "no PEM certificate in the CA certificate file")
      }
      return roots
    }
    for path in systemBundles {
      guard let pem = try? String(contentsOfFile: path, encoding: .utf8),
        let documents = try? PEMDocument.parseMultiple(pemString: pem)
      else { continue }
      return documents.compactMap { try? Certificate(pemDocument: $0) }
    }
    return []
  }

  /// Why `chain` does not verify against `roots` for the name (or IP), or nil when it does.
  static func explain(
    _ chain: [NIOSSLCertificate], roots: [Certificate], name: String?, ip: String?, caGiven: Bool
  ) async -> String? {
    guard let certificates = try? chain.map({ try Certificate(derEncoded: try $0.toDERBytes()) }),
      let leaf = certificates.first
    else { return "the server sent no certificate it could parse" }
    return await explain(certificates, leaf: leaf, roots: roots, name: name, ip: ip, caGiven: caGiven)
  }

  static func explain(
    _ certificates: [Certificate], leaf: Certificate, roots: [Certificate], name: String?, ip: String?,
    caGiven: Bool
  ) async -> String? {
    var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
      RFC5280Policy(validationTime: Date())
      ServerIdentityPolicy(serverHostname: name, serverIP: ip)
    }
    let result = await verifier.validate(
      leaf: leaf, intermediates: CertificateStore(Array(certificates.dropFirst())))
    guard case .couldNotValidate(let failures) = result else { return nil }
    if failures.isEmpty {
      // No chain reached a root at all.
      let issuer = certificates.last?.issuer.description ?? "?"
      return "certificate signed by an unknown authority (issuer \(issuer)); "
        + (caGiven
          ? "--tls-ca-cert is not the CA that issued it"
          : "pass the daemon's CA with --tls-ca-cert (its data-dir/tls/ca.pem)")
    }
    let reasons = Set(failures.map { "\($0.policyFailureReason)" }.filter { !$0.isEmpty }).sorted()
    if !reasons.isEmpty, reasons.allSatisfy({ $0.lowercased().contains("name") || $0.lowercased().contains("ip") }) {
      let names = CertificateNames.of(leaf)
      return "the certificate is not valid for \(name ?? ip ?? "?") (its names: \(names.joined(separator: ", "))); "
        + "use --tls-server-name: \(reasons.joined(separator: "; "))"
    }
    return "certificate verification failed: "
      + (reasons.isEmpty ? "no chain to a trusted root" : reasons.joined(separator: "; "))
  }
}
