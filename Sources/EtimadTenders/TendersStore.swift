import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// The tenders area's storage. Every change is one transaction that checks the owner and
/// the state, writes the tender, its regions and its search text, and the audit row.
public struct TendersStore: Sendable {
  let database: EtimadDatabase
  /// Document counts of searched phrases, for ranking (kept a minute).
  let frequencies = TermFrequencies()

  public init(database: EtimadDatabase) {
    self.database = database
  }

  typealias Tender = Etimad_Tenders_V1_Tender

  // MARK: Agency side

  func create(
    _ call: MutationCall<Etimad_Tenders_V1_CreateTenderRequest>, agency: String, employee: String,
    fields: TenderFields
  ) async throws -> Etimad_Tenders_V1_CreateTenderResponse {
    try await database.mutate(call, domain: TenderRules.domain) { db, now in
      let time = Int64(now.timeIntervalSince1970)
      try Self.checkReferenceFree(db, fields.referenceNumber, except: nil)
      try db.execute(
        sql: """
          INSERT INTO tenders (reference_number, tender_number, agency_code, name, description, branch, type_code,
            main_activity, sub_activity, inside_kingdom, booklet_price, publish_time, last_enquiry_time,
            last_offer_time, opening_time, state, created_by, create_time, update_time)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?)
          """,
        arguments: [
          fields.referenceNumber, fields.tenderNumber, agency, fields.name, fields.description, fields.branch,
          fields.typeCode, fields.mainActivity, fields.subActivity, fields.insideKingdom, fields.bookletPrice,
          fields.dates.publish, fields.dates.lastEnquiry, fields.dates.lastOffer, fields.dates.opening, employee,
          time, time,
        ])
      let id = db.lastInsertedRowID
      try Self.saveRegions(db, id: id, regions: fields.regions)
      try Self.index(db, id: id)
      let tender = try Self.load(db, id: id, agency: agency)
      return (
        .with { $0.tender = tender.message(now: time) },
        AuditRecord(target: "tender/\(id)", summary: "draft created, reference \(fields.referenceNumber)")
      )
    }
  }

  /// Applies `change` to a draft's fields; `change` returns the problems of the result.
  func update(
    _ call: MutationCall<Etimad_Tenders_V1_UpdateTenderRequest>, agency: String, id: Int64,
    change: @escaping @Sendable (inout TenderFields) -> [EtimadError.FieldViolation]
  ) async throws -> Etimad_Tenders_V1_UpdateTenderResponse {
    try await database.mutate(call, domain: TenderRules.domain) { db, now in
      let time = Int64(now.timeIntervalSince1970)
      var tender = try Self.load(db, id: id, agency: agency)
      guard tender.state == .draft else { throw TendersErrors.notDraft }
      let problems = change(&tender.fields)
      guard problems.isEmpty else { throw EtimadError.invalidFields(problems, domain: TenderRules.domain) }
      let fields = tender.fields
      try Self.checkReferenceFree(db, fields.referenceNumber, except: id)
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
      try Self.saveRegions(db, id: id, regions: fields.regions)
      try Self.index(db, id: id)
      let paths = call.request.updateMask.paths.joined(separator: ", ")
      let updated = try Self.load(db, id: id, agency: agency)
      return (
        .with { $0.tender = updated.message(now: time) },
        AuditRecord(target: "tender/\(id)", summary: "draft updated: \(paths)")
      )
    }
  }

  func publish(
    _ call: MutationCall<Etimad_Tenders_V1_PublishTenderRequest>, agency: String, id: Int64
  ) async throws -> Etimad_Tenders_V1_PublishTenderResponse {
    try await database.mutate(call, domain: TenderRules.domain) { db, now in
      let time = Int64(now.timeIntervalSince1970)
      let tender = try Self.load(db, id: id, agency: agency)
      guard tender.state == .draft else { throw TendersErrors.notDraft }
      var dates = tender.fields.dates
      // A tender cannot be announced in the past: a publish time gone by becomes now.
      dates.publish = max(dates.publish, time)
      let problems = TenderRules.dateViolations(dates)
      guard problems.isEmpty else { throw TendersErrors.datesPassed(problems) }
      try db.execute(
        sql: "UPDATE tenders SET state = 'published', publish_time = ?, update_time = ? WHERE id = ?",
        arguments: [dates.publish, time, id])
      let published = try Self.load(db, id: id, agency: agency)
      let when = dates.publish > time ? "scheduled for \(dates.publish)" : "public now"
      return (
        .with { $0.tender = published.message(now: time) },
        AuditRecord(target: "tender/\(id)", summary: "published, \(when)")
      )
    }
  }

  /// Extends the dates to `proposed` (its publish time is ignored).
  func extend(
    _ call: MutationCall<Etimad_Tenders_V1_ExtendDatesRequest>, agency: String, employee: String, id: Int64,
    proposed: @escaping @Sendable (TenderDates) -> TenderDates
  ) async throws -> Etimad_Tenders_V1_ExtendDatesResponse {
    try await database.mutate(call, domain: TenderRules.domain) { db, now in
      let time = Int64(now.timeIntervalSince1970)
      let tender = try Self.load(db, id: id, agency: agency)
      guard tender.state == .published else { throw TendersErrors.notPublished }
      let current = tender.fields.dates
      guard time < current.lastOffer else { throw TendersErrors.offersClosed }
      let reason = call.request.reason.trimmingCharacters(in: .whitespacesAndNewlines)
      let new = proposed(current)
      let problems = TenderRules.extensionViolations(from: current, to: new, reason: reason)
      guard problems.isEmpty else { throw EtimadError.invalidFields(problems, domain: TenderRules.domain) }
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
      let extended = try Self.load(db, id: id, agency: agency)
      return (
        .with { $0.tender = extended.message(now: time) },
        AuditRecord(
          target: "tender/\(id)", summary: "dates extended, last offer \(current.lastOffer) -> \(new.lastOffer)")
      )
    }
  }

  func cancel(
    _ call: MutationCall<Etimad_Tenders_V1_CancelTenderRequest>, agency: String, id: Int64, reason: String
  ) async throws -> Etimad_Tenders_V1_CancelTenderResponse {
    try await database.mutate(call, domain: TenderRules.domain) { db, now in
      let time = Int64(now.timeIntervalSince1970)
      let tender = try Self.load(db, id: id, agency: agency)
      guard tender.state == .draft || tender.state == .published else { throw TendersErrors.alreadyFinal }
      // The public never saw a draft or a scheduled tender: it is withdrawn, not cancelled.
      let wasPublic = TenderRules.isPublic(state: tender.state, publish: tender.fields.dates.publish, now: time)
      let state: TenderState = wasPublic ? .cancelled : .withdrawn
      try db.execute(
        sql: "UPDATE tenders SET state = ?, status_reason = ?, update_time = ? WHERE id = ?",
        arguments: [state.rawValue, reason, time, id])
      let cancelled = try Self.load(db, id: id, agency: agency)
      return (
        .with { $0.tender = cancelled.message(now: time) },
        AuditRecord(target: "tender/\(id)", summary: "\(state.rawValue)")
      )
    }
  }

  func close(
    _ call: MutationCall<Etimad_Tenders_V1_CloseTenderRequest>, agency: String, id: Int64, outcome: TenderState,
    note: String
  ) async throws -> Etimad_Tenders_V1_CloseTenderResponse {
    try await database.mutate(call, domain: TenderRules.domain) { db, now in
      let time = Int64(now.timeIntervalSince1970)
      let tender = try Self.load(db, id: id, agency: agency)
      guard tender.state == .published else {
        throw tender.state == .draft ? TendersErrors.notPublished : TendersErrors.alreadyFinal
      }
      guard time >= tender.fields.dates.lastOffer else { throw TendersErrors.offersStillOpen }
      try db.execute(
        sql: "UPDATE tenders SET state = ?, status_reason = ?, update_time = ? WHERE id = ?",
        arguments: [outcome.rawValue, note, time, id])
      let closed = try Self.load(db, id: id, agency: agency)
      return (
        .with { $0.tender = closed.message(now: time) },
        AuditRecord(target: "tender/\(id)", summary: "closed as \(outcome.rawValue)")
      )
    }
  }

  /// The stored fields of an agency's own tender, for UpdateTender to apply a mask on.
  func fields(id: Int64, agency: String) async throws -> TenderFields {
    try await database.read { db in try Self.load(db, id: id, agency: agency).fields }
  }

  // MARK: Anyone

  /// A tender the caller may see: public ones, and an agency's own in any state.
  func get(id: Int64, viewer agency: String?) async throws -> Tender {
    let now = Int64(database.clock.now.timeIntervalSince1970)
    return try await database.read { db in
      guard let tender = try Self.fetch(db, id: id) else { throw TendersErrors.notFound }
      let own = agency != nil && tender.agencyCode == agency
      guard own || TenderRules.isPublic(state: tender.state, publish: tender.fields.dates.publish, now: now) else {
        throw TendersErrors.notFound
      }
      return tender.message(now: now)
    }
  }

  // MARK: Helpers

  /// The tender if it exists and belongs to `agency`; NOT_FOUND otherwise.
  static func load(_ db: Database, id: Int64, agency: String) throws -> StoredTender {
    guard let tender = try fetch(db, id: id), tender.agencyCode == agency else { throw TendersErrors.notFound }
    return tender
  }

  static func fetch(_ db: Database, id: Int64) throws -> StoredTender? {
    let regions = try String.fetchAll(
      db, sql: "SELECT region_code FROM tender_regions WHERE tender_id = ? ORDER BY region_code", arguments: [id])
    guard
      var tender = try db.fetchOne(
        "SELECT \(StoredTender.columns) FROM tenders t LEFT JOIN agencies a ON a.code = t.agency_code WHERE t.id = ?",
        [.int(id)], { StoredTender(row: $0, regions: regions) })
    else { return nil }
    tender.extensions = try Row.fetchAll(
      db,
      sql: """
        SELECT extend_time, reason, employee, previous_last_offer_time, last_offer_time
        FROM tender_extensions WHERE tender_id = ? ORDER BY id
        """, arguments: [id]
    ).map {
      StoredTender.Extension(
        time: $0["extend_time"], reason: $0["reason"], employee: $0["employee"],
        previousLastOffer: $0["previous_last_offer_time"], lastOffer: $0["last_offer_time"])
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
