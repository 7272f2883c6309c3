import Etimad
import EtimadIdentity
import EtimadKit
import EtimadServer
import Foundation
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf
import Testing
import X509

@Suite("Agencies on the mutual-TLS port")
struct AgencyAccessTests {
  @Test(
    "a registered agency is who-am-i'd with its employee; a missing employee is UNAUTHENTICATED, a bad one INVALID_ARGUMENT"
  )
  func employee() async throws {
    try await TestDaemon.with { daemon in
      let configuration = try await daemon.agencyClient()
      try await EtimadClient.withClient(configuration) { client in
        let me = try await client.whoAmI()
        #expect(me.kind == .agency)
        #expect(me.agencyCode == "MOF")
        #expect(me.employee == "emp-1001")
        #expect(me.agencyName.en == "Ministry of Finance")
        let missing = await failure {
          _ = try await client.identity.whoAmI(.init(), metadata: ["x-etimad-employee": "bad value!"])
        }
        #expect(missing?.code == .invalidArgument)
        #expect(missing?.reason == "INVALID_FIELDS")
        // Health needs no employee (load balancers)
        #expect(try await client.health.status(of: "") == .serving)
      }
      var anonymousEmployee = configuration
      anonymousEmployee.employee = nil
      try await EtimadClient.withClient(anonymousEmployee) { client in
        let refused = await failure { _ = try await client.whoAmI() }
        #expect(refused?.code == .unauthenticated)
        #expect(refused?.reason == "EMPLOYEE_REQUIRED")
        let bad = await failure {
          _ = try await client.identity.whoAmI(.init(), metadata: ["x-etimad-employee": "x y;z"])
        }
        #expect(bad?.code == .invalidArgument)
      }
    }
  }

  @Test("revoking an agency or reissuing its certificate takes effect on an open connection")
  func revokeAndReissue() async throws {
    try await TestDaemon.with { daemon in
      let configuration = try await daemon.agencyClient()
      try await EtimadClient.withClient(configuration) { client in
        #expect(try await client.whoAmI().agencyCode == "MOF")
        // Reissue: the old certificate, still on this connection, stops working
        let administration = try AgencyAdministration(dataDirectory: daemon.dataDirectory)
        _ = try await administration.reissue(
          code: "MOF", outputDirectory: daemon.dataDirectory + "/reissued", operator: "test")
        let old = await failure { _ = try await client.whoAmI() }
        #expect(old?.reason == "AGENCY_NOT_RECOGNISED")
      }
      var renewed = configuration
      renewed.clientIdentity = (
        try String(contentsOfFile: daemon.dataDirectory + "/reissued/MOF.pem", encoding: .utf8),
        try String(contentsOfFile: daemon.dataDirectory + "/reissued/MOF-key.pem", encoding: .utf8)
      )
      try await EtimadClient.withClient(renewed) { client in
        #expect(try await client.whoAmI().agencyCode == "MOF")
        try await AgencyAdministration(dataDirectory: daemon.dataDirectory).registry.revoke(
          code: "MOF", operator: "test")
        let revoked = await failure { _ = try await client.whoAmI() }
        #expect(revoked?.code == .unauthenticated)
        #expect(revoked?.reason == "AGENCY_NOT_RECOGNISED")
      }
    }
  }

  @Test("an unregistered agency with a CA-signed certificate, and an expired certificate, are refused")
  func unregisteredAndExpired() async throws {
    try await TestDaemon.with { daemon in
      let ca = daemon.daemon.identity.agencyCA
      let stranger = try ca.issue(
        subject: try DistinguishedName { CommonName("NOPE") }, usage: .clientAuth, validity: 86_400, now: Date())
      var configuration = daemon.publicClient()
      configuration.port = daemon.endpoints.agencyPort
      configuration.employee = "emp-1"
      configuration.clientIdentity = (stranger.certificatePEM, stranger.keyPEM)
      try await EtimadClient.withClient(configuration) { client in
        let refused = await failure { _ = try await client.whoAmI() }
        #expect(refused?.reason == "AGENCY_NOT_RECOGNISED")
      }
      let expired = try ca.issue(
        subject: try DistinguishedName { CommonName("MOF") }, usage: .clientAuth, validity: 60,
        now: Date().addingTimeInterval(-7200))
      configuration.clientIdentity = (expired.certificatePEM, expired.keyPEM)
      configuration.defaultTimeout = .seconds(5)
      try await EtimadClient.withClient(configuration) { client in
        let refused = await failure { _ = try await client.whoAmI() }
        #expect(refused?.code == .unavailable || refused?.code == .unauthenticated)
      }
    }
  }

  @Test("a bearer token on the agency port is refused")
  func tokenOnAgencyPort() async throws {
    try await TestDaemon.with { daemon in
      let configuration = try await daemon.agencyClient()
      try await EtimadClient.withClient(configuration) { client in
        let refused = await failure {
          _ = try await client.identity.whoAmI(.init(), metadata: ["authorization": "Bearer abc"])
        }
        #expect(refused?.reason == "TOKEN_ON_AGENCY_PORT")
      }
    }
  }
}

/// Who may call each identity method: every method, every kind of caller, in one table.
@Suite("Identity authorization matrix")
struct IdentityAuthorizationMatrixTests {
  enum Caller: String, CaseIterable, Sendable { case anonymous, individual, agency }

  /// nil: admitted (the call reaches the handler); otherwise the status the interceptor gives.
  static let matrix: [String: [Caller: RPCError.Code?]] = {
    let signIn: [Caller: RPCError.Code?] = [
      .anonymous: nil, .individual: .permissionDenied, .agency: .permissionDenied,
    ]
    let session: [Caller: RPCError.Code?] = [
      .anonymous: .unauthenticated, .individual: nil, .agency: .permissionDenied,
    ]
    let everyone: [Caller: RPCError.Code?] = [.anonymous: nil, .individual: nil, .agency: nil]
    return [
      "StartRegistration": signIn, "CompleteRegistration": signIn, "StartLogin": signIn, "VerifyLogin": signIn,
      "ResendCode": signIn, "StartPasswordReset": signIn, "CompletePasswordReset": signIn,
      "ListSessions": session, "RevokeSession": session, "Logout": session, "ChangePassword": session,
      "WhoAmI": everyone,
    ]
  }()

  @Test("every identity method is in the matrix")
  func complete() {
    let methods = Set(
      MethodCatalog.methods.values.filter { $0.service == "etimad.identity.v1.IdentityService" }.map(\.method))
    #expect(methods == Set(Self.matrix.keys))
  }

  @Test("each caller gets exactly what the matrix says")
  func matrixHolds() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      let agency = try await daemon.agencyClient()
      try await EtimadClient.withClient(daemon.publicClient()) { individual in
        try await daemon.register(individual)
        try await daemon.signIn(individual)
        try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
          try await EtimadClient.withClient(agency) { agencyClient in
            let clients: [Caller: EtimadClient] = [
              .anonymous: anonymous, .individual: individual, .agency: agencyClient,
            ]
            for (method, expectations) in Self.matrix.sorted(by: { $0.key < $1.key }) {
              let entry = try #require(MethodCatalog.methods["etimad.identity.v1.IdentityService/\(method)"])
              for caller in Caller.allCases {
                let code = await callEmpty(entry, on: clients[caller]!)
                let expected = expectations[caller]!
                if let expected {
                  #expect(code == expected, "\(method) as \(caller.rawValue)")
                } else {
                  #expect(
                    code != .unauthenticated && code != .permissionDenied,
                    "\(method) as \(caller.rawValue): \(String(describing: code))")
                }
              }
            }
          }
        }
      }
    }
  }
}
