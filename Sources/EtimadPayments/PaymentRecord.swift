import EtimadKit
import EtimadProtos
import GRDB
import SwiftProtobuf

/// A payments row with its sector's and service's names, as the store reads it.
struct PaymentRecord: Sendable {
  /// The columns `init(row:)` reads, in order; `p` is payments, `s` sectors, `v` services.
  static let columns = """
    p.id, p.sector_code, p.service_code, p.beneficiary_type, p.beneficiary_number, p.customer_number,
    p.sadad_reference, p.amount, p.paid_time, p.consumed, p.cancelled, p.refund_pending, p.refunded, p.state,
    s.name_ar, s.name_en, v.name_ar, v.name_en, s.agency_code
    """
  static let joins = """
    payments p JOIN payment_sectors s ON s.code = p.sector_code
    LEFT JOIN payment_services v ON v.sector_code = p.sector_code AND v.code = p.service_code
    """

  let id: Int64
  let sectorCode: String
  let serviceCode: String
  let beneficiaryType: String
  let beneficiaryNumber: String
  let customerNumber: String
  let sadadReference: String
  let paidTime: Int64
  let balance: PaymentBalance
  let sectorName: (ar: String, en: String)
  let serviceName: (ar: String, en: String)
  let agencyCode: String

  init(row: SQLRow, offset: Int = 0) {
    id = row[offset]
    sectorCode = row[offset + 1]
    serviceCode = row[offset + 2]
    beneficiaryType = row[offset + 3]
    beneficiaryNumber = row[offset + 4]
    customerNumber = row[offset + 5]
    sadadReference = row[offset + 6]
    paidTime = row[offset + 8]
    balance = PaymentBalance(
      paid: row[offset + 7], consumed: row[offset + 9], cancelled: row[offset + 10], refundPending: row[offset + 11],
      refunded: row[offset + 12])
    sectorName = (row[offset + 14] ?? "", row[offset + 15] ?? "")
    serviceName = (row[offset + 16] ?? "", row[offset + 17] ?? "")
    agencyCode = row[offset + 18]
  }

  var proto: Etimad_Payments_V1_Payment {
    .with {
      $0.paymentID = String(id)
      $0.sectorCode = sectorCode
      $0.serviceCode = serviceCode
      $0.sectorName = .with {
        $0.ar = sectorName.ar
        $0.en = sectorName.en
      }
      $0.serviceName = .with {
        $0.ar = serviceName.ar
        $0.en = serviceName.en
      }
      $0.beneficiary = .with {
        $0.type = Self.idType(beneficiaryType)
        $0.number = beneficiaryNumber
      }
      $0.customerNumber = customerNumber
      $0.sadadReference = sadadReference
      $0.amount = .sar(balance.paid)
      $0.paidTime = PaymentsRules.timestamp(milliseconds: paidTime)
      $0.state = Etimad_Payments_V1_PaymentState(rawValue: balance.state.rawValue) ?? .unspecified
      $0.balance = balance.proto
    }
  }

  static func idType(_ stored: String) -> Etimad_Type_V1_PersonIdType {
    switch stored {
    case "NATIONAL_ID": .nationalID
    case "IQAMA": .iqama
    case "BORDER_NUMBER": .borderNumber
    default: .unspecified
    }
  }

  static func storedType(_ kind: NationalID.Kind) -> String {
    switch kind {
    case .nationalID: "NATIONAL_ID"
    case .iqama: "IQAMA"
    case .borderNumber: "BORDER_NUMBER"
    }
  }
}

extension PaymentBalance {
  var proto: Etimad_Payments_V1_Balance {
    .with {
      $0.paid = .sar(paid)
      $0.available = .sar(available)
      $0.refundable = .sar(refundable)
      $0.refundPending = .sar(refundPending)
      $0.consumed = .sar(consumed)
      $0.refunded = .sar(refunded)
    }
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

/// A ledger row.
struct MovementRecord: Sendable {
  static let columns = "m.id, m.kind, m.amount, m.time, m.note, m.refund_request_id"

  let id: Int64
  let kind: Int
  let amount: Int64
  let time: Int64
  let note: String
  let refundRequestID: Int64?

  init(row: SQLRow, offset: Int = 0) {
    id = row[offset]
    kind = row[offset + 1]
    amount = row[offset + 2]
    time = row[offset + 3]
    note = row[offset + 4]
    refundRequestID = row[offset + 5]
  }

  var proto: Etimad_Payments_V1_Movement {
    .with {
      $0.movementID = String(id)
      $0.kind = Etimad_Payments_V1_MovementKind(rawValue: kind) ?? .unspecified
      $0.amount = .sar(amount)
      $0.time = PaymentsRules.timestamp(milliseconds: time)
      $0.note = note
      $0.refundRequestID = refundRequestID.map { String($0) } ?? ""
    }
  }
}

/// A refund request row.
struct RefundRecord: Sendable {
  static let columns = """
    r.id, r.payment_id, r.sector_code, r.requester, r.amount, r.iban, r.account_holder_name, r.state,
    r.create_time, r.decide_time, r.decision_note
    """

  let id: Int64
  let paymentID: Int64
  let sectorCode: String
  let requester: String
  let amount: Int64
  let iban: String
  let holder: String
  let state: Int
  let createTime: Int64
  let decideTime: Int64?
  let note: String

  init(row: SQLRow) {
    id = row[0]
    paymentID = row[1]
    sectorCode = row[2]
    requester = row[3]
    amount = row[4]
    iban = row[5]
    holder = row[6]
    state = row[7]
    createTime = row[8]
    decideTime = row[9]
    note = row[10]
  }

  var proto: Etimad_Payments_V1_RefundRequest {
    .with {
      $0.refundRequestID = String(id)
      $0.paymentID = String(paymentID)
      $0.amount = .sar(amount)
      $0.iban = iban
      if let bank = try? SaudiIBAN(parsing: iban, requireKnownBank: false).bank {
        $0.bankName = .with {
          $0.ar = bank.nameAR
          $0.en = bank.nameEN
        }
      }
      $0.accountHolderName = holder
      $0.state = Etimad_Payments_V1_RefundRequestState(rawValue: state) ?? .unspecified
      $0.createTime = PaymentsRules.timestamp(milliseconds: createTime)
      if let decideTime { $0.decideTime = PaymentsRules.timestamp(milliseconds: decideTime) }
      $0.decisionNote = note
      $0.requesterIDNumber = requester
    }
  }
}
