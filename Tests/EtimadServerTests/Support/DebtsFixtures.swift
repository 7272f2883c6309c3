import Etimad
import EtimadIdentity
import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore

/// The people of a debts test on one running daemon: two employees of one agency (maker and
/// checker), an employee of another agency, and two signed-in individuals.
struct DebtActors: Sendable {
  let maker: EtimadClient
  let checker: EtimadClient
  let otherAgency: EtimadClient
  let debtor: EtimadClient
  let stranger: EtimadClient

  static let debtorPerson = TestDaemon.citizen
  static let strangerPerson = TestDaemon.resident
}

extension TestDaemon {
  /// Starts the clients of `DebtActors` (registering and signing in both individuals) and runs `body`.
  func withDebtActors<T: Sendable>(_ body: (DebtActors) async throws -> T) async throws -> T {
    try await seedRegistry()
    let maker = try await agencyClient(code: "MOF", employee: "emp-maker")
    var checker = maker
    checker.employee = "emp-checker"
    let other = try await agencyClient(code: "MOH", employee: "emp-moh")
    return try await EtimadClient.withClient(maker) { maker in
      try await EtimadClient.withClient(checker) { checker in
        try await EtimadClient.withClient(other) { other in
          try await EtimadClient.withClient(publicClient(language: "en")) { debtor in
            try await EtimadClient.withClient(publicClient(language: "en")) { stranger in
              try await register(debtor, DebtActors.debtorPerson)
              try await signIn(debtor, DebtActors.debtorPerson)
              try await register(stranger, DebtActors.strangerPerson)
              try await signIn(stranger, DebtActors.strangerPerson)
              return try await body(
                DebtActors(maker: maker, checker: checker, otherAgency: other, debtor: debtor, stranger: stranger))
            }
          }
        }
      }
    }
  }
}

extension DebtActors {
  /// Debt details on the debtor, `halalas` due a month from the test's clock.
  static func details(halalas: Int64 = 100_000, on person: Person = debtorPerson) -> Etimad_Debts_V1_DebtDetails {
    .with {
      $0.debtorID = .with {
        $0.type = person.idType == "iqama" ? .iqama : .nationalID
        $0.number = person.idNumber
      }
      $0.debtorName = person.nameEn
      $0.category = .overpayment
      $0.reason = "Housing allowance paid twice in March"
      $0.amount = money(halalas)
      $0.dueDate = .with {
        $0.year = 2026
        $0.month = 12
        $0.day = 31
      }
      $0.sadadBillNumber = "1234567890"
      $0.attachmentRefs = ["sha256:0f3a"]
    }
  }

  /// A debt taken to OUTSTANDING by the maker (create, submit) and the checker (approve).
  func outstandingDebt(halalas: Int64 = 100_000, on person: Person = debtorPerson) async throws -> String {
    let debt = try await maker.createDebt(Self.details(halalas: halalas, on: person))
    _ = try await maker.submitDebt(debt.id)
    return try await checker.approveDebt(debt.id).id
  }
}

extension EtimadClient {
  /// Raises an UPDATE_DATA change request giving the debt a new amount, and the other fields
  /// `values` sets (named in `paths` too).
  func requestAmountChange(
    debtID: String, halalas: Int64, paths: [String] = ["amount"], reason: String,
    values: (inout Etimad_Debts_V1_DebtDetails) -> Void = { _ in }
  ) async throws -> Etimad_Debts_V1_ChangeRequest {
    try await debts.createChangeRequest(
      .with {
        $0.requestID = EtimadClient.newRequestID()
        $0.debtID = debtID
        $0.kind = .updateData
        $0.newValues.amount = money(halalas)
        values(&$0.newValues)
        $0.updateMask.paths = paths
        $0.reason = reason
      }
    ).changeRequest
  }
}

func money(_ halalas: Int64) -> Etimad_Type_V1_Money {
  .with {
    $0.currencyCode = "SAR"
    $0.amountHalalas = halalas
  }
}

/// The full Etimad details of a failed call.
func failureDetails(_ body: () async throws -> Void) async -> EtimadErrorDetails? {
  do {
    try await body()
    return nil
  } catch let error as RPCError {
    return error.etimadDetails
  } catch {
    return nil
  }
}
