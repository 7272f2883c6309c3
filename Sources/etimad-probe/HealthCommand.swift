import ArgumentParser
import Etimad
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
    let configuration = try connection.clientConfiguration()
    let metadata = try connection.metadata()
    let connect = connection.connectTimeout
    let outcome: Result<Grpc_Health_V1_HealthCheckResponse, RPCError>
    do {
      outcome = try await EtimadClient.withClient(configuration) { client in
        // First wait for the connection (exit 2 on failure), then make the call (exit 3).
        do {
          var options = CallOptions.defaults
          options.waitForReady = true
          options.timeout = .milliseconds(Int64(connect * 1000))
          _ = try await client.health.list(.init(), metadata: metadata, options: options)
        } catch let error as RPCError where error.code == .unavailable || error.code == .deadlineExceeded {
          throw ConnectFailure(error: error)
        } catch {
          // Any other answer means a connection exists.
        }
        do {
          return .success(
            try await client.health.check(
              .with { $0.service = service }, metadata: metadata, options: connection.callOptions(waitForReady: false)))
        } catch let error as RPCError {
          return .failure(error)
        }
      }
    } catch let failure as ConnectFailure {
      printError("error: cannot connect to \(connection.addr): \(failure.error.message)")
      throw ExitCode(2)
    }
    switch outcome {
    case .failure(let error):
      printError("error: health rpc failed: \(error.code): \(error.message)")
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

  struct ConnectFailure: Error {
    let error: RPCError
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
