import EtimadKit
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftASN1
import X509

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
    let authorization = request.metadata.first("authorization")
    var token: String?
    if let authorization, authorization.lowercased().hasPrefix("bearer ") {
      // Trimmed by hand: Foundation's trimmingCharacters bridges through NSString on every call.
      var bytes = authorization.utf8.dropFirst(7)
      while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
      while let last = bytes.last, last == 0x20 || last == 0x09 { bytes.removeLast() }
      token = String(Substring(bytes))
    }
    let credentials = Credentials(
      listener: listener, bearerToken: token, malformedAuthorization: authorization != nil && token == nil,
      employee: request.metadata.first("x-etimad-employee"),
      clientCertificate: certificate.map(ClientCertificate.init),
      peer: context.remotePeer, method: context.descriptor.fullyQualifiedMethod)
    let principal = try await authenticator.authenticate(credentials)
    try policy.check(principal, method: context.descriptor.fullyQualifiedMethod)
    let response = try await Principal.$current.withValue(principal) { try await next(request, context) }
    return response.wrappingProducer { body, writer in
      try await Principal.$current.withValue(principal) { try await body(writer) }
    }
  }
}

extension ClientCertificate {
  /// The facts of an X.509 certificate that authentication reads.
  init(_ certificate: Certificate) {
    var commonName: String?
    for rdn in certificate.subject {
      for attribute in rdn where attribute.type == ASN1ObjectIdentifier.RDNAttributeType.commonName {
        commonName = String(describing: attribute.value)
      }
    }
    self.init(
      commonName: commonName, serialNumber: certificate.serialNumber.description,
      notValidBefore: certificate.notValidBefore.timeIntervalSince1970,
      notValidAfter: certificate.notValidAfter.timeIntervalSince1970)
  }
}
