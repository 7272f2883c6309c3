import Etimad
import EtimadServer
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
      configuration: .init(services: [.init(service: daemon)], gracefulShutdownSignals: [], logger: logger))
    let stopped = Flag()
    try await withThrowingTaskGroup(of: Void.self) { tasks in
      tasks.addTask {
        try await group.run()
        stopped.set()
      }
      let endpoints = try await daemon.endpoints()
      while daemon.health.status(of: "") != .serving { try await Task.sleep(for: .milliseconds(5)) }
      let configuration = EtimadClient.Configuration(
        host: "127.0.0.1", port: endpoints.publicPort, trustRootsPEM: [daemon.identity.developmentCA.certificatePEM])
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
  func sigterm() throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: Products.path("etimadd"))
    process.arguments = [
      "serve", "--data-dir", directory, "--public-port", "0", "--agency-port", "0", "--metrics-port", "-1",
      "--log-level", "warning",
    ]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = FileHandle.nullDevice
    try process.run()
    // Wait for the ready line, then send SIGTERM.
    var buffer = Data()
    while !buffer.contains(UInt8(ascii: "\n")) {
      let chunk = out.fileHandleForReading.availableData
      if chunk.isEmpty { break }
      buffer.append(chunk)
    }
    #expect(String(decoding: buffer, as: UTF8.self).hasPrefix("etimadd ready public=127.0.0.1:"))
    kill(process.processIdentifier, SIGTERM)
    process.waitUntilExit()
    #expect(process.terminationReason == .exit)
    #expect(process.terminationStatus == 0)
  }
}

/// A flag one task sets and another reads.
final class Flag: Sendable {
  private let value = Mutex(false)
  func set() { value.withLock { $0 = true } }
  var isSet: Bool { value.withLock { $0 } }
}
