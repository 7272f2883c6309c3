import EtimadServer
import Foundation
import Testing

/// `etimad-probe export` run as an operator runs it: the built executable against a daemon.
@Suite("etimad-probe export")
struct PaymentsProbeTests {
  @Test("exports a sector to a file with a progress bar; a refused export leaves no file")
  func export() async throws {
    try await TestDaemon.with { daemon in
      _ = try await daemon.sectorAgency("PASSPORTS")
      try await daemon.daemon.database.pool.write { db in
        for index in 0..<5_000 {
          try db.execute(
            sql: """
              INSERT INTO payments (sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
                sadad_reference, amount, paid_time, state, record_time)
              VALUES ('PASSPORTS', 'EXIT_REENTRY', 'NATIONAL_ID', '1012345672', '3000000007', ?, 20000, ?, 1, 0)
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
}
