import Etimad
import EtimadPayments
import EtimadServer
import EtimadTestSupport
import Foundation
import GRPCCore
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@Suite("Graceful shutdown")
struct ShutdownTests {
  @Test("health turns NOT_SERVING for watchers before the listeners drain, and the daemon stops")
  func healthFlipsBeforeDrain() async throws {
    var config = ServerConfig()
    config.dataDirectory = TemporaryDirectory.make()
    config.publicPort = 0
    config.agencyPort = 0
    config.metricsPort = -1
    defer { try? FileManager.default.removeItem(atPath: config.dataDirectory) }
    var logger = Logger(label: "test")
    logger.logLevel = .warning
    let daemon = try await buildServer(config: config, logger: logger)
    let group = ServiceGroup(
      configuration: .init(services: daemon.services, gracefulShutdownSignals: [], logger: logger))
    let stopped = Flag()
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask {
        try await group.run()
        stopped.set()
      }
      let endpoints = try await daemon.endpoints()
      while daemon.health.status(of: "") != .serving { try await Task.sleep(for: .milliseconds(5)) }
      // A generous deadline: on a loaded machine the watch may take a while to see both statuses.
      let configuration = EtimadClient.Configuration(
        host: "127.0.0.1", port: endpoints.publicPort, trustRootsPEM: [daemon.identity.developmentCA.certificatePEM],
        defaultTimeout: .seconds(60))
      try await EtimadClient.withClient(configuration) { client in
        // Given a client watching the daemon's health
        let seen = try await client.health.watch(.init()) { response in
          var statuses: [Grpc_Health_V1_HealthCheckResponse.ServingStatus] = []
          for try await message in response.messages {
            statuses.append(message.status)
            if statuses.count == 1 {
              // When the daemon is told to shut down (what SIGTERM does)
              #expect(!stopped.isSet)
              await group.triggerGracefulShutdown()
            }
          }
          return statuses
        }
        // Then the watcher saw SERVING, then NOT_SERVING, and its stream ended cleanly
        #expect(seen == [.serving, .notServing])
      }
      try await tasks.waitForAll()
      // And the daemon stopped
      #expect(stopped.isSet)
      #expect(daemon.health.status(of: "") == .notServing)
    }
  }

  @Test("a SIGTERM to etimadd serve exits 0")
  func sigterm() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let daemon = try DaemonProcess.start(directory, ["--log-level", "warning"])
    #expect(daemon.readyLine.hasPrefix("etimadd ready public=127.0.0.1:"))
    daemon.terminate()
    #expect(await daemon.exit() == 0)
  }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}

@Suite("SIGTERM under write load")
struct ShutdownUnderLoadTests {
  @Test("etimadd serve exits 0 within the grace period plus a margin, however busy it is")
  func sigtermUnderLoad() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let sector = try #require(PaymentsCatalogue.sectors.first)
    let service = try #require(PaymentsCatalogue.services.first { $0.sectorCode == sector.code }).code
    let issued = try await AgencyAdministration(dataDirectory: directory).add(
      code: sector.agencyCode, nameAr: sector.nameAr, nameEn: sector.nameEn, outputDirectory: directory + "/agencies",
      operator: "test")
    let identity = (
      try String(contentsOfFile: issued.certificatePath, encoding: .utf8),
      try String(contentsOfFile: issued.keyPath, encoding: .utf8)
    )
    let ca = try String(contentsOfFile: directory + "/tls/ca.pem", encoding: .utf8)
    for round in 0..<3 {
      let daemon = try DaemonProcess.start(
        directory, ["--shutdown-grace", "1", "--shutdown-drain", "0", "--log-level", "warning"])
      var configuration = EtimadClient.Configuration(
        host: "127.0.0.1", port: daemon.agencyPort, trustRootsPEM: [ca], acceptLanguage: "en",
        defaultTimeout: .seconds(20))
      configuration.clientIdentity = identity
      configuration.employee = "emp-load"
      let acknowledged = AsyncCounter()
      try await EtimadClient.withClient(configuration) { client in
        try await withThrowingTaskGroup(of: Void.self) { writers in
          // Given eight agencies' writers recording payments as fast as they can
          for _ in 0..<8 {
            writers.addTask {
              while !Task.isCancelled {
                do {
                  _ = try await client.record(sector: sector.code, service: service)
                  await acknowledged.increment()
                } catch {
                  return
                }
              }
            }
          }
          try await acknowledged.wait(for: 20)
          // When the daemon gets SIGTERM
          let clock = ContinuousClock()
          let start = clock.now
          daemon.terminate()
          let status = await daemon.exit()
          let took = clock.now - start
          writers.cancelAll()
          // Then it exits 0, within the grace period and a bounded margin
          #expect(status == 0, "round \(round): exit status \(status); stderr: \(daemon.stderr())")
          #expect(took < .seconds(1 + 5), "round \(round): took \(took)")
        }
      }
    }
  }
}

/// `etimadd serve` as a child process on ephemeral ports.
struct DaemonProcess: Sendable {
  let child: ChildProcess
  let publicPort: Int
  let agencyPort: Int
  let readyLine: String

  static func start(_ directory: String, _ extra: [String]) throws -> DaemonProcess {
    let child = try ChildProcess.spawn(
      Products.path("etimadd"),
      ["serve", "--data-dir", directory, "--public-port", "0", "--agency-port", "0", "--metrics-port", "-1"] + extra)
    let line = child.stdout?.readLine() ?? ""
    func port(_ name: String) -> Int {
      guard let range = line.range(of: "\(name)=127.0.0.1:") else { return 0 }
      return Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }
    return DaemonProcess(child: child, publicPort: port("public"), agencyPort: port("agency"), readyLine: line)
  }

  /// Sends SIGTERM, as an init system stops the daemon.
  func terminate() { child.send(SIGTERM) }

  /// Waits for the process on a thread of its own and returns its exit status.
  func exit() async -> Int32 { await child.exit() }

  /// Everything the daemon wrote on its standard error (read after it exited).
  func stderr() -> String {
    String(decoding: child.stderr?.readToEnd() ?? [], as: UTF8.self)
  }
}
