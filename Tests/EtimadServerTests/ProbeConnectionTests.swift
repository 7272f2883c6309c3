import EtimadServer
import EtimadTestSupport
import Foundation
import Testing

/// The probe says why it cannot connect, at once, whatever the load on the machine: every
/// timeout here is long, so a probe that waited for one instead of naming the cause would
/// fail these tests (after a minute), never pass them by luck.
@Suite("etimad-probe connection failures")
struct ProbeConnectionTests {
  static let probe = Products.path("etimad-probe")
  static let patient = ["--connect-timeout", "60", "--rpc-timeout", "60"]

  func run(_ arguments: [String]) async throws -> ProgramRun {
    try await ProgramRun.run(Self.probe, arguments + Self.patient)
  }

  func strangerCA() throws -> String {
    let stranger = try CertificateAuthority.create(commonName: "Stranger CA", now: Date())
    let path = TemporaryDirectory.make() + "/stranger.pem"
    try stranger.certificatePEM.write(toFile: path, atomically: true, encoding: .utf8)
    return path
  }

  @Test("a closed port is 'connection refused': health exits 2, call 64 + UNAVAILABLE")
  func refused() async throws {
    let health = try await run(["health", "--addr", "127.0.0.1:1"])
    #expect(health.status == 2)
    #expect(health.stderr.contains("connection refused"), "\(health.stderr)")
    let call = try await run(["call", "grpc.health.v1.Health/Check", "--addr", "127.0.0.1:1"])
    #expect(call.status == 64 + 14)
    #expect(call.stderr.contains("connection refused"), "\(call.stderr)")
    let list = try await run(["list", "--addr", "127.0.0.1:1", "--format", "json"])
    #expect(list.status == 64 + 14)
    #expect(list.stderr.contains(#""code":"UNAVAILABLE""#), "\(list.stderr)")
  }

  @Test("a host name that does not resolve is named as such")
  func badHostName() async throws {
    let health = try await run(["health", "--addr", "no-such-host.invalid:7443"])
    #expect(health.status == 2)
    #expect(health.stderr.contains("cannot resolve host name"), "\(health.stderr)")
  }

  @Test("a wrong CA, or none, is 'signed by an unknown authority'")
  func untrusted() async throws {
    let stranger = try strangerCA()
    try await TestDaemon.with { daemon in
      let address = ["--addr", "localhost:\(daemon.endpoints.publicPort)"]
      let wrong = try await run(["call", "grpc.health.v1.Health/Check", "--tls-ca-cert", stranger] + address)
      #expect(wrong.status == 64 + 14)
      #expect(wrong.stderr.contains("unknown authority"), "\(wrong.stderr)")
      let none = try await run(["health"] + address)
      #expect(none.status == 2)
      #expect(none.stderr.contains("unknown authority") && none.stderr.contains("--tls-ca-cert"), "\(none.stderr)")
    }
  }

  @Test("the agency port without a client certificate, and a plaintext port, are named")
  func agencyAndPlaintext() async throws {
    try await TestDaemon.with { daemon in
      let ca = ["--tls-ca-cert", daemon.daemon.identity.paths.caCertificate]
      let agency = try await run(
        ["call", "grpc.health.v1.Health/Check", "--addr", "localhost:\(daemon.endpoints.agencyPort)"] + ca)
      #expect(agency.status == 64 + 14)
      #expect(agency.stderr.contains("requires a client certificate"), "\(agency.stderr)")
      let metrics = try #require(daemon.endpoints.metricsPort)
      let plaintext = try await run(["health", "--addr", "127.0.0.1:\(metrics)"] + ca)
      #expect(plaintext.status == 2)
      #expect(plaintext.stderr.contains("not a TLS server"), "\(plaintext.stderr)")
    }
  }

  @Test("tls: a closed port exits 2 every time (no crash), a wrong CA gives the reason, the agency port says why")
  func tlsCommand() async throws {
    for _ in 0..<5 {
      let closed = try await run(["tls", "--addr", "127.0.0.1:1"])
      #expect(closed.status == 2, "\(closed.stderr)")
      #expect(closed.stderr.contains("connection refused"), "\(closed.stderr)")
    }
    let stranger = try strangerCA()
    try await TestDaemon.with { daemon in
      let wrong = try await run(
        ["tls", "--addr", "localhost:\(daemon.endpoints.publicPort)", "--tls-ca-cert", stranger])
      #expect(wrong.status == 3)
      #expect(
        wrong.stdout.contains("verification: failed: certificate signed by an unknown authority"), "\(wrong.stdout)")
      let agency = try await run(
        [
          "tls", "--addr", "localhost:\(daemon.endpoints.agencyPort)", "--tls-ca-cert",
          daemon.daemon.identity.paths.caCertificate,
        ])
      #expect(agency.status == 2)
      #expect(!agency.stderr.contains("Already closed"))
      #expect(agency.stderr.contains("requires a client certificate"), "\(agency.stderr)")
    }
  }
}
