import EtimadKit

/// Who may call each support method. Staff methods admit agencies here; the handler then
/// admits only the platform's support agency (`AreaSettings.supportAgency`).
public enum SupportAccess {
  static let service = "etimad.support.v1.SupportService"

  public static let rules: [String: Set<AccessPolicy.Caller>] = {
    var rules: [String: Set<AccessPolicy.Caller>] = [:]
    for method in ["GetContactChannels", "ListSupportCatalogue", "GetChallenge"] {
      rules["\(service)/\(method)"] = [.anonymous, .individual, .agency]
    }
    for method in ["OpenTicket", "SendTicketAccessCode", "VerifyTicketAccess", "AddMessage"] {
      rules["\(service)/\(method)"] = [.anonymous, .individual]
    }
    // The requester, or staff.
    for method in ["GetTicket", "ListMessages"] {
      rules["\(service)/\(method)"] = [.anonymous, .individual, .agency]
    }
    for method in ["ListTickets", "AssignTicket", "Reply", "AddNote", "ChangeStatus", "GetSupportFigures"] {
      rules["\(service)/\(method)"] = [.agency]
    }
    return rules
  }()
}
