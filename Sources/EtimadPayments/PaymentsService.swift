import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// `etimad.payments.v1.GovernmentPaymentService`: validates, checks who is calling, converts
/// between the wire and the domain (`PaymentsWire`), and leaves reads and changes to a
/// `PaymentStorage`.
public struct PaymentsService: Etimad_Payments_V1_GovernmentPaymentService.SimpleServiceProtocol {
  let store: any PaymentStorage
  let paging: Paging

  init(store: any PaymentStorage, paging: Paging) {
    self.store = store
    self.paging = paging
  }

  static let domain = PaymentsRules.domain
  static let defaultPageSize = 50
  static let maximumPageSize = 500
  /// Rows per database read of an export (and per streamed message).
  static let exportPageRows = 2000

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
    if paidTime > StoredTime.milliseconds(store.clock.now) + 300_000 { throw PaymentsErrors.paidTimeInFuture }
    let payment = NewPayment(
      sector: request.sectorCode, service: request.serviceCode, beneficiary: beneficiary, customerNumber: customer,
      sadadReference: sadad, amount: Halalas(amount), paidTime: paidTime)
    return try await store.change(
      PaymentChange(action: .record(payment, agency: agency.code), once: ExactlyOnce(call)) { outcome in
        .with { $0.payment = PaymentsWire.payment(outcome.payment) }
      })
  }

  public func recordMovement(
    request: Etimad_Payments_V1_RecordMovementRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_RecordMovementResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agency()
    var violations: [EtimadError.FieldViolation] = []
    let amount = PaymentsRules.positiveAmount(request.amount, field: "amount", into: &violations)
    var change: PaymentBalance.Change?
    switch request.kind {
    case .consumed: change = amount.map(PaymentBalance.Change.consume)
    case .cancelled: change = amount.map(PaymentBalance.Change.cancel)
    case .refunded: change = amount.map(PaymentBalance.Change.refundDirectly)
    default:
      violations.append(
        PaymentsErrors.field(
          "kind", "UNSUPPORTED_KIND", en: "Agencies record CONSUMED, CANCELLED or REFUNDED movements.",
          ar: "تسجل الجهات حركات الاستهلاك أو الإلغاء أو الاسترداد فقط."))
    }
    guard violations.isEmpty, let change else {
      throw EtimadError.invalidFields(violations, domain: Self.domain)
    }
    guard let id = PaymentsRules.paymentID(request.paymentID) else { throw PaymentsErrors.paymentNotFound }
    let action = PaymentAction.move(
      paymentID: id, agency: agency.code, change: change, note: String(request.note.prefix(500)))
    return try await store.change(
      PaymentChange(action: action, once: ExactlyOnce(call)) { outcome in
        .with {
          $0.payment = PaymentsWire.payment(outcome.payment)
          $0.movement = outcome.movement.map(PaymentsWire.movement) ?? .init()
        }
      })
  }

  public func listRefundRequests(
    request: Etimad_Payments_V1_ListRefundRequestsRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_ListRefundRequestsResponse {
    let agency = try agency()
    let size = try Paging.pageSize(
      request.pageSize, default: Self.defaultPageSize, maximum: Self.maximumPageSize, domain: Self.domain)
    let filters = "refunds|\(agency.code)|\(request.state.rawValue)"
    let after = try paging.cursor(Int64.self, from: request.pageToken, filters: filters, domain: Self.domain) ?? 0
    let state = PaymentsWire.refundState(request.state)
    // A state this version does not know names no request.
    if state == nil && request.state != .unspecified { return .init() }
    let rows = try await store.refundRequests(agency: agency.code, state: state, after: after, limit: size + 1)
    let page = rows.prefix(size)
    return .with {
      $0.refundRequests = page.map(PaymentsWire.refund)
      if rows.count > size, let last = page.last { $0.nextPageToken = paging.token(for: last.id, filters: filters) }
    }
  }

  public func completeRefund(
    request: Etimad_Payments_V1_CompleteRefundRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_CompleteRefundResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agency()
    guard let id = PaymentsRules.paymentID(request.refundRequestID) else { throw PaymentsErrors.refundRequestNotFound }
    let action = PaymentAction.decideRefund(
      refundID: id, agency: agency.code, employee: agency.employee, complete: true,
      note: String(request.note.prefix(500)))
    return try await store.change(
      PaymentChange(action: action, once: ExactlyOnce(call)) { outcome in
        .with {
          $0.refundRequest = outcome.refund.map(PaymentsWire.refund) ?? .init()
          $0.payment = PaymentsWire.payment(outcome.payment)
        }
      })
  }

  public func rejectRefund(
    request: Etimad_Payments_V1_RejectRefundRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_RejectRefundResponse {
    let call = try mutation(request, request.requestID, context)
    let agency = try agency()
    let reason = request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
    if reason.isEmpty { throw EtimadError.invalidFields([PaymentsErrors.required("reason")], domain: Self.domain) }
    guard let id = PaymentsRules.paymentID(request.refundRequestID) else { throw PaymentsErrors.refundRequestNotFound }
    let action = PaymentAction.decideRefund(
      refundID: id, agency: agency.code, employee: agency.employee, complete: false, note: String(reason.prefix(500)))
    return try await store.change(
      PaymentChange(action: action, once: ExactlyOnce(call)) { outcome in
        .with {
          $0.refundRequest = outcome.refund.map(PaymentsWire.refund) ?? .init()
          $0.payment = PaymentsWire.payment(outcome.payment)
        }
      })
  }

  // MARK: Inquiry (individuals)

  public func searchPayments(
    request: Etimad_Payments_V1_SearchPaymentsRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_SearchPaymentsResponse {
    let viewer = try viewer()
    var violations: [EtimadError.FieldViolation] = []
    let query = PaymentsWire.query(request.filter, prefix: "filter.", into: &violations)
    let size: Int
    do {
      size = try Paging.pageSize(
        request.pageSize, default: Self.defaultPageSize, maximum: Self.maximumPageSize, domain: Self.domain)
    } catch {
      violations += error.fieldViolations
      size = 0
    }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let filters = query.description(viewer: viewer)
    let cursor = try paging.cursor(TimeCursor.self, from: request.pageToken, filters: filters, domain: Self.domain)
    let rows = try await store.payments(query, viewer: viewer, after: cursor, limit: size + 1)
    let page = rows.prefix(size)
    return .with {
      $0.payments = page.map(PaymentsWire.payment)
      if rows.count > size, let last = page.last {
        $0.nextPageToken = paging.token(for: TimeCursor(t: last.paidTime, i: last.id), filters: filters)
      }
    }
  }

  public func getPayment(
    request: Etimad_Payments_V1_GetPaymentRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_GetPaymentResponse {
    let viewer = try viewer()
    guard let id = PaymentsRules.paymentID(request.paymentID),
      let details = try await store.payment(id: id, viewer: viewer)
    else { throw PaymentsErrors.paymentNotFound }
    return .with {
      $0.payment = PaymentsWire.payment(details.payment)
      $0.movements = details.movements.map(PaymentsWire.movement)
      $0.refundRequests = details.refundRequests.map(PaymentsWire.refund)
    }
  }

  public func listCancelledOperations(
    request: Etimad_Payments_V1_ListCancelledOperationsRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_ListCancelledOperationsResponse {
    let viewer = try viewer()
    let size = try Paging.pageSize(
      request.pageSize, default: Self.defaultPageSize, maximum: Self.maximumPageSize, domain: Self.domain)
    let filters = "cancelled|" + viewer.key
    let cursor = try paging.cursor(TimeCursor.self, from: request.pageToken, filters: filters, domain: Self.domain)
    let rows = try await store.cancelledOperations(viewer: viewer, after: cursor, limit: size + 1)
    let page = rows.prefix(size)
    return .with {
      $0.operations = page.map { operation in
        .with {
          $0.movement = PaymentsWire.movement(operation.movement)
          $0.payment = PaymentsWire.payment(operation.payment)
        }
      }
      if rows.count > size, let last = page.last {
        $0.nextPageToken = paging.token(
          for: TimeCursor(t: last.movement.time, i: last.movement.id), filters: filters)
      }
    }
  }

  public func getBalance(
    request: Etimad_Payments_V1_GetBalanceRequest, context: ServerContext
  ) async throws -> Etimad_Payments_V1_GetBalanceResponse {
    let sectors = try await store.balances(viewer: try viewer())
    var response = Etimad_Payments_V1_GetBalanceResponse()
    var total = PaymentBalance.zero
    for sector in sectors {
      total = try total.adding(sector.balance)
      let (count, overflow) = response.paymentCount.addingReportingOverflow(sector.paymentCount)
      guard !overflow else { throw Halalas.Problem.overflow }
      response.paymentCount = count
      response.sectors.append(
        .with {
          $0.sectorCode = sector.sectorCode
          $0.sectorName = PaymentsWire.text(sector.sectorName)
          $0.balance = PaymentsWire.balance(sector.balance)
          $0.paymentCount = sector.paymentCount
        })
    }
    response.total = PaymentsWire.balance(total)
    return response
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
    let refund = NewRefund(paymentID: id, amount: Halalas(amount), iban: iban.value, holder: holder)
    return try await store.change(
      PaymentChange(action: .requestRefund(refund, requester: idNumber), once: ExactlyOnce(call)) { outcome in
        .with {
          $0.refundRequest = outcome.refund.map(PaymentsWire.refund) ?? .init()
          $0.payment = PaymentsWire.payment(outcome.payment)
        }
      })
  }

  // MARK: Export

  public func exportPayments(
    request: Etimad_Payments_V1_ExportPaymentsRequest,
    response: RPCWriter<Etimad_Payments_V1_ExportPaymentsResponse>,
    context: ServerContext
  ) async throws {
    let viewer = try viewer()
    var violations: [EtimadError.FieldViolation] = []
    let query = PaymentsWire.query(request.filter, prefix: "filter.", into: &violations)
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
          limit: Self.exportPageRows)
        if chunk.rows > 0 {
          try await Self.send(response) {
            $0.data = Data(chunk.bytes)
            $0.rows = Int64(chunk.rows)
          }
        }
        guard chunk.rows == Self.exportPageRows, let last = chunk.last else { break }
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
