/// The listener a call arrived on: the public TLS port, or the agencies' mutual-TLS port.
public enum Listener: String, Sendable {
  case `public`, agency
}

/// What a call presents to prove who is calling, as the server read it from the metadata and
/// the TLS session.
public struct Credentials: Sendable {
  public var listener: Listener
  /// The token of `authorization: Bearer <token>`, if any.
  public var bearerToken: String?
  /// Whether an `authorization` header was sent that is not a bearer token.
  public var malformedAuthorization: Bool
  /// `x-etimad-employee`, if any.
  public var employee: String?
  /// The client certificate of the mutual-TLS agency port.
  public var clientCertificate: ClientCertificate?
  /// The peer address, for rate limits and audit.
  public var peer: String
  /// The method being called, `package.Service/Method`.
  public var method: String

  public init(
    listener: Listener, bearerToken: String?, malformedAuthorization: Bool = false, employee: String?,
    clientCertificate: ClientCertificate?, peer: String, method: String
  ) {
    self.listener = listener
    self.bearerToken = bearerToken
    self.malformedAuthorization = malformedAuthorization
    self.employee = employee
    self.clientCertificate = clientCertificate
    self.peer = peer
    self.method = method
  }
}

/// The facts of a client certificate that authentication needs.
public struct ClientCertificate: Sendable, Hashable {
  /// The subject's common name: the agency code.
  public var commonName: String?
  /// The serial number, hex.
  public var serialNumber: String
  public var notValidBefore: Double
  public var notValidAfter: Double

  public init(commonName: String?, serialNumber: String, notValidBefore: Double, notValidAfter: Double) {
    self.commonName = commonName
    self.serialNumber = serialNumber
    self.notValidBefore = notValidBefore
    self.notValidAfter = notValidAfter
  }
}

/// Turns a call's credentials into a `Principal`, or refuses them (UNAUTHENTICATED).
public protocol Authenticator: Sendable {
  func authenticate(_ credentials: Credentials) async throws -> Principal
}
