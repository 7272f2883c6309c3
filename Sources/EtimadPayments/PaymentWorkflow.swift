import EtimadKit

/// The order in which the payments rules run on a change, as pure functions of the snapshot
/// the store loaded in the change's transaction: the same whichever store is behind
/// `PaymentStorage`. No I/O.
enum PaymentWorkflow {
  /// What `action` does to the records in `snapshot`, or the error that refuses it.
  static func decide(_ action: PaymentAction, _ snapshot: PaymentSnapshot) throws -> PaymentDecision {
    switch action {
    case .record(let new, let agency):
      return try record(new, agency: agency, snapshot)
    case .move(let paymentID, _, let change, let note):
      guard let payment = snapshot.payment, payment.id == paymentID else { throw PaymentsErrors.paymentNotFound }
      let balance = try apply(change, to: payment.balance)
      return .move(
        paymentID: paymentID, balance: balance,
        movement: NewMovement(kind: change.movementKind, amount: Halalas(change.amount), note: note))
    case .requestRefund(let refund, let requester):
      guard let payment = snapshot.payment, payment.id == refund.paymentID else {
        throw PaymentsErrors.paymentNotFound
      }
      let balance = try apply(.requestRefund(refund.amount.value), to: payment.balance)
      return .openRefund(refund, requester: requester, sectorCode: payment.sectorCode, balance: balance)
    case .decideRefund(let refundID, _, let employee, let complete, let note):
      guard let refund = snapshot.refund, refund.id == refundID, let payment = snapshot.payment,
        payment.id == refund.paymentID
      else { throw PaymentsErrors.refundRequestNotFound }
      guard refund.state == .pending else { throw PaymentsErrors.refundNotPending }
      let change: PaymentBalance.Change =
        complete ? .completeRefund(refund.amount.value) : .rejectRefund(refund.amount.value)
      let balance = try apply(change, to: payment.balance)
      return .closeRefund(
        refundID: refundID, paymentID: payment.id, state: complete ? .completed : .rejected, note: note,
        employee: employee, balance: balance,
        movement: NewMovement(kind: change.movementKind, amount: refund.amount, note: note))
    }
  }

  /// Recording: the sector must exist and be the agency's, the service the sector's; a SADAD
  /// reference already recorded in the sector is the same payment reported again (answered
  /// with the first record) or a conflict.
  static func record(_ new: NewPayment, agency: String, _ snapshot: PaymentSnapshot) throws -> PaymentDecision {
    guard let owner = snapshot.sectorAgency else { throw PaymentsErrors.unknownSector }
    guard owner == agency else { throw PaymentsErrors.sectorOfAnotherAgency }
    guard snapshot.serviceKnown else { throw PaymentsErrors.unknownService }
    guard let first = snapshot.sameReference else { return .insert(new) }
    let same =
      first.serviceCode == new.service && first.beneficiary.number == new.beneficiary.number
      && first.customerNumber == new.customerNumber && first.amount == new.amount && first.paidTime == new.paidTime
    guard same else { throw PaymentsErrors.sadadReferenceExists }
    return .alreadyRecorded(first)
  }

  /// The audit row of a change, from what was decided and what it left.
  static func audit(_ decision: PaymentDecision, _ outcome: PaymentOutcome) -> AuditRecord {
    let target = "payment/\(outcome.payment.id)"
    switch decision {
    case .insert(let new):
      return AuditRecord(
        target: target,
        summary: "recorded \(new.amount) for \(new.sector)/\(new.service), SADAD \(new.sadadReference)")
    case .alreadyRecorded(let first):
      return AuditRecord(target: target, summary: "SADAD reference \(first.sadadReference) already recorded")
    case .move(_, _, let movement):
      return AuditRecord(target: target, summary: "movement \(movement.kind.auditName) of \(movement.amount)")
    case .openRefund(let refund, _, _, _):
      let refundID = outcome.refund.map { String($0.id) } ?? "?"
      return AuditRecord(
        target: target,
        summary:
          "refund request \(refundID) of \(refund.amount) to an IBAN of bank \(refund.iban.dropFirst(4).prefix(2))"
      )
    case .closeRefund(let refundID, _, let state, _, _, _, _):
      return AuditRecord(
        target: target, summary: "refund request \(refundID) \(state == .completed ? "completed" : "rejected")")
    }
  }

  /// The balance after `change`, or the error naming the part it exceeds.
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
}

extension PaymentBalance.Change {
  /// The ledger movement that records this change.
  var movementKind: MovementKind {
    switch self {
    case .consume: .consumed
    case .cancel: .cancelled
    case .requestRefund: .refundRequested
    case .completeRefund, .refundDirectly: .refunded
    case .rejectRefund: .refundRejected
    }
  }
}

extension MovementKind {
  /// How audit summaries have named the kind (Swift's case name, as before the stored codes).
  var auditName: String {
    switch self {
    case .paid: "paid"
    case .consumed: "consumed"
    case .cancelled: "cancelled"
    case .refundRequested: "refundRequested"
    case .refunded: "refunded"
    case .refundRejected: "refundRejected"
    }
  }
}
