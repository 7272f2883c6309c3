import ArgumentParser
import EtimadKit
import EtimadTenders
import Foundation
import GRDB

/// `etimadd tenders`: operator tasks of the tenders area (bulk seeding for benchmarks,
/// rebuilding the search index).
struct Tenders: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Tenders: benchmark data and the search index.",
    subcommands: [Seed.self, Reindex.self])

  struct Seed: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Publish COUNT generated tenders, then reindex.",
      discussion: "Tenders of the registered agencies (run 'etimadd demo' first); then the search index is rebuilt."
    )
    @OptionGroup var options: CommonOptions

    @Option(help: "How many tenders to add.")
    var count = 100_000

    func validate() throws {
      guard (1...5_000_000).contains(count) else { throw ValidationError("--count must be 1...5000000") }
    }

    func run() async throws {
      let config = try options.resolve(.mustExist)
      try await operatorErrors {
        let database = try openDatabase(config)
        let agencies = try await database.read { db in
          try String.fetchAll(db, sql: "SELECT code FROM agencies WHERE state = 'active' ORDER BY code")
        }
        guard !agencies.isEmpty else { throw OperatorError("no agencies; run 'etimadd demo' first") }
        let now = Int64(Date().timeIntervalSince1970)
        let start = ContinuousClock.now
        let load = try await database.beginBulkLoad(
          as: .operator(operatorName()), method: "etimadd tenders seed",
          audit: AuditRecord(target: "tenders", summary: "benchmark load: \(count) generated tenders, then reindex"))
        let first = try await load.batch { db in
          (try Int.fetchOne(db, sql: "SELECT ifnull(max(id), 0) FROM tenders") ?? 0) + 1
        }
        // Batches of 10k per transaction: one long transaction would hold the WAL open.
        for batch in stride(from: 0, to: count, by: 10_000) {
          try await load.batch { db in
            for index in batch..<min(count, batch + 10_000) {
              // Published over the last 90 days, so that about a third still accept offers.
              let fields = TenderGenerator.tender(
                index: first + index, base: now, publishOffset: -Int64((first + index) % 90) * 86_400 - 3_600,
                prefix: "B")
              try TendersDemo.insert(
                db, fields, agency: agencies[index % agencies.count], state: index % 50 == 0 ? .cancelled : .published,
                employee: "bench", time: now)
            }
          }
        }
        let inserted = ContinuousClock.now - start
        let indexStart = ContinuousClock.now
        let indexed = try await load.batch { db in try TendersDemo.reindex(db) }
        let indexTime = ContinuousClock.now - indexStart
        print("inserted \(count) tenders in \(seconds(inserted)) s")
        print("index built: \(indexed) tenders normalised and indexed (FTS5) in \(seconds(indexTime)) s")
      }
    }
  }

  struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Rebuild the tenders search index from the tenders.")
    @OptionGroup var options: CommonOptions

    func run() async throws {
      let config = try options.resolve(.mustExist)
      try await operatorErrors {
        let database = try openDatabase(config)
        let start = ContinuousClock.now
        let indexed = try await database.write(as: .operator(operatorName()), method: "etimadd tenders reindex") {
          db, audit in
          let indexed = try TendersDemo.reindex(db)
          try audit.record(target: "tenders", summary: "search index rebuilt: \(indexed) tenders")
          return indexed
        }
        print("indexed \(indexed) tenders in \(seconds(ContinuousClock.now - start)) s")
      }
    }
  }
}

private func seconds(_ duration: Duration) -> String {
  String(format: "%.2f", Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18)
}
