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
      abstract: "The civil registry registrations are checked against.", subcommands: [Import.self])

    struct Import: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Import persons from a CSV file: all rows or none.",
        discussion: """
          The header is \(CivilRegistry.header.joined(separator: ",")). Every row is validated; \
          with any row rejected, nothing is imported and the rejected rows are listed.
          """)

      @OptionGroup var options: CommonOptions

      @Argument(help: "The CSV file (UTF-8; Gregorian birth dates YYYY-MM-DD).")
      var file: String

      func run() async throws {
        let config = try options.resolve(.mustExist)
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
            try await database.write(as: .operator(operatorName()), method: "etimadd registry import") { db, audit in
              try CivilRegistry.save(persons, db)
              try audit.record(target: "registry", summary: "imported \(persons.count) persons from \(file)")
            }
            print("imported \(persons.count) persons")
          }
        }
      }
    }
  }

  struct Agency: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Agencies on the mutual-TLS port, their certificates.",
      subcommands: [Add.self, List.self, Revoke.self, Reissue.self])

    struct Add: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Register an agency and issue its client certificate.",
        discussion: "Writes CODE.pem and CODE-key.pem (0600), signed by the agency CA.")
      @OptionGroup var options: CommonOptions
      @Option(help: "Agency code: 2-16 upper-case letters, digits or dashes (the certificate's CN).") var code: String
      @Option(help: "Arabic name.") var nameAr: String
      @Option(help: "English name.") var nameEn: String
      @Option(help: "Where to write CODE.pem and CODE-key.pem (default <data-dir>/agencies).") var out: String?

      func run() async throws {
        let config = try options.resolve(.mustExist)
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
      @OptionGroup var options: CommonOptions

      func run() async throws {
        let config = try options.resolve(.mustExist)
        try await operatorErrors {
          let agencies = try await AgencyAdministration(dataDirectory: config.dataDirectory).registry.all()
          if agencies.isEmpty { print("no agencies; 'etimadd agency add' registers one") }
          for agency in agencies {
            print(
              "\(agency.code)\t\(agency.state)\t\(agency.nameEn)\t\(agency.nameAr)\tcertificate \(agency.certificateSerial.map { CertificateText.serial(stored: $0) } ?? "-")"
            )
          }
        }
      }
    }

    struct Revoke: AsyncParsableCommand {
      static let configuration = CommandConfiguration(abstract: "Refuse an agency from its next call on.")
      @OptionGroup var options: CommonOptions
      @Argument(help: "The agency code.") var code: String

      func run() async throws {
        let config = try options.resolve(.mustExist)
        try await operatorErrors {
          try await AgencyAdministration(dataDirectory: config.dataDirectory).registry.revoke(
            code: code, operator: operatorName())
          print("agency \(code) revoked")
        }
      }
    }

    struct Reissue: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Issue a new client certificate, ending the old one.",
        discussion: "The previous certificate stops working at once, on open connections too.")
      @OptionGroup var options: CommonOptions
      @Argument(help: "The agency code.") var code: String
      @Option(help: "Where to write CODE.pem and CODE-key.pem (default <data-dir>/agencies).") var out: String?

      func run() async throws {
        let config = try options.resolve(.mustExist)
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
      abstract: "Seed demo data to try every area.",
      discussion: """
        A civil registry, agencies with client certificates, accounts with a known password, \
        debts, payments and tenders. Creates the data directory when missing.
        """)
    @OptionGroup var options: CommonOptions

    @Option(help: "How many persons get an account with the demo password (0-150).")
    var accounts = 5

    func validate() throws {
      guard (0...150).contains(accounts) else { throw ValidationError("--accounts must be 0...150") }
    }

    func run() async throws {
      let config = try options.resolve(.createIfMissing)
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
    key \(issued.keyPath) (0600), serial \(CertificateText.serial(stored: issued.serial)), valid until \(ISO8601DateFormatter().string(from: issued.notValidAfter))
  """
}
