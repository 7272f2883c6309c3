import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// Change and relief requests.
extension DebtService {
  public func createChangeRequest(
    request: Etimad_Debts_V1_CreateChangeRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_CreateChangeRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let caller = try caller()
    if case .agency = caller { _ = try agencyEmployee() }
    var violations: DebtValidation.Violations = []
    let reason = DebtValidation.text(request.reason, field: "reason", max: 1000, required: true, into: &violations)
    var change = DebtsStore.NewChange(
      kind: "", amount: nil, paymentReference: "", newValues: nil, paths: [], reason: reason)
    switch request.kind {
    case .payment:
      change.kind = "PAYMENT"
      change.amount = DebtValidation.amount(
        request.amount, present: request.hasAmount, field: "amount", into: &violations)
      change.paymentReference = DebtValidation.text(
        request.paymentReference, field: "payment_reference", max: 64, required: false, into: &violations)
    case .cancellation:
      change.kind = "CANCELLATION"
    case .updateData:
      change.kind = "UPDATE_DATA"
      let paths = DebtValidation.mask(
        request.updateMask, present: request.hasUpdateMask, field: "update_mask", into: &violations)
      if paths.contains("debtor_id") {
        violations.append(
          DebtValidation.violation(
            "update_mask", "NOT_CHANGEABLE", en: "The debtor of a registered debt cannot change.",
            ar: "لا يمكن تغيير المدين في مديونية مسجلة."))
      }
      _ = DebtValidation.fields(request.newValues, paths: paths, base: nil, prefix: "new_values.", into: &violations)
      change.newValues = try request.newValues.serializedBytes() as Data
      change.paths = paths.sorted()
      if paths.contains("amount") { change.newAmount = Halalas(request.newValues.amount.amountHalalas) }
    default:
      violations.append(DebtValidation.required("kind"))
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    return try await store.createChangeRequest(
      call, debtID: try debtID(request.debtID), change: change, caller: caller)
  }

  public func withdrawChangeRequest(
    request: Etimad_Debts_V1_WithdrawChangeRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_WithdrawChangeRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.changeRequestID, field: "change_request_id", notFound: DebtsErrors.changeRequestNotFound)
    return try await store.withdrawChangeRequest(call, id: id, caller: try caller())
  }

  public func approveChangeRequest(
    request: Etimad_Debts_V1_ApproveChangeRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ApproveChangeRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.changeRequestID, field: "change_request_id", notFound: DebtsErrors.changeRequestNotFound)
    let note = try optionalNote(request.note)
    let (changeRequest, debt, movement) = try await store.decideChangeRequest(
      call, id: id, approve: true, note: note, caller: try agency())
    return .with {
      $0.changeRequest = changeRequest
      $0.debt = debt
      if let movement { $0.movement = movement }
    }
  }

  public func rejectChangeRequest(
    request: Etimad_Debts_V1_RejectChangeRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_RejectChangeRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.changeRequestID, field: "change_request_id", notFound: DebtsErrors.changeRequestNotFound)
    let note = try requiredNote(request.note, field: "note")
    let (changeRequest, _, _) = try await store.decideChangeRequest(
      call, id: id, approve: false, note: note, caller: try agency())
    return .with { $0.changeRequest = changeRequest }
  }

  public func listChangeRequests(
    request: Etimad_Debts_V1_ListChangeRequestsRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ListChangeRequestsResponse {
    let caller = try caller()
    let id = try debtID(request.debtID)
    let size = try pageSize(request.pageSize)
    let key = "ListChangeRequests:\(caller.pagingKey):\(id)"
    let cursor = try paging.cursor(DebtsStore.Cursor.self, from: request.pageToken, filters: key, domain: Self.domain)
    let page = try await store.listChangeRequests(debtID: id, caller: caller, pageSize: size, before: cursor?.after)
    return .with {
      $0.changeRequests = page.items
      if let last = page.last { $0.nextPageToken = paging.token(for: DebtsStore.Cursor(after: last), filters: key) }
    }
  }

  public func createReliefRequest(
    request: Etimad_Debts_V1_CreateReliefRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_CreateReliefRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let caller = try caller()
    var violations: DebtValidation.Violations = []
    let reason = DebtValidation.text(request.reason, field: "reason", max: 1000, required: true, into: &violations)
    let refs = DebtValidation.attachments(request.attachmentRefs, field: "attachment_refs", into: &violations)
    var relief = DebtsStore.NewRelief(
      kind: "", amount: nil, full: false, instalmentCount: nil, firstDueDate: nil, reason: reason,
      attachmentRefs: refs)
    switch request.kind {
    case .exemption:
      relief.kind = "EXEMPTION"
      if request.full {
        relief.full = true
        if request.hasAmount, request.amount.amountHalalas != 0 {
          violations.append(
            DebtValidation.violation(
              "amount", "FULL_WITH_AMOUNT", en: "Give either full or an amount, not both.",
              ar: "حدد إما الإعفاء الكامل أو مبلغًا، وليس كليهما."))
        }
      } else {
        relief.amount = DebtValidation.amount(
          request.amount, present: request.hasAmount, field: "amount", into: &violations)
      }
    case .instalment:
      relief.kind = "INSTALMENT"
      let count = Int(request.instalmentCount)
      if !PlanRules.counts.contains(count) {
        violations.append(
          DebtValidation.violation(
            "instalment_count", "OUT_OF_RANGE", en: "A plan has 2 to 60 instalments.",
            ar: "عدد الأقساط من 2 إلى 60."))
      }
      relief.instalmentCount = count
      // Whether the date falls within 90 days is checked by the store with the transaction's
      // clock, after a retry has been answered: a replay days later gets the first answer.
      if request.hasFirstDueDate, let first = CivilDay(request.firstDueDate) {
        relief.firstDueDate = first
      } else {
        violations.append(DebtValidation.firstDueDate(request.hasFirstDueDate ? "OUT_OF_RANGE" : "REQUIRED"))
      }
    default:
      violations.append(DebtValidation.required("kind"))
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    return try await store.createReliefRequest(call, debtID: try debtID(request.debtID), relief: relief, caller: caller)
  }

  public func withdrawReliefRequest(
    request: Etimad_Debts_V1_WithdrawReliefRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_WithdrawReliefRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.reliefRequestID, field: "relief_request_id", notFound: DebtsErrors.reliefRequestNotFound)
    return try await store.withdrawReliefRequest(call, id: id, caller: try caller())
  }

  public func approveReliefRequest(
    request: Etimad_Debts_V1_ApproveReliefRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ApproveReliefRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.reliefRequestID, field: "relief_request_id", notFound: DebtsErrors.reliefRequestNotFound)
    return try await store.decideReliefRequest(
      call, id: id, approve: true, note: try optionalNote(request.note), caller: try agency())
  }

  public func rejectReliefRequest(
    request: Etimad_Debts_V1_RejectReliefRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_RejectReliefRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.reliefRequestID, field: "relief_request_id", notFound: DebtsErrors.reliefRequestNotFound)
    let decided = try await store.decideReliefRequest(
      call, id: id, approve: false, note: try requiredNote(request.note, field: "note"), caller: try agency())
    return .with { $0.reliefRequest = decided.reliefRequest }
  }

  public func listReliefRequests(
    request: Etimad_Debts_V1_ListReliefRequestsRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ListReliefRequestsResponse {
    let caller = try caller()
    let id = try debtID(request.debtID)
    let size = try pageSize(request.pageSize)
    let key = "ListReliefRequests:\(caller.pagingKey):\(id)"
    let cursor = try paging.cursor(DebtsStore.Cursor.self, from: request.pageToken, filters: key, domain: Self.domain)
    let page = try await store.listReliefRequests(debtID: id, caller: caller, pageSize: size, before: cursor?.after)
    return .with {
      $0.reliefRequests = page.items
      if let last = page.last { $0.nextPageToken = paging.token(for: DebtsStore.Cursor(after: last), filters: key) }
    }
  }

  func requestID(_ text: String, field: String, notFound: EtimadError) throws -> Int64 {
    if text.isEmpty { throw EtimadError.invalidFields([DebtValidation.required(field)], domain: Self.domain) }
    guard let id = DebtValidation.id(text) else { throw notFound }
    return id
  }

  func optionalNote(_ note: String) throws -> String {
    var violations: DebtValidation.Violations = []
    let text = DebtValidation.text(note, field: "note", max: 1000, required: false, into: &violations)
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    return text
  }
}
