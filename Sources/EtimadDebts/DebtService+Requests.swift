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
    var change: DebtWorkflow.NewChange?
    switch ChangeKind(request.kind) {
    case .payment?:
      let amount = DebtValidation.amount(
        request.amount, present: request.hasAmount, field: "amount", into: &violations)
      let reference = DebtValidation.text(
        request.paymentReference, field: "payment_reference", max: 64, required: false, into: &violations)
      change = .init(kind: .payment, reason: reason, amount: amount, paymentReference: reference)
    case .cancellation?:
      change = .init(kind: .cancellation, reason: reason)
    case .updateData?:
      let paths = DebtValidation.mask(
        request.updateMask, present: request.hasUpdateMask, field: "update_mask", into: &violations)
      if paths.contains("debtor_id") {
        violations.append(
          DebtValidation.violation(
            "update_mask", "NOT_CHANGEABLE", en: "The debtor of a registered debt cannot change.",
            ar: "لا يمكن تغيير المدين في مديونية مسجلة."))
      }
      let patch = DebtValidation.patch(request.newValues, paths: paths, prefix: "new_values.", into: &violations)
      change = .init(kind: .updateData, reason: reason, patch: patch)
    case nil:
      violations.append(DebtValidation.required("kind"))
    }
    guard violations.isEmpty, let change else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let workflow = workflow
    let credited = change.kind == .payment ? PaymentReference.key(change.paymentReference) : nil
    return try await self.change(
      call, caller: caller, target: .debt(try debtID(request.debtID), credited: credited),
      decide: { snapshot, now in try workflow.raiseChange(snapshot, change, caller: caller, now: now) },
      answer: { outcome, wire in
        try .with {
          if let request = outcome.changeRequest { $0.changeRequest = wire.changeRequest(request) }
          $0.debt = try outcome.debt(wire)
        }
      })
  }

  public func withdrawChangeRequest(
    request: Etimad_Debts_V1_WithdrawChangeRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_WithdrawChangeRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.changeRequestID, field: "change_request_id", notFound: DebtsErrors.changeRequestNotFound)
    let caller = try caller()
    let workflow = workflow
    return try await change(
      call, caller: caller, target: .changeRequest(id),
      decide: { snapshot, _ in try workflow.withdrawChange(snapshot, caller: caller) },
      answer: { outcome, wire in
        .with { if let request = outcome.changeRequest { $0.changeRequest = wire.changeRequest(request) } }
      })
  }

  public func approveChangeRequest(
    request: Etimad_Debts_V1_ApproveChangeRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ApproveChangeRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.changeRequestID, field: "change_request_id", notFound: DebtsErrors.changeRequestNotFound)
    let note = try optionalNote(request.note)
    return try await decideChange(call, id: id, approve: true, note: note) { outcome, wire in
      try .with {
        if let request = outcome.changeRequest { $0.changeRequest = wire.changeRequest(request) }
        $0.debt = try outcome.debt(wire)
        if let movement = outcome.movement { $0.movement = wire.movement(movement) }
      }
    }
  }

  public func rejectChangeRequest(
    request: Etimad_Debts_V1_RejectChangeRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_RejectChangeRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.changeRequestID, field: "change_request_id", notFound: DebtsErrors.changeRequestNotFound)
    let note = try requiredNote(request.note, field: "note")
    return try await decideChange(call, id: id, approve: false, note: note) { outcome, wire in
      .with { if let request = outcome.changeRequest { $0.changeRequest = wire.changeRequest(request) } }
    }
  }

  private func decideChange<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: Int64, approve: Bool, note: String,
    answer: @escaping @Sendable (DebtOutcome, DebtWire) throws -> Response
  ) async throws -> Response {
    let caller = try agency()
    let workflow = workflow
    let requestID = call.requestID
    return try await change(
      call, caller: caller, target: .changeRequest(id),
      decide: { snapshot, now in
        try workflow.decideChange(
          snapshot, approve: approve, note: note, caller: caller, requestID: requestID, now: now)
      }, answer: answer)
  }

  public func listChangeRequests(
    request: Etimad_Debts_V1_ListChangeRequestsRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ListChangeRequestsResponse {
    let caller = try caller()
    let id = try debtID(request.debtID)
    let size = try pageSize(request.pageSize)
    let key = "ListChangeRequests:\(caller.pagingKey):\(id)"
    let cursor = try paging.cursor(Cursor.self, from: request.pageToken, filters: key, domain: Self.domain)
    let page = try await store.changeRequests(debtID: id, caller: caller, pageSize: size, before: cursor?.after)
    let wire = wire(caller)
    return .with {
      $0.changeRequests = page.items.map(wire.changeRequest)
      if let last = page.last { $0.nextPageToken = paging.token(for: Cursor(after: last), filters: key) }
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
    var relief: DebtWorkflow.NewRelief?
    switch ReliefKind(request.kind) {
    case .exemption?:
      var exemption = DebtWorkflow.NewRelief(kind: .exemption, reason: reason, attachmentRefs: refs)
      if request.full {
        exemption.full = true
        if request.hasAmount, request.amount.amountHalalas != 0 {
          violations.append(
            DebtValidation.violation(
              "amount", "FULL_WITH_AMOUNT", en: "Give either full or an amount, not both.",
              ar: "حدد إما الإعفاء الكامل أو مبلغًا، وليس كليهما."))
        }
      } else {
        exemption.amount = DebtValidation.amount(
          request.amount, present: request.hasAmount, field: "amount", into: &violations)
      }
      relief = exemption
    case .instalment?:
      var plan = DebtWorkflow.NewRelief(kind: .instalment, reason: reason, attachmentRefs: refs)
      let count = Int(request.instalmentCount)
      if !PlanRules.counts.contains(count) {
        violations.append(
          DebtValidation.violation(
            "instalment_count", "OUT_OF_RANGE", en: "A plan has 2 to 60 instalments.",
            ar: "عدد الأقساط من 2 إلى 60."))
      }
      plan.instalmentCount = count
      // Whether the date falls within 90 days is checked by the rules with the transaction's
      // clock, after a retry has been answered: a replay days later gets the first answer.
      if request.hasFirstDueDate, let first = CivilDay(request.firstDueDate) {
        plan.firstDueDate = first
      } else {
        violations.append(DebtValidation.firstDueDate(request.hasFirstDueDate ? "OUT_OF_RANGE" : "REQUIRED"))
      }
      relief = plan
    case nil:
      violations.append(DebtValidation.required("kind"))
    }
    guard violations.isEmpty, let relief else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let workflow = workflow
    return try await change(
      call, caller: caller, target: .debt(try debtID(request.debtID)),
      decide: { snapshot, now in try workflow.raiseRelief(snapshot, relief, now: now) },
      answer: { outcome, wire in
        try .with {
          if let request = outcome.reliefRequest { $0.reliefRequest = wire.reliefRequest(request) }
          $0.debt = try outcome.debt(wire)
        }
      })
  }

  public func withdrawReliefRequest(
    request: Etimad_Debts_V1_WithdrawReliefRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_WithdrawReliefRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.reliefRequestID, field: "relief_request_id", notFound: DebtsErrors.reliefRequestNotFound)
    let caller = try caller()
    let workflow = workflow
    return try await change(
      call, caller: caller, target: .reliefRequest(id),
      decide: { snapshot, _ in try workflow.withdrawRelief(snapshot, caller: caller) },
      answer: { outcome, wire in
        .with { if let request = outcome.reliefRequest { $0.reliefRequest = wire.reliefRequest(request) } }
      })
  }

  public func approveReliefRequest(
    request: Etimad_Debts_V1_ApproveReliefRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ApproveReliefRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.reliefRequestID, field: "relief_request_id", notFound: DebtsErrors.reliefRequestNotFound)
    return try await decideRelief(call, id: id, approve: true, note: try optionalNote(request.note)) {
      outcome, wire in
      try .with {
        if let request = outcome.reliefRequest { $0.reliefRequest = wire.reliefRequest(request) }
        let debt = try outcome.debt(wire)
        $0.debt = debt
        if let movement = outcome.movement { $0.movement = wire.movement(movement) }
        if let plan = outcome.plan, let snapshot = outcome.debt {
          $0.plan = try wire.plan(plan, balance: try snapshot.balance())
        }
      }
    }
  }

  public func rejectReliefRequest(
    request: Etimad_Debts_V1_RejectReliefRequestRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_RejectReliefRequestResponse {
    let call = try mutation(request, request.requestID, context)
    let id = try requestID(
      request.reliefRequestID, field: "relief_request_id", notFound: DebtsErrors.reliefRequestNotFound)
    let note = try requiredNote(request.note, field: "note")
    return try await decideRelief(call, id: id, approve: false, note: note) { outcome, wire in
      .with { if let request = outcome.reliefRequest { $0.reliefRequest = wire.reliefRequest(request) } }
    }
  }

  private func decideRelief<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, id: Int64, approve: Bool, note: String,
    answer: @escaping @Sendable (DebtOutcome, DebtWire) throws -> Response
  ) async throws -> Response {
    let caller = try agency()
    let workflow = workflow
    let requestID = call.requestID
    return try await change(
      call, caller: caller, target: .reliefRequest(id),
      decide: { snapshot, now in
        try workflow.decideRelief(
          snapshot, approve: approve, note: note, caller: caller, requestID: requestID, now: now)
      }, answer: answer)
  }

  public func listReliefRequests(
    request: Etimad_Debts_V1_ListReliefRequestsRequest, context: ServerContext
  ) async throws -> Etimad_Debts_V1_ListReliefRequestsResponse {
    let caller = try caller()
    let id = try debtID(request.debtID)
    let size = try pageSize(request.pageSize)
    let key = "ListReliefRequests:\(caller.pagingKey):\(id)"
    let cursor = try paging.cursor(Cursor.self, from: request.pageToken, filters: key, domain: Self.domain)
    let page = try await store.reliefRequests(debtID: id, caller: caller, pageSize: size, before: cursor?.after)
    let wire = wire(caller)
    return .with {
      $0.reliefRequests = page.items.map(wire.reliefRequest)
      if let last = page.last { $0.nextPageToken = paging.token(for: Cursor(after: last), filters: key) }
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
