import ArgumentParser
import EtimadIdentity
import EtimadKit
import EtimadServer
import Foundation

/// Who runs an operator command, for the audit trail.
func operatorName() -> String {
  ProcessInfo.processInfo.environment["SUDO_USER"] ?? ProcessInfo.processInfo.environment["USER"] ?? "operator"
}

extension Etimadd {
  struct Registry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "The civil registry that registrations are checked against.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Import persons from CSV (\(CivilRegistry.header.joined(separator: ","))): all rows or none.")

      @OptionGroup var options: ConfigOptions

      @Argument(help: "The CSV file (UTF-8; Gregorian birth dates YYYY-MM-DD).")
      var file: String

      func run() async throws {
        let config = try options.resolve()
        try await operatorErrors {
          guard let data = FileManager.default.contents(atPath: file), let text = String(data: data, encoding: .utf8)
          else {
            throw OperatorError("cannot read \(file) as UTF-8 text")
          }
          switch CivilRegistry.parse(csv: text) {
          case .failure(let rejected):
            for row in rejected.rows { FileHandle.standardError.write(Data("rejected \(row)\n".utf8)) }
            throw OperatorError("\(rejected.rows.count) rows rejected; nothing was imported")
          case .success(let persons):
            let database = try openDatabase(config)
            try await database.pool.write { db in
              try CivilRegistry.save(persons, db)
              try AuditLog.append(
                db, kind: "operator", id: operatorName(), employee: nil, method: "etimadd registry import",
                target: "registry", requestID: nil, peer: "local",
                summary: "imported \(persons.count) persons from \(file)",
                time: Date())
            }
            print("imported \(persons.count) persons")
          }
        }
      }
    }
  }

  struct Agency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Agencies allowed on the mutual-TLS port, and their client certificates.",
      subcommands: [Add.self, List.self, Revoke.self, Reissue.self])

    struct Add: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Register an agency and issue its client certificate and key (0600).")
      @OptionGroup var options: ConfigOptions
      @Option(help: "Agency code: 2-16 upper-case letters, digits or dashes (the certificate's CN).") var code: String
      @Option(help: "Arabic name.") var nameAr: String
      @Option(help: "English name.") var nameEn: String
      @Option(help: "Where to write CODE.pem and CODE-key.pem (default <data-dir>/agencies).") var out: String?

      func run() async throws {
        let config = try options.resolve()
        try await operatorErrors {
          let issued = try await AgencyAdministration(dataDirectory: config.dataDirectory).add(
            code: code, nameAr: nameAr, nameEn: nameEn, outputDirectory: out ?? config.dataDirectory + "/agencies",
            operator: operatorName())
          print(describe(issued, code: code))
        }
      }
    }

    struct List: AsyncParsableCommand {
      static let configuration = CommandConfiguration(abstract: "List the registered agencies.")
      @OptionGroup var options: ConfigOptions

      func run() async throws {
        let config = try options.resolve()
        try await operatorErrors {
          let agencies = try await AgencyAdministration(dataDirectory: config.dataDirectory).registry.all()
          if agencies.isEmpty { print("no agencies; 'etimadd agency add' registers one") }
          for agency in agencies {
            print(
              "\(agency.code)\t\(agency.state)\t\(agency.nameEn)\t\(agency.nameAr)\tcertificate \(agency.certificateSerial ?? "-")"
            )
          }
        }
      }
    }

    struct Revoke: AsyncParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Refuse an agency from its next call on.")
      @OptionGroup var options: ConfigOptions
      @Argument(help: "The agency code.") var code: String

      func run() async throws {
        let config = try options.resolve()
        try await operatorErrors {
          try await AgencyAdministration(dataDirectory: config.dataDirectory).registry.revoke(
            code: code, operator: operatorName())
          print("agency \(code) revoked")
        }
      }
    }

    struct Reissue: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Issue a new client certificate; the previous one stops working at once.")
      @OptionGroup var options: ConfigOptions
      @Argument(help: "The agency code.") var code: String
      @Option(help: "Where to write CODE.pem and CODE-key.pem (default <data-dir>/agencies).") var out: String?

      func run() async throws {
        let config = try options.resolve()
        try await operatorErrors {
          let issued = try await AgencyAdministration(dataDirectory: config.dataDirectory).reissue(
            code: code, outputDirectory: out ?? config.dataDirectory + "/agencies", operator: operatorName())
          print(describe(issued, code: code))
        }
      }
    }
  }

  struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Seed demo data: a civil registry, agencies with certificates, accounts with a known password.")
    @OptionGroup var options: ConfigOptions

    @Option(help: "How many persons get an account with the demo password (0-150).")
    var accounts = 5

    func validate() throws {
      guard (0...150).contains(accounts) else { throw ValidationError("--accounts must be 0...150") }
    }

    func run() async throws {
      let config = try options.resolve()
      try await operatorErrors {
        print(
          try await DemoData.seed(
            dataDirectory: config.dataDirectory, accounts: accounts, logN: config.passwordHashLogN))
      }
    }
  }
}

func openDatabase(_ config: ServerConfig) throws -> EtimadDatabase {
  try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
  return try EtimadDatabase(
    path: config.dataDirectory + "/etimad.sqlite", migrations: ServiceAreasCatalog.migrations,
    connectionSetup: ServiceAreasCatalog.connectionSetup)
}

func describe(_ issued: AgencyAdministration.Issued, code: String) -> String {
  """
  agency \(code): certificate \(issued.certificatePath)
    key \(issued.keyPath) (0600), serial \(issued.serial), valid until \(ISO8601DateFormatter().string(from: issued.notValidAfter))
  """
}
