import Crypto
import CryptoExtras
import EtimadKit
import Foundation
import NIOPosix

/// scrypt password hashes with a per-user salt and the parameters stored beside the hash:
/// `scrypt$<log2 N>$<r>$<p>$<salt b64>$<hash b64>`. Verification reads the stored parameters,
/// so the cost can be raised without invalidating older hashes.
public struct PasswordHasher: Sendable {
  /// log2 of the CPU/memory cost N; 15 (32 MiB with r = 8) in production.
  public let logN: Int
  public let blockSize: Int
  public let parallelism: Int

  public static let production = PasswordHasher(logN: 15, blockSize: 8, parallelism: 1)

  public init(logN: Int, blockSize: Int = 8, parallelism: Int = 1) {
    self.logN = logN
    self.blockSize = blockSize
    self.parallelism = parallelism
  }

  public func hash(_ password: String) throws -> String {
    var salt = [UInt8](repeating: 0, count: 16)
    var generator = SystemRandomNumberGenerator()
    for index in salt.indices { salt[index] = UInt8.random(in: 0...255, using: &generator) }
    let derived = try Self.derive(password, salt: salt, logN: logN, r: blockSize, p: parallelism)
    return
      "scrypt$\(logN)$\(blockSize)$\(parallelism)$\(Data(salt).base64EncodedString())$\(derived.base64EncodedString())"
  }

  /// Whether `password` matches `stored`; false for a malformed stored value.
  public func verify(_ password: String, against stored: String) -> Bool {
    let parts = stored.split(separator: "$").map(String.init)
    guard parts.count == 6, parts[0] == "scrypt", let logN = Int(parts[1]), let r = Int(parts[2]),
      let p = Int(parts[3]), (1...22).contains(logN), let salt = Data(base64Encoded: parts[4]),
      let expected = Data(base64Encoded: parts[5]),
      let derived = try? Self.derive(password, salt: Array(salt), logN: logN, r: r, p: p)
    else { return false }
    return IdentityRules.constantTimeEqual(derived, expected)
  }

  /// `hash` off Swift's cooperative pool: scrypt holds a core for tens of milliseconds, and
  /// on the pool it would stall every other call of the daemon meanwhile.
  public func hashOffPool(_ password: String) async throws -> String {
    try await ScryptWorkers.run { try self.hash(password) }
  }

  /// `verify` off Swift's cooperative pool.
  public func verifyOffPool(_ password: String, against stored: String) async -> Bool {
    (try? await ScryptWorkers.run { self.verify(password, against: stored) }) ?? false
  }

  /// A hash to verify against when there is no account, so that an unknown ID costs the same
  /// time as a wrong password.
  public func decoy() -> String {
    (try? hash("decoy-\(UUID().uuidString)")) ?? ""
  }

  static func derive(_ password: String, salt: [UInt8], logN: Int, r: Int, p: Int) throws -> Data {
    let key = try KDF.Scrypt.deriveKey(
      from: Array(password.utf8), salt: salt, outputByteCount: 32, rounds: 1 << logN, blockSize: r,
      parallelism: p, maxMemory: 256 * 1024 * 1024)
    return key.withUnsafeBytes { Data($0) }
  }
}

/// Runs scrypt on NIO's blocking-work thread pool (one thread per core), so that password
/// work neither blocks Swift's cooperative pool nor queues behind it. (A Dispatch queue does
/// not do here: on Linux it shares its threads' width with the cooperative pool, and sixteen
/// concurrent logins starved it.)
enum ScryptWorkers {
  static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await NIOThreadPool.singleton.runIfActive(work)
  }
}
