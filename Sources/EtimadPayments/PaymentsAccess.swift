import EtimadKit

/// Who may call each payments method: the catalogue is public; recording and refund decisions
/// are for the sectors' agencies; inquiry and refund requests for signed-in individuals; a
/// payment's details and the export for both (each sees only their own).
public enum PaymentsAccess {
  static let service = "etimad.payments.v1.GovernmentPaymentService"

  public static let rules: [String: Set<AccessPolicy.Caller>] = {
    var rules: [String: Set<AccessPolicy.Caller>] = [:]
    for method in ["ListSectors", "ListServices"] {
      rules["\(service)/\(method)"] = [.anonymous, .individual, .agency]
    }
    for method in ["RecordPayment", "RecordMovement", "ListRefundRequests", "CompleteRefund", "RejectRefund"] {
      rules["\(service)/\(method)"] = [.agency]
    }
    for method in ["SearchPayments", "ListCancelledOperations", "GetBalance", "RequestRefund"] {
      rules["\(service)/\(method)"] = [.individual]
    }
    for method in ["GetPayment", "ExportPayments"] {
      rules["\(service)/\(method)"] = [.individual, .agency]
    }
    return rules
  }()
}
