import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// `debts.v3.conventions`: the platform's storage conventions for the debts tables, with
/// every existing row kept.
/// - Times: REAL seconds become INTEGER milliseconds since 1970 (as payments store them).
/// - Stored enums are stable text codes: the debtor's document kind (`NATIONAL_ID`, `IQAMA`,
///   `BORDER_NUMBER`) and the category (`FINE` ... `OTHER`) instead of wire enum numbers, and
///   the raising side upper case (`DEBTOR`, `AGENCY`) like every other code.
/// - An UPDATE_DATA request keeps its validated new values (`new_fields`, JSON of stable codes,
///   `DebtPatch`) instead of the message the caller sent; existing requests are converted, and
///   the message they were raised with stays in `new_values`, no longer written.
/// SQLite cannot change a column's type, so each table is rebuilt (the GRDB migrator runs this
/// with foreign keys off and checks them before committing).
enum DebtsSchemaV3 {
  static let conventions = Migration("debts.v3.conventions") { db in
    try rebuild(db, "debts", create: debts, copy: copyDebts, after: debtsIndexes)
    try rebuild(db, "debt_movements", create: movements, copy: copyMovements, after: movementsIndexes)
    try rebuild(db, "debt_change_requests", create: changeRequests, copy: copyChangeRequests, after: changeIndexes)
    try rebuild(db, "debt_relief_requests", create: reliefRequests, copy: copyReliefRequests, after: reliefIndexes)
    try rebuild(db, "instalment_plans", create: plans, copy: copyPlans, after: plansIndexes)
    try convertNewValues(db)
  }

  /// Seconds (REAL) to milliseconds (INTEGER); NULL stays NULL.
  private static func ms(_ column: String) -> String { "CAST(round(\(column) * 1000) AS INTEGER)" }

  /// Creates `<table>_v3`, copies every row, replaces the table and restores its AUTOINCREMENT
  /// counter, then creates the indexes and triggers.
  private static func rebuild(_ db: Database, _ table: String, create: String, copy: String, after: String) throws {
    let sequence = try Int64.fetchOne(db, sql: "SELECT seq FROM sqlite_sequence WHERE name = ?", arguments: [table])
    try db.execute(sql: create)
    try db.execute(sql: copy)
    try db.execute(sql: "DROP TABLE \(table); ALTER TABLE \(table)_v3 RENAME TO \(table);")
    if let sequence {
      try db.execute(
        sql: "UPDATE sqlite_sequence SET seq = max(seq, ?) WHERE name = ?", arguments: [sequence, table])
    }
    try db.execute(sql: after)
  }

  private static let debts = """
    CREATE TABLE debts_v3 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      agency_code TEXT NOT NULL,
      debtor_id_type TEXT NOT NULL CHECK (debtor_id_type IN ('NATIONAL_ID', 'IQAMA', 'BORDER_NUMBER')),
      debtor_id_number TEXT NOT NULL,
      debtor_name TEXT NOT NULL,
      category TEXT NOT NULL CHECK (category IN ('FINE', 'FEE', 'OVERPAYMENT', 'LOAN', 'RENT', 'OTHER')),
      reason TEXT NOT NULL,
      original_amount INTEGER NOT NULL CHECK (original_amount > 0),
      due_date TEXT NOT NULL,
      sadad_bill_number TEXT NOT NULL DEFAULT '',
      attachment_refs TEXT NOT NULL DEFAULT '[]',
      notes TEXT NOT NULL DEFAULT '',
      state TEXT NOT NULL CHECK (state IN ('DRAFT', 'UNDER_REVIEW', 'OUTSTANDING', 'PAID', 'CANCELLED')),
      review_note TEXT NOT NULL DEFAULT '',
      created_by TEXT NOT NULL,
      submitted_by TEXT,
      approved_by TEXT,
      create_time INTEGER NOT NULL,
      update_time INTEGER NOT NULL,
      submit_time INTEGER,
      approve_time INTEGER
    )
    """

  // The document kind was the wire number (1, 2, 3); anything else is read from the number's
  // first digit, as `NationalID` does.
  private static let copyDebts = """
    INSERT INTO debts_v3 (id, agency_code, debtor_id_type, debtor_id_number, debtor_name, category, reason,
      original_amount, due_date, sadad_bill_number, attachment_refs, notes, state, review_note, created_by,
      submitted_by, approved_by, create_time, update_time, submit_time, approve_time)
    SELECT id, agency_code,
      CASE debtor_id_type WHEN 1 THEN 'NATIONAL_ID' WHEN 2 THEN 'IQAMA' WHEN 3 THEN 'BORDER_NUMBER' ELSE
        CASE substr(debtor_id_number, 1, 1) WHEN '1' THEN 'NATIONAL_ID' WHEN '2' THEN 'IQAMA'
        ELSE 'BORDER_NUMBER' END END,
      debtor_id_number, debtor_name,
      CASE category WHEN 1 THEN 'FINE' WHEN 2 THEN 'FEE' WHEN 3 THEN 'OVERPAYMENT' WHEN 4 THEN 'LOAN'
        WHEN 5 THEN 'RENT' ELSE 'OTHER' END,
      reason, original_amount, due_date, sadad_bill_number, attachment_refs, notes, state, review_note, created_by,
      submitted_by, approved_by, \(ms("create_time")), \(ms("update_time")), \(ms("submit_time")),
      \(ms("approve_time"))
    FROM debts
    """

  private static let debtsIndexes = """
    CREATE INDEX debts_agency ON debts (agency_code, id);
    CREATE INDEX debts_debtor ON debts (debtor_id_number, id);
    """

  private static let movements = """
    CREATE TABLE debt_movements_v3 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      debt_id INTEGER NOT NULL REFERENCES debts(id),
      agency_code TEXT NOT NULL,
      kind TEXT NOT NULL CHECK (kind IN ('PAYMENT', 'ADJUSTMENT', 'EXEMPTION', 'CANCELLATION')),
      delta INTEGER NOT NULL,
      balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
      record_time INTEGER NOT NULL,
      effective_time INTEGER NOT NULL,
      actor_kind TEXT NOT NULL,
      actor_id TEXT NOT NULL,
      employee TEXT,
      request_id TEXT NOT NULL,
      sadad_reference TEXT,
      source TEXT,
      payment_reference TEXT
    )
    """

  private static let copyMovements = """
    INSERT INTO debt_movements_v3 (id, debt_id, agency_code, kind, delta, balance_after, record_time,
      effective_time, actor_kind, actor_id, employee, request_id, sadad_reference, source, payment_reference)
    SELECT id, debt_id, agency_code, kind, delta, balance_after, \(ms("record_time")), \(ms("effective_time")),
      actor_kind, actor_id, employee, request_id, sadad_reference, source, payment_reference
    FROM debt_movements
    """

  private static let movementsIndexes = """
    CREATE INDEX debt_movements_debt ON debt_movements (debt_id, id);
    CREATE UNIQUE INDEX debt_movements_sadad ON debt_movements (agency_code, sadad_reference)
      WHERE sadad_reference IS NOT NULL;
    CREATE INDEX debt_movements_reference ON debt_movements (debt_id, payment_reference)
      WHERE payment_reference IS NOT NULL;
    CREATE TRIGGER debt_movements_append_only_update BEFORE UPDATE ON debt_movements
      BEGIN SELECT RAISE(ABORT, 'debt movements are append-only'); END;
    CREATE TRIGGER debt_movements_append_only_delete BEFORE DELETE ON debt_movements
      BEGIN SELECT RAISE(ABORT, 'debt movements are append-only'); END;
    """

  private static let changeRequests = """
    CREATE TABLE debt_change_requests_v3 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      debt_id INTEGER NOT NULL REFERENCES debts(id),
      kind TEXT NOT NULL CHECK (kind IN ('UPDATE_DATA', 'PAYMENT', 'CANCELLATION')),
      state TEXT NOT NULL CHECK (state IN ('NEW', 'PENDING', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
      raised_by TEXT NOT NULL CHECK (raised_by IN ('DEBTOR', 'AGENCY')),
      raised_by_employee TEXT,
      amount INTEGER,
      payment_reference TEXT NOT NULL DEFAULT '',
      new_fields TEXT,
      new_values BLOB,
      update_mask TEXT NOT NULL DEFAULT '',
      reason TEXT NOT NULL,
      decision_note TEXT NOT NULL DEFAULT '',
      decided_by TEXT,
      create_time INTEGER NOT NULL,
      decide_time INTEGER
    )
    """

  private static let copyChangeRequests = """
    INSERT INTO debt_change_requests_v3 (id, debt_id, kind, state, raised_by, raised_by_employee, amount,
      payment_reference, new_fields, new_values, update_mask, reason, decision_note, decided_by, create_time,
      decide_time)
    SELECT id, debt_id, kind, state, upper(raised_by), raised_by_employee, amount, payment_reference, NULL,
      new_values, update_mask, reason, decision_note, decided_by, \(ms("create_time")), \(ms("decide_time"))
    FROM debt_change_requests
    """

  private static let changeIndexes = """
    CREATE INDEX debt_change_requests_debt ON debt_change_requests (debt_id, id);
    CREATE UNIQUE INDEX debt_change_requests_one_pending ON debt_change_requests (debt_id, kind)
      WHERE state = 'PENDING';
    """

  private static let reliefRequests = """
    CREATE TABLE debt_relief_requests_v3 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      debt_id INTEGER NOT NULL REFERENCES debts(id),
      kind TEXT NOT NULL CHECK (kind IN ('EXEMPTION', 'INSTALMENT')),
      state TEXT NOT NULL CHECK (state IN ('NEW', 'PENDING', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
      amount INTEGER,
      full INTEGER NOT NULL DEFAULT 0,
      instalment_count INTEGER,
      first_due_date TEXT,
      reason TEXT NOT NULL,
      attachment_refs TEXT NOT NULL DEFAULT '[]',
      decision_note TEXT NOT NULL DEFAULT '',
      decided_by TEXT,
      plan_id INTEGER,
      create_time INTEGER NOT NULL,
      decide_time INTEGER
    )
    """

  private static let copyReliefRequests = """
    INSERT INTO debt_relief_requests_v3 (id, debt_id, kind, state, amount, full, instalment_count, first_due_date,
      reason, attachment_refs, decision_note, decided_by, plan_id, create_time, decide_time)
    SELECT id, debt_id, kind, state, amount, full, instalment_count, first_due_date, reason, attachment_refs,
      decision_note, decided_by, plan_id, \(ms("create_time")), \(ms("decide_time"))
    FROM debt_relief_requests
    """

  private static let reliefIndexes = """
    CREATE INDEX debt_relief_requests_debt ON debt_relief_requests (debt_id, id);
    CREATE UNIQUE INDEX debt_relief_requests_one_pending ON debt_relief_requests (debt_id, kind)
      WHERE state = 'PENDING';
    """

  private static let plans = """
    CREATE TABLE instalment_plans_v3 (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      debt_id INTEGER NOT NULL REFERENCES debts(id),
      relief_request_id INTEGER NOT NULL REFERENCES debt_relief_requests(id),
      state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'COMPLETED', 'DEFAULTED', 'CANCELLED')),
      total INTEGER NOT NULL CHECK (total > 0),
      create_time INTEGER NOT NULL,
      close_time INTEGER
    )
    """

  private static let copyPlans = """
    INSERT INTO instalment_plans_v3 (id, debt_id, relief_request_id, state, total, create_time, close_time)
    SELECT id, debt_id, relief_request_id, state, total, \(ms("create_time")), \(ms("close_time"))
    FROM instalment_plans
    """

  private static let plansIndexes = """
    CREATE INDEX instalment_plans_debt ON instalment_plans (debt_id, id);
    CREATE INDEX instalment_plans_state ON instalment_plans (state);
    """

  /// The values of existing UPDATE_DATA requests, validated as they were when raised, stored
  /// as `DebtPatch` JSON. A message that no longer validates (never written by the handler)
  /// keeps no new_fields; its bytes stay in new_values.
  private static func convertNewValues(_ db: Database) throws {
    let rows = try Row.fetchAll(
      db, sql: "SELECT id, new_values, update_mask FROM debt_change_requests WHERE new_values IS NOT NULL")
    for row in rows {
      let bytes: Data = row["new_values"]
      let mask: String = row["update_mask"]
      guard let details = try? Etimad_Debts_V1_DebtDetails(serializedBytes: bytes) else { continue }
      var violations: DebtValidation.Violations = []
      let paths = Set(mask.split(separator: ",").map(String.init)).intersection(DebtValidation.paths)
      let patch = DebtValidation.patch(details, paths: paths, prefix: "new_values.", into: &violations)
      guard violations.isEmpty else { continue }
      try db.execute(
        sql: "UPDATE debt_change_requests SET new_fields = ? WHERE id = ?", arguments: [patch.json, row["id"] as Int64])
    }
  }
}
