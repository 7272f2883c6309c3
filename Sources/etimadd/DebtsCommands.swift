import ArgumentParser
import EtimadDebts
import EtimadKit
import EtimadServer
import Foundation

extension Etimadd {
  /// `etimadd debts ...`: operator tools of the debts area.
  struct Debts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Debts area tools (benchmark data).", subcommands: [SeedBench.self])

    struct SeedBench: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        commandName: "seed-bench",
        abstract: "Seed OUTSTANDING debts for benchmarks.",
        discussion: "Debts of one agency over many debtors, for tools/bench/debts.sh.")
      @OptionGroup var options: CommonOptions
      @Option(help: "The creditor agency's code.") var agency = "MOF"
      @Option(help: "How many debts.") var debts = 100_000
      @Option(help: "Over how many debtors.") var debtors = 10_000
      @Option(help: "ID number of the first debtor (give a demo account to read its debts with a token).")
      var owner: String

      func validate() throws {
        guard debts > 0, debtors > 0 else { throw ValidationError("--debts and --debtors must be positive") }
        do { _ = try NationalID(parsing: owner) } catch { throw ValidationError("--owner must be a valid ID number") }
      }

      func run() async throws {
        let config = try options.resolve(.mustExist)
        let database = try openDatabase(config)
        let started = Date()
        let owned = try await DebtsBenchSeed.seed(
          database, agency: agency, debts: debts, debtors: debtors, owner: owner, by: .operator(operatorName()))
        let seconds = Date().timeIntervalSince(started)
        print("seeded \(debts) debts over \(debtors) debtors in \(String(format: "%.1f", seconds)) s")
        print("owner \(owner) debts: " + owned.prefix(20).map(String.init).joined(separator: ","))
      }
    }
  }
}
