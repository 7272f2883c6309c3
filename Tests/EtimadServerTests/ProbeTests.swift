import EtimadServer
import EtimadTestSupport
import Foundation
import Testing

/// The probe is run as operators run it: the built executable, its output and exit code.
@Suite("etimad-probe")
struct ProbeTests {
  static let probe = Products.path("etimad-probe")

  func run(_ arguments: [String]) async throws -> ProgramRun {
    try await ProgramRun.run(Self.probe, arguments)
  }

  func flags(_ daemon: TestDaemon, port: Int? = nil) -> [String] {
    [
      "--addr", "localhost:\(port ?? daemon.endpoints.publicPort)", "--tls-ca-cert",
      daemon.daemon.identity.paths.caCertificate,
    ]
  }

  @Test("health exits 0 when serving, 4 when not, 2 when it cannot connect, 1 for bad arguments")
  func healthExitCodes() async throws {
    try await TestDaemon.with { daemon in
      let serving = try await run(["health"] + flags(daemon))
      #expect(serving.status == 0, "\(serving.stderr)")
      #expect(serving.stdout.contains("SERVING"))
      // A service marked NOT_SERVING
      daemon.daemon.health.set(.notServing, for: "etimad.platform.v1.PlatformService")
      let notServing = try await run(["health", "--service", "etimad.platform.v1.PlatformService"] + flags(daemon))
      #expect(notServing.status == 4)
      // An unknown service is an RPC failure (NOT_FOUND)
      let unknown = try await run(["health", "--service", "no.such.Service"] + flags(daemon))
      #expect(unknown.status == 3)
    }
    let nobody = try await run(["health", "--addr", "127.0.0.1:1", "--connect-timeout", "1"])
    #expect(nobody.status == 2)
    let bad = try await run(["health", "--addr", "no-port"])
    #expect(bad.status == 1)
  }

  @Test("list, describe and call speak JSON through reflection and the contract")
  func listDescribeCall() async throws {
    try await TestDaemon.with { daemon in
      let list = try await run(["list", "--format", "json"] + flags(daemon))
      #expect(list.status == 0, "\(list.stderr)")
      #expect(list.stdout.contains("etimad.platform.v1.PlatformService"))
      let describe = try await run(["describe", "etimad.platform.v1.PlatformService"] + flags(daemon))
      #expect(describe.stdout.contains("rpc ValidateIdentifiers"))
      let call = try await run(
        [
          "call", "etimad.platform.v1.PlatformService/ValidateIdentifiers", "-d", #"{"mobile":"0501234567"}"#,
          "--format", "json",
        ]
          + flags(daemon))
      #expect(call.status == 0, "\(call.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(call.stdout.utf8)) as? [String: Any]
      #expect(object?["mobile"] as? String == "+966501234567")
    }
  }

  @Test("a failed call exits 64 + its status code and prints the details")
  func failedCall() async throws {
    try await TestDaemon.with { daemon in
      let call = try await run(
        [
          "call", "etimad.platform.v1.PlatformService.ValidateIdentifiers", "-d", #"{"iban":"SA00"}"#, "-H",
          "accept-language: en",
        ] + flags(daemon))
      #expect(call.status == 64 + 3)
      #expect(call.stderr.contains("iban"))
      #expect(call.stderr.contains("WRONG_LENGTH"))
      let unknown = try await run(["call", "etimad.nothing.v1.Nothing/Do"] + flags(daemon))
      #expect(unknown.status == 1)
    }
  }

  @Test("tls shows TLS 1.3, ALPN h2 and a verified chain")
  func tls() async throws {
    try await TestDaemon.with { daemon in
      let run = try await run(["tls", "--format", "json"] + flags(daemon))
      #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
      #expect(object?["tls_version"] as? String == "tlsv13")
      #expect(object?["alpn"] as? String == "h2")
      #expect(object?["verification"] as? String == "ok")
    }
  }

  @Test("bench reports calls, percentiles and no errors")
  func bench() async throws {
    try await TestDaemon.with { daemon in
      let run = try await run(
        ["bench", "grpc.health.v1.Health/Check", "-n", "200", "-c", "4", "--warmup", "10", "--format", "json"]
          + flags(daemon))
      #expect(run.status == 0, "\(run.stderr)")
      let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
      #expect(object?["calls"] as? Int == 200)
      #expect((object?["errors"] as? [String: Int])?.isEmpty == true)
      #expect((object?["p99_ms"] as? Double ?? 0) > 0)
    }
  }
}
