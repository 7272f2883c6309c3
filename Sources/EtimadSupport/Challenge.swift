import Crypto
import EtimadKit
import Foundation

/// Proof of work: SHA-256 over the challenge's UTF-8 bytes and the nonce's 8 bytes big-endian
/// must begin with `bits` zero bits (about 2^bits hashes to find one).
public enum ProofOfWork {
  public static func isSolved(challenge: String, nonce: UInt64, bits: Int) -> Bool {
    var hasher = SHA256()
    hasher.update(data: Array(challenge.utf8))
    withUnsafeBytes(of: nonce.bigEndian) { hasher.update(bufferPointer: $0) }
    return leadingZeroBits(Array(hasher.finalize())) >= bits
  }

  public static func leadingZeroBits(_ bytes: [UInt8]) -> Int {
    var count = 0
    for byte in bytes {
      if byte == 0 {
        count += 8
        continue
      }
      return count + byte.leadingZeroBitCount
    }
    return count
  }

  /// The first nonce that solves `challenge` (tests and tools; clients have their own).
  public static func solve(challenge: String, bits: Int) -> UInt64 {
    var nonce: UInt64 = 0
    while !isSolved(challenge: challenge, nonce: nonce, bits: bits) { nonce += 1 }
    return nonce
  }
}

/// Issues and checks the anonymous form's challenges without storing them: a challenge is
/// its issue time, difficulty, a random identifier and a tag of the peer's address, signed
/// with a key of the server's secret. Only spending one is stored (`SpentChallenge`).
public struct ChallengeIssuer: Sendable {
  public static let lifetime: TimeInterval = 5 * 60
  static let version: UInt8 = 1
  static let payloadLength = 1 + 8 + 1 + 16 + 8
  static let macLength = 16

  let key: SymmetricKey
  public let bits: Int

  public init(key: SymmetricKey, bits: Int) {
    self.key = key
    self.bits = bits
  }

  /// A new challenge for the peer at `host` (its address without the port).
  public func issue(host: String, now: Date) -> (challenge: String, bits: Int, expireTime: Date) {
    let issued = Int64(now.timeIntervalSince1970)
    var payload: [UInt8] = [Self.version]
    withUnsafeBytes(of: issued.bigEndian) { payload += $0 }
    payload.append(UInt8(bits))
    payload += (0..<16).map { _ in UInt8.random(in: .min ... .max) }
    payload += peerTag(host)
    let token = Hex.encode(payload + mac(payload))
    return (token, bits, Date(timeIntervalSince1970: TimeInterval(issued) + Self.lifetime))
  }

  /// Checks a solution sent from `host` at `now`; the caller records the result as spent in
  /// the same transaction as the ticket (refused there when it already is).
  public func check(
    challenge: String, nonce: UInt64, host: String, now: Date
  ) throws(ChallengeProblem)
    -> SpentChallenge
  {
    if challenge.isEmpty { throw .missing }
    guard let raw = Hex.decode(challenge), raw.count == Self.payloadLength + Self.macLength else { throw .invalid }
    let payload = Array(raw.prefix(Self.payloadLength))
    guard payload[0] == Self.version, constantTimeEqual(mac(payload), Array(raw.suffix(Self.macLength))) else {
      throw .invalid
    }
    let issued = payload[1..<9].reduce(Int64(0)) { $0 << 8 | Int64($1) }
    let bits = Int(payload[9])
    let id = Hex.encode(payload[10..<26])
    guard constantTimeEqual(Array(payload[26..<34]), peerTag(host)) else { throw .otherPeer }
    let expire = Date(timeIntervalSince1970: TimeInterval(issued) + Self.lifetime)
    guard now < expire else { throw .expired }
    guard ProofOfWork.isSolved(challenge: challenge, nonce: nonce, bits: bits) else { throw .notSolved }
    return SpentChallenge(id: id, expireTime: expire)
  }

  private func peerTag(_ host: String) -> [UInt8] {
    var mac = HMAC<SHA256>(key: key)
    mac.update(data: Array("peer:\(host)".utf8))
    return Array(Array(mac.finalize()).prefix(8))
  }

  private func mac(_ payload: [UInt8]) -> [UInt8] {
    Array(Array(HMAC<SHA256>.authenticationCode(for: payload, using: key)).prefix(Self.macLength))
  }
}

func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
  guard a.count == b.count else { return false }
  return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
}

extension Hex {
  /// The bytes of an even-length hex string, or nil.
  static func decode(_ text: String) -> [UInt8]? {
    let symbols = Array(text.utf8)
    guard symbols.count % 2 == 0 else { return nil }
    func value(_ symbol: UInt8) -> UInt8? {
      switch symbol {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): symbol - UInt8(ascii: "0")
      case UInt8(ascii: "a")...UInt8(ascii: "f"): symbol - UInt8(ascii: "a") + 10
      case UInt8(ascii: "A")...UInt8(ascii: "F"): symbol - UInt8(ascii: "A") + 10
      default: nil
      }
    }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(symbols.count / 2)
    var index = 0
    while index < symbols.count {
      guard let high = value(symbols[index]), let low = value(symbols[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
      index += 2
    }
    return bytes
  }
}

/// Why a challenge was refused: each with its own reason, code and field.
public enum ChallengeProblem: DomainError, Hashable {
  case missing, invalid, notSolved, expired, otherPeer, used

  public var etimadError: EtimadError {
    let (code, reason, field, en, ar): (EtimadError.Code, String, String, String, String) =
      switch self {
      case .missing:
        (
          .invalidArgument, "CHALLENGE_REQUIRED", "challenge",
          "Solve a challenge from GetChallenge and send it with the ticket.",
          "يرجى حل التحقق وإرساله مع البلاغ."
        )
      case .invalid:
        (
          .invalidArgument, "CHALLENGE_INVALID", "challenge.challenge",
          "The challenge is not one this server issued; get a new one.",
          "رمز التحقق غير صادر من هذا الخادم؛ اطلب رمزًا جديدًا."
        )
      case .notSolved:
        (
          .invalidArgument, "CHALLENGE_NOT_SOLVED", "challenge.nonce", "The nonce does not solve the challenge.",
          "القيمة المرسلة لا تحل التحقق."
        )
      case .expired:
        (
          .failedPrecondition, "CHALLENGE_EXPIRED", "challenge.challenge",
          "The challenge expired (they are valid 5 minutes); get a new one.",
          "انتهت صلاحية التحقق (5 دقائق)؛ اطلب تحققًا جديدًا."
        )
      case .otherPeer:
        (
          .permissionDenied, "CHALLENGE_OTHER_PEER", "challenge.challenge",
          "The challenge was issued to another network address; get one from this address.",
          "صدر التحقق لعنوان شبكة آخر؛ اطلب تحققًا من هذا العنوان."
        )
      case .used:
        (
          .failedPrecondition, "CHALLENGE_USED", "challenge.challenge",
          "The challenge was already used; each one opens one ticket.", "تم استخدام التحقق من قبل؛ لكل بلاغ تحقق جديد."
        )
      }
    return EtimadError(
      code: code, reason: reason, domain: TicketRules.domain, message: LocalizedString(en: en, ar: ar),
      fieldViolations: [.init(field: field, reason: reason, description: LocalizedString(en: en, ar: ar))])
  }
}
