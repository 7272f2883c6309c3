import Etimad
import EtimadKit
import EtimadServer
import Foundation
import GRPCCore
import Logging
import ServiceLifecycle

/// A real daemon for a test: a fresh data directory, ports picked by the kernel, TLS on, run
/// under a `ServiceGroup` as `etimadd serve` runs it.
struct TestDaemon: Sendable {
  let daemon: EtimadDaemon
  let group: ServiceGroup
  let endpoints: Endpoints
  let dataDirectory: String

  var caPEM: String { daemon.identity.developmentCA.certificatePEM }

  /// A client of the public port that trusts the development CA.
  func publicClient(language: String = "ar") -> EtimadClient.Configuration {
    EtimadClient.Configuration(
      host: "127.0.0.1", port: endpoints.publicPort, trustRootsPEM: [caPEM], acceptLanguage: language,
      defaultTimeout: .seconds(20))
  }

  /// Starts a daemon, runs `body`, then shuts the daemon down gracefully and removes its data.
  static func with<T: Sendable>(
    dataDirectory: String? = nil, clock: any WallClock = SystemClock(),
    configure: (inout ServerConfig) -> Void = { _ in },
    _ body: @Sendable (TestDaemon) async throws -> T
  ) async throws -> T {
    let directory = dataDirectory ?? TemporaryDirectory.make()
    var config = ServerConfig()
    config.dataDirectory = directory
    config.publicPort = 0
    config.agencyPort = 0
    config.metricsPort = 0
    config.shutdownGraceSeconds = 5
    // Tests stop at once; the drain delay has a test of its own.
    config.shutdownDrainSeconds = 0
    // Cheap password hashes: the cost parameter is stored with each hash, so the rules are
    // the same; production uses 15.
    config.passwordHashLogN = 10
    configure(&config)
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let daemon = try await buildServer(config: config, logger: logger, clock: clock)
    let group = ServiceGroup(
      configuration: .init(services: daemon.services, gracefulShutdownSignals: [], logger: logger))
    return try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask { try await group.run() }
      let endpoints = try await daemon.endpoints()
      // Wait until the daemon reports SERVING, as a load balancer would.
      while daemon.health.status(of: "") != .serving { try await Task.sleep(for: .milliseconds(5)) }
      let test = TestDaemon(daemon: daemon, group: group, endpoints: endpoints, dataDirectory: directory)
      do {
        let result = try await body(test)
        await group.triggerGracefulShutdown()
        try await tasks.waitForAll()
        if dataDirectory == nil { try? FileManager.default.removeItem(atPath: directory) }
        return result
      } catch {
        await group.triggerGracefulShutdown()
        try? await tasks.waitForAll()
        throw error
      }
    }
  }
}

enum TemporaryDirectory {
  static func make() -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("etimad-test-\(UUID().uuidString)").path
    try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}

/// The built executables next to the test bundle (`.build/<config>/`).
enum Products {
  static var directory: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  }

  static func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
}

#if canImport(FoundationNetworking)
  import FoundationNetworking
#endif

/// A plain HTTP GET (the metrics endpoint is plain HTTP on loopback).
enum URLSessionless {
  static func get(_ url: String) async throws -> (Data, Int) {
    let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
    return (data, (response as? HTTPURLResponse)?.statusCode ?? 0)
  }
}
