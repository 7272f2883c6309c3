import Etimad
import EtimadKit
import EtimadServer
import Foundation
import GRPCCore
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// Connections that never finish their handshake, and the drain delay at shutdown.
@Suite("Connection limits and the drain at shutdown")
struct ConnectionLimitsTests {
  @Test("a connection that never starts its TLS handshake is closed after the handshake timeout")
  func handshakeTimeout() async throws {
    try await TestDaemon.with(configure: { $0.handshakeTimeoutSeconds = 0.5 }) { daemon in
      let clock = ContinuousClock()
      let start = clock.now
      // A raw TCP connection that sends nothing: the server must hang up on its own.
      let closed = try await RawSocket.waitForClose(port: daemon.endpoints.publicPort, limit: 30)
      #expect(closed, "the server kept a silent connection open for 30 s")
      #expect(clock.now - start < .seconds(30))
      // (Real clients finish within the default 10 s: every other test connects under it.)
    }
  }

  // A long drain so that the calls below fit in it even on a loaded machine.
  @Test("after shutdown begins, health says NOT_SERVING while calls are still served for the drain delay")
  func drainDelay() async throws {
    try await TestDaemon.with(configure: { $0.shutdownDrainSeconds = 15 }) { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        // When shutdown begins (what SIGTERM does)
        let shutdown = Task { await daemon.group.triggerGracefulShutdown() }
        // Then health turns NOT_SERVING while the daemon still serves other calls
        var status = try await client.health.check(.init()).status
        while status == .serving {
          try await Task.sleep(for: .milliseconds(10))
          status = try await client.health.check(.init()).status
        }
        #expect(status == .notServing)
        let info = try await client.platform.getServerInfo(.init())
        #expect(!info.version.isEmpty)
        await shutdown.value
      }
    }
  }
}

/// A bare TCP client, to behave as a peer that opens a connection and says nothing.
enum RawSocket {
  /// Connects to 127.0.0.1:`port`, sends nothing, and returns true when the server closes the
  /// connection within `limit` seconds.
  static func waitForClose(port: Int, limit: Int) async throws -> Bool {
    try await withCheckedThrowingContinuation { continuation in
      Thread.detachNewThread {
        continuation.resume(with: Result { try waitBlocking(port: port, limit: limit) })
      }
    }
  }

  private static func waitBlocking(port: Int, limit: Int) throws -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw POSIXError(.EIO) }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    var timeout = timeval(tv_sec: limit, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var byte: UInt8 = 0
    let received = recv(fd, &byte, 1, 0)
    // 0: orderly close; -1 with ECONNRESET: reset. A timeout (EAGAIN) means still open.
    return received == 0 || (received < 0 && errno == ECONNRESET)
  }
}
