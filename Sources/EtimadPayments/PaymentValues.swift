import EtimadKit

/// A payment as the area knows it: the row, its sector's and service's names, and its running
/// balance. Times are milliseconds since 1970 (the unit every area stores).
struct Payment: Sendable, Hashable {
  var id: Int64
  var sectorCode: String
  var serviceCode: String
  var sectorName: LocalizedString
  var serviceName: LocalizedString
  /// The agency that records the sector's payments.
  var agencyCode: String
  var beneficiary: Beneficiary
  var customerNumber: String
  var sadadReference: String
  var paidTime: Int64
  var balance: PaymentBalance

  var amount: Halalas { Halalas(balance.paid) }
  var state: PaymentState { balance.state }
}

/// A payment's beneficiary as recorded: the document type and its number (checked when the
/// payment was recorded, not again on every read).
struct Beneficiary: Sendable, Hashable {
  var kind: NationalID.Kind
  var number: String

  init(kind: NationalID.Kind, number: String) {
    self.kind = kind
    self.number = number
  }

  init(_ id: NationalID) {
    self.init(kind: id.kind, number: id.number)
  }

  /// The stored code of each document type (a stable text).
  static func code(_ kind: NationalID.Kind) -> String {
    switch kind {
    case .nationalID: "NATIONAL_ID"
    case .iqama: "IQAMA"
    case .borderNumber: "BORDER_NUMBER"
    }
  }

  static func kind(code: String) -> NationalID.Kind? {
    switch code {
    case "NATIONAL_ID": .nationalID
    case "IQAMA": .iqama
    case "BORDER_NUMBER": .borderNumber
    default: nil
    }
  }
}

/// A ledger movement of a payment.
struct PaymentMovement: Sendable, Hashable {
  var id: Int64
  var paymentID: Int64
  var kind: MovementKind
  var amount: Halalas
  var time: Int64
  var note: String
  var refundRequestID: Int64?
}

/// A refund request an individual made on a payment.
struct RefundRequest: Sendable, Hashable {
  var id: Int64
  var paymentID: Int64
  var sectorCode: String
  /// The ID number of the individual who asked.
  var requester: String
  var amount: Halalas
  var iban: String
  var accountHolderName: String
  var state: RefundState
  var createTime: Int64
  var decideTime: Int64?
  var decisionNote: String
  /// The agency employee who decided.
  var employee: String?
}

/// A payment with its whole ledger and refund requests (GetPayment).
struct PaymentDetails: Sendable, Hashable {
  var payment: Payment
  var movements: [PaymentMovement]
  var refundRequests: [RefundRequest]
}

/// A CANCELLED movement with its payment (ListCancelledOperations).
struct CancelledOperation: Sendable, Hashable {
  var movement: PaymentMovement
  var payment: Payment
}

/// The balances of the viewer's payments in one sector (GetBalance).
struct SectorBalance: Sendable, Hashable {
  var sectorCode: String
  var sectorName: LocalizedString
  var balance: PaymentBalance
  var paymentCount: Int64
}

/// A validated RecordPayment.
struct NewPayment: Sendable, Hashable {
  var sector: String
  var service: String
  var beneficiary: NationalID
  var customerNumber: String
  var sadadReference: String
  var amount: Halalas
  var paidTime: Int64
}

/// A validated RequestRefund.
struct NewRefund: Sendable, Hashable {
  var paymentID: Int64
  var amount: Halalas
  var iban: String
  var holder: String
}

/// Which payments a read covers: an individual's own, one sector's, or all of an agency's sectors.
enum PaymentScope: Sendable, Hashable {
  /// The payments whose beneficiary the person is, and those carrying a customer number
  /// they hold (see `PaymentsSQL.individual`).
  case individual(String)
  case sector(String)
  case agency(String)

  static func of(_ viewer: Viewer) -> PaymentScope {
    switch viewer {
    case .individual(let id): .individual(id)
    case .agency(let code): .agency(code)
    }
  }

  /// Whether the scope is narrow (an individual's ~100 payments): filters then must not
  /// drive the plan.
  var narrow: Bool {
    if case .individual = self { return true }
    return false
  }
}

/// Where a page stopped: the last row's time and id (newest first).
struct TimeCursor: Codable, Sendable, Hashable {
  let t: Int64
  let i: Int64
}

/// What an export covers: the payments recorded up to `lastID` when it started, and how
/// many of them match. Every page reads below that bound, so a payment recorded during the
/// export (a late notice with an older paid time lands behind the cursor) is not sent beyond
/// `expected_rows`. (With a state filter, a payment whose state changes mid-export can still
/// move in or out of the rows read after the change.)
struct ExportSnapshot: Sendable, Hashable {
  var rows: Int64
  var lastID: Int64
}

/// One formatted page of an export: the bytes, how many rows, and where the next read starts.
struct ExportChunk: Sendable {
  var bytes: [UInt8]
  var rows: Int
  var last: TimeCursor?
}
