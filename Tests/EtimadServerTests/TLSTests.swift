import Etimad
import EtimadKit
import EtimadServer
import EtimadTestSupport
import Foundation
import GRPCCore
import Testing
import X509

@Suite("TLS and mutual TLS")
struct TLSTests {
  @Test("a client that trusts another CA is refused")
  func wrongCA() async throws {
    try await TestDaemon.with { daemon in
      let stranger = try CertificateAuthority.create(commonName: "Stranger CA", now: Date())
      var configuration = daemon.publicClient()
      configuration.trustRootsPEM = [stranger.certificatePEM]
      // A refused handshake fails the call at once; the long deadline only keeps a loaded
      // machine's slow handshake from reading as DEADLINE_EXCEEDED.
      configuration.defaultTimeout = .seconds(60)
      try await EtimadClient.withClient(configuration) { client in
        let error = await #expect(throws: RPCError.self) { _ = try await client.health.status(of: "") }
        #expect(error?.code == .unavailable)
      }
    }
  }

  @Test("a plaintext HTTP/2 client gets no answer")
  func plaintext() async throws {
    try await TestDaemon.with { daemon in
      try await withGRPCClient(
        transport: .http2NIOPosix(
          target: .ipv4(address: "127.0.0.1", port: daemon.endpoints.publicPort), transportSecurity: .plaintext)
      ) { grpc in
        let health = Grpc_Health_V1_Health.Client(wrapping: grpc)
        var options = CallOptions.defaults
        options.timeout = .seconds(5)
        let error = await #expect(throws: RPCError.self) { _ = try await health.check(.init(), options: options) }
        #expect(error?.code == .unavailable || error?.code == .deadlineExceeded)
      }
    }
  }

  @Test("the agency port refuses a client without a certificate, or with one from another CA")
  func agencyPortNeedsAgencyCertificate() async throws {
    try await TestDaemon.with { daemon in
      var configuration = daemon.publicClient()
      configuration.port = daemon.endpoints.agencyPort
      // A refused handshake fails the call at once; the long deadline only keeps a loaded
      // machine's slow handshake from reading as DEADLINE_EXCEEDED.
      configuration.defaultTimeout = .seconds(60)
      try await EtimadClient.withClient(configuration) { client in
        let error = await #expect(throws: RPCError.self) { _ = try await client.health.status(of: "") }
        #expect(error?.code == .unavailable)
      }
      // A certificate issued by the development CA (not the agency CA) is refused too.
      let impostor = try daemon.daemon.identity.developmentCA.issue(
        subject: try DistinguishedName { CommonName("MOF") }, usage: .clientAuth, validity: 86_400, now: Date())
      configuration.clientIdentity = (impostor.certificatePEM, impostor.keyPEM)
      try await EtimadClient.withClient(configuration) { client in
        let error = await #expect(throws: RPCError.self) { _ = try await client.health.status(of: "") }
        #expect(error?.code == .unavailable)
      }
    }
  }

  @Test("a registered agency with a certificate from the agency CA is served on the agency port")
  func agencyServed() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(try await daemon.agencyClient()) { client in
        let status = try await client.health.status(of: "")
        let info = try await client.platform.getServerInfo(.init())
        #expect(status == .serving)
        #expect(info.version == EtimadVersion.current)
      }
    }
  }

  @Test("OpenSSL verifies the generated chains")
  func opensslVerify() async throws {
    let directory = TemporaryDirectory.make()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let identity = try ServerIdentity.prepare(dataDirectory: directory, serverNames: ["etimad.test"], now: Date())
    let paths = identity.paths
    let verify = try await ProgramRun.run(
      "/usr/bin/openssl",
      [
        "verify", "-CAfile", paths.caCertificate, "-purpose", "sslserver", "-verify_hostname", "localhost",
        paths.serverCertificate,
      ])
    #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    let ip = try await ProgramRun.run(
      "/usr/bin/openssl",
      ["verify", "-CAfile", paths.caCertificate, "-verify_ip", "127.0.0.1", paths.serverCertificate])
    #expect(ip.status == 0, "\(ip.stdout)\(ip.stderr)")
    let extra = try await ProgramRun.run(
      "/usr/bin/openssl",
      ["verify", "-CAfile", paths.caCertificate, "-verify_hostname", "etimad.test", paths.serverCertificate])
    #expect(extra.status == 0, "\(extra.stdout)\(extra.stderr)")
    let wrong = try await ProgramRun.run(
      "/usr/bin/openssl",
      ["verify", "-CAfile", paths.agencyCACertificate, paths.serverCertificate])
    #expect(wrong.status != 0)
    // The agency CA verifies the client certificates it issues.
    let agency = try identity.agencyCA.issue(
      subject: try DistinguishedName { CommonName("MOF") }, usage: .clientAuth, validity: 86_400, now: Date())
    let agencyPath = directory + "/agency.pem"
    try agency.certificatePEM.write(toFile: agencyPath, atomically: true, encoding: .utf8)
    let client = try await ProgramRun.run(
      "/usr/bin/openssl", ["verify", "-CAfile", paths.agencyCACertificate, "-purpose", "sslclient", agencyPath])
    #expect(client.status == 0, "\(client.stdout)\(client.stderr)")
  }

  @Test("openssl s_client completes TLS 1.3 with ALPN h2 on both ports and is refused TLS 1.1")
  func opensslHandshakes() async throws {
    try await TestDaemon.with { daemon in
      let paths = daemon.daemon.identity.paths
      let agency = try daemon.daemon.identity.agencyCA.issue(
        subject: try DistinguishedName { CommonName("MOF") }, usage: .clientAuth, validity: 86_400, now: Date())
      let certPath = daemon.dataDirectory + "/client.pem"
      let keyPath = daemon.dataDirectory + "/client-key.pem"
      try agency.certificatePEM.write(toFile: certPath, atomically: true, encoding: .utf8)
      try agency.keyPEM.write(toFile: keyPath, atomically: true, encoding: .utf8)

      func handshake(port: Int, extra: [String]) async throws -> ProgramRun {
        try await ProgramRun.run(
          "/usr/bin/openssl",
          [
            "s_client", "-connect", "127.0.0.1:\(port)", "-servername", "localhost", "-CAfile", paths.caCertificate,
            "-verify_return_error", "-alpn", "h2",
          ] + extra, stdin: "")
      }
      for (port, extra) in [
        (daemon.endpoints.publicPort, []), (daemon.endpoints.agencyPort, ["-cert", certPath, "-key", keyPath]),
      ] {
        let run = try await handshake(port: port, extra: ["-tls1_3"] + extra)
        let output = run.stdout + run.stderr
        #expect(output.contains("TLSv1.3"), "\(output)")
        #expect(output.contains("ALPN protocol: h2"), "\(output)")
        #expect(output.contains("Verify return code: 0 (ok)"), "\(output)")
        let old = try await handshake(port: port, extra: ["-tls1_1"] + extra)
        #expect(old.status != 0, "TLS 1.1 was accepted on port \(port)")
      }
    }
  }
}
