import Synchronization

/// Sessions found by token, kept in memory between revocations. Every change that can end a
/// session (logout, RevokeSession, ChangePassword, password reset) empties the cache after
/// its transaction commits and before its RPC answers, so a revocation is never delayed;
/// expiry is still checked against the clock on every call. A lookup that raced with a
/// revocation is not stored: entries carry the generation they were read under.
/// With several daemons on one database this would need a shared signal (PostgreSQL NOTIFY);
/// the embedded SQLite store has exactly one daemon.
final class SessionCache: Sendable {
  private struct State {
    var generation: UInt64 = 0
    var entries: [String: StoredSession] = [:]
  }

  private let state = Mutex(State())
  /// Entries kept at most; the cache empties itself rather than grow past this.
  private let limit: Int

  init(limit: Int = 100_000) {
    self.limit = limit
  }

  /// The cached session for a token hash, and the generation to store a fresh read under.
  func lookup(_ tokenHash: String) -> (session: StoredSession?, generation: UInt64) {
    state.withLock { ($0.entries[tokenHash], $0.generation) }
  }

  /// Keeps `session` unless a revocation happened since `generation` was read.
  func store(_ tokenHash: String, _ session: StoredSession, readUnder generation: UInt64) {
    state.withLock {
      guard $0.generation == generation else { return }
      if $0.entries.count >= limit { $0.entries.removeAll(keepingCapacity: true) }
      $0.entries[tokenHash] = session
    }
  }

  /// Forgets every session; call after a change to the sessions table commits.
  func invalidate() {
    state.withLock {
      $0.generation &+= 1
      $0.entries.removeAll()
    }
  }
}
