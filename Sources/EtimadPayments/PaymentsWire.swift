import EtimadKit
import EtimadProtos
import SwiftProtobuf

/// The payments area's domain values as wire messages, and wire filters as domain values:
/// the handler's half of the conversion, the only place protos meet the domain.
enum PaymentsWire {
  static func payment(_ payment: Payment) -> Etimad_Payments_V1_Payment {
    .with {
      $0.paymentID = String(payment.id)
      $0.sectorCode = payment.sectorCode
      $0.serviceCode = payment.serviceCode
      $0.sectorName = text(payment.sectorName)
      $0.serviceName = text(payment.serviceName)
      $0.beneficiary = .with {
        $0.type = idType(payment.beneficiary.kind)
        $0.number = payment.beneficiary.number
      }
      $0.customerNumber = payment.customerNumber
      $0.sadadReference = payment.sadadReference
      $0.amount = .sar(payment.balance.paid)
      $0.paidTime = PaymentsRules.timestamp(milliseconds: payment.paidTime)
      $0.state = state(payment.state)
      $0.balance = balance(payment.balance)
    }
  }

  static func movement(_ movement: PaymentMovement) -> Etimad_Payments_V1_Movement {
    .with {
      $0.movementID = String(movement.id)
      $0.kind = kind(movement.kind)
      $0.amount = .sar(movement.amount.value)
      $0.time = PaymentsRules.timestamp(milliseconds: movement.time)
      $0.note = movement.note
      $0.refundRequestID = movement.refundRequestID.map { String($0) } ?? ""
    }
  }

  static func refund(_ refund: RefundRequest) -> Etimad_Payments_V1_RefundRequest {
    .with {
      $0.refundRequestID = String(refund.id)
      $0.paymentID = String(refund.paymentID)
      $0.amount = .sar(refund.amount.value)
      $0.iban = refund.iban
      if let bank = try? SaudiIBAN(parsing: refund.iban, requireKnownBank: false).bank {
        $0.bankName = .with {
          $0.ar = bank.nameAR
          $0.en = bank.nameEN
        }
      }
      $0.accountHolderName = refund.accountHolderName
      $0.state = refundState(refund.state)
      $0.createTime = PaymentsRules.timestamp(milliseconds: refund.createTime)
      if let decideTime = refund.decideTime { $0.decideTime = PaymentsRules.timestamp(milliseconds: decideTime) }
      $0.decisionNote = refund.decisionNote
      $0.requesterIDNumber = refund.requester
    }
  }

  static func balance(_ balance: PaymentBalance) -> Etimad_Payments_V1_Balance {
    .with {
      $0.paid = .sar(balance.paid)
      $0.available = .sar(balance.available)
      $0.refundable = .sar(balance.refundable)
      $0.refundPending = .sar(balance.refundPending)
      $0.consumed = .sar(balance.consumed)
      $0.refunded = .sar(balance.refunded)
    }
  }

  static func text(_ text: LocalizedString) -> Etimad_Type_V1_LocalizedText {
    .with {
      $0.ar = text.arabic
      $0.en = text.english
    }
  }

  static func idType(_ kind: NationalID.Kind) -> Etimad_Type_V1_PersonIdType {
    switch kind {
    case .nationalID: .nationalID
    case .iqama: .iqama
    case .borderNumber: .borderNumber
    }
  }

  static func state(_ state: PaymentState) -> Etimad_Payments_V1_PaymentState {
    switch state {
    case .paid: .paid
    case .consumed: .consumed
    case .cancelled: .cancelled
    case .refundRequested: .refundRequested
    case .refunded: .refunded
    }
  }

  static func kind(_ kind: MovementKind) -> Etimad_Payments_V1_MovementKind {
    switch kind {
    case .paid: .paid
    case .consumed: .consumed
    case .cancelled: .cancelled
    case .refundRequested: .refundRequested
    case .refunded: .refunded
    case .refundRejected: .refundRejected
    }
  }

  static func refundState(_ state: RefundState) -> Etimad_Payments_V1_RefundRequestState {
    switch state {
    case .pending: .pending
    case .completed: .completed
    case .rejected: .rejected
    }
  }

  /// The domain state of a wire filter's state; nil for UNSPECIFIED and unknown numbers.
  static func refundState(_ state: Etimad_Payments_V1_RefundRequestState) -> RefundState? {
    switch state {
    case .pending: .pending
    case .completed: .completed
    case .rejected: .rejected
    case .unspecified, .UNRECOGNIZED: nil
    }
  }

  /// Reads a filter, collecting every wrong field under `prefix` (such as "filter.").
  static func query(
    _ filter: Etimad_Payments_V1_PaymentFilter, prefix: String, into violations: inout [EtimadError.FieldViolation]
  ) -> PaymentQuery {
    var query = PaymentQuery()
    if !filter.beneficiary.number.isEmpty {
      query.beneficiary =
        PaymentsRules.beneficiary(filter.beneficiary, field: prefix + "beneficiary.number", into: &violations)?.number
    }
    if !filter.customerNumber.isEmpty {
      query.customerNumber = PaymentsRules.customerNumber(
        filter.customerNumber, field: prefix + "customer_number", into: &violations)
    }
    query.sector = filter.sectorCode.isEmpty ? nil : filter.sectorCode
    query.service = filter.serviceCode.isEmpty ? nil : filter.serviceCode
    query.period = PaymentsRules.period(
      from: filter.hasPaidFrom ? filter.paidFrom : nil, to: filter.hasPaidTo ? filter.paidTo : nil, prefix: prefix,
      into: &violations)
    switch filter.state {
    case .unspecified: break
    case .paid: query.state = .paid
    case .consumed: query.state = .consumed
    case .cancelled: query.state = .cancelled
    case .refundRequested: query.state = .refundRequested
    case .refunded: query.state = .refunded
    case .UNRECOGNIZED:
      violations.append(
        PaymentsErrors.field(prefix + "state", "UNKNOWN_STATE", en: "Unknown payment state.", ar: "حالة غير معروفة."))
    }
    return query
  }
}

extension Etimad_Type_V1_Money {
  static func sar(_ halalas: Int64) -> Self {
    .with {
      $0.currencyCode = "SAR"
      $0.amountHalalas = halalas
    }
  }
}
