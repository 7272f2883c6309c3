import Crypto
import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

extension EtimadClient {
  /// `etimad.support.v1.SupportService`, for calls the conveniences below do not cover.
  public var support: Etimad_Support_V1_SupportService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: grpc)
  }

  /// Gets a challenge and solves it (about 2^difficulty_bits SHA-256 hashes), for an
  /// anonymous `openTicket`. Use it within 5 minutes, from the same network address.
  public func solvedChallenge() async throws -> Etimad_Support_V1_ChallengeSolution {
    let challenge = try await support.getChallenge(.init())
    let nonce = SupportChallenge.solve(challenge.challenge, bits: Int(challenge.difficultyBits))
    return .with {
      $0.challenge = challenge.challenge
      $0.nonce = nonce
    }
  }

  /// Opens a support ticket. Anonymous callers pass a solved challenge (`solvedChallenge()`);
  /// signed-in individuals need none, and their civil record fills the requester's fields.
  /// Keep `requestID` to retry safely.
  public func openTicket(
    _ request: Etimad_Support_V1_OpenTicketRequest, challenge: Etimad_Support_V1_ChallengeSolution? = nil,
    requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Support_V1_Ticket {
    var request = request
    if request.requestID.isEmpty { request.requestID = requestID }
    if let challenge { request.challenge = challenge }
    return try await support.openTicket(request).ticket
  }

  /// Anonymous follow-up: sends the code to the ticket's mobile.
  public func sendTicketAccessCode(
    _ number: String, requestID: String = EtimadClient.newRequestID()
  ) async throws {
    _ = try await support.sendTicketAccessCode(
      .with {
        $0.requestID = requestID
        $0.ticketNumber = number
      })
  }

  /// Anonymous follow-up: exchanges the SMS code for a ticket token (30 minutes), to pass as
  /// `ticket_token`.
  public func verifyTicketAccess(_ number: String, code: String) async throws -> String {
    try await support.verifyTicketAccess(
      .with {
        $0.ticketNumber = number
        $0.code = code
      }
    ).ticketToken
  }
}

/// The support form's proof of work, as the server checks it: SHA-256 over the challenge's
/// UTF-8 bytes followed by the nonce's 8 bytes big-endian must begin with `bits` zero bits.
public enum SupportChallenge {
  /// The first nonce that solves `challenge`.
  public static func solve(_ challenge: String, bits: Int) -> UInt64 {
    let prefix = Array(challenge.utf8)
    var nonce: UInt64 = 0
    while !isSolved(prefix, nonce: nonce, bits: bits) { nonce &+= 1 }
    return nonce
  }

  /// Whether `nonce` solves `challenge`.
  public static func isSolved(_ challenge: String, nonce: UInt64, bits: Int) -> Bool {
    isSolved(Array(challenge.utf8), nonce: nonce, bits: bits)
  }

  static func isSolved(_ prefix: [UInt8], nonce: UInt64, bits: Int) -> Bool {
    var hasher = SHA256()
    hasher.update(data: prefix)
    withUnsafeBytes(of: nonce.bigEndian) { hasher.update(bufferPointer: $0) }
    var zeros = 0
    for byte in hasher.finalize() {
      if byte == 0 {
        zeros += 8
        if zeros >= bits { return true }
        continue
      }
      return zeros + byte.leadingZeroBitCount >= bits
    }
    return zeros >= bits
  }
}
