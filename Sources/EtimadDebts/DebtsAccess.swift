import EtimadKit

/// Who may call each debts method. Ownership of the records is checked by the store on every
/// call: an agency its own debts, an individual the debts on their ID number.
public enum DebtsAccess {
  static let service = "etimad.debts.v1.DebtService"

  public static let rules: [String: Set<AccessPolicy.Caller>] = {
    var rules: [String: Set<AccessPolicy.Caller>] = [:]
    for method in [
      "CreateDebt", "UpdateDebt", "SubmitDebt", "ApproveDebt", "RejectDebt", "RecordPayment", "ListDebts",
      "ApproveChangeRequest", "RejectChangeRequest", "ApproveReliefRequest", "RejectReliefRequest",
    ] {
      rules["\(service)/\(method)"] = [.agency]
    }
    for method in ["ListMyDebts", "GetDebtSummary", "CreateReliefRequest", "WithdrawReliefRequest"] {
      rules["\(service)/\(method)"] = [.individual]
    }
    for method in [
      "GetDebt", "ListDebtMovements", "CreateChangeRequest", "WithdrawChangeRequest", "ListChangeRequests",
      "ListReliefRequests", "GetInstalmentPlan",
    ] {
      rules["\(service)/\(method)"] = [.agency, .individual]
    }
    return rules
  }()
}
