import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf

/// The payments area's changes: each one runs in `database.mutate`, so that it happens exactly
/// once per request_id, in one transaction with its audit row. Balances are checked and
/// updated inside that write transaction, which SQLite serialises: two refund requests can
/// never both reserve the same refundable amount.
extension PaymentsStore {
  /// A validated RecordPayment.
  struct NewPayment: Sendable {
    let sector: String
    let service: String
    let beneficiary: NationalID
    let customerNumber: String
    let sadadReference: String
    let amount: Int64
    let paidTime: Int64
  }

  func recordPayment(
    _ call: MutationCall<Etimad_Payments_V1_RecordPaymentRequest>, agency: String, payment new: NewPayment
  ) async throws -> Etimad_Payments_V1_RecordPaymentResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      guard
        let owner = try String.fetchOne(
          db, sql: "SELECT agency_code FROM payment_sectors WHERE code = ?", arguments: [new.sector])
      else { throw PaymentsErrors.unknownSector }
      guard owner == agency else { throw PaymentsErrors.sectorOfAnotherAgency }
      guard
        try Bool.fetchOne(
          db, sql: "SELECT EXISTS (SELECT 1 FROM payment_services WHERE sector_code = ? AND code = ?)",
          arguments: [new.sector, new.service]) == true
      else { throw PaymentsErrors.unknownService }
      let type = PaymentRecord.storedType(new.beneficiary.kind)
      if let row = try Row.fetchOne(
        db,
        sql: """
          SELECT id, service_code, beneficiary_number, customer_number, amount, paid_time FROM payments
          WHERE sector_code = ? AND sadad_reference = ?
          """, arguments: [new.sector, new.sadadReference])
      {
        // Exactly once by SADAD reference: the same payment reported again gets the first answer.
        let same =
          row[1] == new.service && row[2] == new.beneficiary.number && row[3] == new.customerNumber
          && row[4] == new.amount && row[5] == new.paidTime
        guard same else { throw PaymentsErrors.sadadReferenceExists }
        let id: Int64 = row[0]
        let record = try Self.visiblePayment(db, id: id, viewer: .agency(code: agency))
        return (
          .with { $0.payment = record?.proto ?? .init() },
          AuditRecord(target: "payment/\(id)", summary: "SADAD reference \(new.sadadReference) already recorded")
        )
      }
      let nowMillis = Int64((now.timeIntervalSince1970 * 1000).rounded(.down))
      try db.execute(
        sql: """
          INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
            sadad_reference, amount, paid_time, state, record_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          new.sector, new.service, type, new.beneficiary.number, new.customerNumber, new.sadadReference, new.amount,
          new.paidTime, PaymentState.paid.rawValue, nowMillis,
        ])
      let id = db.lastInsertedRowID
      try Self.appendMovement(db, payment: id, kind: .paid, amount: new.amount, time: new.paidTime, note: "")
      let record = try Self.visiblePayment(db, id: id, viewer: .agency(code: agency))
      return (
        .with { $0.payment = record?.proto ?? .init() },
        AuditRecord(
          target: "payment/\(id)",
          summary: "recorded \(Halalas(new.amount)) for \(new.sector)/\(new.service), SADAD \(new.sadadReference)")
      )
    }
  }

  func recordMovement(
    _ call: MutationCall<Etimad_Payments_V1_RecordMovementRequest>, agency: String, paymentID: Int64,
    change: PaymentBalance.Change, kind: MovementKind, note: String
  ) async throws -> Etimad_Payments_V1_RecordMovementResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      guard let record = try Self.visiblePayment(db, id: paymentID, viewer: .agency(code: agency)) else {
        throw PaymentsErrors.paymentNotFound
      }
      let next = try Self.apply(change, to: record.balance)
      try Self.store(db, payment: paymentID, balance: next)
      let movement = try Self.appendMovement(
        db, payment: paymentID, kind: kind, amount: change.amount, time: Self.millis(now), note: note)
      let updated = try Self.visiblePayment(db, id: paymentID, viewer: .agency(code: agency))
      return (
        .with {
          $0.payment = updated?.proto ?? .init()
          $0.movement = movement.proto
        },
        AuditRecord(target: "payment/\(paymentID)", summary: "movement \(kind) of \(Halalas(change.amount))")
      )
    }
  }

  /// A validated RequestRefund.
  struct NewRefund: Sendable {
    let paymentID: Int64
    let amount: Int64
    let iban: String
    let holder: String
  }

  func requestRefund(
    _ call: MutationCall<Etimad_Payments_V1_RequestRefundRequest>, requester: String, refund: NewRefund
  ) async throws -> Etimad_Payments_V1_RequestRefundResponse {
    try await database.mutate(call, domain: Self.domain) { db, now in
      let viewer = Viewer.individual(idNumber: requester)
      guard let record = try Self.visiblePayment(db, id: refund.paymentID, viewer: viewer) else {
        throw PaymentsErrors.paymentNotFound
      }
      let next = try Self.apply(.requestRefund(refund.amount), to: record.balance)
      try Self.store(db, payment: refund.paymentID, balance: next)
      let time = Self.millis(now)
      try db.execute(
        sql: """
          INSERT INTO payment_refund_requests (payment_id, sector_code, requester, amount, iban, account_holder_name,
            state, create_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          refund.paymentID, record.sectorCode, requester, refund.amount, refund.iban, refund.holder,
          Etimad_Payments_V1_RefundRequestState.pending.rawValue, time,
        ])
      let refundID = db.lastInsertedRowID
      try Self.appendMovement(
        db, payment: refund.paymentID, kind: .refundRequested, amount: refund.amount, time: time, note: "",
        refundRequest: refundID)
      return (
        .with {
          $0.refundRequest = (try? Self.refund(db, id: refundID))?.proto ?? .init()
          $0.payment = (try? Self.visiblePayment(db, id: refund.paymentID, viewer: viewer))?.proto ?? .init()
        },
        AuditRecord(
          target: "payment/\(refund.paymentID)",
          summary:
            "refund request \(refundID) of \(Halalas(refund.amount)) to an IBAN of bank \(refund.iban.dropFirst(4).prefix(2))"
        )
      )
    }
  }

  /// Completes (paid to the IBAN) or rejects a pending refund request of the agency's sectors.
  func decideRefund<Request: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>, agency: String, employee: String?, refundID: Int64, complete: Bool, note: String
  ) async throws -> (Etimad_Payments_V1_RefundRequest, Etimad_Payments_V1_Payment) {
    let response: Etimad_Payments_V1_CompleteRefundResponse = try await database.mutate(call, domain: Self.domain) {
      db, now in
      guard let refund = try Self.refund(db, id: refundID),
        let record = try Self.visiblePayment(db, id: refund.paymentID, viewer: .agency(code: agency))
      else { throw PaymentsErrors.refundRequestNotFound }
      guard refund.state == Etimad_Payments_V1_RefundRequestState.pending.rawValue else {
        throw PaymentsErrors.refundNotPending
      }
      let change: PaymentBalance.Change = complete ? .completeRefund(refund.amount) : .rejectRefund(refund.amount)
      let next = try Self.apply(change, to: record.balance)
      try Self.store(db, payment: refund.paymentID, balance: next)
      let time = Self.millis(now)
      let state: Etimad_Payments_V1_RefundRequestState = complete ? .completed : .rejected
      try db.execute(
        sql:
          "UPDATE payment_refund_requests SET state = ?, decide_time = ?, decision_note = ?, employee = ? WHERE id = ?",
        arguments: [state.rawValue, time, note, employee, refundID])
      try Self.appendMovement(
        db, payment: refund.paymentID, kind: complete ? .refunded : .refundRejected, amount: refund.amount, time: time,
        note: note, refundRequest: refundID)
      return (
        .with {
          $0.refundRequest = (try? Self.refund(db, id: refundID))?.proto ?? .init()
          $0.payment =
            (try? Self.visiblePayment(db, id: refund.paymentID, viewer: .agency(code: agency)))?.proto ?? .init()
        },
        AuditRecord(
          target: "payment/\(refund.paymentID)",
          summary: "refund request \(refundID) \(complete ? "completed" : "rejected")")
      )
    }
    return (response.refundRequest, response.payment)
  }

  // MARK: Helpers

  static func refund(_ db: Database, id: Int64) throws -> RefundRecord? {
    try db.fetchOne(
      "SELECT \(RefundRecord.columns) FROM payment_refund_requests r WHERE r.id = ?", [.int(id)],
      RefundRecord.init(row:))
  }

  static func apply(_ change: PaymentBalance.Change, to balance: PaymentBalance) throws -> PaymentBalance {
    do {
      return try balance.applying(change)
    } catch {
      let part =
        switch change {
        case .consume, .cancel: "available"
        case .requestRefund, .refundDirectly: "refundable"
        case .completeRefund, .rejectRefund: "refund_pending"
        }
      throw PaymentsErrors.exceeds(error, part: part)
    }
  }

  static func store(_ db: Database, payment id: Int64, balance: PaymentBalance) throws {
    try db.execute(
      sql: "UPDATE payments SET consumed = ?, cancelled = ?, refund_pending = ?, refunded = ?, state = ? WHERE id = ?",
      arguments: [
        balance.consumed, balance.cancelled, balance.refundPending, balance.refunded, balance.state.rawValue, id,
      ])
  }

  @discardableResult
  static func appendMovement(
    _ db: Database, payment: Int64, kind: MovementKind, amount: Int64, time: Int64, note: String,
    refundRequest: Int64? = nil
  ) throws -> MovementRecord {
    try db.execute(
      sql:
        "INSERT INTO payment_movements (payment_id, kind, amount, time, note, refund_request_id) VALUES (?, ?, ?, ?, ?, ?)",
      arguments: [payment, kind.rawValue, amount, time, note, refundRequest])
    let id = db.lastInsertedRowID
    guard
      let movement = try db.fetchOne(
        "SELECT \(MovementRecord.columns) FROM payment_movements m WHERE m.id = ?", [.int(id)],
        { MovementRecord(row: $0) })
    else { throw PaymentsErrors.paymentNotFound }
    return movement
  }

  static func millis(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
  }
}
