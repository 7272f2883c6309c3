import EtimadKit
import Foundation
import GRDB

extension TendersStore {
  func search(
    _ query: TenderQuery, viewer: String?, now: Int64, size: Int, after cursor: SearchCursor?
  )
    async throws -> (tenders: [Tender], next: SearchCursor?)
  {
    try await database.read { [frequencies] db in
      // Search reads the FTS doclists all over a large file: memory-mapped reads spare a copy
      // and a system call per page (about 20 % of a ranked query here). Per connection,
      // idempotent; not part of every connection's setup, where it made a 1M-row payments
      // export map the whole file (RSS +263 MiB, against a 32 MiB target).
      try db.execute(sql: "PRAGMA mmap_size = 268435456")
      return try TenderSearch.page(
        db, query: query, viewer: viewer, now: now, size: size, after: cursor, frequencies: frequencies)
    }
  }

  func agencies(after: String?, limit: Int) async throws -> [TenderLookup] {
    try await database.read { db in
      try db.fetchAll(
        "SELECT \(LookupColumn.agencySelectList) FROM agencies WHERE state = 'active' AND code > ? ORDER BY code LIMIT \(limit)",
        [.text(after ?? "")], LookupColumn.lookup)
    }
  }

  func lookups(_ kind: TenderLookup.Kind) async throws -> [TenderLookup] {
    try await database.read { db in
      try db.fetchAll(
        "SELECT \(LookupColumn.selectList) FROM tender_lookups WHERE kind = ? ORDER BY position",
        [.text(kind.rawValue)],
        LookupColumn.lookup)
    }
  }

  /// A lookup row (agencies have no parent: NULL).
  enum LookupColumn: Int, ColumnList {
    case code, nameAr, nameEn, parent

    var sql: String {
      switch self {
      case .code: "code"
      case .nameAr: "name_ar"
      case .nameEn: "name_en"
      case .parent: "parent_code"
      }
    }

    /// The select list from `agencies`, which have no parent.
    static var agencySelectList: String { allCases.map { $0 == .parent ? "NULL" : $0.sql }.joined(separator: ", ") }

    static func lookup(_ row: SQLRow) -> TenderLookup {
      TenderLookup(
        code: row[Self.code], name: LocalizedString(en: row[Self.nameEn], ar: row[Self.nameAr]),
        parent: row[Self.parent])
    }
  }
}
