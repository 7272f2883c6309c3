import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2

extension EtimadClient {
  /// `etimad.identity.v1.IdentityService`, for calls the conveniences below do not cover.
  public var identity: Etimad_Identity_V1_IdentityService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: grpc)
  }

  /// Registration, step 1: checked against the civil registry; a code goes to the mobile on record.
  public func startRegistration(
    idNumber: String, birthDate: Etimad_Type_V1_CalendarDate, email: String, password: String
  ) async throws -> Etimad_Identity_V1_CodeChallenge {
    try await identity.startRegistration(
      .with {
        $0.requestID = Self.newRequestID()
        $0.personID.number = idNumber
        $0.birthDate = birthDate
        $0.email = email
        $0.password = password
      }
    ).challenge
  }

  /// Registration, step 2: the code from the SMS; the account becomes active.
  public func completeRegistration(ticket: String, code: String) async throws -> Etimad_Identity_V1_Account {
    try await identity.completeRegistration(
      .with {
        $0.requestID = Self.newRequestID()
        $0.ticket = ticket
        $0.code = code
      }
    ).account
  }

  /// Login, step 1: ID and password; a code goes to the mobile on record.
  public func startLogin(idNumber: String, password: String) async throws -> Etimad_Identity_V1_CodeChallenge {
    try await identity.startLogin(
      .with {
        $0.requestID = Self.newRequestID()
        $0.personID.number = idNumber
        $0.password = password
      }
    ).challenge
  }

  /// Login, step 2: the code. The access token is kept and sent with every later call.
  @discardableResult
  public func completeLogin(ticket: String, code: String) async throws -> Etimad_Identity_V1_Session {
    let response = try await identity.verifyLogin(
      .with {
        $0.requestID = Self.newRequestID()
        $0.ticket = ticket
        $0.code = code
      })
    session.value = response.accessToken
    return response.session
  }

  /// Ends the session on the server and forgets the token.
  public func logout() async throws {
    _ = try await identity.logout(.with { $0.requestID = Self.newRequestID() })
    session.value = nil
  }

  /// Who the server thinks is calling.
  public func whoAmI() async throws -> Etimad_Identity_V1_WhoAmIResponse {
    try await identity.whoAmI(.init())
  }

  /// A new `request_id` for a mutating call. Keep it to retry the same change safely.
  public static func newRequestID() -> String { UUID().uuidString.lowercased() }
}
