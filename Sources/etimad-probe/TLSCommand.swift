import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SwiftASN1
import Synchronization
import X509

/// `tls`: one TLS handshake, then what it showed: protocol version, ALPN, the chain with
/// subjects, names and expiry, and whether the chain verifies against the CA for the name.
struct TLSCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tls", abstract: "Handshake and show TLS version, ALPN, the certificate chain and its verification.")

  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    let (host, _) = try connection.hostAndPort()
    let handshake: ConnectionCheck.Handshake
    do throws(ConnectionFailure) {
      handshake = try await ConnectionCheck(connection: connection).run(verify: false)
    } catch {
      printError("error: \(error.description)")
      throw ExitCode(2)
    }
    let certificates = try handshake.chain.map { try Certificate(derEncoded: try $0.toDERBytes()) }
    let isIP = IPv4Address(host) != nil || host.contains(":")
    let verdict = try await verify(
      certificates, name: connection.serverName ?? host, ip: isIP && connection.serverName == nil ? host : nil)
    print(render(handshake, certificates, verdict: verdict, json: connection.format == .json))
    if let refusal = handshake.refusal {
      // The handshake completed, then the server refused the connection (a TLS 1.3 server
      // checks the client certificate after the client's last handshake message).
      printError("error: \(refusal.description)")
      throw ExitCode(2)
    }
    if verdict != "ok" { throw ExitCode(3) }
  }

  private func verify(_ certificates: [Certificate], name: String, ip: String?) async throws -> String {
    guard let leaf = certificates.first else { return "no certificate" }
    guard connection.caCert != nil else { return "not checked (no --tls-ca-cert)" }
    guard let roots = try TrustRoots.load(caPath: connection.caCert) else { return "not checked" }
    let reason = await TrustRoots.explain(
      certificates, leaf: leaf, roots: roots, name: ip == nil ? name : nil, ip: ip, caGiven: true)
    return reason.map { "failed: \($0)" } ?? "ok"
  }

  private func render(
    _ handshake: ConnectionCheck.Handshake, _ certificates: [Certificate], verdict: String, json: Bool
  ) -> String {
    let names = CertificateNames.of
    let iso = ISO8601DateFormatter()
    if json {
      let object: [String: Any] = [
        "address": connection.addr, "tls_version": handshake.version, "alpn": handshake.alpn ?? "",
        "verification": verdict,
        "chain": certificates.map {
          [
            "subject": "\($0.subject)", "issuer": "\($0.issuer)", "names": names($0),
            "not_before": iso.string(from: $0.notValidBefore), "not_after": iso.string(from: $0.notValidAfter),
          ] as [String: Any]
        },
      ]
      let data =
        (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])) ?? Data()
      return String(decoding: data, as: UTF8.self)
    }
    var lines = [
      "address:      \(connection.addr)",
      "tls version:  \(handshake.version)",
      "alpn:         \(handshake.alpn ?? "none")",
      "verification: \(verdict)",
    ]
    for (index, certificate) in certificates.enumerated() {
      let days = Int(certificate.notValidAfter.timeIntervalSinceNow / 86_400)
      lines.append("certificate \(index):")
      lines.append("  subject:   \(certificate.subject)")
      lines.append("  issuer:    \(certificate.issuer)")
      if !names(certificate).isEmpty { lines.append("  names:     \(names(certificate).joined(separator: ", "))") }
      lines.append("  expires:   \(iso.string(from: certificate.notValidAfter)) (in \(days) days)")
    }
    return lines.joined(separator: "\n")
  }
}

enum CertificateNames {
  /// The subject alternative names as openssl prints them: `DNS:localhost`, `IP:127.0.0.1`.
  static func of(_ certificate: Certificate) -> [String] {
    ((try? certificate.extensions.subjectAlternativeNames) ?? nil)?.map { name in
      switch name {
      case .dnsName(let dns): return "DNS:\(dns)"
      case .ipAddress(let bytes): return "IP:" + IPText.of(Array(bytes.bytes))
      default: return "\(name)"
      }
    } ?? []
  }
}

enum IPText {
  static func of(_ bytes: [UInt8]) -> String {
    if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
    return stride(from: 0, to: bytes.count, by: 2).map {
      String(format: "%x", Int(bytes[$0]) << 8 | Int(bytes[$0 + 1]))
    }
    .joined(separator: ":")
  }
}

struct IPv4Address {
  init?(_ text: String) {
    let parts = text.split(separator: ".")
    guard parts.count == 4, parts.allSatisfy({ UInt8($0) != nil }) else { return nil }
  }
}
