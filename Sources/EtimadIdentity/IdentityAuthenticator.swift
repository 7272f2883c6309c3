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
      // A named employee must be a valid one, whatever the method; only a missing one is
      // allowed, and only for the infrastructure services.
      var employee: String?
      if let raw = credentials.employee {
        do { employee = try EmployeeID.normalized(raw) } catch {
          throw EtimadError.invalidFields(
            [FieldRules.violation(error, field: EmployeeID.metadataKey)], domain: IdentityErrors.domain)
        }
      }
      if employee == nil, !Self.withoutEmployee.contains(service) { throw IdentityErrors.employeeRequired }
      return .agency(.init(code: code, employee: employee))
    }
  }
}
