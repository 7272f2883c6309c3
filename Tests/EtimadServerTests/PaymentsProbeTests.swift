import Etimad
@_spi(Testing) import EtimadKit
import EtimadServer
import EtimadTestSupport
import Foundation
import Testing

/// `etimad-probe export` run as an operator runs it: the built executable against a daemon.
@Suite("etimad-probe export")
struct PaymentsProbeTests {
  @Test("exports a sector to a file with a progress bar; a refused export leaves no file")
  func export() async throws {
    try await TestDaemon.with { daemon in
      _ = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.daemon.database.testingPool.write { db in
        for index in 0..<5_000 {
          try db.execute(
            sql: """
              INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
                sadad_reference, amount, paid_time, state, record_time)
              VALUES ('PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1012345672', '3000000007', ?, 20000, ?, 'PAID', 0)
              """, arguments: ["PROBE-\(index)", 1_700_000_000_000 + Int64(index) * 1000])
        }
      }
      let directory = TemporaryDirectory.make()
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let flags = [
        "--addr", "localhost:\(daemon.endpoints.agencyPort)", "--tls-ca-cert",
        daemon.daemon.identity.paths.caCertificate, "--tls-client-cert",
        daemon.dataDirectory + "/agencies/MOI-PASSPORTS.pem", "--tls-client-key",
        daemon.dataDirectory + "/agencies/MOI-PASSPORTS-key.pem", "--employee", "ops-1",
      ]
      let output = directory + "/passports.csv"
      let run = try await ProgramRun.run(
        Products.path("etimad-probe"), ["export", "-o", output, "--progress", "--arabic"] + flags)
      #expect(run.status == 0, "\(run.stderr)")
      #expect(run.stderr.contains("100%") && run.stderr.contains("5000/5000 rows"))
      #expect(run.stdout.hasPrefix("exported 5000 rows"))
      let text = try String(contentsOfFile: output, encoding: .utf8)
      #expect(CSV.rows(String(text.drop { $0 == "\u{FEFF}" })).count == 5_001)
      // Another sector's export is refused (NOT_FOUND, exit 64 + 5) and writes nothing
      let refused = try await ProgramRun.run(
        Products.path("etimad-probe"), ["export", "-o", directory + "/traffic.csv", "--sector", "TRAFFIC"] + flags)
      #expect(refused.status == 69)
      #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["passports.csv"])
    }
  }

  @Test("Ctrl-C in the middle of an export leaves no file, not even the temporary one")
  func interrupted() async throws {
    try await TestDaemon.with { daemon in
      _ = try await daemon.sectorAgency("PASSPORTS")
      // Enough rows that the export is still streaming when the signal comes
      try await daemon.daemon.database.testingPool.write { db in
        try db.execute(
          sql: """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 299999)
            INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
              sadad_reference, amount, paid_time, state, record_time)
            SELECT 'PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1012345672', '300000000007', 'INT-' || i, 20000,
              1700000000000 + i * 1000, 'PAID', 0 FROM n
            """)
      }
      let directory = TemporaryDirectory.make()
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let process = try ChildProcess.spawn(
        Products.path("etimad-probe"),
        [
          "export", "-o", directory + "/passports.csv", "--quiet", "--addr", "localhost:\(daemon.endpoints.agencyPort)",
          "--tls-ca-cert", daemon.daemon.identity.paths.caCertificate, "--tls-client-cert",
          daemon.dataDirectory + "/agencies/MOI-PASSPORTS.pem", "--tls-client-key",
          daemon.dataDirectory + "/agencies/MOI-PASSPORTS-key.pem", "--employee", "ops-1",
        ], stdout: .discard, stderr: .discard)
      func files() -> [String] { (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [] }
      // Interrupt once the temporary file has data in it
      let deadline = Date().addingTimeInterval(60)
      var partial: String?
      while Date() < deadline, process.isRunning {
        if let name = files().first(where: { $0.hasSuffix(".partial") }),
          let size = try? FileManager.default.attributesOfItem(atPath: directory + "/" + name)[.size] as? Int,
          size > 0
        {
          partial = name
          break
        }
        try await Task.sleep(for: .milliseconds(2))
      }
      #expect(partial != nil, "the export ended before it could be interrupted")
      process.send(SIGINT)
      #expect(await process.exit() == 130)
      #expect(files().isEmpty)
      // The daemon serves on
      let status = try await EtimadClient.withClient(daemon.publicClient()) { try await $0.health.status() }
      #expect(status == .serving)
    }
  }
}
