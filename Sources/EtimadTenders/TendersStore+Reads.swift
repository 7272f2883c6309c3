import EtimadKit
import EtimadProtos
import Foundation
import GRDB

extension TendersStore {
  /// One page of search results as of the server clock.
  func search(
    _ query: TenderQuery, viewer: String?, size: Int, after cursor: SearchCursor?
  ) async throws -> ([Etimad_Tenders_V1_Tender], SearchCursor?) {
    let now = Int64(database.clock.now.timeIntervalSince1970)
    return try await database.read { db in
      // Search reads the FTS doclists all over a large file: memory-mapped reads spare a copy
      // and a system call per page (about 20 % of a ranked query here). Per connection,
      // idempotent; not part of every connection's setup, where it made a 1M-row payments
      // export map the whole file (RSS +263 MiB, against a 32 MiB target).
      try db.execute(sql: "PRAGMA mmap_size = 268435456")
      let (tenders, next) = try TenderSearch.page(
        db, query: query, viewer: viewer, now: now, size: size, after: cursor, frequencies: frequencies)
      // A result row is what Etimad's list shows: no description (GetTender has it), which
      // halves the page on the wire.
      return (
        tenders.map {
          var message = $0.message(now: now)
          message.description_p = ""
          return message
        }, next
      )
    }
  }

  /// Active agencies by code, after `after`; the last code when more follow.
  func agencies(after: String?, size: Int) async throws -> ([Etimad_Tenders_V1_Lookup], String?) {
    try await database.read { db in
      let rows = try Row.fetchAll(
        db,
        sql: "SELECT code, name_ar, name_en FROM agencies WHERE state = 'active' AND code > ? ORDER BY code LIMIT ?",
        arguments: [after ?? "", size + 1])
      let page = rows.prefix(size).map(Self.lookup)
      return (page, rows.count > size ? page.last?.code : nil)
    }
  }

  /// A lookup list in its seeded order.
  func lookups(kind: String) async throws -> [Etimad_Tenders_V1_Lookup] {
    try await database.read { db in
      try Row.fetchAll(
        db, sql: "SELECT code, name_ar, name_en FROM tender_lookups WHERE kind = ? ORDER BY position",
        arguments: [kind]
      ).map(Self.lookup)
    }
  }

  /// Activities in order, each sub-activity after its main activity.
  func activityRows() async throws -> [(lookup: Etimad_Tenders_V1_Lookup, parent: String?)] {
    try await database.read { db in
      try Row.fetchAll(
        db,
        sql: "SELECT code, parent_code, name_ar, name_en FROM tender_lookups WHERE kind = 'activity' ORDER BY position"
      ).map { (Self.lookup($0), $0["parent_code"]) }
    }
  }

  static func lookup(_ row: Row) -> Etimad_Tenders_V1_Lookup {
    .with {
      $0.code = row["code"]
      $0.name = .with {
        $0.ar = row["name_ar"]
        $0.en = row["name_en"]
      }
    }
  }
}
