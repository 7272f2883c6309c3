import EtimadKit

/// Who may call each identity method. Sign-in methods are for anonymous callers on the public
/// port; session methods for signed-in individuals; WhoAmI for everyone.
public enum IdentityAccess {
  static let service = "etimad.identity.v1.IdentityService"

  public static let rules: [String: Set<AccessPolicy.Caller>] = {
    var rules: [String: Set<AccessPolicy.Caller>] = [:]
    for method in [
      "StartRegistration", "CompleteRegistration", "StartLogin", "VerifyLogin", "ResendCode", "StartPasswordReset",
      "CompletePasswordReset",
    ] {
      rules["\(service)/\(method)"] = [.anonymous]
    }
    for method in ["ListSessions", "RevokeSession", "Logout", "ChangePassword"] {
      rules["\(service)/\(method)"] = [.individual]
    }
    rules["\(service)/WhoAmI"] = [.anonymous, .individual, .agency]
    return rules
  }()
}
