import EtimadKit
import Foundation

/// Who is calling, from a bearer token (public port) or a client certificate and employee
/// header (agency port). Sessions and agencies are read from the database on every call, so a
/// logout, a revoked session or a revoked agency takes effect at once, on open connections too.
public struct IdentityAuthenticator: Authenticator {
  let store: IdentityStore
  let agencies: AgencyRegistry

  /// Services an agency's infrastructure may call without naming an employee (load balancers).
  static let withoutEmployee: Set<String> = [
    "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
  ]

  public init(store: IdentityStore, agencies: AgencyRegistry) {
    self.store = store
    self.agencies = agencies
  }

  public func authenticate(_ credentials: Credentials) async throws -> Principal {
    switch credentials.listener {
    case .public:
      if credentials.malformedAuthorization { throw IdentityErrors.invalidToken }
      guard let token = credentials.bearerToken else { return .anonymous }
      guard let session = try await store.session(token: token),
        let id = try? NationalID(parsing: session.idNumber)
      else { throw IdentityErrors.invalidToken }
      return .individual(.init(nationalID: id, sessionID: session.id))
    case .agency:
      if credentials.bearerToken != nil || credentials.malformedAuthorization { throw IdentityErrors.tokenOnAgencyPort }
      guard let certificate = credentials.clientCertificate, let code = certificate.commonName else {
        throw IdentityErrors.agencyCertificateRequired
      }
      let now = store.clock.now.timeIntervalSince1970
      guard certificate.notValidBefore <= now, now < certificate.notValidAfter else {
        throw IdentityErrors.certificateExpired
      }
      guard let agency = try await agencies.agency(code), agency.isActive,
        agency.certificateSerial == certificate.serialNumber
      else { throw IdentityErrors.agencyNotRecognised }
      let service = String(credentials.method.split(separator: "/").first ?? "")
      let employee = credentials.employee.flatMap(Self.validEmployee)
      if employee == nil, !Self.withoutEmployee.contains(service) { throw IdentityErrors.employeeRequired }
      return .agency(.init(code: code, employee: employee))
    }
  }

  /// 1 to 64 characters of letters, digits and . _ - @.
  static func validEmployee(_ value: String) -> String? {
    let trimmed = value.trimmingCharacters(in: .whitespaces)
    guard (1...64).contains(trimmed.count),
      trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || ".-_@".contains($0)) })
    else { return nil }
    return trimmed
  }
}
