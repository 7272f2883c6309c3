import EtimadKit
import Foundation
import Logging
import Synchronization

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// Where SMS messages leave the daemon.
public protocol SMSGateway: Sendable {
  /// Delivers one message; throws when the gateway did not accept it (the outbox retries).
  func send(to mobile: String, body: String) async throws
}

/// The embedded default: appends each message to `sms.log` in the data directory (mode 0600),
/// so that a newcomer can read the code and complete a sign-in. The daemon's log only notes
/// that a message was written, never its text.
public struct FileSMSGateway: SMSGateway {
  public let path: String
  let logger: Logger
  private static let lock = Mutex(())

  public init(path: String, logger: Logger) {
    self.path = path
    self.logger = logger
  }

  public func send(to mobile: String, body: String) async throws {
    let line = "\(ISO8601DateFormatter().string(from: Date())) to=\(mobile) \(body)\n"
    try Self.lock.withLock { _ in
      let fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0o600)
      guard fd >= 0 else { throw GatewayError("cannot open \(path): \(String(cString: strerror(errno)))") }
      defer { close(fd) }
      let bytes = Array(line.utf8)
      guard write(fd, bytes, bytes.count) == bytes.count else { throw GatewayError("cannot write \(path)") }
    }
    let masked = (try? SaudiMobile(parsing: mobile).masked) ?? "?"
    logger.notice("SMS written to the file gateway", metadata: ["sms.to": "\(masked)", "sms.file": "\(path)"])
  }
}

/// A production gateway: `POST <url>` with a JSON body `{"to": "+9665…", "message": "…"}` and
/// `Authorization: Bearer <token>`; any 2xx is delivery.
public struct HTTPSMSGateway: SMSGateway {
  public let url: URL
  let token: String
  let timeout: TimeInterval

  public init(url: URL, token: String, timeout: TimeInterval = 10) {
    self.url = url
    self.token = token
    self.timeout = timeout
  }

  public func send(to mobile: String, body: String) async throws {
    var request = URLRequest(url: url, timeoutInterval: timeout)
    request.httpMethod = "POST"
    request.setValue("application/json", forHTTPHeaderField: "Content-Type")
    request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
    request.httpBody = try JSONSerialization.data(withJSONObject: ["to": mobile, "message": body])
    let (_, response) = try await URLSession.shared.data(for: request)
    let status = (response as? HTTPURLResponse)?.statusCode ?? 0
    guard (200..<300).contains(status) else { throw GatewayError("SMS gateway answered HTTP \(status)") }
  }
}

public struct GatewayError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
