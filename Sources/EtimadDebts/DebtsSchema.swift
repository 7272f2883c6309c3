import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// The debts area's tables. The ledger (`debt_movements`) is append-only: triggers refuse any
/// UPDATE or DELETE, and paid amounts and balances are always summed from it, never stored.
enum DebtsSchema {
  static let migrations: [Migration] = [
    Migration("debts.v1.create") { db in
      try db.execute(
        sql: """
          CREATE TABLE debts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            agency_code TEXT NOT NULL,
            debtor_id_type INTEGER NOT NULL,
            debtor_id_number TEXT NOT NULL,
            debtor_name TEXT NOT NULL,
            category INTEGER NOT NULL,
            reason TEXT NOT NULL,
            original_amount INTEGER NOT NULL CHECK (original_amount > 0),
            due_date TEXT NOT NULL,
            sadad_bill_number TEXT NOT NULL DEFAULT '',
            attachment_refs TEXT NOT NULL DEFAULT '[]',
            notes TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL
              CHECK (state IN ('DRAFT', 'UNDER_REVIEW', 'OUTSTANDING', 'PAID', 'CANCELLED')),
            review_note TEXT NOT NULL DEFAULT '',
            created_by TEXT NOT NULL,
            submitted_by TEXT,
            approved_by TEXT,
            create_time REAL NOT NULL,
            update_time REAL NOT NULL,
            submit_time REAL,
            approve_time REAL
          );
          CREATE INDEX debts_agency ON debts (agency_code, id);
          CREATE INDEX debts_debtor ON debts (debtor_id_number, id);

          CREATE TABLE debt_movements (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            debt_id INTEGER NOT NULL REFERENCES debts(id),
            agency_code TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('PAYMENT', 'ADJUSTMENT', 'EXEMPTION', 'CANCELLATION')),
            delta INTEGER NOT NULL,
            balance_after INTEGER NOT NULL CHECK (balance_after >= 0),
            record_time REAL NOT NULL,
            effective_time REAL NOT NULL,
            actor_kind TEXT NOT NULL,
            actor_id TEXT NOT NULL,
            employee TEXT,
            request_id TEXT NOT NULL,
            sadad_reference TEXT,
            source TEXT
          );
          CREATE INDEX debt_movements_debt ON debt_movements (debt_id, id);
          CREATE UNIQUE INDEX debt_movements_sadad ON debt_movements (agency_code, sadad_reference)
            WHERE sadad_reference IS NOT NULL;
          CREATE TRIGGER debt_movements_append_only_update BEFORE UPDATE ON debt_movements
            BEGIN SELECT RAISE(ABORT, 'debt movements are append-only'); END;
          CREATE TRIGGER debt_movements_append_only_delete BEFORE DELETE ON debt_movements
            BEGIN SELECT RAISE(ABORT, 'debt movements are append-only'); END;

          CREATE TABLE debt_change_requests (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            debt_id INTEGER NOT NULL REFERENCES debts(id),
            kind TEXT NOT NULL CHECK (kind IN ('UPDATE_DATA', 'PAYMENT', 'CANCELLATION')),
            state TEXT NOT NULL CHECK (state IN ('NEW', 'PENDING', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
            raised_by TEXT NOT NULL CHECK (raised_by IN ('debtor', 'agency')),
            raised_by_employee TEXT,
            amount INTEGER,
            payment_reference TEXT NOT NULL DEFAULT '',
            new_values BLOB,
            update_mask TEXT NOT NULL DEFAULT '',
            reason TEXT NOT NULL,
            decision_note TEXT NOT NULL DEFAULT '',
            decided_by TEXT,
            create_time REAL NOT NULL,
            decide_time REAL
          );
          CREATE INDEX debt_change_requests_debt ON debt_change_requests (debt_id, id);
          CREATE UNIQUE INDEX debt_change_requests_one_pending ON debt_change_requests (debt_id, kind)
            WHERE state = 'PENDING';

          CREATE TABLE debt_relief_requests (
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
            create_time REAL NOT NULL,
            decide_time REAL
          );
          CREATE INDEX debt_relief_requests_debt ON debt_relief_requests (debt_id, id);
          CREATE UNIQUE INDEX debt_relief_requests_one_pending ON debt_relief_requests (debt_id, kind)
            WHERE state = 'PENDING';

          CREATE TABLE instalment_plans (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            debt_id INTEGER NOT NULL REFERENCES debts(id),
            relief_request_id INTEGER NOT NULL REFERENCES debt_relief_requests(id),
            state TEXT NOT NULL CHECK (state IN ('ACTIVE', 'COMPLETED', 'DEFAULTED', 'CANCELLED')),
            total INTEGER NOT NULL CHECK (total > 0),
            create_time REAL NOT NULL,
            close_time REAL
          );
          CREATE INDEX instalment_plans_debt ON instalment_plans (debt_id, id);
          CREATE INDEX instalment_plans_state ON instalment_plans (state);
          CREATE TABLE instalments (
            plan_id INTEGER NOT NULL REFERENCES instalment_plans(id),
            number INTEGER NOT NULL,
            due_date TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            PRIMARY KEY (plan_id, number)
          ) WITHOUT ROWID;
          """)
    },
    // The payer's reference of an approved PAYMENT change request, as compared (letters and
    // digits, upper case): checked against the debt's SADAD notices and other requests, so one
    // payment is credited once. Kept apart from sadad_reference, whose agency-wide uniqueness
    // belongs to SADAD: a debtor's typed reference must never block a real notice.
    Migration("debts.v2.payment_references") { db in
      try db.execute(
        sql: """
          ALTER TABLE debt_movements ADD COLUMN payment_reference TEXT;
          CREATE INDEX debt_movements_reference ON debt_movements (debt_id, payment_reference)
            WHERE payment_reference IS NOT NULL;
          """)
    },
    DebtsSchemaV3.conventions,
  ]
}
