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
    let (host, port) = try connection.hostAndPort()
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.applicationProtocols = ["h2"]
    tls.certificateVerification = .none
    if let clientCert = connection.clientCert, let clientKey = connection.clientKey {
      tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCert).map { .certificate($0) }
      tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKey, format: .pem))
    }
    let context = try NIOSSLContext(configuration: tls)
    let serverName = connection.serverName ?? host
    let sni = IPv4Address(host) == nil && !host.contains(":") ? serverName : (connection.serverName)
    let chain = Mutex<[NIOSSLCertificate]>([])
    let observed: Handshake
    do {
      let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connectTimeout(.milliseconds(Int64(connection.connectTimeout * 1000)))
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            let handler = try NIOSSLClientHandler(
              context: context, serverHostname: sni,
              customVerificationCallback: { certificates, promise in
                chain.withLock { $0 = certificates }
                promise.succeed(.certificateVerified)
              })
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.pipeline.syncOperations.addHandler(HandshakeObserver())
          }
        }
        .connect(host: host, port: port).get()
      let observer = try await channel.pipeline.handler(type: HandshakeObserver.self).get()
      let handler = try await channel.pipeline.handler(type: NIOSSLClientHandler.self).get()
      let alpn = try await observer.completed.futureResult.get()
      observed = Handshake(version: handler.tlsVersion.map { "\($0)" } ?? "unknown", alpn: alpn)
      try await channel.close()
    } catch {
      printError("error: TLS handshake with \(connection.addr) failed: \(error)")
      throw ExitCode(2)
    }
    let certificates = try chain.withLock { $0 }.map { try Certificate(derEncoded: try $0.toDERBytes()) }
    let verdict = try await verify(certificates, name: serverName, ip: IPv4Address(host) != nil ? host : nil)
    print(render(observed, certificates, verdict: verdict, json: connection.format == .json))
    if verdict != "ok" { throw ExitCode(3) }
  }

  struct Handshake {
    let version: String
    let alpn: String?
  }

  private func verify(_ certificates: [Certificate], name: String, ip: String?) async throws -> String {
    guard let leaf = certificates.first else { return "no certificate" }
    guard let caPath = connection.caCert else { return "not checked (no --tls-ca-cert)" }
    let pem = try String(contentsOfFile: caPath, encoding: .utf8)
    let roots = try PEMDocument.parseMultiple(pemString: pem).map { try Certificate(pemDocument: $0) }
    var verifier = Verifier(rootCertificates: CertificateStore(roots)) {
      RFC5280Policy(validationTime: Date())
      ServerIdentityPolicy(serverHostname: ip == nil ? name : nil, serverIP: ip)
    }
    switch await verifier.validate(leaf: leaf, intermediates: CertificateStore(Array(certificates.dropFirst()))) {
    case .validCertificate: return "ok"
    case .couldNotValidate(let failures):
      return "failed: " + failures.map { "\($0.policyFailureReason)" }.joined(separator: "; ")
    }
  }

  private func render(_ handshake: Handshake, _ certificates: [Certificate], verdict: String, json: Bool) -> String {
    func names(_ certificate: Certificate) -> [String] {
      ((try? certificate.extensions.subjectAlternativeNames) ?? nil)?.map { name in
        switch name {
        case .dnsName(let dns): return "DNS:\(dns)"
        case .ipAddress(let bytes): return "IP:" + IPText.of(Array(bytes.bytes))
        default: return "\(name)"
        }
      } ?? []
    }
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

/// Completes its promise with the negotiated ALPN protocol when the handshake ends.
final class HandshakeObserver: ChannelInboundHandler, @unchecked Sendable {
  // Unchecked: the promise is only touched on the channel's event loop, and EventLoopPromise
  // is itself Sendable.
  typealias InboundIn = ByteBuffer
  var completed: EventLoopPromise<String?>!

  func handlerAdded(context: ChannelHandlerContext) {
    completed = context.eventLoop.makePromise()
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let event = event as? TLSUserEvent, case .handshakeCompleted(let alpn) = event {
      completed.succeed(alpn)
    }
    context.fireUserInboundEventTriggered(event)
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    completed.fail(error)
    context.close(promise: nil)
  }

  func channelInactive(context: ChannelHandlerContext) {
    completed.fail(ChannelError.ioOnClosedChannel)
    context.fireChannelInactive()
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
