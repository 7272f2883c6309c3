import EtimadKit
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import ServiceLifecycle
import Synchronization

/// Both gRPC listeners (public TLS, agencies' mutual TLS) over one service graph, as one
/// `Service`. Health turns SERVING once both are bound. On graceful shutdown health turns
/// NOT_SERVING first and stays so, with calls still served, for `shutdown_drain_seconds` (so
/// that load balancers polling health see it); then both stop accepting and drain their
/// in-flight calls together. Cancellation (past the grace period) stops them at once.
final class Listeners: Service, Sendable {
  let config: ServerConfig
  let health: HealthStatusStore
  let serviceNames: [String]
  let logger: Logger
  let publicServer: EtimadGRPCServer
  let agencyServer: EtimadGRPCServer
  let publicTransport: HTTP2ServerTransport.Posix
  let agencyTransport: HTTP2ServerTransport.Posix
  /// Why a listener could not start, once `serve` knows: `endpoints()` reports this cause
  /// (such as "address already in use") rather than the transport's "no listening address".
  private let listenFailure = Mutex<ListenError?>(nil)

  init(
    config: ServerConfig, health: HealthStatusStore, serviceNames: [String], logger: Logger,
    publicServer: EtimadGRPCServer, agencyServer: EtimadGRPCServer,
    publicTransport: HTTP2ServerTransport.Posix, agencyTransport: HTTP2ServerTransport.Posix
  ) {
    self.config = config
    self.health = health
    self.serviceNames = serviceNames
    self.logger = logger
    self.publicServer = publicServer
    self.agencyServer = agencyServer
    self.publicTransport = publicTransport
    self.agencyTransport = agencyTransport
  }

  /// Serves until graceful shutdown (or cancellation). Fails with `ListenError` when a port
  /// cannot be bound.
  func run() async throws {
    try await withThrowingDiscardingTaskGroup { group in
      group.addTask { try await self.serve(self.publicServer, listener: .public, port: self.config.publicPort) }
      group.addTask { try await self.serve(self.agencyServer, listener: .agency, port: self.config.agencyPort) }
      group.addTask {
        let (publicPort, agencyPort) = try await self.ports()
        for name in [""] + self.serviceNames { self.health.set(.serving, for: name) }
        self.logger.info(
          "serving",
          metadata: [
            "listen.public": "\(self.config.host):\(publicPort)", "listen.agency": "\(self.config.host):\(agencyPort)",
          ])
      }
      group.addTask { await self.drainOnShutdown() }
    }
  }

  /// Waits for graceful shutdown, then turns health NOT_SERVING, keeps serving for the drain
  /// delay, and asks both listeners to stop accepting and finish their calls. Cancellation
  /// (no graceful shutdown, or one cut short) ends the wait at once.
  private func drainOnShutdown() async {
    do {
      try await gracefulShutdown()
    } catch {
      return
    }
    let drain = config.shutdownDrainSeconds
    logger.info(
      "graceful shutdown: health NOT_SERVING, then draining in-flight calls",
      metadata: [
        "shutdown.drain_seconds": .stringConvertible(drain),
        "shutdown.grace_seconds": .stringConvertible(config.shutdownGraceSeconds),
      ])
    health.enterShutdown()
    if drain > 0 { try? await Task.sleep(for: .milliseconds(Int64(drain * 1000))) }
    publicServer.beginGracefulShutdown()
    agencyServer.beginGracefulShutdown()
  }

  private func serve(_ server: EtimadGRPCServer, listener: Listener, port: Int) async throws {
    do {
      try await server.serve()
    } catch {
      let failure = ListenError(listener: listener, host: config.host, port: port, underlying: error)
      listenFailure.withLock { $0 = $0 ?? failure }
      throw failure
    }
  }

  /// The bound ports; waits until both listeners are listening.
  func ports() async throws -> (public: Int, agency: Int) {
    func port(_ transport: HTTP2ServerTransport.Posix, _ listener: Listener, _ configured: Int) async throws -> Int {
      do {
        let address = try await transport.listeningAddress
        return address.ipv4?.port ?? address.ipv6?.port ?? configured
      } catch {
        // The transport says only that nothing is bound; `serve` has (or is about to have)
        // the cause. Wait briefly for it.
        for _ in 0..<200 {
          if let failure = listenFailure.withLock({ $0 }) { throw failure }
          try? await Task.sleep(for: .milliseconds(10))
        }
        throw ListenError(listener: listener, host: config.host, port: configured, underlying: error)
      }
    }
    return (
      try await port(publicTransport, .public, config.publicPort),
      try await port(agencyTransport, .agency, config.agencyPort)
    )
  }
}

/// The areas' periodic jobs as one `Service`: each runs every interval until graceful
/// shutdown; a failing run is logged and retried at the next interval.
struct PeriodicJobs: Service {
  let jobs: [PeriodicJob]
  let logger: Logger

  func run() async {
    await withDiscardingTaskGroup { group in
      for job in jobs { group.addTask { await repeatedly(job) } }
    }
  }

  private func repeatedly(_ job: PeriodicJob) async {
    while !Task.isCancelled && !Task.isShuttingDownGracefully {
      do {
        try await job.run()
      } catch is CancellationError {
        return
      } catch {
        logger.error("periodic job failed", metadata: ["job.name": "\(job.name)", "error": "\(error)"])
      }
      do {
        try await cancelWhenGracefulShutdown { try await Task.sleep(for: job.interval) }
      } catch {
        return
      }
    }
  }
}
