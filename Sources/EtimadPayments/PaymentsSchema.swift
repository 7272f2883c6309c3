import EtimadKit
import Foundation
import GRDB

/// The payments area's tables: the catalogue (sectors, services), payments with their running
/// balance, the append-only movement ledger, and refund requests.
public enum PaymentsSchema {
  public static let migrations: [Migration] = [
    Migration("payments.v1.create") { db in
      try db.execute(
        sql: """
          CREATE TABLE payment_sectors (
            code TEXT PRIMARY KEY,
            name_ar TEXT NOT NULL,
            name_en TEXT NOT NULL,
            agency_code TEXT NOT NULL,
            create_time REAL NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX payment_sectors_agency ON payment_sectors (agency_code);
          CREATE TABLE payment_services (
            sector_code TEXT NOT NULL REFERENCES payment_sectors(code),
            code TEXT NOT NULL,
            name_ar TEXT NOT NULL,
            name_en TEXT NOT NULL,
            fee INTEGER NOT NULL CHECK (fee >= 0),
            PRIMARY KEY (sector_code, code)
          ) WITHOUT ROWID;
          CREATE TABLE payments (
            id INTEGER PRIMARY KEY,
            sector_code TEXT NOT NULL,
            service_code TEXT NOT NULL,
            beneficiary_type TEXT NOT NULL CHECK (beneficiary_type IN ('NATIONAL_ID', 'IQAMA', 'BORDER_NUMBER')),
            beneficiary_number TEXT NOT NULL,
            customer_number TEXT NOT NULL,
            sadad_reference TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            paid_time INTEGER NOT NULL,
            consumed INTEGER NOT NULL DEFAULT 0 CHECK (consumed >= 0),
            cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled >= 0),
            refund_pending INTEGER NOT NULL DEFAULT 0 CHECK (refund_pending >= 0),
            refunded INTEGER NOT NULL DEFAULT 0 CHECK (refunded >= 0),
            state INTEGER NOT NULL,
            record_time INTEGER NOT NULL,
            CHECK (consumed + cancelled <= amount),
            CHECK (refund_pending + refunded <= cancelled),
            FOREIGN KEY (sector_code, service_code) REFERENCES payment_services (sector_code, code)
          );
          CREATE UNIQUE INDEX payments_sadad ON payments (sector_code, sadad_reference);
          CREATE INDEX payments_beneficiary ON payments (beneficiary_number, customer_number);
          CREATE INDEX payments_customer ON payments (customer_number, paid_time, id);
          CREATE INDEX payments_sector_time ON payments (sector_code, paid_time, id);
          CREATE TABLE payment_movements (
            id INTEGER PRIMARY KEY,
            payment_id INTEGER NOT NULL REFERENCES payments(id),
            kind INTEGER NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            time INTEGER NOT NULL,
            note TEXT NOT NULL DEFAULT '',
            refund_request_id INTEGER
          );
          CREATE INDEX payment_movements_payment ON payment_movements (payment_id, id);
          CREATE INDEX payment_movements_cancelled ON payment_movements (payment_id) WHERE kind = 3;
          CREATE TABLE payment_refund_requests (
            id INTEGER PRIMARY KEY,
            payment_id INTEGER NOT NULL REFERENCES payments(id),
            sector_code TEXT NOT NULL,
            requester TEXT NOT NULL,
            amount INTEGER NOT NULL CHECK (amount > 0),
            iban TEXT NOT NULL,
            account_holder_name TEXT NOT NULL,
            state INTEGER NOT NULL,
            create_time INTEGER NOT NULL,
            decide_time INTEGER,
            decision_note TEXT NOT NULL DEFAULT '',
            employee TEXT
          );
          CREATE INDEX payment_refund_requests_sector ON payment_refund_requests (sector_code, state, id);
          CREATE INDEX payment_refund_requests_payment ON payment_refund_requests (payment_id);
          """)
      try PaymentsCatalogue.seed(db, now: Date())
    },
    // An individual's search walks their payments as beneficiary newest first from this
    // index alone, reading full rows only for the page it returns.
    Migration("payments.v2.beneficiary_time") { db in
      try db.execute(sql: "CREATE INDEX payments_beneficiary_time ON payments (beneficiary_number, paid_time, id)")
    },
    // Who holds a customer number is fixed when the number is first recorded (it was derived
    // from the payment with the earliest paid time, which a late notification could change).
    // Existing numbers keep the holder the old rule gave them.
    Migration("payments.v3.customer_holders") { db in
      try db.execute(
        sql: """
          CREATE TABLE payment_customer_holders (
            customer_number TEXT PRIMARY KEY,
            holder_number TEXT NOT NULL,
            first_payment_id INTEGER NOT NULL REFERENCES payments (id)
          ) WITHOUT ROWID;
          CREATE INDEX payment_customer_holders_holder ON payment_customer_holders (holder_number, customer_number);
          INSERT INTO payment_customer_holders (customer_number, holder_number, first_payment_id)
            SELECT customer_number, beneficiary_number, id FROM (
              SELECT customer_number, beneficiary_number, id,
                ROW_NUMBER() OVER (PARTITION BY customer_number ORDER BY paid_time, id) AS position
              FROM payments)
            WHERE position = 1;
          CREATE TRIGGER payments_customer_holder AFTER INSERT ON payments BEGIN
            INSERT OR IGNORE INTO payment_customer_holders (customer_number, holder_number, first_payment_id)
              VALUES (NEW.customer_number, NEW.beneficiary_number, NEW.id);
          END;
          """)
    },
    // A customer number shaped like a person's ID number (ten digits, the first 1 to 9: a
    // national ID, an iqama or a border number) is that person's, and only theirs: it is never
    // held by the beneficiary of its first payment. Before, a son whose passport his father paid
    // under the father's ID number became that number's holder, and saw (and could ask refunds
    // of) every payment made under the father's ID. Such holders are dropped.
    Migration("payments.v4.person_customer_numbers") { db in
      try db.execute(
        sql: """
          DROP TRIGGER payments_customer_holder;
          DELETE FROM payment_customer_holders WHERE customer_number GLOB '[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]';
          CREATE TRIGGER payments_customer_holder AFTER INSERT ON payments
          WHEN NEW.customer_number NOT GLOB '[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' BEGIN
            INSERT OR IGNORE INTO payment_customer_holders (customer_number, holder_number, first_payment_id)
              VALUES (NEW.customer_number, NEW.beneficiary_number, NEW.id);
          END;
          """)
    },
    // One set of conventions across the areas: stored enums are stable text codes (payment
    // states, movement kinds and refund request states were the wire enums' numbers) and times
    // integer milliseconds since 1970 (sectors' creation times were REAL seconds). Each table is
    // rebuilt with its rows, indexes and trigger; ids are kept.
    Migration("payments.v5.conventions") { db in
      try db.execute(sql: PaymentsSchemaV5.sql)
    },
  ]
}
