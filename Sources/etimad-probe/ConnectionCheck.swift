import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import Synchronization
import X509

/// One connection made by hand before any call: TCP, the TLS handshake, and the server's first
/// HTTP/2 bytes. gRPC's transport retries a failed connection until the deadline, so every
/// failure would read as a timeout; this check says at once what went wrong (connection
/// refused, an untrusted certificate, the agency port without a client certificate, a
/// plaintext port, a host name that does not resolve).
struct ConnectionCheck {
  /// What a completed handshake showed.
  struct Handshake: Sendable {
    let version: String
    let alpn: String?
    /// The server's chain as sent, leaf first.
    let chain: [NIOSSLCertificate]
    /// Why the server refused the connection after the handshake, if it did (TLS 1.3 servers
    /// check a client certificate after the client considers the handshake done).
    let refusal: ConnectionFailure?
  }

  let connection: ConnectionOptions

  /// Connects, shakes hands and waits for the server's first bytes. With `verify`, the chain
  /// is checked as the gRPC transport checks it and an untrusted chain fails with its reason;
  /// without, any chain is accepted (the `tls` command verifies it afterwards).
  func run(verify: Bool) async throws(ConnectionFailure) -> Handshake {
    let address = connection.addr
    let seconds = connection.connectTimeout
    do {
      return try await attempt(verify: verify)
    } catch let failure as ConnectionFailure {
      throw failure
    } catch {
      throw ConnectionFailure(address: address, cause: Self.cause(of: error, seconds: seconds, connection: connection))
    }
  }

  private func attempt(verify: Bool) async throws -> Handshake {
    let (host, port) = try connection.hostAndPort()
    var tls = TLSConfiguration.makeClientConfiguration()
    tls.applicationProtocols = ["h2"]
    tls.minimumTLSVersion = .tlsv12
    // Verification happens in the callback below, with reasons BoringSSL does not give; the
    // callback's verdict counts only when the peer is verified at all (not with `.none`).
    tls.certificateVerification = verify ? .noHostnameVerification : .none
    if let clientCert = connection.clientCert, let clientKey = connection.clientKey {
      tls.certificateChain = try NIOSSLCertificate.fromPEMFile(clientCert).map { .certificate($0) }
      tls.privateKey = .privateKey(try NIOSSLPrivateKey(file: clientKey, format: .pem))
    }
    let context = try NIOSSLContext(configuration: tls)
    let isIP = IPv4Address(host) != nil || host.contains(":")
    let name = connection.serverName ?? host
    let sni = isIP ? connection.serverName : name
    let trust = verify ? try TrustRoots.load(caPath: connection.caCert) : nil
    let rejection = Rejection()
    let chain = Mutex<[NIOSSLCertificate]>([])
    let timeout = TimeAmount.milliseconds(Int64(connection.connectTimeout * 1000))
    let loop = MultiThreadedEventLoopGroup.singleton.next()
    let answer = loop.makePromise(of: FirstAnswer.Outcome.self)
    let channel: any Channel
    do {
      channel = try await ClientBootstrap(group: loop)
        .connectTimeout(timeout)
        .channelInitializer { channel in
          channel.eventLoop.makeCompletedFuture {
            let handler = try NIOSSLClientHandler(
              context: context, serverHostname: sni,
              customVerificationCallback: { certificates, promise in
                chain.withLock { $0 = certificates }
                guard let trust else { return promise.succeed(.certificateVerified) }
                Task {
                  let reason = await TrustRoots.explain(
                    certificates, roots: trust, name: isIP ? nil : name, ip: isIP ? host : nil,
                    caGiven: connection.caCert != nil)
                  rejection.reason.withLock { $0 = reason }
                  promise.succeed(reason == nil ? .certificateVerified : .failed)
                }
              })
            try channel.pipeline.syncOperations.addHandler(handler)
            try channel.pipeline.syncOperations.addHandler(FirstAnswer(answer))
          }
        }
        .connect(host: host, port: port).get()
    } catch {
      answer.fail(error)
      throw error
    }
    // The whole check, handshake and first bytes included, gets the connect timeout.
    let deadline = loop.scheduleTask(in: timeout) { answer.fail(CheckTimeout()) }
    defer {
      deadline.cancel()
      channel.close(promise: nil)
    }
    let outcome: FirstAnswer.Outcome
    do {
      outcome = try await answer.futureResult.get()
    } catch {
      if let reason = rejection.reason.withLock({ $0 }) {
        throw ConnectionFailure(address: connection.addr, cause: reason)
      }
      throw error
    }
    let refusal = outcome.error.map {
      ConnectionFailure(
        address: connection.addr, cause: Self.cause(of: $0, seconds: connection.connectTimeout, connection: connection))
    }
    return Handshake(
      version: outcome.version, alpn: outcome.alpn, chain: chain.withLock { $0 }, refusal: refusal)
  }

  struct CheckTimeout: Error {}
  struct ClosedAfterHandshake: Error {}

  /// The cause of a failed connection in an operator's words.
  static func cause(of error: any Error, seconds: Double, connection: ConnectionOptions) -> String {
    let hasClientCertificate = connection.clientCert != nil
    if let error = error as? NIOConnectionError {
      if error.dnsAError != nil || error.dnsAAAAError != nil, error.connectionErrors.isEmpty {
        return "cannot resolve host name '\(error.host)'"
      }
      if let first = error.connectionErrors.first {
        return cause(of: first.error, seconds: seconds, connection: connection)
      }
      return "cannot resolve host name '\(error.host)'"
    }
    if let error = error as? IOError {
      switch error.errnoCode {
      case ECONNREFUSED: return "connection refused (nothing listens on \(connection.addr))"
      case ENETUNREACH, EHOSTUNREACH: return "host unreachable"
      case ETIMEDOUT: return "no TCP connection within \(format(seconds)) s"
      default: return "\(error)"
      }
    }
    if let error = error as? ChannelError, case .connectTimeout = error {
      return "no TCP connection within \(format(seconds)) s"
    }
    if error is ClosedAfterHandshake {
      return hasClientCertificate
        ? "the server closed the connection after the TLS handshake (the client certificate refused?)"
        : "the server closed the connection after the TLS handshake; if this is the agency port, it requires a client "
          + "certificate: pass --tls-client-cert and --tls-client-key"
    }
    if error is CheckTimeout { return "connected, but no TLS/HTTP/2 answer within \(format(seconds)) s" }
    if error is SocketAddressError { return "cannot resolve host name: \(error)" }
    let text = "\(error)"
    if text.contains("CERTIFICATE_REQUIRED") || (!hasClientCertificate && text.contains("HANDSHAKE_FAILURE")) {
      return "the server requires a client certificate (the agency port): pass --tls-client-cert and --tls-client-key"
    }
    if hasClientCertificate,
      ["UNKNOWN_CA", "BAD_CERTIFICATE", "CERTIFICATE_UNKNOWN", "HANDSHAKE_FAILURE", "CERTIFICATE_REVOKED"].contains(
        where: text.contains)
    {
      return "the server refused the client certificate (not issued by its agency CA?): \(text)"
    }
    if ["WRONG_VERSION_NUMBER", "HTTP_REQUEST", "PACKET_LENGTH_TOO_LONG", "RECORD_TOO_LARGE", "UNEXPECTED_RECORD"]
      .contains(where: text.contains)
    {
      return "not a TLS server (it answered in plaintext; the metrics port?)"
    }
    if error is NIOSSLError || error is BoringSSLError {
      if case .uncleanShutdown = error as? NIOSSLError {
        return "the server closed the connection during the TLS handshake (not a TLS server?)"
      }
      return "TLS handshake failed: \(text)"
    }
    if let error = error as? ChannelError, error == .ioOnClosedChannel || error == .eof {
      return "the server closed the connection before answering"
    }
    return text
  }

  private static func format(_ seconds: Double) -> String {
    seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
  }
}

/// Why the probe could not reach the daemon; its exit code is 2 for `health`, 64 +
/// UNAVAILABLE for the rest.
struct ConnectionFailure: Error, CustomStringConvertible, Sendable {
  let address: String
  let cause: String
  var description: String { "cannot connect to \(address): \(cause)" }
}

/// Completes its promise when the server's first bytes arrive after the handshake (the HTTP/2
/// SETTINGS a server sends unasked), or when the connection fails or closes first. It writes
/// nothing: bytes the server never reads would turn its close into a reset that can discard
/// the alert saying why. Every path completes the promise,
/// so none is ever left pending.
final class FirstAnswer: ChannelInboundHandler, @unchecked Sendable {
  // Unchecked: `alpn` is only touched on the channel's event loop; the promise is Sendable.
  typealias InboundIn = ByteBuffer

  struct Outcome: Sendable {
    let version: String
    let alpn: String?
    /// Set when the server refused the connection after the handshake completed.
    let error: (any Error & Sendable)?
  }

  private let promise: EventLoopPromise<Outcome>
  private var alpn: String?
  private var version = "unknown"
  private var handshakeDone = false

  init(_ promise: EventLoopPromise<Outcome>) { self.promise = promise }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    if let event = event as? TLSUserEvent, case .handshakeCompleted(let negotiated) = event {
      alpn = negotiated
      handshakeDone = true
      if let tls = try? context.pipeline.syncOperations.handler(type: NIOSSLClientHandler.self).tlsVersion {
        version = "\(tls)"
      }
    }
    context.fireUserInboundEventTriggered(event)
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    promise.succeed(Outcome(version: version, alpn: alpn, error: nil))
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    if handshakeDone {
      promise.succeed(Outcome(version: version, alpn: alpn, error: SendableError(error)))
    } else {
      promise.fail(error)
    }
    context.close(promise: nil)
  }

  func channelInactive(context: ChannelHandlerContext) {
    if handshakeDone {
      promise.succeed(Outcome(version: version, alpn: alpn, error: ConnectionCheck.ClosedAfterHandshake()))
    } else {
      promise.fail(ChannelError.eof)
    }
    context.fireChannelInactive()
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    promise.fail(ChannelError.ioOnClosedChannel)
  }
}

/// An error carried across threads by its description (NIOSSL's errors are Sendable; this
/// keeps the outcome Sendable whatever the error type).
struct SendableError: Error, CustomStringConvertible, Sendable {
  let description: String
  init(_ error: any Error) { description = "\(error)" }
}

/// Why the verification callback refused the chain, handed from its task to the check.
final class Rejection: Sendable {
  let reason = Mutex<String?>(nil)
}
