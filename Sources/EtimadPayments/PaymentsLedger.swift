import EtimadKit
import Foundation
import GRDB

/// The payments area's changes in SQLite: each runs in `database.mutate`, so that it happens
/// exactly once per request_id, in one transaction with its audit row. Load, decide
/// (`PaymentWorkflow`), write, read back: balances are checked and updated inside that write
/// transaction, which SQLite serialises, so two refund requests can never both reserve the
/// same refundable amount.
extension PaymentsStore {
  func change<Answer: Sendable>(_ change: PaymentChange<Answer>) async throws -> Answer {
    try await change.once.run(on: database) { db, now in
      let snapshot = try Self.snapshot(db, for: change.action)
      let decision = try PaymentWorkflow.decide(change.action, snapshot)
      let outcome = try Self.write(db, decision, time: StoredTime.milliseconds(now))
      return (try change.answer(outcome), PaymentWorkflow.audit(decision, outcome))
    }
  }

  /// What the action's rules need, read in the change's transaction.
  static func snapshot(_ db: Database, for action: PaymentAction) throws -> PaymentSnapshot {
    var snapshot = PaymentSnapshot()
    switch action {
    case .record(let new, _):
      snapshot.sectorAgency = try String.fetchOne(
        db, sql: "SELECT agency_code FROM payment_sectors WHERE code = ?", arguments: [new.sector])
      snapshot.serviceKnown =
        try Bool.fetchOne(
          db, sql: "SELECT EXISTS (SELECT 1 FROM payment_services WHERE sector_code = ? AND code = ?)",
          arguments: [new.sector, new.service]) == true
      snapshot.sameReference = try db.fetchOne(
        "SELECT \(PaymentColumn.selectList) FROM \(PaymentColumn.joins) WHERE p.sector_code = ? AND p.sadad_reference = ?",
        [.text(new.sector), .text(new.sadadReference)], { try PaymentColumn.payment($0) })
    case .move(let paymentID, let agency, _, _):
      snapshot.payment = try visiblePayment(db, id: paymentID, viewer: .agency(code: agency))
    case .requestRefund(let refund, let requester):
      snapshot.payment = try visiblePayment(db, id: refund.paymentID, viewer: .individual(idNumber: requester))
    case .decideRefund(let refundID, let agency, _, _, _):
      snapshot.refund = try refund(db, id: refundID)
      if let refund = snapshot.refund {
        snapshot.payment = try visiblePayment(db, id: refund.paymentID, viewer: .agency(code: agency))
      }
    }
    return snapshot
  }

  /// Writes what the rules decided and reads back the records it leaves.
  static func write(_ db: Database, _ decision: PaymentDecision, time: Int64) throws -> PaymentOutcome {
    switch decision {
    case .insert(let new):
      try db.execute(
        sql: """
          INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
            sadad_reference, amount, paid_time, state, record_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          new.sector, new.service, Beneficiary.code(new.beneficiary.kind), new.beneficiary.number, new.customerNumber,
          new.sadadReference, new.amount.value, new.paidTime, PaymentState.paid.rawValue, time,
        ])
      let id = db.lastInsertedRowID
      let movement = try appendMovement(
        db, payment: id, kind: .paid, amount: new.amount.value, time: new.paidTime, note: "")
      return PaymentOutcome(payment: try reread(db, payment: id), movement: movement)
    case .alreadyRecorded(let first):
      return PaymentOutcome(payment: first)
    case .move(let paymentID, let balance, let movement):
      try store(db, payment: paymentID, balance: balance)
      let appended = try appendMovement(
        db, payment: paymentID, kind: movement.kind, amount: movement.amount.value, time: time, note: movement.note)
      return PaymentOutcome(payment: try reread(db, payment: paymentID), movement: appended)
    case .openRefund(let refund, let requester, let sectorCode, let balance):
      try store(db, payment: refund.paymentID, balance: balance)
      try db.execute(
        sql: """
          INSERT INTO payment_refund_requests (payment_id, sector_code, requester, amount, iban, account_holder_name,
            state, create_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          refund.paymentID, sectorCode, requester, refund.amount.value, refund.iban, refund.holder,
          RefundState.pending.rawValue, time,
        ])
      let refundID = db.lastInsertedRowID
      let movement = try appendMovement(
        db, payment: refund.paymentID, kind: .refundRequested, amount: refund.amount.value, time: time, note: "",
        refundRequest: refundID)
      return PaymentOutcome(
        payment: try reread(db, payment: refund.paymentID), movement: movement,
        refund: try self.refund(db, id: refundID))
    case .closeRefund(let refundID, let paymentID, let state, let note, let employee, let balance, let movement):
      try store(db, payment: paymentID, balance: balance)
      try db.execute(
        sql:
          "UPDATE payment_refund_requests SET state = ?, decide_time = ?, decision_note = ?, employee = ? WHERE id = ?",
        arguments: [state.rawValue, time, note, employee, refundID])
      let appended = try appendMovement(
        db, payment: paymentID, kind: movement.kind, amount: movement.amount.value, time: time, note: note,
        refundRequest: refundID)
      return PaymentOutcome(
        payment: try reread(db, payment: paymentID), movement: appended, refund: try refund(db, id: refundID))
    }
  }

  // MARK: Helpers

  static func refund(_ db: Database, id: Int64) throws -> RefundRequest? {
    try db.fetchOne(
      "SELECT \(RefundColumn.selectList) FROM payment_refund_requests r WHERE r.id = ?", [.int(id)],
      RefundColumn.refund)
  }

  /// A payment this transaction just wrote.
  private static func reread(_ db: Database, payment id: Int64) throws -> Payment {
    guard let payment = try payment(db, id: id) else { throw PaymentsErrors.paymentNotFound }
    return payment
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
  ) throws -> PaymentMovement {
    try db.execute(
      sql:
        "INSERT INTO payment_movements (payment_id, kind, amount, time, note, refund_request_id) VALUES (?, ?, ?, ?, ?, ?)",
      arguments: [payment, kind.rawValue, amount, time, note, refundRequest])
    let id = db.lastInsertedRowID
    guard
      let movement = try db.fetchOne(
        "SELECT \(MovementColumn.selectList) FROM payment_movements m WHERE m.id = ?", [.int(id)],
        MovementColumn.movement)
    else { throw PaymentsErrors.paymentNotFound }
    return movement
  }
}
