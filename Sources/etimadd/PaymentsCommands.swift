import ArgumentParser
import EtimadKit
import EtimadPayments
import EtimadServer
import Foundation

extension Etimadd {
  struct Payments: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Government payments: catalogue and benchmark data.",
      subcommands: [SectorAdd.self, ServiceAdd.self, BenchSeed.self])

    struct SectorAdd: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "sector-add",
        abstract: "Add a sector whose payments one agency records.",
        discussion: "Register the agency first with 'etimadd agency add'.")
      @OptionGroup var options: CommonOptions
      @Option(help: "Sector code: 2-32 upper-case letters, digits or underscores.") var code: String
      @Option(help: "Arabic name.") var nameAr: String
      @Option(help: "English name.") var nameEn: String
      @Option(help: "The agency code that records the sector's payments.") var agency: String

      func validate() throws {
        guard PaymentsRules.validCode(code) else { throw ValidationError("--code: 2-32 of A-Z, 0-9, _") }
        guard !nameAr.isEmpty, !nameEn.isEmpty, !agency.isEmpty else {
          throw ValidationError("names and agency are required")
        }
      }

      func run() async throws {
        let config = try options.resolve(.mustExist)
        try await operatorErrors {
          let database = try openDatabase(config)
          try await database.write(as: .operator(operatorName()), method: "etimadd payments sector-add") {
            db, audit in
            // A sector of an unknown agency could never be recorded, nor its refunds decided.
            guard
              try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM agencies WHERE code = ?)", arguments: [agency])
                == true
            else { throw OperatorError("no agency \(agency); register it with 'etimadd agency add'") }
            try PaymentsCatalogue.addSector(
              db, .init(code: code, nameAr: nameAr, nameEn: nameEn, agencyCode: agency), now: audit.now)
            try audit.record(target: "payment-sector/\(code)", summary: "sector \(code) recorded by \(agency)")
          }
          print("sector \(code) added, recorded by agency \(agency)")
        }
      }
    }

    struct ServiceAdd: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "service-add", abstract: "Add a service with its fee to a sector.")
      @OptionGroup var options: CommonOptions
      @Option(help: "The sector code.") var sector: String
      @Option(help: "Service code: 2-32 upper-case letters, digits or underscores.") var code: String
      @Option(help: "Arabic name.") var nameAr: String
      @Option(help: "English name.") var nameEn: String
      @Option(help: "The fee in halalas (0 when the amount varies).") var feeHalalas: Int64

      func validate() throws {
        guard PaymentsRules.validCode(code) else { throw ValidationError("--code: 2-32 of A-Z, 0-9, _") }
        guard feeHalalas >= 0 else { throw ValidationError("--fee-halalas must not be negative") }
        guard !nameAr.isEmpty, !nameEn.isEmpty else { throw ValidationError("names are required") }
      }

      func run() async throws {
        let config = try options.resolve(.mustExist)
        try await operatorErrors {
          let database = try openDatabase(config)
          try await database.write(as: .operator(operatorName()), method: "etimadd payments service-add") {
            db, audit in
            guard
              try Bool.fetchOne(
                db, sql: "SELECT EXISTS (SELECT 1 FROM payment_sectors WHERE code = ?)", arguments: [sector]) == true
            else { throw OperatorError("no sector \(sector); add it with 'etimadd payments sector-add'") }
            try PaymentsCatalogue.addService(
              db, .init(sectorCode: sector, code: code, nameAr: nameAr, nameEn: nameEn, fee: feeHalalas))
            try audit.record(
              target: "payment-sector/\(sector)", summary: "service \(code) added with fee \(feeHalalas) halalas")
          }
          print("service \(sector)/\(code) added (fee \(Halalas(feeHalalas)))")
        }
      }
    }

    struct BenchSeed: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "bench-seed",
        abstract: "Write benchmark payments into one sector.",
        discussion: "In large transactions; the demo persons are the first beneficiaries.")
      @OptionGroup var options: CommonOptions
      @Option(help: "How many payments.") var payments = 1_000_000
      @Option(help: "How many beneficiaries (the demo registry's persons first).") var beneficiaries = 10_000
      @Option(help: "The sector.") var sector = "PASSPORTS"

      func run() async throws {
        let config = try options.resolve(.mustExist)
        try await operatorErrors {
          let database = try openDatabase(config)
          let started = Date()
          let written = try await PaymentsBenchSeed.seed(
            database: database, sector: sector, payments: payments, beneficiaries: beneficiaries,
            firstBeneficiaries: DemoData.persons().map(\.idNumber), by: .operator(operatorName())
          ) { done in
            if done % 200_000 == 0 { FileHandle.standardError.write(Data("  \(done) payments\n".utf8)) }
          }
          print(
            "seeded \(written) payments in \(sector) for \(beneficiaries) beneficiaries in "
              + String(format: "%.1f", Date().timeIntervalSince(started)) + " s")
        }
      }
    }
  }
}
