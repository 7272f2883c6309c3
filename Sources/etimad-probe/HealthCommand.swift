import ArgumentParser
import Etimad
import EtimadProtos
import Foundation
import GRPCCore

/// `health`: grpc_health_probe's check and exit codes.
struct HealthCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "health",
    abstract:
      "Check grpc.health.v1: exit 0 serving, 1 bad arguments, 2 connection failure, 3 RPC failure, 4 not serving.")

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The service to check; empty for the daemon as a whole.")
  var service = ""

  func run() async throws {
    // A connection that fails says why at once (exit 2), before any RPC waits for it.
    try await connection.checkReachable(exitCode: ExitCode(2))
    let configuration = try connection.clientConfiguration()
    let metadata = try connection.rpcMetadata()
    let outcome: Result<Grpc_Health_V1_HealthCheckResponse, RPCError> = try await EtimadClient.withClient(
      configuration
    ) { client in
      do {
        return .success(
          try await client.health.check(
            .with { $0.service = service }, metadata: metadata, options: connection.callOptions()))
      } catch let error as RPCError {
        return .failure(error)
      }
    }
    switch outcome {
    case .failure(let error) where error.code == .unavailable:
      printError("error: cannot connect to \(connection.addr): \(error.message)")
      throw ExitCode(2)
    case .failure(let error):
      printError("error: health rpc failed: \(error.code.canonicalName): \(error.message)")
      throw ExitCode(3)
    case .success(let response):
      let serving = response.status == .serving
      if connection.format == .json {
        print(#"{"service":"\#(service)","status":"\#(StatusName.of(response.status))"}"#)
      } else {
        print("status: \(StatusName.of(response.status))")
      }
      if !serving { throw ExitCode(4) }
    }
  }
}

enum StatusName {
  static func of(_ status: Grpc_Health_V1_HealthCheckResponse.ServingStatus) -> String {
    switch status {
    case .serving: "SERVING"
    case .notServing: "NOT_SERVING"
    case .serviceUnknown: "SERVICE_UNKNOWN"
    default: "UNKNOWN"
    }
  }
}
