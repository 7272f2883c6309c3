import EtimadKit
import Foundation
import GRDB

/// Demo tenders for `etimadd demo`, and the bulk loading the benchmark uses.
public enum TendersDemo {
  /// Seeds about forty tenders of the demo agencies when there are none: most active, some
  /// ended, one cancelled, one awarded, and a draft per agency (visible to that agency only).
  static func seed(_ demo: DemoContext) async throws -> [String] {
    guard !demo.agencies.isEmpty else { return [] }
    let now = Int64(demo.now.timeIntervalSince1970)
    return try await demo.write { db, audit in
      guard try Int.fetchOne(db, sql: "SELECT count(*) FROM tenders") == 0 else { return [] }
      var counts: [TenderState: Int] = [:]
      for index in 0..<42 {
        let agency = demo.agencies[index % demo.agencies.count]
        // Published between 40 days ago and yesterday; the first few are still drafts.
        let fields = TenderGenerator.tender(
          index: index, base: now, publishOffset: -Int64(1 + index % 40) * 86_400, prefix: "D")
        let state: TenderState =
          switch index {
          // The last two, so that however many demo agencies take the first (draft) places,
          // one cancelled and one complete tender are always there.
          case 40: .cancelled
          case 41: .complete
          case 0..<min(demo.agencies.count, 20): .draft
          default: .published
          }
        var dates = fields.dates
        if state == .complete { dates.lastOffer = min(dates.lastOffer, now - 86_400) }
        var stored = fields
        stored.dates = TenderDates(
          publish: min(dates.publish, dates.lastOffer), lastEnquiry: min(dates.lastEnquiry, dates.lastOffer),
          lastOffer: dates.lastOffer, opening: max(dates.opening, dates.lastOffer))
        try insert(
          db, stored, agency: agency, state: state,
          reason: state == .cancelled ? "إلغاء المنافسة لإعادة دراسة الاحتياج" : "", employee: "demo", time: now)
        counts[state, default: 0] += 1
      }
      try reindex(db)
      try audit.record(target: "tenders", summary: "demo tenders: \(counts.values.reduce(0, +))")
      return [
        "tenders: \(counts[.published] ?? 0) published, \(counts[.draft] ?? 0) drafts, 1 cancelled, 1 complete"
      ]
    }
  }

  /// Inserts a tender with its regions, without indexing it (call `reindex` after a batch,
  /// or `TendersStore.index` for one).
  @discardableResult
  public static func insert(
    _ db: Database, _ fields: TenderFields, agency: String, state: TenderState, reason: String = "",
    employee: String, time: Int64
  ) throws -> Int64 {
    try db.cachedStatement(
      sql: """
        INSERT INTO tenders (reference_number, tender_number, agency_code, name, description, branch, type_code,
          main_activity, sub_activity, inside_kingdom, booklet_price, publish_time, last_enquiry_time,
          last_offer_time, opening_time, state, status_reason, created_by, create_time, update_time)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """
    ).execute(arguments: [
      fields.referenceNumber, fields.tenderNumber, agency, fields.name, fields.description, fields.branch,
      fields.typeCode, fields.mainActivity, fields.subActivity, fields.insideKingdom, fields.bookletPrice,
      fields.dates.publish, fields.dates.lastEnquiry, fields.dates.lastOffer, fields.dates.opening,
      state.rawValue, reason, employee, time, time,
    ])
    let id = db.lastInsertedRowID
    let region = try db.cachedStatement(sql: "INSERT INTO tender_regions (tender_id, region_code) VALUES (?, ?)")
    for code in fields.regions { try region.execute(arguments: [id, code]) }
    return id
  }

  /// Rebuilds the whole search index; returns how many tenders were indexed.
  @discardableResult
  public static func reindex(_ db: Database) throws -> Int {
    try SearchIndex.rebuild(db)
  }
}
