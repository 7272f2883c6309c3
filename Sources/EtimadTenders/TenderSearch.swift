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

/// Where the next page starts. Sorted orders resume after the last row's (value, id), a
/// keyset that stays exact while tenders are added. Relevance resumes at an offset: bm25
/// scores depend on corpus-wide statistics that shift with every tender indexed, so a score
/// cursor would be no steadier than a position, and SQLite must score every match to sort
/// them anyway, so skipping the first rows costs nothing extra. The token is signed, so the
/// offset cannot be forged; it is capped by `TenderSearch.maximumOffset`.
struct SearchCursor: Codable, Sendable, Equatable {
  var value: Int64?
  var id: Int64?
  var offset: Int?
}

enum TenderSearch {
  /// Relevance pages stop here (500 pages of 20): nobody reads further, and each page re-sorts.
  static let maximumOffset = 10_000

  /// One page of tenders the viewer may see, and the cursor of the next page if there is one.
  static func page(
    _ db: Database, query: TenderQuery, viewer: String?, now: Int64, size: Int, after cursor: SearchCursor?
  ) throws -> (tenders: [StoredTender], next: SearchCursor?) {
    var sql = "SELECT t.id"
    var conditions: [String] = []
    var arguments: [any DatabaseValueConvertible] = []
    let ranked = query.order == .relevance && !query.text.isEmpty
    if query.text.isEmpty {
      sql += (query.sortKey.map { ", t.\($0.column) AS sort_value" } ?? "") + " FROM tenders t"
    } else {
      // Weights: name 10, description 1, reference numbers 5, agency and branch 3.
      sql += ranked ? ", bm25(tenders_fts, 10.0, 1.0, 5.0, 3.0) AS score" : ""
      sql += query.sortKey.map { ", t.\($0.column) AS sort_value" } ?? ""
      sql += " FROM tenders_fts JOIN tenders t ON t.id = tenders_fts.rowid"
      conditions.append("tenders_fts MATCH ?")
      arguments.append(query.text.matchExpression)
    }
    // What the viewer may see: public tenders, and an agency's own in any state.
    let visible = "(t.state NOT IN ('draft', 'withdrawn') AND t.publish_time <= ?)"
    if let viewer {
      conditions.append("(\(visible) OR t.agency_code = ?)")
      arguments += [now, viewer]
    } else {
      conditions.append(visible)
      arguments.append(now)
    }
    func equal(_ column: String, _ value: String?) {
      guard let value else { return }
      conditions.append("t.\(column) = ?")
      arguments.append(value)
    }
    equal("type_code", query.typeCode)
    equal("main_activity", query.mainActivity)
    equal("sub_activity", query.subActivity)
    equal("agency_code", query.agency)
    if !query.regions.isEmpty {
      conditions.append(
        "t.id IN (SELECT tender_id FROM tender_regions WHERE region_code IN (\(placeholders(query.regions.count))))")
      arguments += query.regions
    }
    func range(_ column: String, _ low: Int64?, _ high: Int64?) {
      if let low {
        conditions.append("t.\(column) >= ?")
        arguments.append(low)
      }
      if let high {
        conditions.append("t.\(column) <= ?")
        arguments.append(high)
      }
    }
    range("booklet_price", query.priceMin, query.priceMax)
    range("publish_time", query.publishFrom, query.publishTo)
    range("last_offer_time", query.offerFrom, query.offerTo)
    switch query.category {
    case .active:
      conditions.append("t.state = 'published' AND t.publish_time <= ? AND t.last_offer_time > ?")
      arguments += [now, now]
    case .ended:
      conditions.append(
        "t.state NOT IN ('draft', 'withdrawn') AND t.publish_time <= ? AND (t.state <> 'published' OR t.last_offer_time <= ?)"
      )
      arguments += [now, now]
    case nil:
      break
    }
    var offset = 0
    if ranked {
      offset = min(cursor?.offset ?? 0, maximumOffset)
    } else if let key = query.sortKey, let value = cursor?.value, let id = cursor?.id {
      conditions.append("(t.\(key.column), t.id) \(key.descending ? "<" : ">") (?, ?)")
      arguments += [value, id]
    }
    sql += " WHERE " + conditions.joined(separator: " AND ")
    if ranked {
      sql += " ORDER BY score, t.id LIMIT ? OFFSET ?"
      arguments += [size + 1, offset]
    } else if let key = query.sortKey {
      let direction = key.descending ? "DESC" : "ASC"
      sql += " ORDER BY t.\(key.column) \(direction), t.id \(direction) LIMIT ?"
      arguments.append(size + 1)
    }
    let rows = try Row.fetchAll(db, sql: sql, arguments: StatementArguments(arguments))
    let hasMore = rows.count > size
    let pageRows = rows.prefix(size)
    let ids: [Int64] = pageRows.map { $0["id"] }
    let tenders = try load(db, ids: ids)
    var next: SearchCursor?
    if hasMore, let last = pageRows.last {
      if ranked {
        if offset + size < maximumOffset { next = SearchCursor(offset: offset + size) }
      } else {
        next = SearchCursor(value: last["sort_value"], id: last["id"])
      }
    }
    return (tenders, next)
  }

  /// The tenders with these ids, in the order given.
  static func load(_ db: Database, ids: [Int64]) throws -> [StoredTender] {
    guard !ids.isEmpty else { return [] }
    let marks = placeholders(ids.count)
    var regions: [Int64: [String]] = [:]
    for row in try Row.fetchAll(
      db, sql: "SELECT tender_id, region_code FROM tender_regions WHERE tender_id IN (\(marks)) ORDER BY region_code",
      arguments: StatementArguments(ids))
    {
      regions[row["tender_id"], default: []].append(row["region_code"])
    }
    var byID: [Int64: StoredTender] = [:]
    for row in try Row.fetchAll(
      db,
      sql:
        "SELECT \(StoredTender.columns) FROM tenders t LEFT JOIN agencies a ON a.code = t.agency_code WHERE t.id IN (\(marks))",
      arguments: StatementArguments(ids))
    {
      let id: Int64 = row["id"]
      byID[id] = StoredTender(row: row, regions: regions[id] ?? [])
    }
    return ids.compactMap { byID[$0] }
  }

  static func placeholders(_ count: Int) -> String {
    Array(repeating: "?", count: count).joined(separator: ", ")
  }
}
