import EtimadServer
import EtimadTestSupport
import Foundation
import GRDB
import Testing

@Suite("Configuration")
struct ConfigTests {
  func file(_ json: String) throws -> String {
    let path = TemporaryDirectory.make() + "/etimad.json"
    try json.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test("flags override the environment, which overrides the file, which overrides defaults")
  func precedence() throws {
    let path = try file(#"{"public_port": 1001, "agency_port": 1002, "log_format": "json", "host": "0.0.0.0"}"#)
    var flags = ServerConfig.Layer()
    flags.publicPort = 3001
    let config = try ServerConfig.resolve(
      file: path, environment: ["ETIMAD_PUBLIC_PORT": "2001", "ETIMAD_AGENCY_PORT": "2002"], flags: flags)
    #expect(config.publicPort == 3001)
    #expect(config.agencyPort == 2002)
    #expect(config.logFormat == "json")
    #expect(config.host == "0.0.0.0")
    #expect(config.metricsPort == 9464)
  }

  @Test("every problem is named at once")
  func validation() throws {
    var flags = ServerConfig.Layer()
    flags.publicPort = 70000
    flags.logFormat = "xml"
    flags.logLevel = "loud"
    let error = #expect(throws: ConfigError.self) {
      _ = try ServerConfig.resolve(file: nil, environment: [:], flags: flags)
    }
    let text = error?.description ?? ""
    #expect(text.contains("public_port"))
    #expect(text.contains("log_format"))
    #expect(text.contains("log_level"))
  }

  @Test("a misspelt key, a wrong type or a bad environment value is refused with its name")
  func refusals() throws {
    let misspelt = #expect(throws: ConfigError.self) {
      _ = try ServerConfig.resolve(file: try file(#"{"public_prot": 1}"#), environment: [:], flags: .init())
    }
    #expect(misspelt?.description.contains("public_prot") == true)
    let wrongType = #expect(throws: ConfigError.self) {
      _ = try ServerConfig.resolve(file: try file(#"{"public_port": "x"}"#), environment: [:], flags: .init())
    }
    #expect(wrongType?.description.contains("public_port") == true)
    let environment = #expect(throws: ConfigError.self) {
      _ = try ServerConfig.resolve(file: nil, environment: ["ETIMAD_AGENCY_PORT": "seven"], flags: .init())
    }
    #expect(environment?.description.contains("ETIMAD_AGENCY_PORT") == true)
    #expect(throws: ConfigError.self) {
      _ = try ServerConfig.resolve(file: "/no/such/file.json", environment: [:], flags: .init())
    }
  }
}

@Suite("etimadd as operators run it")
struct DaemonCommandTests {
  static let etimadd = Products.path("etimadd")

  @Test("a taken port is a one-line message and exit 1, not a crash")
  func takenPort() async throws {
    try await TestDaemon.with { daemon in
      let directory = TemporaryDirectory.make()
      defer { try? FileManager.default.removeItem(atPath: directory) }
      let run = try await ProgramRun.run(
        Self.etimadd,
        [
          "serve", "--data-dir", directory, "--public-port", "\(daemon.endpoints.publicPort)", "--agency-port", "0",
          "--metrics-port", "-1",
        ])
      #expect(run.status == 1)
      #expect(
        run.stderr.contains("cannot listen on 127.0.0.1:\(daemon.endpoints.publicPort) (public port)"), "\(run.stderr)")
      #expect(!run.stderr.contains("Fatal error"))
    }
  }

  @Test("bad configuration and unreadable keys are clear messages with exit 1")
  func badConfiguration() async throws {
    let bad = try await ProgramRun.run(Self.etimadd, ["serve", "--public-port", "99999"])
    #expect(bad.status == 1)
    #expect(bad.stderr.contains("public_port must be 0...65535"))
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    _ = try ServerIdentity.prepare(dataDirectory: directory, serverNames: [], now: Date())
    try "garbage".write(toFile: directory + "/tls/ca-key.pem", atomically: true, encoding: .utf8)
    let keys = try await ProgramRun.run(Self.etimadd, ["serve", "--data-dir", directory, "--metrics-port", "-1"])
    #expect(keys.status == 1)
    #expect(keys.stderr.contains("ca-key.pem"), "\(keys.stderr)")
  }

  @Test("payments catalogue: sector-add needs a registered agency; service-add a sector; both are audited")
  func paymentsCatalogue() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let data = ["--data-dir", directory]
    let sector = ["payments", "sector-add", "--code", "CIVIL_DEFENSE", "--name-ar", "الدفاع المدني"]
    let unknown = try await ProgramRun.run(
      Self.etimadd, sector + ["--name-en", "Civil Defense", "--agency", "MOI-CD"] + data)
    #expect(unknown.status == 1)
    #expect(unknown.stderr.contains("no agency MOI-CD"), "\(unknown.stderr)")
    let agency = try await ProgramRun.run(
      Self.etimadd,
      [
        "agency", "add", "--code", "MOI-CD", "--name-ar", "المديرية العامة للدفاع المدني",
        "--name-en", "General Directorate of Civil Defense",
      ] + data)
    #expect(agency.status == 0, "\(agency.stderr)")
    let added = try await ProgramRun.run(
      Self.etimadd, sector + ["--name-en", "Civil Defense", "--agency", "MOI-CD"] + data)
    #expect(added.status == 0, "\(added.stderr)")
    let again = try await ProgramRun.run(
      Self.etimadd, sector + ["--name-en", "Civil Defense", "--agency", "MOI-CD"] + data)
    #expect(again.status == 1)
    let service = [
      "payments", "service-add", "--code", "SAFETY_PERMIT", "--name-ar", "تصريح سلامة",
      "--name-en", "Safety permit", "--fee-halalas", "30000",
    ]
    let orphan = try await ProgramRun.run(Self.etimadd, service + ["--sector", "NOPE"] + data)
    #expect(orphan.status == 1)
    #expect(orphan.stderr.contains("no sector NOPE"), "\(orphan.stderr)")
    let fee = try await ProgramRun.run(Self.etimadd, service + ["--sector", "CIVIL_DEFENSE"] + data)
    #expect(fee.status == 0, "\(fee.stderr)")
    // What the catalogue now holds, and who added it
    let queue = try DatabaseQueue(path: directory + "/etimad.sqlite")
    let (owner, price, audited) = try await queue.read { db in
      (
        try String.fetchOne(db, sql: "SELECT agency_code FROM payment_sectors WHERE code = 'CIVIL_DEFENSE'"),
        try Int64.fetchOne(db, sql: "SELECT fee FROM payment_services WHERE code = 'SAFETY_PERMIT'"),
        try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM audit WHERE target = 'payment-sector/CIVIL_DEFENSE'")
      )
    }
    #expect(owner == "MOI-CD")
    #expect(price == 30_000)
    #expect(audited == 2)
  }

  @Test("migrate lists the applied migrations; certs show names the files; version prints")
  func subcommands() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let migrate = try await ProgramRun.run(Self.etimadd, ["migrate", "--data-dir", directory])
    #expect(migrate.status == 0, "\(migrate.stderr)")
    #expect(migrate.stdout.contains("kit.v1.idempotency_and_audit"))
    let certs = try await ProgramRun.run(Self.etimadd, ["certs", "show", "--data-dir", directory])
    #expect(certs.status == 0, "\(certs.stderr)")
    #expect(certs.stdout.contains("development CA"))
    #expect(certs.stdout.contains("localhost"))
    let version = try await ProgramRun.run(Self.etimadd, ["version"])
    #expect(version.stdout.contains(EtimadVersion.current))
  }
}
