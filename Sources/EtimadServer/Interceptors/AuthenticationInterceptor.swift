import EtimadKit
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftASN1
import X509

/// Which listener a call arrived on: the public TLS port, or the agencies' mutual-TLS port.
public enum Listener: String, Sendable {
  case `public`, agency
}

/// Turns a call's credentials into a `Principal`, refuses callers the access policy does not
/// admit for the method, and runs the handler (its response body included) with
/// `Principal.current` set.
struct AuthenticationInterceptor: ServerInterceptor {
  let listener: Listener
  let authenticator: any Authenticator
  let policy: AccessPolicy

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let certificate = (context.transportSpecific as? HTTP2ServerTransport.Posix.Context)?.peerCertificate
    let principal = try await authenticator.authenticate(
      metadata: request.metadata, listener: listener, peerCertificate: certificate)
    try policy.check(principal, method: context.descriptor.fullyQualifiedMethod)
    let response = try await Principal.$current.withValue(principal) { try await next(request, context) }
    return response.wrappingProducer { body, writer in
      try await Principal.$current.withValue(principal) { try await body(writer) }
    }
  }
}

/// Establishes who is calling from the call's metadata and the TLS peer certificate.
public protocol Authenticator: Sendable {
  func authenticate(metadata: Metadata, listener: Listener, peerCertificate: Certificate?) async throws -> Principal
}

/// The authenticator before individuals can sign in: callers on the public port are anonymous
/// (a bearer token is refused, since no session can exist), callers on the agency port are the
/// agency named in their certificate's common name, acting through `x-etimad-employee`.
public struct CertificateOnlyAuthenticator: Authenticator {
  public init() {}

  public func authenticate(
    metadata: Metadata, listener: Listener, peerCertificate: Certificate?
  ) async throws
    -> Principal
  {
    switch listener {
    case .public:
      if metadata.first("authorization") != nil { throw AuthenticationErrors.unknownToken }
      return .anonymous
    case .agency:
      guard let code = peerCertificate.flatMap(AgencyCertificate.agencyCode(of:)) else {
        throw AuthenticationErrors.agencyCertificateRequired
      }
      return .agency(Principal.Agency(code: code, employee: metadata.first("x-etimad-employee")))
    }
  }
}

/// How agencies' client certificates name their agency.
public enum AgencyCertificate {
  /// The agency code: the certificate subject's common name.
  public static func agencyCode(of certificate: Certificate) -> String? {
    for rdn in certificate.subject {
      for attribute in rdn where attribute.type == ASN1ObjectIdentifier.RDNAttributeType.commonName {
        let text = String(describing: attribute.value)
        return text.isEmpty ? nil : text
      }
    }
    return nil
  }
}

enum AuthenticationErrors {
  static let domain = "identity.etimad.sa"

  static let unknownToken = EtimadError(
    code: .unauthenticated, reason: "INVALID_TOKEN", domain: domain,
    message: LocalizedString(
      en: "The access token is not valid; sign in again.",
      ar: "رمز الدخول غير صالح؛ يرجى تسجيل الدخول مجددًا."))

  static let agencyCertificateRequired = EtimadError(
    code: .unauthenticated, reason: "AGENCY_CERTIFICATE_REQUIRED", domain: domain,
    message: LocalizedString(
      en: "The agency port needs a client certificate issued to a registered agency.",
      ar: "منفذ الجهات يتطلب شهادة عميل صادرة لجهة مسجلة."))
}
