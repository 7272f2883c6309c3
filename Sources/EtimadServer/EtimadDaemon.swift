import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Prometheus
import ServiceLifecycle
import Synchronization

/// The daemon's version.
public enum EtimadVersion {
  public static let current = "0.1.0"
}

/// Where a running daemon listens.
public struct Endpoints: Sendable, CustomStringConvertible {
  public let host: String
  public let publicPort: Int
  public let agencyPort: Int
  /// nil when the metrics endpoint is off.
  public let metricsPort: Int?

  /// The line `etimadd serve` prints when it is ready, for scripts and tests to parse.
  public func readyLine(identity: ServerIdentity) -> String {
    "etimadd ready public=\(host):\(publicPort) agency=\(host):\(agencyPort) "
      + "metrics=\(metricsPort.map { "\(host):\($0)" } ?? "off") "
      + "ca=\(identity.paths.caCertificate) agency-ca=\(identity.paths.agencyCACertificate)"
  }

  public var description: String { "public \(host):\(publicPort), agency \(host):\(agencyPort)" }
}

/// The assembled daemon: both listeners over one service graph, the metrics endpoint and the
/// health store, run as one `Service`. On graceful shutdown health turns NOT_SERVING first and
/// stays so, with calls still served, for `shutdown_drain_seconds` (so that load balancers
/// polling health see it); then both listeners stop accepting and drain their in-flight calls
/// together. Cancellation (past the grace period) stops everything at once.
public final class EtimadDaemon: Service, Sendable {
  public let config: ServerConfig
  public let identity: ServerIdentity
  public let database: EtimadDatabase
  public let health: HealthStatusStore
  public let registry: PrometheusCollectorRegistry
  let publicServer: EtimadGRPCServer
  let agencyServer: EtimadGRPCServer
  let publicTransport: HTTP2ServerTransport.Posix
  let agencyTransport: HTTP2ServerTransport.Posix
  let metrics: MetricsEndpoint?
  let metricsPort: Int?
  let serviceNames: [String]
  let outbox: OutboxWorker
  let jobs: [PeriodicJob]
  let logger: Logger
  /// Why a listener could not start, once `serve` knows: `endpoints()` reports this cause
  /// (such as "address already in use") rather than the transport's "no listening address".
  private let listenFailure = Mutex<ListenError?>(nil)

  init(
    config: ServerConfig, identity: ServerIdentity, database: EtimadDatabase, health: HealthStatusStore,
    registry: PrometheusCollectorRegistry, publicServer: EtimadGRPCServer, agencyServer: EtimadGRPCServer,
    publicTransport: HTTP2ServerTransport.Posix, agencyTransport: HTTP2ServerTransport.Posix,
    metrics: MetricsEndpoint?, metricsPort: Int?,
    serviceNames: [String], outbox: OutboxWorker, jobs: [PeriodicJob], logger: Logger
  ) {
    self.config = config
    self.identity = identity
    self.database = database
    self.health = health
    self.registry = registry
    self.publicServer = publicServer
    self.agencyServer = agencyServer
    self.publicTransport = publicTransport
    self.agencyTransport = agencyTransport
    self.metrics = metrics
    self.metricsPort = metricsPort
    self.serviceNames = serviceNames
    self.outbox = outbox
    self.jobs = jobs
    self.logger = logger
  }

  /// Serves until graceful shutdown (or cancellation). Fails with `ListenError` when a port
  /// cannot be bound.
  public func run() async throws {
    try await withThrowingDiscardingTaskGroup { group in
      group.addTask { try await self.serve(self.publicServer, listener: .public, port: self.config.publicPort) }
      group.addTask { try await self.serve(self.agencyServer, listener: .agency, port: self.config.agencyPort) }
      if let metrics = self.metrics { group.addTask { try await metrics.run() } }
      group.addTask { try await self.outbox.run() }
      for job in self.jobs { group.addTask { await self.repeatedly(job) } }
      group.addTask {
        let endpoints = try await self.endpoints()
        for name in [""] + self.serviceNames { self.health.set(.serving, for: name) }
        self.logger.info(
          "serving",
          metadata: [
            "listen.public": "\(endpoints.host):\(endpoints.publicPort)",
            "listen.agency": "\(endpoints.host):\(endpoints.agencyPort)",
            "listen.metrics": "\(endpoints.metricsPort.map(String.init) ?? "off")",
          ])
      }
      group.addTask { await self.drainOnShutdown() }
    }
    logger.info("stopped")
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
    metrics?.close()
  }

  /// Runs `job` every interval until the daemon stops; a failure is logged, not fatal.
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
  public func endpoints() async throws -> Endpoints {
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
    return Endpoints(
      host: config.host,
      publicPort: try await port(publicTransport, .public, config.publicPort),
      agencyPort: try await port(agencyTransport, .agency, config.agencyPort),
      metricsPort: metricsPort)
  }
}

/// A listener could not start; the message names the address and the cause.
public struct ListenError: Error, CustomStringConvertible {
  public let listener: Listener
  public let host: String
  public let port: Int
  public let underlying: any Error

  public var description: String {
    let cause =
      (underlying as? RuntimeError).map { "\($0.message)\($0.cause.map { ": \($0)" } ?? "")" }
      ?? "\(underlying)"
    return "cannot listen on \(host):\(port) (\(listener.rawValue) port): \(cause)"
  }
}
