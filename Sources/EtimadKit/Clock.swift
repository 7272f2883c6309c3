import Foundation
import Synchronization

/// The wall clock the rules read, so that tests can set the time (code expiry, overdue
/// instalments, tender dates) instead of waiting for it.
public protocol WallClock: Sendable {
  var now: Date { get }
}

/// The system's clock.
public struct SystemClock: WallClock {
  public init() {}
  public var now: Date { Date() }
}

/// A clock that stands still until a test moves it.
public final class ManualClock: WallClock {
  private let time: Mutex<Date>

  public init(_ start: Date = Date(timeIntervalSince1970: 1_764_000_000)) {
    self.time = Mutex(start)
  }

  public var now: Date { time.withLock { $0 } }

  public func set(_ date: Date) { time.withLock { $0 = date } }

  public func advance(by seconds: TimeInterval) { time.withLock { $0 += seconds } }
}
