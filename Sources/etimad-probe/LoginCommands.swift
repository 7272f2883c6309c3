import ArgumentParser
import Etimad
import Foundation
import GRPCCore

/// Where the probe keeps the access token between calls (mode 0600).
enum TokenFile {
  static var path: String {
    ProcessInfo.processInfo.environment["ETIMAD_PROBE_TOKEN"]
      ?? (ProcessInfo.processInfo.environment["HOME"] ?? ".") + "/.etimad-probe-token"
  }

  static func save(_ token: String) throws {
    let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
    guard fd >= 0 else { throw ValidationError("cannot write \(path)") }
    defer { close(fd) }
    fchmod(fd, 0o600)
    let bytes = Array(token.utf8)
    _ = write(fd, bytes, bytes.count)
  }

  static func load() -> String? {
    (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
  }
}

/// Reads a line from the terminal without echo (for passwords).
enum Prompt {
  static func line(_ prompt: String, secret: Bool) -> String? {
    FileHandle.standardError.write(Data(prompt.utf8))
    var original = termios()
    let isTerminal = isatty(STDIN_FILENO) == 1
    if secret, isTerminal {
      tcgetattr(STDIN_FILENO, &original)
      var silent = original
      silent.c_lflag &= ~tcflag_t(ECHO)
      tcsetattr(STDIN_FILENO, TCSANOW, &silent)
    }
    defer {
      if secret, isTerminal {
        tcsetattr(STDIN_FILENO, TCSANOW, &original)
        FileHandle.standardError.write(Data("\n".utf8))
      }
    }
    return readLine(strippingNewline: true)
  }
}

/// `login`: the two steps of national single sign-on; the token is saved for later calls.
struct LoginCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "login",
    abstract: "Sign in as an individual: prompts for the password (no echo) and the code sent by SMS; saves the token.")

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "National ID or iqama number.")
  var nationalId: String

  func run() async throws {
    guard let password = Prompt.line("password: ", secret: true), !password.isEmpty else {
      throw ValidationError("a password is required")
    }
    let id = nationalId
    try await connection.checkReachable()
    do {
      let token: String = try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
        let challenge = try await client.startLogin(idNumber: id, password: password)
        // A wrong code is asked again while the daemon says attempts remain.
        while true {
          guard let code = Prompt.line("code sent to \(challenge.maskedMobile): ", secret: false) else {
            throw ValidationError("no code entered")
          }
          do {
            try await client.completeLogin(ticket: challenge.ticket, code: code)
            break
          } catch let error as RPCError where error.etimadDetails?.reason == "WRONG_CODE" {
            let left = Int(error.etimadDetails?.metadata["attempts_left"] ?? "") ?? 0
            guard left > 0 else { throw error }
            printError("wrong code; \(left) attempt\(left == 1 ? "" : "s") left")
          }
        }
        return client.session.value ?? ""
      }
      try TokenFile.save(token)
      print("signed in; token saved to \(TokenFile.path)")
    } catch let error as RPCError {
      CallFailure.report(error, json: connection.format == .json)
      throw error.code.exitCode
    }
  }
}

/// `whoami`: who the daemon thinks the caller is (with the saved token, if any).
struct WhoAmICommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "whoami",
    abstract:
      "Show who the daemon thinks is calling: the saved token's individual, or the agency of --tls-client-cert.",
    discussion: "Without a client certificate and with no token saved, exits 64 + UNAUTHENTICATED (80).")

  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    let metadata = try connection.rpcMetadata()
    // An agency is known by its certificate; an individual by the saved token, and without one
    // there is nobody to ask about.
    let token = connection.clientCert == nil ? TokenFile.load() : nil
    if connection.clientCert == nil, token == nil {
      printError("error: \(NoSavedToken().description)")
      throw RPCError.Code.unauthenticated.exitCode
    }
    try await connection.checkReachable()
    do {
      let answer = try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
        client.session.value = token
        return try await client.identity.whoAmI(.init(), metadata: metadata)
      }
      let json = try answer.jsonString()
      print(connection.format == .json ? json : JSONText.pretty(json))
    } catch let error as RPCError {
      CallFailure.report(error, json: connection.format == .json)
      throw error.code.exitCode
    }
  }
}
