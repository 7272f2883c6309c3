import ArgumentParser
import Etimad
import Foundation
import GRPCCore

/// Gets a support challenge and solves it, for an anonymous OpenTicket through `call`.
struct SupportChallengeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "support-challenge",
    abstract: "Get and solve a support challenge; print the solution for OpenTicket's \"challenge\" field.",
    discussion: """
      The challenge is bound to this machine's address and valid 5 minutes, for one ticket:
        p call etimad.support.v1.SupportService/OpenTicket -d "{\\"challenge\\": $(p support-challenge --format json), ...}"
      """)

  @OptionGroup var connection: ConnectionOptions

  func run() async throws {
    try await connection.checkReachable()
    do {
      let started = ContinuousClock.now
      let solution = try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
        try await client.solvedChallenge()
      }
      printError("solved in \(ContinuousClock.now - started)")
      let json = try solution.jsonString()
      print(connection.format == .json ? json : JSONText.pretty(json))
    } catch let error as RPCError {
      CallFailure.report(error, json: connection.format == .json)
      throw error.code.exitCode
    }
  }
}
