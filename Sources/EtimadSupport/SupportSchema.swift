import EtimadKit
import GRDB

/// The support area's tables. Times are integer seconds (as the kit's audit trail), enums
/// stable lower-case text codes.
public enum SupportSchema {
  public static let migrations: [Migration] = [
    Migration("support.v1.create") { db in
      try db.execute(
        sql: """
          CREATE TABLE support_tickets (
            id INTEGER PRIMARY KEY,
            number TEXT NOT NULL UNIQUE,
            month TEXT NOT NULL,
            sequence INTEGER NOT NULL,
            status TEXT NOT NULL
              CHECK (status IN ('open', 'in_progress', 'awaiting_requester', 'resolved', 'closed')),
            owner_id_number TEXT,
            name TEXT NOT NULL,
            document_type TEXT NOT NULL CHECK (document_type IN ('national_id', 'iqama', 'border_number', 'passport')),
            document_number TEXT NOT NULL,
            mobile TEXT NOT NULL,
            email TEXT NOT NULL,
            main_service TEXT NOT NULL,
            sub_service TEXT NOT NULL,
            request_type TEXT NOT NULL
              CHECK (request_type IN ('enquiry', 'complaint', 'suggestion', 'technical_problem')),
            title TEXT NOT NULL,
            details TEXT NOT NULL,
            assignee TEXT,
            open_time INTEGER NOT NULL,
            update_time INTEGER NOT NULL,
            first_response_time INTEGER,
            UNIQUE (month, sequence)
          );
          CREATE INDEX support_tickets_owner ON support_tickets (owner_id_number, id);
          CREATE INDEX support_tickets_open_time ON support_tickets (open_time);
          CREATE INDEX support_tickets_status ON support_tickets (status, id);
          CREATE TABLE support_messages (
            id INTEGER PRIMARY KEY,
            ticket_id INTEGER NOT NULL REFERENCES support_tickets(id),
            kind TEXT NOT NULL CHECK (kind IN ('requester', 'reply', 'note')),
            body TEXT NOT NULL,
            author TEXT NOT NULL,
            create_time INTEGER NOT NULL
          );
          CREATE INDEX support_messages_ticket ON support_messages (ticket_id, id);
          -- Challenges that opened a ticket, kept until they would be refused as expired anyway.
          CREATE TABLE support_spent_challenges (
            id TEXT PRIMARY KEY,
            expire_time INTEGER NOT NULL
          ) WITHOUT ROWID;
          CREATE INDEX support_spent_challenges_expire ON support_spent_challenges (expire_time);
          -- The current follow-up code of a ticket (its HMAC only).
          CREATE TABLE support_access_codes (
            ticket_id INTEGER PRIMARY KEY REFERENCES support_tickets(id),
            code_hash BLOB NOT NULL,
            expire_time INTEGER NOT NULL
          );
          """)
    }
  ]
}
