import Etimad
import EtimadIdentity
import EtimadKit
import EtimadProtos
import EtimadServer
import Foundation
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf
import Testing

/// Who may call every method of the contract, written out here by hand (not read from the
/// areas' access tables, which it checks), against every kind of caller over real TLS. A new
/// method fails `complete` until someone writes down who may call it.
@Suite("Every method of the contract against every kind of caller")
struct ContractAccessTests {
  enum Caller: String, CaseIterable, Sendable {
    case anonymous, individual, otherIndividual, agency, otherAgency, revokedAgency
  }

  /// A: anonymous, I: individual, G: agency, S: the support agency only (another agency is
  /// PERMISSION_DENIED by the handler; this test makes MOF the support agency).
  static let table: [String: String] = {
    var table: [String: String] = [:]
    func add(_ service: String, _ callers: String, _ methods: String) {
      for method in methods.split(separator: " ") { table["\(service)/\(method)"] = callers }
    }
    add("grpc.health.v1.Health", "AIG", "Check List Watch")
    add("grpc.reflection.v1.ServerReflection", "AIG", "ServerReflectionInfo")
    add("grpc.reflection.v1alpha.ServerReflection", "AIG", "ServerReflectionInfo")
    add("etimad.platform.v1.PlatformService", "AIG", "GetServerInfo ValidateIdentifiers")
    let identity = "etimad.identity.v1.IdentityService"
    add(
      identity, "A",
      "StartRegistration CompleteRegistration StartLogin VerifyLogin ResendCode StartPasswordReset CompletePasswordReset"
    )
    add(identity, "I", "ListSessions RevokeSession Logout ChangePassword")
    add(identity, "AIG", "WhoAmI")
    let debts = "etimad.debts.v1.DebtService"
    add(
      debts, "G",
      "CreateDebt UpdateDebt SubmitDebt ApproveDebt RejectDebt RecordPayment ListDebts ApproveChangeRequest "
        + "RejectChangeRequest ApproveReliefRequest RejectReliefRequest")
    add(debts, "I", "ListMyDebts GetDebtSummary CreateReliefRequest WithdrawReliefRequest")
    add(
      debts, "IG",
      "GetDebt ListDebtMovements CreateChangeRequest WithdrawChangeRequest ListChangeRequests ListReliefRequests "
        + "GetInstalmentPlan")
    let payments = "etimad.payments.v1.GovernmentPaymentService"
    add(payments, "AIG", "ListSectors ListServices")
    add(payments, "G", "RecordPayment RecordMovement ListRefundRequests CompleteRefund RejectRefund")
    add(payments, "I", "SearchPayments ListCancelledOperations GetBalance RequestRefund")
    add(payments, "IG", "GetPayment ExportPayments")
    let tenders = "etimad.tenders.v1.TenderService"
    add(tenders, "G", "CreateTender UpdateTender PublishTender ExtendDates CancelTender CloseTender")
    add(tenders, "AIG", "GetTender SearchTenders ListAgencies ListRegions ListActivities ListTenderTypes")
    let support = "etimad.support.v1.SupportService"
    add(support, "AIG", "GetContactChannels ListSupportCatalogue GetChallenge")
    add(support, "AI", "OpenTicket SendTicketAccessCode VerifyTicketAccess AddMessage")
    add(support, "AIS", "GetTicket ListMessages")
    add(support, "S", "ListTickets AssignTicket Reply AddNote ChangeStatus GetSupportFigures")
    return table
  }()

  @Test("every method of the contract is in the table, and nothing else")
  func complete() {
    #expect(Set(MethodCatalog.methods.keys) == Set(Self.table.keys))
  }

  @Test("each kind of caller gets exactly what the table says, for every method")
  func holds() async throws {
    try await TestDaemon.with(configure: { $0.supportAgency = "MOF" }) { daemon in
      try await daemon.seedRegistry()
      let agency = try await daemon.agencyClient(code: "MOF")
      let otherAgency = try await daemon.tendersAgency("MOH")
      let revoked = try await daemon.tendersAgency("MOE")
      try await AgencyAdministration(dataDirectory: daemon.dataDirectory).registry.revoke(code: "MOE", operator: "test")
      try await EtimadClient.withClient(daemon.publicClient()) { individual in
        try await daemon.register(individual, TestDaemon.citizen)
        try await daemon.signIn(individual, TestDaemon.citizen)
        try await EtimadClient.withClient(daemon.publicClient()) { other in
          try await daemon.register(other, TestDaemon.resident)
          try await daemon.signIn(other, TestDaemon.resident)
          try await EtimadClient.withClient(daemon.publicClient()) { anonymous in
            try await EtimadClient.withClient(agency) { agency in
              try await EtimadClient.withClient(otherAgency) { otherAgency in
                try await EtimadClient.withClient(revoked) { revoked in
                  let clients: [Caller: EtimadClient] = [
                    .anonymous: anonymous, .individual: individual, .otherIndividual: other, .agency: agency,
                    .otherAgency: otherAgency, .revokedAgency: revoked,
                  ]
                  for (method, callers) in Self.table.sorted(by: { $0.key < $1.key }) {
                    let entry = try #require(MethodCatalog.methods[method])
                    for caller in Caller.allCases {
                      let code = await callEmpty(entry, on: clients[caller]!)
                      Self.check(code, method: method, callers: callers, caller: caller)
                    }
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  static func check(_ code: RPCError.Code?, method: String, callers: String, caller: Caller) {
    let letter: Character =
      switch caller {
      case .anonymous: "A"
      case .individual, .otherIndividual: "I"
      case .agency, .otherAgency, .revokedAgency: "G"
      }
    let label = "\(method) as \(caller.rawValue): \(String(describing: code))"
    if caller == .revokedAgency {
      // A revoked agency's certificate is refused before any method, except the standard
      // protocols a load balancer or tool uses (health, reflection), which need no identity.
      #expect(callers == "AIG" || code == .unauthenticated, "\(label)")
    } else if caller == .otherAgency, callers.contains("S") {
      #expect(code == .permissionDenied, "\(label)")
    } else if callers.contains(letter) || (caller == .agency && callers.contains("S")) {
      #expect(code != .unauthenticated && code != .permissionDenied, "\(label)")
    } else {
      #expect(code == (caller == .anonymous ? .unauthenticated : .permissionDenied), "\(label)")
    }
  }
}
