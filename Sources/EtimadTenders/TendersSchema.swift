import EtimadKit
import GRDB

/// The tenders area's tables: the lookups (seeded here), tenders with their regions and date
/// extensions, and the FTS5 index of the normalised search text.
public enum TendersSchema {
  public static let migrations: [Migration] = [
    Migration("tenders.v1.create") { db in
      try db.execute(
        sql: """
          CREATE TABLE tender_lookups (
            kind TEXT NOT NULL CHECK (kind IN ('region', 'type', 'activity')),
            code TEXT NOT NULL,
            parent_code TEXT,
            name_ar TEXT NOT NULL,
            name_en TEXT NOT NULL,
            position INTEGER NOT NULL,
            PRIMARY KEY (kind, code)
          ) WITHOUT ROWID;
          CREATE TABLE tenders (
            id INTEGER PRIMARY KEY,
            reference_number TEXT NOT NULL UNIQUE,
            tender_number TEXT NOT NULL,
            agency_code TEXT NOT NULL REFERENCES agencies(code),
            name TEXT NOT NULL,
            description TEXT NOT NULL,
            branch TEXT NOT NULL,
            type_code TEXT NOT NULL,
            main_activity TEXT NOT NULL,
            sub_activity TEXT NOT NULL,
            inside_kingdom INTEGER NOT NULL,
            booklet_price INTEGER NOT NULL CHECK (booklet_price >= 0),
            publish_time INTEGER NOT NULL,
            last_enquiry_time INTEGER NOT NULL,
            last_offer_time INTEGER NOT NULL,
            opening_time INTEGER NOT NULL,
            state TEXT NOT NULL
              CHECK (state IN ('draft', 'published', 'cancelled', 'withdrawn', 'complete', 'unsuccessful')),
            status_reason TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            create_time INTEGER NOT NULL,
            update_time INTEGER NOT NULL,
            CHECK (publish_time <= last_enquiry_time AND last_enquiry_time <= last_offer_time
              AND last_offer_time <= opening_time)
          );
          CREATE INDEX tenders_publish ON tenders (publish_time, id);
          CREATE INDEX tenders_last_offer ON tenders (last_offer_time, id);
          CREATE INDEX tenders_price ON tenders (booklet_price, id);
          CREATE INDEX tenders_agency ON tenders (agency_code, publish_time);
          CREATE INDEX tenders_type ON tenders (type_code, publish_time);
          CREATE INDEX tenders_main_activity ON tenders (main_activity, publish_time);
          CREATE INDEX tenders_sub_activity ON tenders (sub_activity, publish_time);
          -- Every column a search filters on, by id: a text search checks each match here
          -- instead of reading the whole tender row.
          CREATE INDEX tenders_facets ON tenders (
            id, state, publish_time, last_offer_time, booklet_price, type_code, main_activity, sub_activity, agency_code
          );
          CREATE TABLE tender_regions (
            tender_id INTEGER NOT NULL REFERENCES tenders(id),
            region_code TEXT NOT NULL,
            PRIMARY KEY (tender_id, region_code)
          ) WITHOUT ROWID;
          CREATE INDEX tender_regions_region ON tender_regions (region_code, tender_id);
          CREATE TABLE tender_extensions (
            id INTEGER PRIMARY KEY,
            tender_id INTEGER NOT NULL REFERENCES tenders(id),
            extend_time INTEGER NOT NULL,
            reason TEXT NOT NULL,
            employee TEXT NOT NULL,
            previous_last_enquiry_time INTEGER NOT NULL,
            previous_last_offer_time INTEGER NOT NULL,
            previous_opening_time INTEGER NOT NULL,
            last_enquiry_time INTEGER NOT NULL,
            last_offer_time INTEGER NOT NULL,
            opening_time INTEGER NOT NULL
          );
          CREATE INDEX tender_extensions_tender ON tender_extensions (tender_id, id);
          -- The search index: the normalised text of each tender, rowid = tenders.id. The
          -- unicode61 tokenizer splits words; ArabicNormalizer has folded them already.
          CREATE VIRTUAL TABLE tenders_fts USING fts5(
            name, description, reference, agency, tokenize = 'unicode61 remove_diacritics 2'
          );
          -- The normalised words of the index, to expand the last word typed.
          CREATE TABLE tender_terms (term TEXT PRIMARY KEY) WITHOUT ROWID;
          """)
      try seedLookups(db)
    },
    // The index now also holds the stems of Arabic words (ArabicNormalizer.stem): rebuilt.
    Migration("tenders.v2.arabic_stems") { db in
      _ = try SearchIndex.rebuild(db)
    },
    // Text is brought to Unicode compatibility forms (NFKC) before folding, and a barrier word
    // separates the reference from the tender number: rebuilt.
    Migration("tenders.v3.compatibility_forms") { db in
      _ = try SearchIndex.rebuild(db)
    },
    // Words are also indexed without a one-letter particle ب ل ك ف (لاداره under اداره), and
    // the article after و or ف and a particle (وبال, فلل) is cut: rebuilt.
    Migration("tenders.v4.particle_stems") { db in
      _ = try SearchIndex.rebuild(db)
    },
  ]

  static func seedLookups(_ db: Database) throws {
    let insert = try db.makeStatement(
      sql: "INSERT INTO tender_lookups (kind, code, parent_code, name_ar, name_en, position) VALUES (?, ?, ?, ?, ?, ?)")
    for (index, region) in TenderLookups.regions.enumerated() {
      try insert.execute(arguments: ["region", region.code, nil, region.ar, region.en, index])
    }
    for (index, type) in TenderLookups.types.enumerated() {
      try insert.execute(arguments: ["type", type.code, nil, type.ar, type.en, index])
    }
    var position = 0
    for main in TenderLookups.activities {
      try insert.execute(arguments: ["activity", main.entry.code, nil, main.entry.ar, main.entry.en, position])
      position += 1
      for sub in main.subActivities {
        try insert.execute(arguments: ["activity", sub.code, main.entry.code, sub.ar, sub.en, position])
        position += 1
      }
    }
  }
}
