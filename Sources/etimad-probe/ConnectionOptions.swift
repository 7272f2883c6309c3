import ArgumentParser
import Etimad
import Foundation
import GRPCCore

/// How to reach the daemon; the flags of grpcurl and grpc_health_probe.
struct ConnectionOptions: ParsableArguments {
  @Option(help: "The daemon's address, host:port.")
  var addr = "localhost:7443"

  @Option(name: .customLong("tls-ca-cert"), help: "PEM CA certificate to trust (the daemon's data-dir/tls/ca.pem).")
  var caCert: String?

  @Option(name: .customLong("tls-client-cert"), help: "PEM client certificate (agency port).")
  var clientCert: String?

  @Option(name: .customLong("tls-client-key"), help: "PEM client key (agency port).")
  var clientKey: String?

  @Option(name: .customLong("tls-server-name"), help: "Name to verify the server certificate against.")
  var serverName: String?

  @Option(
    name: .customShort("H"),
    help: "Metadata 'key: value' sent on the call and on reflection calls (repeatable), as grpcurl's -H.")
  var headers: [String] = []

  @Option(
    name: .customLong("rpc-header"),
    help: "Metadata 'key: value' sent on the call only, never on reflection (repeatable), as grpcurl's.")
  var rpcHeaders: [String] = []

  @Option(help: "Seconds to wait for the connection.")
  var connectTimeout = 5.0

  @Option(help: "Seconds to wait for each call.")
  var rpcTimeout = 10.0

  @Option(help: "Output format: text or json.")
  var format: OutputFormat = .text

  func validate() throws {
    guard (try? hostAndPort()) != nil else { throw ValidationError("--addr must be host:port, not '\(addr)'") }
    guard (clientCert == nil) == (clientKey == nil) else {
      throw ValidationError("--tls-client-cert and --tls-client-key go together")
    }
    guard connectTimeout > 0, rpcTimeout > 0 else { throw ValidationError("timeouts must be positive") }
    _ = try rpcMetadata()
  }

  func hostAndPort() throws -> (host: String, port: Int) {
    var text = addr
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
      let host = String(text[text.index(after: text.startIndex)..<close])
      text = String(text[text.index(after: close)...])
      guard text.hasPrefix(":"), let port = Int(text.dropFirst()), (1...65535).contains(port) else {
        throw ValidationError("bad address")
      }
      return (host, port)
    }
    guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
      (1...65535).contains(port), colon != text.startIndex
    else { throw ValidationError("bad address") }
    return (String(text[..<colon]), port)
  }

  /// The `-H` headers: sent on every call, reflection included.
  func metadata() throws -> Metadata {
    try Self.parse(headers, flag: "-H")
  }

  /// The headers of the RPC itself: `-H` and `--rpc-header`.
  func rpcMetadata() throws -> Metadata {
    var metadata = try metadata()
    metadata.add(contentsOf: try Self.parse(rpcHeaders, flag: "--rpc-header"))
    return metadata
  }

  static func parse(_ headers: [String], flag: String) throws -> Metadata {
    var metadata = Metadata()
    for header in headers {
      guard let colon = header.firstIndex(of: ":") else {
        throw ValidationError("\(flag) takes 'key: value', not '\(header)'")
      }
      let key = header[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
      let value = header[header.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      guard !key.isEmpty else { throw ValidationError("\(flag) needs a key: '\(header)'") }
      metadata.addString(value, forKey: key)
    }
    return metadata
  }

  func readFile(_ path: String, _ what: String) throws -> String {
    do {
      return try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw ValidationError("cannot read \(what) \(path): \((error as NSError).localizedDescription)")
    }
  }

  func clientConfiguration() throws -> EtimadClient.Configuration {
    let (host, port) = try hostAndPort()
    var configuration = EtimadClient.Configuration(
      host: host, port: port, serverName: serverName, defaultTimeout: .milliseconds(Int64(rpcTimeout * 1000)))
    if let caCert { configuration.trustRootsPEM = [try readFile(caCert, "CA certificate")] }
    if let clientCert, let clientKey {
      configuration.clientIdentity = (
        try readFile(clientCert, "client certificate"), try readFile(clientKey, "client key")
      )
    }
    return configuration
  }

  /// Call options with the RPC deadline and, when `waitForReady`, time to connect as well.
  func callOptions(waitForReady: Bool = true) -> CallOptions {
    var options = CallOptions.defaults
    options.timeout = .milliseconds(Int64((rpcTimeout + (waitForReady ? connectTimeout : 0)) * 1000))
    options.waitForReady = waitForReady
    return options
  }
}

extension ConnectionOptions {
  /// Checks that the daemon can be reached before any call, printing the cause on standard
  /// error and exiting `exitCode` when it cannot (see `ConnectionCheck`).
  func checkReachable(exitCode: ExitCode = RPCError.Code.unavailable.exitCode) async throws {
    do throws(ConnectionFailure) {
      _ = try await ConnectionCheck(connection: self).run(verify: true).refusalThrown()
    } catch {
      if format == .json {
        let object = ["code": "UNAVAILABLE", "message": error.description]
        if let data = try? JSONSerialization.data(
          withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        {
          printError(String(decoding: data, as: UTF8.self))
        }
      } else {
        printError("error: \(error.description)")
      }
      throw exitCode
    }
  }
}

extension ConnectionCheck.Handshake {
  /// The handshake, or the server's refusal after it as an error.
  func refusalThrown() throws(ConnectionFailure) -> Self {
    if let refusal { throw refusal }
    return self
  }
}

enum OutputFormat: String, ExpressibleByArgument, Sendable {
  case text, json
}

extension RPCError.Code {
  /// The probe's exit code for a call that failed with this code: 64 + the code's number.
  var exitCode: ExitCode { ExitCode(Int32(64 + rawValue)) }
}
