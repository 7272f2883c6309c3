import Crypto
import Foundation

/// A random 256-bit secret kept in the data directory (mode 0600), from which the daemon
/// derives the keys that must survive restarts: page-token signing, one-time-code hashing.
public struct ServerSecret: Sendable {
  private let key: SymmetricKey

  public init(key: SymmetricKey) { self.key = key }

  /// Reads `path`, or creates it with a new random secret.
  public static func loadOrCreate(path: String) throws -> ServerSecret {
    if let data = FileManager.default.contents(atPath: path) {
      guard data.count == 32 else { throw SecretError("\(path) is not a 32-byte secret; remove it to make a new one") }
      return ServerSecret(key: SymmetricKey(data: data))
    }
    let key = SymmetricKey(size: .bits256)
    let data = key.withUnsafeBytes { Data($0) }
    let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
    guard fd >= 0 else { throw SecretError("cannot create \(path): \(String(cString: strerror(errno)))") }
    defer { close(fd) }
    let written = data.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    guard written == data.count, fsync(fd) == 0 else { throw SecretError("cannot write \(path)") }
    return ServerSecret(key: key)
  }

  /// A key for one purpose, so that no two uses share a key.
  public func key(for purpose: String) -> SymmetricKey {
    SymmetricKey(data: HMAC<SHA256>.authenticationCode(for: Data(purpose.utf8), using: key))
  }
}

public struct SecretError: Error, CustomStringConvertible {
  public let description: String
  init(_ description: String) { self.description = description }
}
