import GRDB

/// The tenders' search index: the FTS5 table of normalised text (rowid = tender id) and the
/// vocabulary of its words, which expands the prefix of the last word typed.
enum SearchIndex {
  /// A prefix of the last word with more completions than this is left to FTS5's own prefix query.
  static let maximumCompletions = 24

  /// Between the reference and the tender number in their column: a word of its own (a
  /// private-use character, which the tokenizer keeps and nobody types), so that a number typed
  /// as a phrase never matches across the two (a reference ending /12, a tender number 1446/3).
  static let barrierWord = "\u{E000}"
  static let barrier = " " + barrierWord + " "

  /// The text of the tenders named by `condition` (a `WHERE` on `t`), normalised.
  static let source = """
    SELECT t.id, t.name, t.description, t.reference_number, t.tender_number, t.branch, a.name_ar, a.name_en
    FROM tenders t LEFT JOIN agencies a ON a.code = t.agency_code
    """

  /// Writes (or rewrites) the search text of the tenders `rows` come from.
  static func write(_ db: Database, rows: RowCursor) throws {
    let delete = try db.cachedStatement(sql: "DELETE FROM tenders_fts WHERE rowid = ?")
    let insert = try db.cachedStatement(
      sql: "INSERT INTO tenders_fts (rowid, name, description, reference, agency) VALUES (?, ?, ?, ?, ?)")
    let term = try db.cachedStatement(sql: "INSERT OR IGNORE INTO tender_terms (term) VALUES (?)")
    while let row = try rows.next() {
      let id: Int64 = row["id"]
      let texts = [
        row["name"] as String, row["description"] as String,
        (row["reference_number"] as String) + Self.barrier + (row["tender_number"] as String),
        [row["name_ar"] as String? ?? "", row["name_en"] as String? ?? "", row["branch"] as String].joined(
          separator: " "),
      ].map(ArabicNormalizer.indexed)
      try delete.execute(arguments: [id])
      try insert.execute(arguments: [id, texts[0].text, texts[1].text, texts[2].text, texts[3].text])
      var seen = Set<String>()
      for word in texts.flatMap(\.terms) where word != Self.barrierWord && seen.insert(word).inserted {
        try term.execute(arguments: [word])
      }
    }
  }

  /// Indexes one tender.
  static func write(_ db: Database, id: Int64) throws {
    try write(db, rows: try Row.fetchCursor(db, sql: source + " WHERE t.id = ?", arguments: [id]))
  }

  /// Rebuilds the whole index; returns how many tenders were indexed.
  static func rebuild(_ db: Database) throws -> Int {
    try db.execute(sql: "DELETE FROM tenders_fts; DELETE FROM tender_terms;")
    try write(db, rows: try Row.fetchCursor(db, sql: source))
    try db.execute(sql: "INSERT INTO tenders_fts (tenders_fts) VALUES ('optimize')")
    return try Int.fetchOne(db, sql: "SELECT count(*) FROM tenders_fts") ?? 0
  }

  /// The FTS5 expression for `text`: every word quoted, each prefix of the last one expanded
  /// to the indexed words it begins (an OR that FTS5 reads lazily, where its own prefix query
  /// would merge every matching doclist before returning the first row); and its phrases in
  /// the order FTS5 numbers them (for `TenderRank`).
  static func match(_ db: Database, _ text: SearchText) throws -> (expression: String, phrases: [String]) {
    guard !text.isEmpty else { return ("", []) }
    let completions = try db.cachedStatement(
      sql: "SELECT term FROM tender_terms WHERE term >= ? AND term < ? ORDER BY term LIMIT ?")
    let head = text.words.map(SearchText.quoted)
    var tail: [String] = []
    var seen = Set<String>()
    for prefix in text.prefixes {
      // A code's phrase has no single indexed word to complete: FTS5's prefix query takes it.
      let terms =
        prefix.contains(" ")
        ? [] : try String.fetchAll(completions, arguments: [prefix, prefix + "\u{10FFFF}", maximumCompletions + 1])
      let phrases =
        terms.isEmpty || terms.count > maximumCompletions
        ? [SearchText.quoted(prefix) + "*"] : terms.map(SearchText.quoted)
      // A word both prefixes begin is searched, and ranked, once.
      for phrase in phrases where seen.insert(phrase).inserted { tail.append(phrase) }
    }
    return (SearchText.expression(whole: head, last: tail), head + tail)
  }
}
