import GRDB
import Synchronization

/// Gathers concurrent write transactions into one SQLite transaction, so that a burst of
/// changes costs one COMMIT and one fsync instead of one each (group commit).
///
/// Each write runs in a SAVEPOINT of its own inside the batch's transaction: one that throws
/// is rolled back alone and gets its own error, the others go on. Nobody is answered before
/// the COMMIT has returned, so an answer still means "on disk" (`synchronous=FULL`). If the
/// COMMIT itself fails (a full disk, an I/O error), or SQLite abandoned the whole transaction
/// on a savepoint's error, no write of the batch was acknowledged, and each is retried alone in
/// a transaction of its own: a bad neighbour never fails a good request.
///
/// A batch closes when the writer is free again, with at most `maximumBatch` writes: at low
/// load a write waits for no timer, it commits alone at once. The first caller to find the
/// writer idle starts a drain task that commits batches until nobody waits (a caller never
/// drains for others, so none waits longer than the batches ahead of it).
final class GroupCommit: Sendable {
  /// Runs a block on the database's writer connection, outside any transaction.
  typealias Writer = @Sendable (@escaping @Sendable (Database) throws -> Void) async throws -> Void

  private let writer: Writer
  private let maximumBatch: Int
  private let queue = Mutex(Queue())
  let statistics = Statistics()

  private struct Queue {
    var waiting: [any PendingWrite] = []
    var leading = false
  }

  init(maximumBatch: Int = 256, writer: @escaping Writer) {
    self.maximumBatch = maximumBatch
    self.writer = writer
  }

  /// Runs `body` in a savepoint of the next batch and returns its value once the batch is on
  /// disk. A thrown error rolls back this write alone.
  func write<T: Sendable>(_ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
    let pending = Pending(body)
    let leads = queue.withLock { queue in
      queue.waiting.append(pending)
      if queue.leading { return false }
      queue.leading = true
      return true
    }
    if leads { Task.detached { await self.drain() } }
    return try await pending.outcome()
  }

  /// Commits batches until nobody waits.
  private func drain() async {
    while true {
      let batch = queue.withLock { queue -> [any PendingWrite] in
        let batch = Array(queue.waiting.prefix(maximumBatch))
        queue.waiting.removeFirst(batch.count)
        if batch.isEmpty { queue.leading = false }
        return batch
      }
      if batch.isEmpty { return }
      await commit(batch)
    }
  }

  private func commit(_ batch: [any PendingWrite]) async {
    do {
      try await writer { db in
        try db.inTransaction(.immediate) {
          for pending in batch {
            do {
              try db.inSavepoint {
                try pending.run(db)
                return .commit
              }
            } catch {
              pending.refuse(error)
              // SQLite may abandon the whole transaction on some errors (a full disk, I/O);
              // then nothing of the batch stands and each write is tried again alone.
              guard db.isInsideTransaction else { throw BatchAbandoned() }
            }
          }
          return .commit
        }
      }
      statistics.record(batchSize: batch.count)
      for pending in batch { pending.answer() }
    } catch {
      if batch.count == 1 {
        batch[0].fail(error)
        return
      }
      // Not one write of the batch was acknowledged: each gets its own chance.
      for pending in batch {
        pending.reset()
        await commit([pending])
      }
    }
  }

  /// How many writes went into how many commits, since the start.
  final class Statistics: Sendable {
    private let counts = Mutex((commits: 0, writes: 0, sizes: [Int](repeating: 0, count: 10)))

    func record(batchSize: Int) {
      counts.withLock {
        $0.commits += 1
        $0.writes += batchSize
        // Buckets by powers of two: 1, 2-3, 4-7, ... 512 and more.
        $0.sizes[min(Int.bitWidth - 1 - batchSize.leadingZeroBitCount, 9)] += 1
      }
    }

    /// Commits, writes and the median batch size (the lower bound of its power-of-two bucket).
    var summary: (commits: Int, writes: Int, medianBatch: Int) {
      counts.withLock { counts in
        var seen = 0
        for (index, count) in counts.sizes.enumerated() {
          seen += count
          if seen * 2 >= counts.commits, counts.commits > 0 { return (counts.commits, counts.writes, 1 << index) }
        }
        return (counts.commits, counts.writes, 0)
      }
    }
  }
}

private struct BatchAbandoned: Error {}

/// One write waiting for its batch, its value or error, and the caller waiting for it.
private protocol PendingWrite: Sendable {
  func run(_ db: Database) throws
  func refuse(_ error: any Error)
  func reset()
  func answer()
  func fail(_ error: any Error)
}

private final class Pending<T: Sendable>: PendingWrite {
  private let body: @Sendable (Database) throws -> T
  private let state = Mutex(State())

  private struct State {
    /// What the body gave in the current attempt (set while the batch runs).
    var attempt: Result<T, any Error>?
    /// The final outcome, once the batch committed or failed.
    var outcome: Result<T, any Error>?
    var waiter: CheckedContinuation<T, any Error>?
  }

  init(_ body: @escaping @Sendable (Database) throws -> T) { self.body = body }

  func run(_ db: Database) throws {
    let value = try body(db)
    state.withLock { $0.attempt = .success(value) }
  }

  func refuse(_ error: any Error) { state.withLock { $0.attempt = .failure(error) } }

  func reset() { state.withLock { $0.attempt = nil } }

  func answer() {
    let attempt = state.withLock { $0.attempt }
    finish(attempt ?? .failure(BatchAbandoned()))
  }

  /// Ends the write with `error`, or with its own error if it had one (the real cause when it
  /// was the write that made SQLite abandon the transaction).
  func fail(_ error: any Error) {
    let own = state.withLock { state -> (any Error)? in
      if case .failure(let error) = state.attempt { return error }
      return nil
    }
    finish(.failure(own ?? error))
  }

  private func finish(_ outcome: Result<T, any Error>) {
    let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
      state.outcome = outcome
      defer { state.waiter = nil }
      return state.waiter
    }
    waiter?.resume(with: outcome)
  }

  func outcome() async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
      let known = state.withLock { state -> Result<T, any Error>? in
        if let outcome = state.outcome { return outcome }
        state.waiter = continuation
        return nil
      }
      if let known { continuation.resume(with: known) }
    }
  }
}
