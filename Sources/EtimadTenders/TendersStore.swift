import EtimadKit
import Foundation
import GRDB

/// `TenderStorage` in the embedded SQLite database. Every change is one transaction that
/// loads the tender, lets `TenderWorkflow` decide, writes the tender, its regions and its
/// search text, and the audit row.
public struct TendersStore: TenderStorage {
  let database: EtimadDatabase
  /// Document counts of searched phrases, for ranking (kept a minute).
  let frequencies = TermFrequencies()
  var clock: any WallClock { database.clock }

  public init(database: EtimadDatabase) {
    self.database = database
  }

  // MARK: Changes

  func change<Answer: Sendable>(_ change: TenderChange<Answer>) async throws -> Answer {
    try await change.once.run(on: database) { db, now in
      let time = Int64(now.timeIntervalSince1970)
      let current = try change.action.target.flatMap { try Self.fetch(db, id: $0.id) }
      let decision = try TenderWorkflow.decide(change.action, current, now: time)
      let id = try Self.write(db, decision, time: time)
      guard let tender = try Self.fetch(db, id: id) else { throw TendersErrors.notFound }
      return (try change.answer(tender, time), TenderWorkflow.audit(decision, tender, now: time))
    }
  }

  /// Writes what the rules decided; returns the tender's id.
  static func write(_ db: Database, _ decision: TenderDecision, time: Int64) throws -> Int64 {
    switch decision {
    case .insert(let fields, let agency, let employee):
      try checkReferenceFree(db, fields.referenceNumber, except: nil)
      try db.execute(
        sql: """
          INSERT INTO tenders (reference_number, tender_number, agency_code, name, description, branch, type_code,
            main_activity, sub_activity, inside_kingdom, booklet_price, publish_time, last_enquiry_time,
            last_offer_time, opening_time, state, created_by, create_time, update_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          fields.referenceNumber, fields.tenderNumber, agency, fields.name, fields.description, fields.branch,
          fields.typeCode, fields.mainActivity, fields.subActivity, fields.insideKingdom, fields.bookletPrice,
          fields.dates.publish, fields.dates.lastEnquiry, fields.dates.lastOffer, fields.dates.opening,
          TenderState.draft.rawValue, employee, time, time,
        ])
      let id = db.lastInsertedRowID
      try saveRegions(db, id: id, regions: fields.regions)
      try index(db, id: id)
      return id
    case .update(let id, let fields, _):
      try checkReferenceFree(db, fields.referenceNumber, except: id)
      try db.execute(
        sql: """
          UPDATE tenders SET reference_number = ?, tender_number = ?, name = ?, description = ?, branch = ?,
            type_code = ?, main_activity = ?, sub_activity = ?, inside_kingdom = ?, booklet_price = ?,
            publish_time = ?, last_enquiry_time = ?, last_offer_time = ?, opening_time = ?, update_time = ?
          WHERE id = ?
          """,
        arguments: [
          fields.referenceNumber, fields.tenderNumber, fields.name, fields.description, fields.branch,
          fields.typeCode, fields.mainActivity, fields.subActivity, fields.insideKingdom, fields.bookletPrice,
          fields.dates.publish, fields.dates.lastEnquiry, fields.dates.lastOffer, fields.dates.opening, time, id,
        ])
      try db.execute(sql: "DELETE FROM tender_regions WHERE tender_id = ?", arguments: [id])
      try saveRegions(db, id: id, regions: fields.regions)
      try index(db, id: id)
      return id
    case .publish(let id, let publishTime):
      try db.execute(
        sql: "UPDATE tenders SET state = ?, publish_time = ?, update_time = ? WHERE id = ?",
        arguments: [TenderState.published.rawValue, publishTime, time, id])
      return id
    case .extend(let id, let current, let new, let reason, let employee):
      try db.execute(
        sql: """
          UPDATE tenders SET last_enquiry_time = ?, last_offer_time = ?, opening_time = ?, update_time = ?
          WHERE id = ?
          """, arguments: [new.lastEnquiry, new.lastOffer, new.opening, time, id])
      try db.execute(
        sql: """
          INSERT INTO tender_extensions (tender_id, extend_time, reason, employee, previous_last_enquiry_time,
            previous_last_offer_time, previous_opening_time, last_enquiry_time, last_offer_time, opening_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          id, time, reason, employee, current.lastEnquiry, current.lastOffer, current.opening, new.lastEnquiry,
          new.lastOffer, new.opening,
        ])
      return id
    case .close(let id, let state, let reason):
      try db.execute(
        sql: "UPDATE tenders SET state = ?, status_reason = ?, update_time = ? WHERE id = ?",
        arguments: [state.rawValue, reason, time, id])
      return id
    }
  }

  // MARK: Anyone

  func tender(id: Int64) async throws -> Tender? {
    try await database.read { db in try Self.fetch(db, id: id) }
  }

  // MARK: Helpers

  /// Extension rows, `FROM tender_extensions`.
  enum ExtensionColumn: Int, ColumnList {
    case time, reason, employee, previousLastOffer, lastOffer

    var sql: String {
      switch self {
      case .time: "extend_time"
      case .reason: "reason"
      case .employee: "employee"
      case .previousLastOffer: "previous_last_offer_time"
      case .lastOffer: "last_offer_time"
      }
    }
  }

  static func fetch(_ db: Database, id: Int64) throws -> Tender? {
    let regions = try String.fetchAll(
      db, sql: "SELECT region_code FROM tender_regions WHERE tender_id = ? ORDER BY region_code", arguments: [id])
    guard
      var tender = try db.fetchOne(
        "SELECT \(TenderColumn.selectList) FROM \(TenderColumn.from) WHERE t.id = ?", [.int(id)],
        { try TenderColumn.tender($0, regions: regions) })
    else { return nil }
    tender.extensions = try db.fetchAll(
      "SELECT \(ExtensionColumn.selectList) FROM tender_extensions WHERE tender_id = ? ORDER BY id", [.int(id)]
    ) { row in
      Tender.Extension(
        time: row[ExtensionColumn.time], reason: row[ExtensionColumn.reason],
        employee: row[ExtensionColumn.employee], previousLastOffer: row[ExtensionColumn.previousLastOffer],
        lastOffer: row[ExtensionColumn.lastOffer])
    }
    return tender
  }

  static func checkReferenceFree(_ db: Database, _ reference: String, except id: Int64?) throws {
    let owner = try Int64.fetchOne(
      db, sql: "SELECT id FROM tenders WHERE reference_number = ?", arguments: [reference])
    if let owner, owner != id { throw TendersErrors.referenceTaken(reference) }
  }

  static func saveRegions(_ db: Database, id: Int64, regions: [String]) throws {
    for region in regions {
      try db.execute(
        sql: "INSERT INTO tender_regions (tender_id, region_code) VALUES (?, ?)", arguments: [id, region])
    }
  }

  /// Writes the tender's normalised search text.
  static func index(_ db: Database, id: Int64) throws {
    try SearchIndex.write(db, id: id)
  }
}
