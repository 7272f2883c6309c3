import Foundation
import GRDB

/// Messages to the outside world (SMS today), written in the same transaction as the change
/// that causes them and delivered afterwards by a worker with retries: a code is sent if and
/// only if its ticket was committed.
public enum Outbox {
  /// One message waiting for delivery.
  public struct Message: Sendable, Hashable, FetchableRecord, Decodable {
    public let id: Int64
    public let channel: String
    public let recipient: String
    public let body: String
    public let attempts: Int
  }

  static let migration = Migration("kit.v2.outbox") { db in
    try db.execute(
      sql: """
        CREATE TABLE outbox (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          channel TEXT NOT NULL,
          recipient TEXT NOT NULL,
          body TEXT NOT NULL,
          create_time REAL NOT NULL,
          next_attempt_time REAL NOT NULL,
          attempts INTEGER NOT NULL DEFAULT 0,
          sent_time REAL,
          failed_time REAL,
          last_error TEXT
        );
        CREATE INDEX outbox_due ON outbox (next_attempt_time) WHERE sent_time IS NULL AND failed_time IS NULL;
        """)
  }

  /// Queues an SMS. Call inside the transaction of the change that sends it.
  public static func enqueueSMS(_ db: Database, to mobile: SaudiMobile, body: String, now: Date) throws {
    try db.execute(
      sql: "INSERT INTO outbox (channel, recipient, body, create_time, next_attempt_time) VALUES ('sms', ?, ?, ?, ?)",
      arguments: [mobile.e164, body, now.timeIntervalSince1970, now.timeIntervalSince1970])
  }

  /// Messages due for an attempt, oldest first.
  public static func due(_ db: Database, now: Date, limit: Int) throws -> [Message] {
    try Message.fetchAll(
      db,
      sql: """
        SELECT id, channel, recipient, body, attempts FROM outbox
        WHERE sent_time IS NULL AND failed_time IS NULL AND next_attempt_time <= ?
        ORDER BY id LIMIT ?
        """, arguments: [now.timeIntervalSince1970, limit])
  }

  public static func markSent(_ db: Database, id: Int64, now: Date) throws {
    try db.execute(
      sql: "UPDATE outbox SET sent_time = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?",
      arguments: [now.timeIntervalSince1970, id])
  }

  /// Records a failed attempt: retried after `retryAfter`, or given up when nil.
  public static func markFailed(_ db: Database, id: Int64, error: String, retryAfter: TimeInterval?, now: Date) throws {
    if let retryAfter {
      try db.execute(
        sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_time = ? WHERE id = ?",
        arguments: [error, now.timeIntervalSince1970 + retryAfter, id])
    } else {
      try db.execute(
        sql: "UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_time = ? WHERE id = ?",
        arguments: [error, now.timeIntervalSince1970, id])
    }
  }
}
