import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Logging
import Prometheus
import ServiceLifecycle

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

/// The assembled daemon: its long-running pieces, each a `Service` of one `ServiceGroup`,
/// listed in start order so that the group stops them in reverse: first the listeners (health
/// NOT_SERVING, the drain delay, then in-flight calls drained), then the periodic jobs, then
/// the SMS outbox (so that codes sent during the drain still go out), the metrics endpoint last.
public final class EtimadDaemon: Sendable {
  public let config: ServerConfig
  public let identity: ServerIdentity
  public let database: EtimadDatabase
  public let health: HealthStatusStore
  public let registry: PrometheusCollectorRegistry
  let listeners: Listeners
  let metrics: MetricsEndpoint?
  let metricsPort: Int?
  let outbox: OutboxWorker
  let jobs: PeriodicJobs

  init(
    config: ServerConfig, identity: ServerIdentity, database: EtimadDatabase, health: HealthStatusStore,
    registry: PrometheusCollectorRegistry, listeners: Listeners, metrics: MetricsEndpoint?, metricsPort: Int?,
    outbox: OutboxWorker, jobs: PeriodicJobs
  ) {
    self.config = config
    self.identity = identity
    self.database = database
    self.health = health
    self.registry = registry
    self.listeners = listeners
    self.metrics = metrics
    self.metricsPort = metricsPort
    self.outbox = outbox
    self.jobs = jobs
  }

  /// The services for a `ServiceGroup`, in start order (the group stops them in reverse).
  public var services: [ServiceGroupConfiguration.ServiceConfiguration] {
    let pieces: [any Service] = (metrics.map { [$0] } ?? []) + [outbox, jobs, listeners]
    return pieces.map { .init(service: $0) }
  }

  /// The bound ports; waits until both listeners are listening. Fails with `ListenError`
  /// (and its cause) when one cannot be bound.
  public func endpoints() async throws -> Endpoints {
    let (publicPort, agencyPort) = try await listeners.ports()
    return Endpoints(host: config.host, publicPort: publicPort, agencyPort: agencyPort, metricsPort: metricsPort)
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
