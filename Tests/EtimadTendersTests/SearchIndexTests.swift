@_spi(Testing) import EtimadKit
import Foundation
import GRDB
import Testing

@testable import EtimadTenders

/// The search index and the relevance windows on a real SQLite file, without a server.
@Suite("Search index")
struct SearchIndexTests {
  static let now: Int64 = 1_780_000_000

  /// An agencies table like identity's, with MOH.
  static let agencies = Migration("test.agencies") { db in
    try db.execute(
      sql: """
        CREATE TABLE agencies (code TEXT PRIMARY KEY, name_ar TEXT NOT NULL, name_en TEXT NOT NULL,
          state TEXT NOT NULL, certificate_serial TEXT, create_time REAL NOT NULL, revoke_time REAL);
        INSERT INTO agencies VALUES ('MOH', 'وزارة الصحة', 'Ministry of Health', 'active', NULL, 0, NULL);
        """)
  }

  /// A database with the tenders tables, an agencies table like identity's, and `count`
  /// generated tenders (every one published).
  static func database(count: Int) throws -> (EtimadDatabase, String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tenders-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let database = try EtimadDatabase(
      path: directory.appendingPathComponent("etimad.sqlite").path,
      migrations: [Self.agencies] + TendersSchema.migrations,
      connectionSetup: TendersArea.connectionSetup, clock: ManualClock(Date(timeIntervalSince1970: TimeInterval(now))))
    try database.testingPool.write { db in
      for index in 0..<count {
        let fields = TenderGenerator.tender(index: index, base: now, publishOffset: -Int64(index % 30 + 1) * 86_400)
        try TendersDemo.insert(db, fields, agency: "MOH", state: .published, employee: "test", time: now)
      }
      try TendersDemo.reindex(db)
    }
    return (database, directory.path)
  }

  static func query(_ text: String) throws -> TenderQuery {
    TenderQuery(text: try SearchText(text), order: .relevance, reverse: false)
  }

  @Test("relevance pages walk every window: each match exactly once, best first inside a window")
  func windows() async throws {
    let (database, directory) = try Self.database(count: 1_500)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let query = try Self.query("توريد")
    let expected = try await database.read { db in
      try Int.fetchOne(
        db, sql: "SELECT count(*) FROM tenders_fts WHERE tenders_fts MATCH ?", arguments: ["\"توريد\"*"]) ?? 0
    }
    #expect(expected > TenderSearch.window)
    var seen: [Int64] = []
    var cursor: SearchCursor?
    var pages = 0
    repeat {
      let (tenders, next) = try await database.read { [cursor] db in
        try TenderSearch.page(db, query: query, viewer: nil, now: Self.now, size: 37, after: cursor)
      }
      seen += tenders.map(\.id)
      cursor = next
      pages += 1
    } while cursor != nil && pages < 1_000
    #expect(seen.count == expected)
    #expect(Set(seen).count == seen.count)
    // The first window, ranked by bm25 in one SQL statement, is the order the pages give
    let match = try await database.read { db in try SearchIndex.match(db, query.text).expression }
    let firstWindow = try await database.read { db in
      try Int64.fetchAll(
        db,
        sql: """
          SELECT rowid FROM (
            SELECT rowid, bm25(tenders_fts, 10.0, 1.0, 5.0, 3.0) AS score FROM tenders_fts
            WHERE tenders_fts MATCH ? ORDER BY rowid DESC LIMIT ?
          ) ORDER BY score, rowid
          """, arguments: [match, TenderSearch.window])
    }
    #expect(Array(seen.prefix(TenderSearch.window)) == firstWindow)
    // With a filter, windows that hold few or no passing matches are walked through
    var medical = query
    medical.mainActivity = "medical"
    let filtered = medical
    let expectedFiltered = try await database.read { db in
      try Int.fetchOne(
        db,
        sql: """
          SELECT count(*) FROM tenders_fts JOIN tenders t ON t.id = tenders_fts.rowid
          WHERE tenders_fts MATCH ? AND t.main_activity = 'medical'
          """, arguments: ["\"توريد\"*"]) ?? 0
    }
    var filteredSeen: [Int64] = []
    cursor = nil
    pages = 0
    repeat {
      let (tenders, next) = try await database.read { [cursor] db in
        try TenderSearch.page(db, query: filtered, viewer: nil, now: Self.now, size: 7, after: cursor)
      }
      #expect(tenders.allSatisfy { $0.fields.mainActivity == "medical" })
      filteredSeen += tenders.map(\.id)
      cursor = next
      pages += 1
    } while cursor != nil && pages < 1_000
    #expect(filteredSeen.count == expectedFiltered)
    #expect(Set(filteredSeen).count == filteredSeen.count)
  }

  @Test("tender_rank with fresh document counts gives FTS5's bm25 scores, for one word and for expansions")
  func rankMatchesBM25() async throws {
    let (database, directory) = try Self.database(count: 400)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    // والمواص and its stem مواص both expand: the ranked phrases are the words of both
    for text in ["توريد", "صيانة أنظمة", "supply of comp", "توريد أجهز", "الشروط والمواص", "الوقائية والت"] {
      let pairs = try await database.read { db in
        let match = try SearchIndex.match(db, try SearchText(text))
        let hits = try match.phrases.map { try TermFrequencies.count(db, $0) }
        return try db.fetchAll(
          """
          SELECT bm25(tenders_fts, 10.0, 1.0, 5.0, 3.0), \(TenderRank.sql(phrases: hits.count))
          FROM tenders_fts WHERE tenders_fts MATCH ?
          """, hits.map { .int($0) } + [.text(match.expression)]
        ) { (bm25: $0[0] as Double, rank: $0[1] as Double) }
      }
      #expect(!pairs.isEmpty, "\(text) matched nothing")
      for pair in pairs { #expect(abs(pair.bm25 - pair.rank) <= 1e-9 * max(1, abs(pair.bm25)), "\(text)") }
    }
  }

  @Test("the last word expands to the indexed words it begins, in Arabic and English")
  func prefixExpansion() async throws {
    let (database, directory) = try Self.database(count: 60)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let expression = try await database.read { db in
      try SearchIndex.match(db, try SearchText("توريد أجهز")).expression
    }
    // (one completion needs no parentheses: the shape is "توريد" AND "اجهزه" or ... AND ("اجهزه" OR ...))
    #expect(expression.hasPrefix("\"توريد\" AND "))
    #expect(expression.contains("\"اجهزه\"") && !expression.contains("*"))
    let english = try await database.read { db in try SearchIndex.match(db, try SearchText("SUPP")).expression }
    #expect(english.contains("\"supply\""))
    // A prefix nothing begins falls back to FTS5's own prefix query, which finds nothing.
    let none = try await database.read { db in try SearchIndex.match(db, try SearchText("zzzq")).expression }
    #expect(none == "\"zzzq\"*")
    // Each prefix of the last word expands: as typed, and by its stem; the phrases are the
    // expression's, in its order
    let both = try await database.read { db in try SearchIndex.match(db, try SearchText("الشروط والمواص")) }
    #expect(both.expression.hasPrefix("\"شروط\" AND (\"والمواصفات\""))
    #expect(both.phrases.contains("\"مواصفات\""))
    #expect(both.expression == "\"شروط\" AND (" + both.phrases.dropFirst().joined(separator: " OR ") + ")")
    #expect(Set(both.phrases).count == both.phrases.count)
    let found = try await database.read { db in
      try TenderSearch.page(db, query: try Self.query("توريد أجهز"), viewer: nil, now: Self.now, size: 100, after: nil)
    }
    #expect(!found.tenders.isEmpty)
    #expect(found.tenders.allSatisfy { ArabicNormalizer.normalize($0.fields.name).contains("اجهز") })
  }

  @Test("a database indexed before the particle stems gets them from its next migration")
  func particleStemsMigration() async throws {
    let (database, directory) = try Self.database(count: 0)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let path = directory + "/etimad.sqlite"
    // Given a tender whose index row holds what the index of tenders.v3 held for لإدارة (no
    // stem), and a migration table that stops at tenders.v3
    try await database.testingPool.write { db in
      let fields = TenderGenerator.tender(index: 0, base: Self.now, publishOffset: -86_400)
      var named = fields
      named.name = "توريد أجهزة حاسب آلي لإدارة التعليم"
      let id = try TendersDemo.insert(db, named, agency: "MOH", state: .published, employee: "test", time: Self.now)
      try db.execute(sql: "DELETE FROM tenders_fts")
      try db.execute(
        sql: "INSERT INTO tenders_fts (rowid, name, description, reference, agency) VALUES (?, ?, '', '', '')",
        arguments: [id, "توريد اجهزه حاسب الي لاداره التعليم تعليم"])
      try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'tenders.v4.particle_stems'")
    }
    func matches(_ database: EtimadDatabase, _ word: String) async throws -> Int {
      try await database.read { db in
        try Int.fetchOne(
          db, sql: "SELECT count(*) FROM tenders_fts WHERE tenders_fts MATCH ?", arguments: ["\"" + word + "\""]) ?? 0
      }
    }
    #expect(try await matches(database, "اداره") == 0)
    // When the daemon opens it again, then the index is rebuilt with the new stems
    let reopened = try EtimadDatabase(
      path: path, migrations: [Self.agencies] + TendersSchema.migrations, connectionSetup: TendersArea.connectionSetup)
    #expect(try await matches(reopened, "اداره") == 1)
  }
}
