import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `etimad.payments.v1.GovernmentPaymentService`: validates, checks who is calling, and
/// leaves reads and changes to `PaymentsStore`.
public struct PaymentsService: Etimad_Payments_V1_GovernmentPaymentService.SimpleServiceProtocol {
  let store: PaymentsStore

  public init(store: PaymentsStore) {
    self.store = store
  }

  static let domain = PaymentsRules.domain
  static let defaultPageSize = 50
  static let maximumPageSize = 500

  // MARK: Catalogue

  public func listSectors(
    request: Etimad_Payments_V1_ListSectorsRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_ListSectorsResponse {
    let sectors = try await store.sectors()
    return .with {
      $0.sectors = sectors.map { sector in
        .with {
          $0.code = sector.code
          $0.name = .with {
            $0.ar = sector.nameAr
            $0.en = sector.nameEn
          }
          $0.agencyCode = sector.agencyCode
        }
      }
    }
  }

  public func listServices(
    request: Etimad_Payments_V1_ListServicesRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_ListServicesResponse {
    let services = try await store.services(sector: request.sectorCode.isEmpty ? nil : request.sectorCode)
    return .with {
      $0.services = services.map { service in
        .with {
          $0.sectorCode = service.sectorCode
          $0.code = service.code
          $0.name = .with {
            $0.ar = service.nameAr
            $0.en = service.nameEn
          }
          $0.fee = .sar(service.fee)
        }
      }
    }
  }

  // MARK: Recording (agencies)

  public func recordPayment(
    request: Etimad_Payments_V1_RecordPaymentRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_RecordPaymentResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agency()
    var violations: [EtimadError.FieldViolation] = []
    if request.sectorCode.isEmpty { violations.append(PaymentsErrors.required("sector_code")) }
    if request.serviceCode.isEmpty { violations.append(PaymentsErrors.required("service_code")) }
    let beneficiary = PaymentsRules.beneficiary(request.beneficiary, field: "beneficiary.number", into: &violations)
    let customer = PaymentsRules.customerNumber(request.customerNumber, field: "customer_number", into: &violations)
    let sadad = PaymentsRules.sadadReference(request.sadadReference, field: "sadad_reference", into: &violations)
    let amount = PaymentsRules.positiveAmount(request.amount, field: "amount", into: &violations)
    if !request.hasPaidTime { violations.append(PaymentsErrors.required("paid_time")) }
    guard violations.isEmpty, let beneficiary, let customer, let sadad, let amount else {
      throw EtimadError.invalidFields(violations, domain: Self.domain)
    }
    let paidTime = WireTime.milliseconds(request.paidTime)
    // A few minutes of clock skew between the sector's system and the daemon are tolerated.
    if paidTime > PaymentsStore.millis(store.clock.now) + 300_000 { throw PaymentsErrors.paidTimeInFuture }
    return try await store.recordPayment(
      call, agency: agency.code,
      payment: .init(
        sector: request.sectorCode, service: request.serviceCode, beneficiary: beneficiary, customerNumber: customer,
        sadadReference: sadad, amount: amount, paidTime: paidTime))
  }

  public func recordMovement(
    request: Etimad_Payments_V1_RecordMovementRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_RecordMovementResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agency()
    var violations: [EtimadError.FieldViolation] = []
    let amount = PaymentsRules.positiveAmount(request.amount, field: "amount", into: &violations)
    var kind: MovementKind?
    switch request.kind {
    case .consumed: kind = .consumed
    case .cancelled: kind = .cancelled
    case .refunded: kind = .refunded
    default:
      violations.append(
        PaymentsErrors.field(
          "kind", "UNSUPPORTED_KIND", en: "Agencies record CONSUMED, CANCELLED or REFUNDED movements.",
          ar: "تسجل الجهات حركات الاستهلاك أو الإلغاء أو الاسترداد فقط."))
    }
    guard violations.isEmpty, let amount, let kind else {
      throw EtimadError.invalidFields(violations, domain: Self.domain)
    }
    guard let id = PaymentsRules.paymentID(request.paymentID) else { throw PaymentsErrors.paymentNotFound }
    let change: PaymentBalance.Change =
      switch kind {
      case .consumed: .consume(amount)
      case .cancelled: .cancel(amount)
      default: .refundDirectly(amount)
      }
    return try await store.recordMovement(
      call, agency: agency.code, paymentID: id, change: change, kind: kind, note: String(request.note.prefix(500)))
  }

  public func listRefundRequests(
    request: Etimad_Payments_V1_ListRefundRequestsRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_ListRefundRequestsResponse {
    let agency = try agency()
    let size = try Paging.pageSize(
      request.pageSize, default: Self.defaultPageSize, maximum: Self.maximumPageSize, domain: Self.domain)
    let state = request.state == .unspecified ? nil : request.state.rawValue
    let (requests, next) = try await store.refundRequests(
      agency: agency.code, state: state, pageSize: size, pageToken: request.pageToken)
    return .with {
      $0.refundRequests = requests
      $0.nextPageToken = next
    }
  }

  public func completeRefund(
    request: Etimad_Payments_V1_CompleteRefundRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_CompleteRefundResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agency()
    guard let id = PaymentsRules.paymentID(request.refundRequestID) else { throw PaymentsErrors.refundRequestNotFound }
    let (refund, payment) = try await store.decideRefund(
      call, agency: agency.code, employee: agency.employee, refundID: id, complete: true,
      note: String(request.note.prefix(500)))
    return .with {
      $0.refundRequest = refund
      $0.payment = payment
    }
  }

  public func rejectRefund(
    request: Etimad_Payments_V1_RejectRefundRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_RejectRefundResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agency()
    let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
    if reason.isEmpty { throw EtimadError.invalidFields([PaymentsErrors.required("reason")], domain: Self.domain) }
    guard let id = PaymentsRules.paymentID(request.refundRequestID) else { throw PaymentsErrors.refundRequestNotFound }
    let (refund, payment) = try await store.decideRefund(
      call, agency: agency.code, employee: agency.employee, refundID: id, complete: false,
      note: String(reason.prefix(500)))
    return .with {
      $0.refundRequest = refund
      $0.payment = payment
    }
  }

  // MARK: Inquiry (individuals)

  public func searchPayments(
    request: Etimad_Payments_V1_SearchPaymentsRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_SearchPaymentsResponse {
    let viewer = try viewer()
    var violations: [EtimadError.FieldViolation] = []
    let query = PaymentQuery.parse(request.filter, prefix: "filter.", into: &violations)
    let size: Int
    do {
      size = try Paging.pageSize(
        request.pageSize, default: Self.defaultPageSize, maximum: Self.maximumPageSize, domain: Self.domain)
    } catch {
      violations += error.fieldViolations
      size = 0
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let (payments, next) = try await store.search(
      viewer: viewer, query: query, pageSize: size, pageToken: request.pageToken)
    return .with {
      $0.payments = payments
      $0.nextPageToken = next
    }
  }

  public func getPayment(
    request: Etimad_Payments_V1_GetPaymentRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_GetPaymentResponse {
    let viewer = try viewer()
    guard let id = PaymentsRules.paymentID(request.paymentID) else { throw PaymentsErrors.paymentNotFound }
    return try await store.payment(id: id, viewer: viewer)
  }

  public func listCancelledOperations(
    request: Etimad_Payments_V1_ListCancelledOperationsRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_ListCancelledOperationsResponse {
    let viewer = try viewer()
    let size = try Paging.pageSize(
      request.pageSize, default: Self.defaultPageSize, maximum: Self.maximumPageSize, domain: Self.domain)
    let (operations, next) = try await store.cancelledOperations(
      viewer: viewer, pageSize: size, pageToken: request.pageToken)
    return .with {
      $0.operations = operations
      $0.nextPageToken = next
    }
  }

  public func getBalance(
    request: Etimad_Payments_V1_GetBalanceRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_GetBalanceResponse {
    try await store.balance(viewer: try viewer())
  }

  public func requestRefund(
    request: Etimad_Payments_V1_RequestRefundRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_RequestRefundResponse {
    let call = try mutation(request, request.requestID, context)
    guard case .individual(let idNumber) = try viewer() else { throw PaymentsErrors.paymentNotFound }
    var violations: [EtimadError.FieldViolation] = []
    let amount = PaymentsRules.positiveAmount(request.amount, field: "amount", into: &violations)
    let iban = PaymentsRules.refundIBAN(request.iban, field: "iban", into: &violations)
    let holder = PaymentsRules.accountHolderName(
      request.accountHolderName, field: "account_holder_name", into: &violations)
    guard violations.isEmpty, let amount, let iban, let holder else {
      throw EtimadError.invalidFields(violations, domain: Self.domain)
    }
    guard let id = PaymentsRules.paymentID(request.paymentID) else { throw PaymentsErrors.paymentNotFound }
    return try await store.requestRefund(
      call, requester: idNumber, refund: .init(paymentID: id, amount: amount, iban: iban.value, holder: holder))
  }

  // MARK: Export

  public func exportPayments(
    request: Etimad_Payments_V1_ExportPaymentsRequest,
    response: RPCWriter<Etimad_Payments_V1_ExportPaymentsResponse>,
    context: ServerContext
  ) async throws {
    let viewer = try viewer()
    var violations: [EtimadError.FieldViolation] = []
    let query = PaymentQuery.parse(request.filter, prefix: "filter.", into: &violations)
    let format: ExportWriter.Format
    switch request.format {
    case .unspecified, .csv: format = .csv
    case .jsonLines: format = .jsonLines
    case .UNRECOGNIZED:
      format = .csv
      violations.append(
        PaymentsErrors.field("format", "UNKNOWN_FORMAT", en: "Choose CSV or JSON Lines.", ar: "اختر CSV أو JSON Lines.")
      )
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let scopes = try await exportScopes(viewer, query: query)
    let writer = ExportWriter(format: format, arabic: request.arabicHeaders)
    let snapshot = try await store.exportSnapshot(scopes: scopes, query: query)
    let preamble = writer.preamble()
    try await Self.send(response) {
      $0.data = Data(preamble)
      $0.expectedRows = snapshot.rows
    }
    for scope in scopes {
      var cursor: TimeCursor?
      while true {
        try Task.checkCancellation()
        let chunk = try await store.exportChunk(
          scope: scope, query: query, snapshot: snapshot, after: cursor, writer: writer,
          limit: PaymentsStore.exportPageRows)
        if chunk.rows > 0 {
          try await Self.send(response) {
            $0.data = Data(chunk.bytes)
            $0.rows = Int64(chunk.rows)
          }
        }
        guard chunk.rows == PaymentsStore.exportPageRows, let last = chunk.last else { break }
        cursor = last
      }
    }
  }

  /// Writes one message; a client that went away ends the export as CANCELLED, not as a
  /// server failure.
  private static func send(
    _ response: RPCWriter<Etimad_Payments_V1_ExportPaymentsResponse>,
    _ build: (inout Etimad_Payments_V1_ExportPaymentsResponse) -> Void
  ) async throws {
    do {
      try await response.write(.with(build))
    } catch {
      throw RPCError(code: .cancelled, message: "The client stopped reading the export.")
    }
  }

  /// An individual exports their own payments; an agency its sectors', one sector at a time so
  /// that each read follows the sector/time index.
  private func exportScopes(_ viewer: Viewer, query: PaymentQuery) async throws -> [PaymentScope] {
    switch viewer {
    case .individual(let id):
      return [.individual(id)]
    case .agency(let code):
      let own = try await store.sectorCodes(agency: code)
      if let sector = query.sector {
        guard own.contains(sector) else { throw PaymentsErrors.sectorNotFound }
        return [.sector(sector)]
      }
      return own.map { PaymentScope.sector($0) }
    }
  }

  // MARK: Helpers

  private func mutation<Request: SwiftProtobuf.Message>(
    _ request: Request, _ requestID: String, _ context: ServerContext
  ) throws -> MutationCall<Request> {
    try MutationCall(request, requestID: requestID, context: context, domain: Self.domain)
  }

  private func agency() throws -> Principal.Agency {
    guard case .agency(let agency) = Principal.current else {
      throw PaymentsErrors.sectorNotFound
    }
    return agency
  }

  private func viewer() throws -> Viewer {
    switch Principal.current {
    case .individual(let person): return .individual(idNumber: person.nationalID.number)
    case .agency(let agency): return .agency(code: agency.code)
    case .anonymous: throw PaymentsErrors.paymentNotFound
    }
  }
}
