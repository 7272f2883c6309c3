import EtimadKit
import GRDB

/// The identity area's tables: the civil registry, accounts, code tickets, sessions, agencies.
public enum IdentitySchema {
  public static let migrations: [Migration] = [
    Migration("identity.v1.create") { db in
      try db.execute(
        sql: """
          CREATE TABLE persons (
            id_number TEXT PRIMARY KEY,
            id_type TEXT NOT NULL CHECK (id_type IN ('national_id', 'iqama')),
            name_ar TEXT NOT NULL,
            name_en TEXT NOT NULL,
            birth_date TEXT NOT NULL,
            mobile TEXT NOT NULL,
            nationality TEXT NOT NULL
          ) WITHOUT ROWID;
          CREATE TABLE accounts (
            id_number TEXT PRIMARY KEY REFERENCES persons(id_number),
            email TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            failed_logins INTEGER NOT NULL DEFAULT 0,
            locked_until REAL,
            create_time REAL NOT NULL,
            password_time REAL NOT NULL
          ) WITHOUT ROWID;
          CREATE TABLE tickets (
            hash TEXT PRIMARY KEY,
            purpose INTEGER NOT NULL,
            id_number TEXT NOT NULL REFERENCES persons(id_number),
            code_hash BLOB NOT NULL,
            code_expire_time REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            resends INTEGER NOT NULL DEFAULT 0,
            resend_time REAL NOT NULL,
            used INTEGER NOT NULL DEFAULT 0,
            email TEXT,
            password_hash TEXT,
            create_time REAL NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX tickets_person ON tickets (id_number);
          CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            token_hash TEXT NOT NULL UNIQUE,
            id_number TEXT NOT NULL REFERENCES accounts(id_number),
            create_time REAL NOT NULL,
            expire_time REAL NOT NULL,
            idle_expire_time REAL NOT NULL,
            peer TEXT NOT NULL,
            revoked_time REAL
          ) WITHOUT ROWID;
          CREATE INDEX sessions_person ON sessions (id_number);
          CREATE TABLE agencies (
            code TEXT PRIMARY KEY,
            name_ar TEXT NOT NULL,
            name_en TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('active', 'revoked')),
            certificate_serial TEXT,
            create_time REAL NOT NULL,
            revoke_time REAL
          ) WITHOUT ROWID;
          """)
    },
    // Failed password checks are counted per ID number whether or not an account exists, so
    // that the lockout answers an unknown ID exactly as a registered one. The counters move out
    // of `accounts`; `updated_time` lets idle counters be forgotten.
    Migration("identity.v2.sign_in_failures") { db in
      try db.execute(
        sql: """
          CREATE TABLE sign_in_failures (
            id_number TEXT PRIMARY KEY,
            failures INTEGER NOT NULL DEFAULT 0,
            locked_until REAL,
            updated_time REAL NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX sign_in_failures_updated ON sign_in_failures (updated_time);
          INSERT INTO sign_in_failures (id_number, failures, locked_until, updated_time)
            SELECT id_number, failed_logins, locked_until, COALESCE(locked_until, password_time) FROM accounts
            WHERE failed_logins > 0 OR locked_until IS NOT NULL;
          UPDATE accounts SET failed_logins = 0, locked_until = NULL;
          """)
    },
  ]
}
