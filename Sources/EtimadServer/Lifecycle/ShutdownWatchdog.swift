import Dispatch
import Foundation
import Logging
import Synchronization

/// The last line of defence of `etimadd serve`: once SIGTERM or SIGINT arrives, the process
/// must be gone within `limit` (the drain delay, the grace period and a margin). If anything
/// blocks the orderly stop past that, the watchdog logs it and exits at once with status 70
/// (EX_SOFTWARE), so an orchestrator never waits on a daemon that will not stop.
public final class ShutdownWatchdog {
  public static let exitStatus: Int32 = 70
  private let sources: [any DispatchSourceSignal]

  /// Arms the watchdog for `signals`; it fires only after one of them arrives.
  public init(limit: Duration, signals: [Int32] = [SIGTERM, SIGINT], logger: Logger) {
    let queue = DispatchQueue(label: "etimadd.shutdown-watchdog")
    let fired = ManagedAtomicFlag()
    sources = signals.map { signal in
      let source = DispatchSource.makeSignalSource(signal: signal, queue: queue)
      source.setEventHandler {
        guard fired.setOnce() else { return }
        let nanoseconds = limit.components.seconds * 1_000_000_000 + limit.components.attoseconds / 1_000_000_000
        queue.asyncAfter(deadline: .now() + .nanoseconds(Int(nanoseconds))) {
          logger.critical(
            "shutdown did not finish in time; exiting hard",
            metadata: [
              "shutdown.limit_seconds": .stringConvertible(limit / .seconds(1)),
              "exit.status": .stringConvertible(Self.exitStatus),
            ])
          fflush(nil)
          _exit(Self.exitStatus)
        }
      }
      source.resume()
      return source
    }
  }
}

/// A flag that is set once, from any thread.
private final class ManagedAtomicFlag: Sendable {
  private let state = Mutex(false)

  /// true the first time only.
  func setOnce() -> Bool {
    state.withLock { set in
      defer { set = true }
      return !set
    }
  }
}
