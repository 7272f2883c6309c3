import EtimadKit
import Foundation
import GRDB

/// A parsed SearchTenders request: the text, the filters and the order.
struct TenderQuery: Sendable {
  enum Order: String, Sendable {
    case relevance, publishTime, lastOfferTime, bookletPrice
  }

  var text: SearchText
  var typeCode: String?
  var mainActivity: String?
  var subActivity: String?
  var agency: String?
  var regions: [String] = []
  var priceMin: Int64?
  var priceMax: Int64?
  var publishFrom: Int64?
  var publishTo: Int64?
  var offerFrom: Int64?
  var offerTo: Int64?
  var category: TenderCategory?
  var order: Order
  var reverse: Bool

  /// The sorted column and whether it runs descending (publish time is newest first by nature).
  var sortKey: (column: String, descending: Bool)? {
    switch order {
    case .relevance: nil
    case .publishTime: ("publish_time", !reverse)
    case .lastOfferTime: ("last_offer_time", reverse)
    case .bookletPrice: ("booklet_price", reverse)
    }
  }
}

/// Where the next page starts. Sorted orders resume after the last row's (value, id): a
/// keyset that stays exact while tenders are added. Relevance pages walk windows of the
/// `TenderSearch.window` newest text matches (by id, newest first): `window` is the
/// exclusive upper id bound of the current window (the first page's bound is its newest
/// match, so later matches stay out of the pages that follow) and `offset` the position
/// inside its bm25 order. Sorting every match by bm25 costs time in proportion to the matches (a common word
/// matches a quarter of 100k tenders: 80-150 ms on this machine), while a window bounds each
/// page's work (~5 us per match scored, ~3 us to check it against the filters); a
/// search with fewer matches than a window is ranked exactly as a whole.
struct SearchCursor: Codable, Sendable, Equatable {
  var value: Int64?
  var id: Int64?
  var window: Int64?
  var offset: Int?

  init(value: Int64? = nil, id: Int64? = nil, window: Int64? = nil, offset: Int? = nil) {
    self.value = value
    self.id = id
    self.window = window
    self.offset = offset
  }

  // An array, not an object: JSONEncoder orders an object's keys differently from run to run
  // on Linux, and the same place should always get the same token.
  init(from decoder: any Decoder) throws {
    var fields = try decoder.unkeyedContainer()
    value = try fields.decode(Int64?.self)
    id = try fields.decode(Int64?.self)
    window = try fields.decode(Int64?.self)
    offset = try fields.decode(Int?.self)
  }

  func encode(to encoder: any Encoder) throws {
    var fields = encoder.unkeyedContainer()
    try fields.encode(value)
    try fields.encode(id)
    try fields.encode(window)
    try fields.encode(offset)
  }
}

enum TenderSearch {
  /// Matches ranked together by bm25 in one relevance window.
  static let window = 256

  /// One page of tenders the viewer may see, and the cursor of the next page if there is one.
  /// `frequencies` keeps the document counts of ranked phrases between searches (nil: counted
  /// for this search alone).
  static func page(
    _ db: Database, query: TenderQuery, viewer: String?, now: Int64, size: Int, after cursor: SearchCursor?,
    frequencies: TermFrequencies? = nil
  ) throws -> (tenders: [Tender], next: SearchCursor?) {
    let match = try SearchIndex.match(db, query.text)
    let filters = Filters(query: query, match: match.expression, viewer: viewer, now: now)
    let (ids, next): ([Int64], SearchCursor?)
    if query.order == .relevance && !query.text.isEmpty {
      let hits =
        try frequencies?.hits(db, match.phrases, now: Double(now))
        ?? match.phrases.map { try TermFrequencies.count(db, $0) }
      (ids, next) = try ranked(db, filters: filters, hits: hits, size: size, after: cursor)
    } else {
      (ids, next) = try sorted(db, query: query, filters: filters, size: size, after: cursor)
    }
    return (try load(db, ids: ids), next)
  }

  /// The filters as SQL conditions on `tenders t` (and the text match on `tenders_fts`).
  struct Filters {
    var conditions: [String] = []
    var arguments: [any DatabaseValueConvertible] = []
    /// Whether the text joins the search index.
    let text: Bool

    init(query: TenderQuery, match: String, viewer: String?, now: Int64) {
      text = !match.isEmpty
      if text {
        conditions.append("tenders_fts MATCH ?")
        arguments.append(match)
      }
      // What the viewer may see: public tenders, and an agency's own in any state.
      let visible = "(t.state NOT IN ('draft', 'withdrawn') AND t.publish_time <= ?)"
      if let viewer {
        add("(\(visible) OR t.agency_code = ?)", now, viewer)
      } else {
        add(visible, now)
      }
      if let value = query.typeCode { add("t.type_code = ?", value) }
      if let value = query.mainActivity { add("t.main_activity = ?", value) }
      if let value = query.subActivity { add("t.sub_activity = ?", value) }
      if let value = query.agency { add("t.agency_code = ?", value) }
      if !query.regions.isEmpty {
        conditions.append(
          "EXISTS (SELECT 1 FROM tender_regions r WHERE r.tender_id = t.id AND r.region_code IN (\(placeholders(query.regions.count))))"
        )
        arguments += query.regions
      }
      if let value = query.priceMin { add("t.booklet_price >= ?", value) }
      if let value = query.priceMax { add("t.booklet_price <= ?", value) }
      if let value = query.publishFrom { add("t.publish_time >= ?", value) }
      if let value = query.publishTo { add("t.publish_time <= ?", value) }
      if let value = query.offerFrom { add("t.last_offer_time >= ?", value) }
      if let value = query.offerTo { add("t.last_offer_time <= ?", value) }
      switch query.category {
      case .active:
        add("t.state = 'published' AND t.publish_time <= ? AND t.last_offer_time > ?", now, now)
      case .ended:
        add(
          "t.state NOT IN ('draft', 'withdrawn') AND t.publish_time <= ? AND (t.state <> 'published' OR t.last_offer_time <= ?)",
          now, now)
      case nil:
        break
      }
    }

    mutating func add(_ condition: String, _ values: any DatabaseValueConvertible...) {
      conditions.append(condition)
      arguments += values
    }

    var from: String {
      // With text, each match is checked against `tenders_facets`, a covering index of the
      // filtered columns: a few dozen rows per page instead of a wide tender row per match.
      text
        ? "FROM tenders_fts JOIN tenders t INDEXED BY tenders_facets ON t.id = tenders_fts.rowid" : "FROM tenders t"
    }
  }

  /// Relevance: bm25 order inside windows of the newest text matches, window after window.
  /// One statement walks the text matches newest first (FTS5 reads its doclists in rowid
  /// order, no sort): every `window` matches close a window, whose matches that pass the
  /// filters are sorted here by their bm25 score. A selective filter costs a few windows, not
  /// a scan of every match. The score (`TenderRank`, bm25 with the phrases' document counts
  /// given) is asked only for rows that pass the filters.
  static func ranked(
    _ db: Database, filters: Filters, hits: [Int64], size: Int, after cursor: SearchCursor?
  ) throws -> ([Int64], SearchCursor?) {
    guard filters.text, let match = filters.arguments.first else { return ([], nil) }
    let upper = cursor?.window ?? Int64.max
    var offset = max(0, min(cursor?.offset ?? 0, window))
    // The filters without the text match, as a condition on the joined tender row.
    let passes = filters.conditions.dropFirst().joined(separator: " AND ")
    let sql = """
      SELECT \(RankedColumn.idSQL), \(RankedColumn.scoreSQL(passes: passes, phrases: hits.count))
      FROM tenders_fts LEFT JOIN tenders t INDEXED BY tenders_facets ON t.id = tenders_fts.rowid
      WHERE tenders_fts MATCH ? AND tenders_fts.rowid < ?
      ORDER BY tenders_fts.rowid DESC
      """
    let arguments =
      Array(filters.arguments.dropFirst()).map(SQLArgument.init) + hits.map { .int($0) } + [
        SQLArgument(match), .int(upper),
      ]
    return try db.rows(sql, arguments) { rows in
      var ids: [Int64] = []
      var windowTop = upper  // the exclusive upper id bound of the window being read
      var scored: [(id: Int64, score: Double)] = []
      var inWindow = 0
      var last: Int64?
      // Reads the rest of the window (or to the end), then takes its page share.
      while true {
        let row = try rows.next()
        if let row {
          let id: Int64 = row[RankedColumn.id.rawValue]
          // The first page's window starts at the newest match: its tokens carry that bound,
          // so tenders published between pages do not shift the pages after it.
          if windowTop == Int64.max { windowTop = id + 1 }
          let score: Double? = row[RankedColumn.score.rawValue]
          if let score { scored.append((id, score)) }
          inWindow += 1
          last = id
          if inWindow < window { continue }
        }
        scored.sort { $0.score < $1.score || ($0.score == $1.score && $0.id < $1.id) }
        let need = size - ids.count
        ids += scored.dropFirst(offset).prefix(need).map(\.id)
        if offset + need < scored.count { return (ids, SearchCursor(window: windowTop, offset: offset + need)) }
        // This window is done; an older one follows only if this one was full.
        guard row != nil, let lower = last else { return (ids, nil) }
        windowTop = lower
        offset = 0
        scored.removeAll(keepingCapacity: true)
        inWindow = 0
        if ids.count == size {
          // A next page exists if any older match passes the filters.
          while let row = try rows.next() {
            if (row[RankedColumn.score.rawValue] as Double?) != nil {
              return (ids, SearchCursor(window: windowTop, offset: 0))
            }
          }
          return (ids, nil)
        }
      }
    }
  }

  /// Publish time, last offer time or booklet price, with a keyset cursor on (value, id).
  static func sorted(
    _ db: Database, query: TenderQuery, filters: Filters, size: Int, after cursor: SearchCursor?
  ) throws -> ([Int64], SearchCursor?) {
    let key = query.sortKey ?? ("publish_time", true)
    var conditions = filters.conditions
    var arguments = filters.arguments
    if let value = cursor?.value, let id = cursor?.id {
      conditions.append("(t.\(key.column), t.id) \(key.descending ? "<" : ">") (?, ?)")
      arguments += [value, id]
    }
    let direction = key.descending ? "DESC" : "ASC"
    let rows = try Row.fetchAll(
      db.cachedStatement(
        sql: """
          SELECT t.id AS id, t.\(key.column) AS sort_value \(filters.from) WHERE \(conditions.joined(separator: " AND "))
          ORDER BY t.\(key.column) \(direction), t.id \(direction) LIMIT ?
          """), arguments: StatementArguments(arguments + [size + 1]))
    let page = rows.prefix(size)
    let ids: [Int64] = page.map { $0["id"] }
    guard rows.count > size, let last = page.last else { return (ids, nil) }
    return (ids, SearchCursor(value: last["sort_value"], id: last["id"]))
  }
  /// The tenders with these ids, in the order given.
  static func load(_ db: Database, ids: [Int64]) throws -> [Tender] {
    guard !ids.isEmpty else { return [] }
    let marks = placeholders(ids.count)
    let arguments = ids.map { SQLArgument.int($0) }
    var regions: [Int64: [String]] = [:]
    try db.rows(
      "SELECT \(RegionColumn.selectList) FROM tender_regions WHERE tender_id IN (\(marks)) ORDER BY region_code",
      arguments
    ) { rows in
      while let row = try rows.next() {
        regions[row[RegionColumn.tenderID], default: []].append(row[RegionColumn.code])
      }
    }
    var byID: [Int64: Tender] = [:]
    try db.rows(
      "SELECT \(TenderColumn.selectList) FROM \(TenderColumn.from) WHERE t.id IN (\(marks))",
      arguments
    ) { rows in
      while let row = try rows.next() {
        let id: Int64 = row[TenderColumn.id]
        byID[id] = try TenderColumn.tender(row, regions: regions[id] ?? [])
      }
    }
    return ids.compactMap { byID[$0] }
  }

  static func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
  }
}

/// The columns of a relevance window's statement: each text match, and its score when it
/// passes the filters (NULL otherwise).
enum RankedColumn: Int {
  case id, score

  static let idSQL = "tenders_fts.rowid"

  static func scoreSQL(passes: String, phrases: Int) -> String {
    "CASE WHEN \(passes.isEmpty ? "1" : passes) THEN \(TenderRank.sql(phrases: phrases)) END"
  }
}

/// A tender's region row.
enum RegionColumn: Int, ColumnList {
  case tenderID, code

  var sql: String {
    switch self {
    case .tenderID: "tender_id"
    case .code: "region_code"
    }
  }
}
