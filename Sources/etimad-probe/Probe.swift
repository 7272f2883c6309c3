import ArgumentParser
import Foundation

/// The operator's probe, after grpcurl and grpc_health_probe.
@main
struct Probe: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "etimad-probe",
    abstract: "Diagnose an Etimad daemon: health, reflection, calls, TLS and load.",
    discussion: """
      Exit codes: 0 success; 1 bad arguments; health: 2 connection failure, 3 RPC failure,
      4 not serving; tls: 2 connection failure, 3 chain not verified; call, bench and the rest:
      64 + the gRPC status code of a failed call (64 + UNAVAILABLE = 78 when the daemon cannot be
      reached, with the cause).
      """,
    version: ProbeVersion.current,
    subcommands: [
      HealthCommand.self, ListCommand.self, DescribeCommand.self, CallCommand.self, TLSCommand.self,
      BenchCommand.self, LoginCommand.self, WhoAmICommand.self,
      DebtsPayBenchCommand.self,
      PaymentsExportCommand.self,
      SupportChallengeCommand.self,
    ]
  )

  /// Bad arguments exit 1, as grpc_health_probe's do, so that 64 and above stay the call's
  /// status codes.
  static func main() async {
    do {
      var command = try parseAsRoot()
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch let error as RequestError {
      printError("error: \(error.description)")
      Foundation.exit(1)
    } catch {
      if exitCode(for: error) == .validationFailure {
        FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
        Foundation.exit(1)
      }
      exit(withError: error)
    }
  }
}

/// The probe's version, the daemon's it was built with.
enum ProbeVersion {
  static let current = "0.1.0"
}

/// Writes to standard error.
func printError(_ text: String) {
  FileHandle.standardError.write(Data((text + "\n").utf8))
}
