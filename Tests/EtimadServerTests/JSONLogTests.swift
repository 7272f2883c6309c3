import Etimad
import EtimadServer
import EtimadTestSupport
import Foundation
import GRPCCore
import Logging
import Testing

/// `etimadd serve --log-format json` as log shippers and `jq` read it: every line on standard
/// error one JSON object, values typed, status codes by their canonical names.
@Suite("JSON logs")
struct JSONLogTests {
  @Test("every stderr line of serve --log-format json is a JSON object, with typed values and canonical codes")
  func everyLineIsJSON() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // Given a daemon logging JSON
    let daemon = try DaemonProcess.start(directory, ["--log-format", "json", "--shutdown-drain", "0"])
    #expect(daemon.publicPort > 0)
    // When a call fails with INVALID_ARGUMENT
    let ca = try String(contentsOfFile: directory + "/tls/ca.pem", encoding: .utf8)
    let configuration = EtimadClient.Configuration(
      host: "127.0.0.1", port: daemon.publicPort, trustRootsPEM: [ca], acceptLanguage: "en",
      defaultTimeout: .seconds(20))
    try await EtimadClient.withClient(configuration) { client in
      let refused = await #expect(throws: RPCError.self) {
        _ = try await client.platform.validateIdentifiers(.with { $0.iban = "SA00" })
      }
      #expect(refused?.code == .invalidArgument, "\(String(describing: refused))")
    }
    // And the daemon stops
    daemon.terminate()
    #expect(await daemon.exit() == 0)
    // Then every line on its standard error is a JSON object
    let errors = daemon.stderr()
    let lines = errors.split(separator: "\n")
    #expect(!lines.isEmpty)
    var records: [[String: Any]] = []
    for line in lines {
      let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
      #expect(object != nil, "not a JSON object: \(line)")
      if let object { records.append(object) }
    }
    // And the failed call's record has the canonical code and a numeric duration
    let finished = try #require(records.first { $0["message"] as? String == "rpc finished" }, "\(errors)")
    #expect(finished["rpc.code"] as? String == "INVALID_ARGUMENT")
    #expect(finished["rpc.method"] as? String == "etimad.platform.v1.PlatformService/ValidateIdentifiers")
    #expect(Self.isNumber(finished["rpc.duration_ms"]), "\(finished)")
    let shutdown = try #require(records.first { ($0["message"] as? String)?.hasPrefix("graceful shutdown") == true })
    #expect(Self.isNumber(shutdown["shutdown.grace_seconds"]), "\(shutdown)")
    // And the notes after the ready line are records too
    let path = directory + "/tls/ca.pem"
    #expect(records.contains { $0["tls.ca_file"] as? String == path }, "\(errors)")
    #expect(
      records.contains {
        $0["probe.command"] as? String
          == "etimad-probe health --addr 127.0.0.1:\(daemon.publicPort) --tls-ca-cert \(path)"
      }, "\(errors)")
    #expect(records.contains { $0["sms.file"] as? String == directory + "/sms.log" }, "\(errors)")
  }

  @Test("a serve that cannot start says why in a JSON record")
  func failureIsJSON() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try await TestDaemon.with { running in
      let run = try await ProgramRun.run(
        Products.path("etimadd"),
        [
          "serve", "--data-dir", directory, "--public-port", "\(running.endpoints.publicPort)", "--agency-port", "0",
          "--metrics-port", "-1", "--log-format", "json",
        ])
      #expect(run.status == 1)
      let records = run.stderr.split(separator: "\n").map {
        try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
      }
      #expect(!records.isEmpty && records.allSatisfy { $0 != nil }, "\(run.stderr)")
      #expect(
        records.contains { ($0?["error"] as? String)?.contains("cannot listen on 127.0.0.1:") == true },
        "\(run.stderr)")
    }
  }

  @Test("the JSON handler writes numbers and booleans as such, other values as strings")
  func typedMetadata() {
    #expect(JSONLogHandler.json(.stringConvertible(12)) as? Int64 == 12)
    #expect(JSONLogHandler.json(.stringConvertible(1.5)) as? Double == 1.5)
    #expect(JSONLogHandler.json(.stringConvertible(true)) as? Bool == true)
    #expect(JSONLogHandler.json(.stringConvertible(Double.nan)) as? String == "nan")
    #expect(JSONLogHandler.json("7") as? String == "7")
    #expect(JSONLogHandler.json(.stringConvertible(Duration.seconds(1))) as? String == "1.0 seconds")
  }

  /// A JSON number, as JSONSerialization reads one (a string is no number).
  static func isNumber(_ value: Any?) -> Bool {
    guard let value, !(value is String) else { return false }
    return value is NSNumber || value is Int || value is Double
  }
}
