import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// Relevance ranking of tender search: FTS5's bm25 (k1 1.2, b 0.75, column weights name 10,
/// description 1, reference 5, agency 3) computed by an auxiliary function of our own,
/// `tender_rank(tenders_fts, hits...)`, which takes each phrase's document count as an
/// argument instead of counting it. FTS5's bm25 counts the documents of every phrase of the
/// query on every statement, walking each doclist whole: 0.6 ms for one word held by 4k of
/// 100k tenders, 3 ms for a last word expanded to eight completions, most of a search's time.
/// The counts come from `TermFrequencies`, which keeps them a minute: they weigh the phrases
/// against each other and never decide which tenders match, and a minute's new tenders move
/// them by a fraction of a percent.
enum TenderRank {
  /// Column weights, in the order of the columns of `tenders_fts`.
  static let weights: [Double] = [10.0, 1.0, 5.0, 3.0]

  /// The SQL of the score for `phrases` phrases, whose counts are bound in order.
  static func sql(phrases: Int) -> String {
    "tender_rank(tenders_fts" + String(repeating: ", ?", count: phrases) + ")"
  }

  /// Registers `tender_rank` on a connection (run for every connection the daemon opens).
  @Sendable static func register(_ connection: OpaquePointer) throws {
    var statement: OpaquePointer?
    guard sqlite3_prepare_v2(connection, "SELECT fts5(?1)", -1, &statement, nil) == SQLITE_OK, let statement else {
      throw DatabaseError(resultCode: .SQLITE_ERROR, message: "FTS5 is not available: \(errorMessage(connection))")
    }
    defer { sqlite3_finalize(statement) }
    var api: UnsafeMutablePointer<fts5_api>?
    try withUnsafeMutablePointer(to: &api) { slot in
      sqlite3_bind_pointer(statement, 1, slot, apiPointerType, nil)
      guard sqlite3_step(statement) == SQLITE_ROW else {
        throw DatabaseError(resultCode: .SQLITE_ERROR, message: errorMessage(connection))
      }
    }
    guard let api, api.pointee.iVersion >= 2, let create = api.pointee.xCreateFunction else {
      throw DatabaseError(resultCode: .SQLITE_ERROR, message: "no fts5_api on this connection")
    }
    let code = create(api, "tender_rank", nil, rank, nil)
    guard code == SQLITE_OK else {
      throw DatabaseError(resultCode: ResultCode(rawValue: code), message: "registering tender_rank")
    }
  }

  private static func errorMessage(_ connection: OpaquePointer) -> String {
    String(cString: sqlite3_errmsg(connection))
  }

  /// The type tag of `fts5(?1)`'s pointer argument; SQLite compares it as a C string while the
  /// statement runs, so it must outlive the binding: allocated once, never freed.
  nonisolated(unsafe) private static let apiPointerType: UnsafePointer<CChar> = UnsafePointer(strdup("fts5_api_ptr")!)

  /// bm25 as FTS5's fts5Bm25Function computes it, with the documents holding each phrase
  /// (nHit) given as arguments.
  private static let rank: fts5_extension_function = { api, fts, context, count, values in
    guard let api, let fts, let context else { return }
    let functions = api.pointee
    guard let phraseCount = functions.xPhraseCount, let rowCount = functions.xRowCount,
      let totalSize = functions.xColumnTotalSize, let columnSize = functions.xColumnSize,
      let instCount = functions.xInstCount, let inst = functions.xInst
    else { return sqlite3_result_error(context, "tender_rank: FTS5 API too old", -1) }
    let phrases = Int(phraseCount(fts))
    var rows: Int64 = 0
    var tokens: Int64 = 0
    var size: Int32 = 0
    var instances: Int32 = 0
    guard rowCount(fts, &rows) == SQLITE_OK, totalSize(fts, -1, &tokens) == SQLITE_OK,
      columnSize(fts, -1, &size) == SQLITE_OK, instCount(fts, &instances) == SQLITE_OK, rows > 0
    else { return sqlite3_result_error(context, "tender_rank: cannot read the row", -1) }
    let k1 = 1.2
    let b = 0.75
    let averageLength = Double(tokens) / Double(rows)
    let lengthFactor = k1 * (1 - b + b * Double(size) / averageLength)
    withUnsafeTemporaryAllocation(of: Double.self, capacity: max(phrases, 1)) { frequency in
      frequency.initialize(repeating: 0)
      for index in 0..<instances {
        var phrase: Int32 = 0
        var column: Int32 = 0
        var offset: Int32 = 0
        guard inst(fts, index, &phrase, &column, &offset) == SQLITE_OK, Int(phrase) < phrases else { continue }
        frequency[Int(phrase)] += Int(column) < weights.count ? weights[Int(column)] : 1.0
      }
      var score = 0.0
      for phrase in 0..<phrases {
        var hits = 0.0
        if phrase < Int(count), let values, let value = values[phrase] { hits = sqlite3_value_double(value) }
        var idf = log((Double(rows) - hits + 0.5) / (hits + 0.5))
        if idf <= 0 { idf = 1e-6 }
        let f = frequency[phrase]
        score += idf * (f * (k1 + 1)) / (f + lengthFactor)
      }
      sqlite3_result_double(context, -score)
    }
  }
}

/// How many tenders hold each phrase of a search, kept `lifetime` seconds (see `TenderRank`).
final class TermFrequencies: Sendable {
  private let counts = Mutex<[String: (hits: Int64, time: Double)]>([:])
  private let lifetime: Double
  /// Phrases kept at most; the table empties itself rather than grow past this.
  private let limit = 50_000

  init(lifetime: Double = 60) {
    self.lifetime = lifetime
  }

  /// The documents holding each phrase (an FTS5 phrase expression), counted in `db` when not
  /// known or older than the lifetime.
  func hits(_ db: Database, _ phrases: [String], now: Double) throws -> [Int64] {
    try phrases.map { phrase in
      if let known = counts.withLock({ $0[phrase] }), now - known.time < lifetime { return known.hits }
      let hits = try Self.count(db, phrase)
      counts.withLock {
        if $0.count >= limit { $0.removeAll(keepingCapacity: true) }
        $0[phrase] = (hits, now)
      }
      return hits
    }
  }

  /// Counts without a cache (for callers that keep none).
  static func count(_ db: Database, _ phrase: String) throws -> Int64 {
    try db.fetchOne("SELECT count(*) FROM tenders_fts WHERE tenders_fts MATCH ?", [.text(phrase)]) { $0[0] as Int64 }
      ?? 0
  }
}
