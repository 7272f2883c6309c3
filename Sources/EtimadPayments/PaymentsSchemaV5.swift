/// `payments.v5.conventions`: the tables rebuilt with text codes and millisecond times.
enum PaymentsSchemaV5 {
  static let sql = """
    CREATE TABLE payment_sectors_v5 (
      code TEXT PRIMARY KEY,
      name_ar TEXT NOT NULL,
      name_en TEXT NOT NULL,
      agency_code TEXT NOT NULL,
      create_time INTEGER NOT NULL
    ) WITHOUT ROWID;
    INSERT INTO payment_sectors_v5 (code, name_ar, name_en, agency_code, create_time)
      SELECT code, name_ar, name_en, agency_code, CAST(create_time * 1000 AS INTEGER) FROM payment_sectors;
    DROP TABLE payment_sectors;
    ALTER TABLE payment_sectors_v5 RENAME TO payment_sectors;
    CREATE INDEX payment_sectors_agency ON payment_sectors (agency_code);

    CREATE TABLE payments_v5 (
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
      state TEXT NOT NULL CHECK (state IN ('PAID', 'CONSUMED', 'CANCELLED', 'REFUND_REQUESTED', 'REFUNDED')),
      record_time INTEGER NOT NULL,
      CHECK (consumed + cancelled <= amount),
      CHECK (refund_pending + refunded <= cancelled),
      FOREIGN KEY (sector_code, service_code) REFERENCES payment_services (sector_code, code)
    );
    INSERT INTO payments_v5 (id, sector_code, service_code, beneficiary_type, beneficiary_number, customer_number,
        sadad_reference, amount, paid_time, consumed, cancelled, refund_pending, refunded, state, record_time)
      SELECT id, sector_code, service_code, beneficiary_type, beneficiary_number, customer_number, sadad_reference,
        amount, paid_time, consumed, cancelled, refund_pending, refunded,
        CASE state WHEN 1 THEN 'PAID' WHEN 2 THEN 'CONSUMED' WHEN 3 THEN 'CANCELLED' WHEN 4 THEN 'REFUND_REQUESTED'
          WHEN 5 THEN 'REFUNDED' END,
        record_time
      FROM payments;
    DROP TABLE payments;
    ALTER TABLE payments_v5 RENAME TO payments;
    CREATE UNIQUE INDEX payments_sadad ON payments (sector_code, sadad_reference);
    CREATE INDEX payments_beneficiary ON payments (beneficiary_number, customer_number);
    CREATE INDEX payments_customer ON payments (customer_number, paid_time, id);
    CREATE INDEX payments_sector_time ON payments (sector_code, paid_time, id);
    CREATE INDEX payments_beneficiary_time ON payments (beneficiary_number, paid_time, id);
    CREATE TRIGGER payments_customer_holder AFTER INSERT ON payments
    WHEN NEW.customer_number NOT GLOB '[1-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9][0-9]' BEGIN
      INSERT OR IGNORE INTO payment_customer_holders (customer_number, holder_number, first_payment_id)
        VALUES (NEW.customer_number, NEW.beneficiary_number, NEW.id);
    END;

    CREATE TABLE payment_movements_v5 (
      id INTEGER PRIMARY KEY,
      payment_id INTEGER NOT NULL REFERENCES payments(id),
      kind TEXT NOT NULL
        CHECK (kind IN ('PAID', 'CONSUMED', 'CANCELLED', 'REFUND_REQUESTED', 'REFUNDED', 'REFUND_REJECTED')),
      amount INTEGER NOT NULL CHECK (amount > 0),
      time INTEGER NOT NULL,
      note TEXT NOT NULL DEFAULT '',
      refund_request_id INTEGER
    );
    INSERT INTO payment_movements_v5 (id, payment_id, kind, amount, time, note, refund_request_id)
      SELECT id, payment_id,
        CASE kind WHEN 1 THEN 'PAID' WHEN 2 THEN 'CONSUMED' WHEN 3 THEN 'CANCELLED' WHEN 4 THEN 'REFUND_REQUESTED'
          WHEN 5 THEN 'REFUNDED' WHEN 6 THEN 'REFUND_REJECTED' END,
        amount, time, note, refund_request_id
      FROM payment_movements;
    DROP TABLE payment_movements;
    ALTER TABLE payment_movements_v5 RENAME TO payment_movements;
    CREATE INDEX payment_movements_payment ON payment_movements (payment_id, id);
    CREATE INDEX payment_movements_cancelled ON payment_movements (payment_id) WHERE kind = 'CANCELLED';

    CREATE TABLE payment_refund_requests_v5 (
      id INTEGER PRIMARY KEY,
      payment_id INTEGER NOT NULL REFERENCES payments(id),
      sector_code TEXT NOT NULL,
      requester TEXT NOT NULL,
      amount INTEGER NOT NULL CHECK (amount > 0),
      iban TEXT NOT NULL,
      account_holder_name TEXT NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('PENDING', 'COMPLETED', 'REJECTED')),
      create_time INTEGER NOT NULL,
      decide_time INTEGER,
      decision_note TEXT NOT NULL DEFAULT '',
      employee TEXT
    );
    INSERT INTO payment_refund_requests_v5 (id, payment_id, sector_code, requester, amount, iban,
        account_holder_name, state, create_time, decide_time, decision_note, employee)
      SELECT id, payment_id, sector_code, requester, amount, iban, account_holder_name,
        CASE state WHEN 1 THEN 'PENDING' WHEN 2 THEN 'COMPLETED' WHEN 3 THEN 'REJECTED' END,
        create_time, decide_time, decision_note, employee
      FROM payment_refund_requests;
    DROP TABLE payment_refund_requests;
    ALTER TABLE payment_refund_requests_v5 RENAME TO payment_refund_requests;
    CREATE INDEX payment_refund_requests_sector ON payment_refund_requests (sector_code, state, id);
    CREATE INDEX payment_refund_requests_payment ON payment_refund_requests (payment_id);
    """
}
