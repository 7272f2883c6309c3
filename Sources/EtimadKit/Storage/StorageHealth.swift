import Foundation
import GRDB
import Synchronization

/// Whether the store can take writes. A write refused for lack of disk space (SQLite's
/// SQLITE_FULL) marks the store full; the server then answers writes UNAVAILABLE, reports the
/// writing services NOT_SERVING in health, and probes with a tiny write until one succeeds.
/// Failures are logged once, then once per `logInterval` with how many there were meanwhile.
public final class StorageHealth: Sendable {
  public static let logInterval: TimeInterval = 60

  private struct State {
    var full = false
    var lastLog: Date?
    var unlogged = 0
  }

  private let state = Mutex(State())

  public init() {}

  public var isFull: Bool { state.withLock { $0.full } }

  /// Whether `error` is SQLite saying the disk (or the database's size limit) is full.
  public static func isFull(_ error: any Error) -> Bool {
    (error as? DatabaseError)?.resultCode == .SQLITE_FULL
  }

  /// Records a refused write. Returns how many refusals to log now (this one and those held
  /// back since the last line), or nil when this one is held back.
  public func recordFull(now: Date) -> Int? {
    state.withLock { state in
      state.full = true
      state.unlogged += 1
      if let last = state.lastLog, now.timeIntervalSince(last) < Self.logInterval { return nil }
      state.lastLog = now
      defer { state.unlogged = 0 }
      return state.unlogged
    }
  }

  /// Records a successful write; true when the store was full until now.
  public func recordWritable() -> Bool {
    state.withLock { state in
      defer {
        state.full = false
        state.lastLog = nil
        state.unlogged = 0
      }
      return state.full
    }
  }
}

extension EtimadDatabase {
  /// A one-row write that needs a little free space, as every real write does. Not audited:
  /// it changes no one's data (one fixed row of its own table).
  public func probeStorage() async throws {
    try await writeTransaction { db in
      try db.execute(
        sql: "INSERT OR REPLACE INTO storage_probe (id, time) VALUES (1, ?)",
        arguments: [Int64(clock.now.timeIntervalSince1970)])
    }
  }

  static let storageProbeMigration = Migration("kit.v2.storage_probe") { db in
    try db.execute(sql: "CREATE TABLE storage_probe (id INTEGER PRIMARY KEY, time INTEGER NOT NULL)")
  }
}
