import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf

extension EtimadClient {
  /// `etimad.debts.v1.DebtService`, for both sides: agencies (on the agency port, with an
  /// employee) register and decide; individuals (signed in) view, pay and ask for relief.
  public var debts: Etimad_Debts_V1_DebtService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: grpc)
  }

  // MARK: Agency side

  /// Saves a new DRAFT debt.
  public func createDebt(
    _ details: Etimad_Debts_V1_DebtDetails, requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Debts_V1_Debt {
    try await debts.createDebt(
      .with {
        $0.requestID = requestID
        $0.debt = details
      }
    ).debt
  }

  /// DRAFT -> UNDER_REVIEW.
  public func submitDebt(_ id: String) async throws -> Etimad_Debts_V1_Debt {
    try await debts.submitDebt(
      .with {
        $0.requestID = Self.newRequestID()
        $0.debtID = id
      }
    ).debt
  }

  /// UNDER_REVIEW -> OUTSTANDING; the employee must not be the one who submitted.
  public func approveDebt(_ id: String) async throws -> Etimad_Debts_V1_Debt {
    try await debts.approveDebt(
      .with {
        $0.requestID = Self.newRequestID()
        $0.debtID = id
      }
    ).debt
  }

  /// UNDER_REVIEW -> DRAFT with a note.
  public func rejectDebt(_ id: String, note: String) async throws -> Etimad_Debts_V1_Debt {
    try await debts.rejectDebt(
      .with {
        $0.requestID = Self.newRequestID()
        $0.debtID = id
        $0.note = note
      }
    ).debt
  }

  /// Records a SADAD payment notification. Keep `requestID` to retry safely.
  public func recordPayment(
    debtID: String, halalas: Int64, sadadReference: String, paidTime: Date = Date(),
    requestID: String = EtimadClient.newRequestID()
  ) async throws -> Etimad_Debts_V1_RecordPaymentResponse {
    try await debts.recordPayment(
      .with {
        $0.requestID = requestID
        $0.debtID = debtID
        $0.amount = sar(halalas)
        $0.paidTime = .init(date: paidTime)
        $0.sadadReference = sadadReference
      })
  }

  /// Approves a pending change request (applied with its ledger movement).
  public func approveChangeRequest(
    _ id: String, note: String = ""
  ) async throws
    -> Etimad_Debts_V1_ApproveChangeRequestResponse
  {
    try await debts.approveChangeRequest(
      .with {
        $0.requestID = Self.newRequestID()
        $0.changeRequestID = id
        $0.note = note
      })
  }

  /// Approves a pending relief request (an exemption posts a write-off; instalments create a plan).
  public func approveReliefRequest(
    _ id: String, note: String = ""
  ) async throws
    -> Etimad_Debts_V1_ApproveReliefRequestResponse
  {
    try await debts.approveReliefRequest(
      .with {
        $0.requestID = Self.newRequestID()
        $0.reliefRequestID = id
        $0.note = note
      })
  }

  // MARK: Both sides

  /// A debt the caller may see.
  public func debt(_ id: String) async throws -> Etimad_Debts_V1_Debt {
    try await debts.getDebt(.with { $0.debtID = id }).debt
  }

  /// Every movement of a debt, oldest first (all pages).
  public func debtMovements(_ id: String) async throws -> [Etimad_Debts_V1_DebtMovement] {
    var movements: [Etimad_Debts_V1_DebtMovement] = []
    var token = ""
    repeat {
      let page = try await debts.listDebtMovements(
        .with {
          $0.debtID = id
          $0.pageSize = 500
          $0.pageToken = token
        })
      movements += page.movements
      token = page.nextPageToken
    } while !token.isEmpty
    return movements
  }

  /// Asks for a full or partial payment to be recorded (a debtor who paid, or an agency
  /// employee recording a payment made at a counter); the agency approves it.
  public func requestPayment(
    debtID: String, halalas: Int64, reason: String, reference: String = ""
  ) async throws
    -> Etimad_Debts_V1_ChangeRequest
  {
    try await debts.createChangeRequest(
      .with {
        $0.requestID = Self.newRequestID()
        $0.debtID = debtID
        $0.kind = .payment
        $0.amount = sar(halalas)
        $0.paymentReference = reference
        $0.reason = reason
      }
    ).changeRequest
  }

  /// Asks for the debt to be cancelled.
  public func requestCancellation(debtID: String, reason: String) async throws -> Etimad_Debts_V1_ChangeRequest {
    try await debts.createChangeRequest(
      .with {
        $0.requestID = Self.newRequestID()
        $0.debtID = debtID
        $0.kind = .cancellation
        $0.reason = reason
      }
    ).changeRequest
  }

  /// The debt's latest instalment plan.
  public func instalmentPlan(debtID: String) async throws -> Etimad_Debts_V1_InstalmentPlan {
    try await debts.getInstalmentPlan(.with { $0.debtID = debtID }).plan
  }

  // MARK: Individual side

  /// Every debt registered on the signed-in individual, newest first (all pages).
  public func myDebts(state: Etimad_Debts_V1_DebtState = .unspecified) async throws -> [Etimad_Debts_V1_Debt] {
    var debts: [Etimad_Debts_V1_Debt] = []
    var token = ""
    repeat {
      let page = try await self.debts.listMyDebts(
        .with {
          $0.state = state
          $0.pageSize = 500
          $0.pageToken = token
        })
      debts += page.debts
      token = page.nextPageToken
    } while !token.isEmpty
    return debts
  }

  /// Asks for part (`halalas`) or all (nil) of the balance to be written off.
  public func requestExemption(
    debtID: String, halalas: Int64?, reason: String
  ) async throws
    -> Etimad_Debts_V1_ReliefRequest
  {
    try await debts.createReliefRequest(
      .with {
        $0.requestID = Self.newRequestID()
        $0.debtID = debtID
        $0.kind = .exemption
        if let halalas { $0.amount = sar(halalas) } else { $0.full = true }
        $0.reason = reason
      }
    ).reliefRequest
  }

  /// Asks to pay the balance in `count` monthly instalments from `firstDue`.
  public func requestInstalments(
    debtID: String, count: Int32, firstDue: Etimad_Type_V1_CalendarDate, reason: String
  ) async throws -> Etimad_Debts_V1_ReliefRequest {
    try await debts.createReliefRequest(
      .with {
        $0.requestID = Self.newRequestID()
        $0.debtID = debtID
        $0.kind = .instalment
        $0.instalmentCount = count
        $0.firstDueDate = firstDue
        $0.reason = reason
      }
    ).reliefRequest
  }
}

/// An amount in Saudi riyals, given in halalas.
private func sar(_ halalas: Int64) -> Etimad_Type_V1_Money {
  .with {
    $0.currencyCode = "SAR"
    $0.amountHalalas = halalas
  }
}
