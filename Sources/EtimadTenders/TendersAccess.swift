import EtimadKit

/// Who may call each tenders method: agencies (mutual TLS, through an employee) publish and
/// manage their own tenders; everyone, anonymous callers included, searches and reads.
public enum TendersAccess {
  static let service = "etimad.tenders.v1.TenderService"

  public static let rules: [String: Set<AccessPolicy.Caller>] = {
    var rules: [String: Set<AccessPolicy.Caller>] = [:]
    for method in ["CreateTender", "UpdateTender", "PublishTender", "ExtendDates", "CancelTender", "CloseTender"] {
      rules["\(service)/\(method)"] = [.agency]
    }
    for method in [
      "GetTender", "SearchTenders", "ListAgencies", "ListRegions", "ListActivities", "ListTenderTypes",
    ] {
      rules["\(service)/\(method)"] = [.anonymous, .individual, .agency]
    }
    return rules
  }()
}
