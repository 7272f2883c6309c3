import EtimadServer
import EtimadTestSupport
import Foundation
import Testing

/// The operator's first hour with `etimadd`'s own commands: run as a subprocess, as operators run it.
@Suite("etimadd operator commands")
struct OperatorCommandTests {
  static let etimadd = Products.path("etimadd")
  static let openssl = "/usr/bin/openssl"

  /// The environment without a data directory of its own.
  static var environment: [String: String] {
    var environment = ProcessInfo.processInfo.environment
    environment["ETIMAD_DATA_DIR"] = nil
    return environment
  }

  @Test("commands other than serve, migrate and demo refuse a missing data directory and create nothing")
  func missingDataDirectory() async throws {
    // Given an empty working directory and no --data-dir
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    for command in [
      ["agency", "list"], ["certs", "show"], ["agency", "revoke", "MOF"], ["tenders", "reindex"],
      ["registry", "import", "persons.csv"],
    ] {
      // When an operator runs a command that only works on an existing data directory
      let run = try await ProgramRun.run(
        Self.etimadd, command, environment: Self.environment, currentDirectory: directory)
      // Then it fails with one line naming the directory and how to make one, and makes nothing
      #expect(run.status == 1, "\(command): \(run.stdout)")
      #expect(run.stderr.contains("no data directory at \(directory)/etimad-data"), "\(command): \(run.stderr)")
      #expect(run.stderr.contains("etimadd migrate"), "\(command): \(run.stderr)")
      #expect(run.stderr.split(separator: "\n").count == 1, "\(command): \(run.stderr)")
      #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty, "\(command)")
    }
    // And a --data-dir that does not exist is refused the same way
    let typo = directory + "/etimad-dta"
    let named = try await ProgramRun.run(Self.etimadd, ["agency", "list", "--data-dir", typo])
    #expect(named.status == 1)
    #expect(named.stderr.contains("no data directory at \(typo)"), "\(named.stderr)")
    #expect(!FileManager.default.fileExists(atPath: typo))
    // While migrate creates one
    let migrate = try await ProgramRun.run(Self.etimadd, ["migrate", "--data-dir", typo])
    #expect(migrate.status == 0, "\(migrate.stderr)")
    let list = try await ProgramRun.run(Self.etimadd, ["agency", "list", "--data-dir", typo])
    #expect(list.status == 0, "\(list.stderr)")
  }

  @Test("serials and certificate names print as openssl prints them")
  func opensslFormats() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let data = ["--data-dir", directory]
    // Given a few agencies: their random serials likely include a byte below 0x10
    let codes = ["MOF", "MOH", "MOE", "MOJ", "MOT", "MOC"]
    for code in codes {
      let add = try await ProgramRun.run(
        Self.etimadd, ["agency", "add", "--code", code, "--name-ar", "وزارة", "--name-en", "Ministry"] + data)
      #expect(add.status == 0, "\(add.stderr)")
    }
    // When the operator lists them
    let list = try await ProgramRun.run(Self.etimadd, ["agency", "list"] + data)
    #expect(list.status == 0, "\(list.stderr)")
    // Then each serial is the one openssl reads from the agency's certificate
    for code in codes {
      let serial = try await opensslSerial(directory + "/agencies/\(code).pem")
      let line = list.stdout.split(separator: "\n").first { $0.hasPrefix("\(code)\t") }
      #expect(line?.hasSuffix("certificate \(serial)") == true, "\(line ?? "no line for \(code)") vs \(serial)")
    }
    // And certs show prints the server certificate's names and serial as openssl does
    let certs = try await ProgramRun.run(Self.etimadd, ["certs", "show"] + data)
    #expect(certs.status == 0, "\(certs.stderr)")
    let server = directory + "/tls/server.pem"
    let names = try await ProgramRun.run(Self.openssl, ["x509", "-noout", "-ext", "subjectAltName", "-in", server])
    let opensslNames = try #require(names.stdout.split(separator: "\n").last).trimmingCharacters(in: .whitespaces)
    #expect(opensslNames.hasPrefix("DNS:localhost"), "\(names.stdout)")
    #expect(certs.stdout.contains("  names:      \(opensslNames)\n"), "\(certs.stdout)")
    #expect(certs.stdout.contains("  serial:     \(try await opensslSerial(server))\n"), "\(certs.stdout)")
    #expect(!certs.stdout.contains("DNSName("))
  }

  @Test("only serve lists the listener, log and shutdown flags")
  func help() async throws {
    let serve = try await ProgramRun.run(Self.etimadd, ["serve", "--help"])
    #expect(serve.stdout.contains("--public-port"))
    #expect(serve.stdout.contains("--shutdown-grace"))
    #expect(serve.stdout.contains("--data-dir"))
    for command in [["migrate"], ["demo"], ["certs", "show"], ["agency", "list"], ["registry", "import"]] {
      let help = try await ProgramRun.run(Self.etimadd, command + ["--help"])
      #expect(help.stdout.contains("--data-dir"), "\(command)")
      for flag in ["--public-port", "--host", "--log-format", "--shutdown-grace", "--server-name"] {
        #expect(!help.stdout.contains(flag), "\(command) lists \(flag)")
      }
    }
  }

  @Test("every command's abstract fits its line, in its own help and in its parent's list")
  func abstractsFitTheirLines() async throws {
    var environment = Self.environment
    environment["COLUMNS"] = "80"
    let commands = [
      [], ["serve"], ["migrate"], ["certs"], ["certs", "show"], ["registry"], ["registry", "import"], ["agency"],
      ["agency", "add"], ["agency", "list"], ["agency", "revoke"], ["agency", "reissue"], ["demo"], ["version"],
      ["debts"], ["debts", "seed-bench"], ["payments"], ["payments", "sector-add"], ["payments", "service-add"],
      ["payments", "bench-seed"], ["tenders"], ["tenders", "seed"], ["tenders", "reindex"],
    ]
    for command in commands {
      let help = try await ProgramRun.run(Self.etimadd, command + ["--help"], environment: environment)
      let lines = help.stdout.split(separator: "\n", omittingEmptySubsequences: false)
      // The overview is one line: a wrapped one breaks the sentence at column 0
      #expect(
        lines.first?.hasPrefix("OVERVIEW: ") == true && lines.dropFirst().first == "", "\(command): \(help.stdout)")
      // And each subcommand's abstract sits on its name's line
      if let start = lines.firstIndex(of: "SUBCOMMANDS:") {
        let entries = lines[(start + 1)...].prefix { !$0.isEmpty }
        #expect(entries.allSatisfy { !$0.hasPrefix("   ") }, "\(command): \(help.stdout)")
      }
    }
  }

  @Test("a negative --shutdown-grace is refused with the valid range")
  func negativeNumbers() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let grace = try await ProgramRun.run(
      Self.etimadd, ["serve", "--data-dir", directory, "--shutdown-grace", "-5"])
    #expect(grace.status == 1)
    #expect(grace.stderr.contains("shutdown_grace_seconds must be 0...3600, not -5"), "\(grace.stderr)")
    let port = try await ProgramRun.run(Self.etimadd, ["serve", "--data-dir", directory, "--public-port", "-1"])
    #expect(port.status == 1)
    #expect(port.stderr.contains("public_port must be 0...65535"), "\(port.stderr)")
  }

  @Test("after the ready line, serve says on stderr how to check health and where SMS codes arrive")
  func nextSteps() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // Given a daemon that is ready
    let daemon = try DaemonProcess.start(directory, ["--host", "127.0.0.1", "--shutdown-drain", "0"])
    #expect(daemon.publicPort > 0)
    // When it stops
    daemon.terminate()
    let status = await daemon.exit()
    #expect(status == 0)
    // Then its standard error held the probe command and the SMS file
    let errors = daemon.stderr()
    let ca = directory + "/tls/ca.pem"
    #expect(errors.contains("trust the development CA: \(ca)\n"), "\(errors)")
    #expect(
      errors.contains("check health: etimad-probe health --addr 127.0.0.1:\(daemon.publicPort) --tls-ca-cert \(ca)\n"),
      "\(errors)")
    #expect(errors.contains("one-time SMS codes arrive in: \(directory)/sms.log\n"), "\(errors)")
  }

  private func opensslSerial(_ path: String) async throws -> String {
    let run = try await ProgramRun.run(Self.openssl, ["x509", "-serial", "-noout", "-in", path])
    #expect(run.status == 0, "\(run.stderr)")
    return String(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).dropFirst("serial=".count))
  }
}
