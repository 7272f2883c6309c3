import EtimadKit

/// Who is looking, and so which payments they may see: an individual their own (beneficiary
/// or an owned customer number), an agency its sectors'.
public enum Viewer: Sendable, Hashable {
  case individual(idNumber: String)
  case agency(code: String)

  var key: String {
    switch self {
    case .individual(let id): "individual:\(id)"
    case .agency(let code): "agency:\(code)"
    }
  }
}

/// A validated `PaymentFilter`: every field optional, all given ones must hold.
struct PaymentQuery: Sendable, Hashable {
  var beneficiary: String?
  var customerNumber: String?
  var sector: String?
  var service: String?
  var period = PaymentsRules.Period()
  var state: PaymentState?

  /// A stable description that page tokens are bound to.
  func description(viewer: Viewer) -> String {
    [
      viewer.key, beneficiary ?? "", customerNumber ?? "", sector ?? "", service ?? "",
      period.from.map { "\($0)" } ?? "", period.to.map { "\($0)" } ?? "", state.map(\.wireNumber) ?? "",
    ].joined(separator: "|")
  }
}

extension PaymentState {
  /// The state as page tokens issued before the stored codes described it (the wire enum's
  /// number), so that those tokens stay valid.
  var wireNumber: String {
    switch self {
    case .paid: "1"
    case .consumed: "2"
    case .cancelled: "3"
    case .refundRequested: "4"
    case .refunded: "5"
    }
  }
}
