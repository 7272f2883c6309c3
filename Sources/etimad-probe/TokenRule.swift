import ArgumentParser
import Foundation

/// The one rule for the token `login` saves: it is sent on the public port to the methods
/// that serve a signed-in individual (the `etimad.*` areas), never to health, reflection,
/// `PlatformService` (open to all) or the sign-in methods themselves, and never with a client
/// certificate. `--with-token` sends it to any method and fails when none is saved;
/// `--no-token` never sends it.
struct TokenOptions: ParsableArguments {
  @Flag(help: "Send the token saved by 'login' to any method; fails when none is saved.")
  var withToken = false

  @Flag(help: "Never send the saved token.")
  var noToken = false

  func validate() throws {
    guard !(withToken && noToken) else { throw ValidationError("--with-token and --no-token exclude each other") }
  }

  /// The token to send to `service`/`method`, or nil; throws when `--with-token` finds none.
  func token(service: String, method: String, connection: ConnectionOptions) throws -> String? {
    if noToken { return nil }
    if withToken {
      guard let token = TokenFile.load() else { throw NoSavedToken() }
      return token
    }
    return TokenRule.wants(service: service, method: method) && connection.clientCert == nil ? TokenFile.load() : nil
  }
}

enum TokenRule {
  /// Identity methods an anonymous caller uses to sign in (IdentityAccess on the server).
  static let signIn: Set<String> = [
    "StartRegistration", "CompleteRegistration", "StartLogin", "VerifyLogin", "ResendCode", "StartPasswordReset",
    "CompletePasswordReset",
  ]

  /// Whether the saved token goes to this method by default.
  static func wants(service: String, method: String) -> Bool {
    guard service.hasPrefix("etimad."), service != "etimad.platform.v1.PlatformService" else { return false }
    return !(service == "etimad.identity.v1.IdentityService" && signIn.contains(method))
  }
}

/// `--with-token` (or `whoami`) with no token saved.
struct NoSavedToken: Error, CustomStringConvertible {
  var description: String {
    "not signed in: no token saved at \(TokenFile.path); run 'etimad-probe login --national-id ...' first"
  }
}
