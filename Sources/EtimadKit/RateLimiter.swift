import Foundation
import Synchronization

/// Token buckets by key (a peer address, an ID number): each key may spend `capacity` at once
/// and regains `refillPerSecond`. Idle buckets are forgotten, so memory stays bounded by the
/// keys active in the last few minutes.
public final class RateLimiter: Sendable {
  public struct Limit: Sendable, Hashable {
    public var capacity: Double
    public var refillPerSecond: Double

    public init(capacity: Double, refillPerSecond: Double) {
      self.capacity = capacity
      self.refillPerSecond = refillPerSecond
    }

    /// `perMinute` calls a minute, with bursts of as many.
    public static func perMinute(_ count: Double) -> Limit {
      Limit(capacity: count, refillPerSecond: count / 60)
    }
  }

  private struct Bucket {
    var tokens: Double
    var updated: Double
  }

  private let limit: Limit
  private let buckets = Mutex<[String: Bucket]>([:])
  private let lastSweep = Mutex<Double>(0)

  public init(_ limit: Limit) {
    self.limit = limit
  }

  /// Takes one token for `key`; returns nil when allowed, or how long to wait.
  public func take(_ key: String, now: Date = Date()) -> Duration? {
    let time = now.timeIntervalSince1970
    sweep(now: time)
    return buckets.withLock { buckets in
      var bucket = buckets[key] ?? Bucket(tokens: limit.capacity, updated: time)
      bucket.tokens = min(limit.capacity, bucket.tokens + (time - bucket.updated) * limit.refillPerSecond)
      bucket.updated = time
      defer { buckets[key] = bucket }
      if bucket.tokens >= 1 {
        bucket.tokens -= 1
        return nil
      }
      let seconds = (1 - bucket.tokens) / max(limit.refillPerSecond, 1e-9)
      return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }
  }

  /// Drops buckets that have refilled completely: they hold nothing worth remembering.
  private func sweep(now: Double) {
    let due = lastSweep.withLock { last -> Bool in
      guard now - last > 60 else { return false }
      last = now
      return true
    }
    guard due else { return }
    let full = limit.capacity / max(limit.refillPerSecond, 1e-9)
    buckets.withLock { buckets in buckets = buckets.filter { now - $0.value.updated < full } }
  }
}
