import Foundation
import GRDB

/// Who made a change that no RPC caller asked for: the operator on the host, or the daemon
/// itself (a periodic job, `etimadd demo`). Its audit rows carry `kind` and `id` where an RPC
/// change carries the caller.
public struct AuditActor: Sendable, Hashable {
  /// `operator` or `system`.
  public let kind: String
  /// The operator's user name, or the name of the job or tool.
  public let id: String

  /// The operator running an `etimadd` command, by user name.
  public static func `operator`(_ user: String) -> AuditActor { AuditActor(kind: "operator", id: user) }

  /// The daemon itself: a job (`debts`) or a tool (`etimadd demo`).
  public static func system(_ name: String) -> AuditActor { AuditActor(kind: "system", id: name) }
}

/// The audit trail of one `EtimadDatabase.write(as:method:_:)`: appends rows for its actor and
/// method in the write's own transaction, so that a change and its rows commit or roll back
/// together.
public struct AuditTrail {
  public let actor: AuditActor
  /// What was run, such as `etimadd agency add` or `job/instalment-plan-defaults`.
  public let method: String
  /// The time of the write (the database's clock), for the change and its rows alike.
  public let now: Date
  let db: Database

  /// Appends a row about `target` (such as `agency/MOF`) with a short English summary.
  public func record(target: String, summary: String) throws {
    try AuditLog.append(
      db, kind: actor.kind, id: actor.id, employee: nil, method: method, target: target, requestID: nil,
      peer: "local", summary: summary, time: now)
  }
}

/// A write through `write(as:method:_:)` or an audited `bookkeeping` kind changed rows and
/// left no audit row. A programming error: the write is rolled back.
public struct UnauditedWrite: Error, CustomStringConvertible {
  public let method: String
  public var description: String { "\(method) changed data without an audit row; nothing was written" }
}

/// Writes on the request path that are not the change a caller asked for, so that they cannot
/// go through `mutate` (whose rollback on the call's error would undo them): each kind is
/// named here with whether it is audited.
public enum Bookkeeping: String, Sendable, CaseIterable {
  /// A failed password check counted against an ID, and the lockout it may reach (and the
  /// session it then revokes). Audited, every failure and the lockout: they are the account's
  /// security events.
  case signInFailure
  /// A wrong one-time code counted against its ticket. Audited: a wrong code is a failed
  /// sign-in step, like a wrong password. A right code writes nothing here (the change that
  /// spends the ticket is a `mutate`).
  case oneTimeCodeAttempt
  /// A session's idle expiry moved on as the session is used (at most once a minute). Not
  /// audited: it is no one's change, and a row per touch would bury the trail; the session's
  /// start, revocation and end are audited.
  case sessionTouch
  /// An outbox message marked sent, or failed with its next attempt. Not audited: delivery
  /// state of a message that was audited with the change that queued it; failures are logged.
  case outboxDelivery

  /// Whether a write of this kind must leave an audit row when it changes anything.
  public var audited: Bool {
    switch self {
    case .signInFailure, .oneTimeCodeAttempt: true
    case .sessionTouch, .outboxDelivery: false
    }
  }
}

/// A bulk load begun with `EtimadDatabase.beginBulkLoad`: each `batch` is a write
/// transaction of its own.
public struct BulkLoad: Sendable {
  let database: EtimadDatabase

  /// Runs one batch of the load in a write transaction of its own.
  public func batch<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    try await database.writeTransaction(body)
  }
}

extension EtimadDatabase {
  /// A change by someone other than an RPC caller: an operator command, a periodic job, demo
  /// data. One transaction; `change` writes its audit rows through the trail it is given (or
  /// with `AuditLog.append` for the same actor) in that transaction. A change that writes rows
  /// but no audit row is refused (`UnauditedWrite`); one that writes nothing needs none. A
  /// thrown error rolls the change and its rows back.
  public func write<T: Sendable>(
    as actor: AuditActor, method: String,
    _ change: @escaping @Sendable (Database, AuditTrail) throws -> T
  ) async throws -> T {
    let now = clock.now
    return try await writeTransaction { db in
      try Self.requiringAudit(db, method: method) {
        try change(db, AuditTrail(actor: actor, method: method, now: now, db: db))
      }
    }
  }

  /// Bookkeeping of the request path (see `Bookkeeping` for the kinds and which are audited):
  /// one transaction of its own, committed even though the call it belongs to may then fail.
  /// An audited kind writes its rows itself, with the caller as principal (`AuditLog.append`);
  /// one that changes rows without a row is refused (`UnauditedWrite`).
  public func bookkeeping<T: Sendable>(
    _ kind: Bookkeeping, _ body: @escaping @Sendable (Database, Date) throws -> T
  ) async throws -> T {
    let now = clock.now
    return try await writeTransaction { db in
      guard kind.audited else { return try body(db, now) }
      return try Self.requiringAudit(db, method: "bookkeeping \(kind.rawValue)") { try body(db, now) }
    }
  }

  /// Begins loading bulk data for benchmarks, in batches of one transaction each
  /// (`BulkLoad.batch`), outside the exactly-once path. ONE audit row for the whole load,
  /// `audit`, is written by `actor` now, before the first batch, so that no loaded row is
  /// without it: word its summary as what the load was asked to write. A load that fails part
  /// way keeps the batches it committed, and that row.
  public func beginBulkLoad(as actor: AuditActor, method: String, audit: AuditRecord) async throws -> BulkLoad {
    try await write(as: actor, method: method) { _, trail in
      try trail.record(target: audit.target, summary: audit.summary)
    }
    return BulkLoad(database: self)
  }

  /// Runs `body` and refuses its transaction when it changed rows but appended no audit row.
  private static func requiringAudit<T>(_ db: Database, method: String, _ body: () throws -> T) throws -> T {
    let changes = db.totalChangesCount
    let lastAudit = try Int64.fetchOne(db, sql: "SELECT max(id) FROM audit")
    let result = try body()
    if db.totalChangesCount != changes, try Int64.fetchOne(db, sql: "SELECT max(id) FROM audit") == lastAudit {
      throw UnauditedWrite(method: method)
    }
    return result
  }
}
