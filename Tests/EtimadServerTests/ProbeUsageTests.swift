import Etimad
import EtimadServer
import EtimadTestSupport
import Foundation
import Testing

/// bench, tokens and the grpcurl habits of the probe, run as the built executable.
@Suite("etimad-probe bench, tokens and grpcurl parity")
struct ProbeUsageTests {
  static let probe = Products.path("etimad-probe")

  func run(_ arguments: [String], stdin: String? = nil, token: String? = nil) async throws -> ProgramRun {
    // Each run gets its own token file: the developer's own is never read.
    let home = TemporaryDirectory.make()
    let path = home + "/token"
    if let token { try token.write(toFile: path, atomically: true, encoding: .utf8) }
    var environment = ProcessInfo.processInfo.environment
    environment["HOME"] = home
    environment["ETIMAD_PROBE_TOKEN"] = path
    return try await ProgramRun.run(Self.probe, arguments, stdin: stdin, environment: environment)
  }

  func flags(_ daemon: TestDaemon) -> [String] {
    [
      "--addr", "localhost:\(daemon.endpoints.publicPort)", "--tls-ca-cert",
      daemon.daemon.identity.paths.caCertificate,
    ]
  }

  @Test("bench exits 64 + code when calls fail, keeps slashes in JSON, writes .hgrm, runs open loop for a duration")
  func bench() async throws {
    try await TestDaemon.with { daemon in
      let failing = try await run(
        ["bench", "etimad.identity.v1.IdentityService/ListSessions", "-n", "20", "-c", "2", "--warmup", "0"]
          + flags(daemon))
      #expect(failing.status == 64 + 16, "\(failing.stdout)\(failing.stderr)")
      #expect(failing.stdout.contains("UNAUTHENTICATED=20"), "\(failing.stdout)")
      let hgrm = TemporaryDirectory.make() + "/check.hgrm"
      let open = try await run(
        [
          "bench", "grpc.health.v1.Health/Check", "--duration", "1", "--rate", "50", "-c", "4", "--warmup", "0",
          "--format", "json", "--hgrm", hgrm,
        ] + flags(daemon))
      #expect(open.status == 0, "\(open.stderr)")
      #expect(open.stdout.contains(#""method":"grpc.health.v1.Health/Check""#), "\(open.stdout)")
      let object = try JSONSerialization.jsonObject(with: Data(open.stdout.utf8)) as? [String: Any]
      // Calls due at 0, 1/50, ... 49/50 s: all fifty are made, however late.
      #expect(object?["calls"] as? Int == 50)
      #expect(object?["rate"] as? Double == 50)
      // No progress line when standard error is not a terminal
      #expect(!open.stderr.contains("\r"))
      let distribution = try String(contentsOfFile: hgrm, encoding: .utf8)
      #expect(distribution.contains("Percentile") && distribution.contains("#[Max"), "\(distribution)")
    }
    let dead = try await run(["bench", "grpc.health.v1.Health/Check", "--addr", "127.0.0.1:1"])
    #expect(dead.status == 64 + 14)
    #expect(dead.stderr.contains("connection refused"))
  }

  @Test("tokens: none saved is said clearly; a stale one never reaches reflection or open methods")
  func tokens() async throws {
    try await TestDaemon.with { daemon in
      let whoami = try await run(["whoami"] + flags(daemon))
      #expect(whoami.status == 64 + 16)
      #expect(whoami.stderr.contains("not signed in"), "\(whoami.stderr)")
      let forced = try await run(["call", "etimad.identity.v1.IdentityService/WhoAmI", "--with-token"] + flags(daemon))
      #expect(forced.status == 1)
      #expect(forced.stderr.contains("not signed in"), "\(forced.stderr)")
      let stale = "not-a-token"
      let list = try await run(["list"] + flags(daemon), token: stale)
      #expect(list.status == 0, "\(list.stderr)")
      let open = try await run(
        ["call", "etimad.platform.v1.PlatformService/ValidateIdentifiers", "-d", #"{"mobile":"0501234567"}"#]
          + flags(daemon), token: stale)
      #expect(open.status == 0, "\(open.stderr)")
      let sessions = try await run(
        ["call", "etimad.identity.v1.IdentityService/ListSessions"] + flags(daemon), token: stale)
      #expect(sessions.status == 64 + 16)
      #expect(sessions.stderr.contains("no longer valid"), "\(sessions.stderr)")
      // An agency method on the public port says where it is served
      let agencyOnly = try await run(
        ["call", "etimad.debts.v1.DebtService/ListDebts", "-H", "accept-language: en", "--no-token"] + flags(daemon))
      #expect(agencyOnly.status == 64 + 16)
      #expect(agencyOnly.stderr.contains("agency port"), "\(agencyOnly.stderr)")
    }
  }

  @Test("login asks again for a wrong code while attempts remain")
  func loginReprompts() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { try await daemon.register($0) }
      let login = try await run(
        ["login", "--national-id", TestDaemon.citizen.idNumber] + flags(daemon),
        stdin: "\(TestDaemon.password)\n000000\n000001\n")
      #expect(login.stderr.contains("attempts left") || login.stderr.contains("attempt left"), "\(login.stderr)")
      // Two wrong codes of five: asked a third time (then standard input ends)
      #expect(login.stderr.components(separatedBy: "code sent to").count - 1 == 3, "\(login.stderr)")
    }
  }

  @Test("grpcurl habits: -d @ reads stdin, fields in proto order, named bad fields, --version")
  func grpcurlParity() async throws {
    try await TestDaemon.with { daemon in
      let stdin = try await run(
        ["call", "etimad.platform.v1.PlatformService/ValidateIdentifiers", "-d", "@"] + flags(daemon),
        stdin: #"{"mobile":"0501234567","iban":"SA0380000000608010167519"}"#)
      #expect(stdin.status == 0, "\(stdin.stderr)")
      #expect(stdin.stdout.contains("+966501234567"))
      // Text output keeps the contract's field order (iban, mobile, bank_name), not A-Z
      let mobile = try #require(stdin.stdout.range(of: "\"mobile\""))
      let bank = try #require(stdin.stdout.range(of: "\"bankName\""))
      #expect(mobile.lowerBound < bank.lowerBound, "\(stdin.stdout)")
      let typo = try await run(
        ["call", "etimad.platform.v1.PlatformService/ValidateIdentifiers", "-d", #"{"ibann":"SA00"}"#]
          + flags(daemon))
      #expect(typo.status == 1)
      #expect(typo.stderr.contains("no field 'ibann'") && typo.stderr.contains("iban"), "\(typo.stderr)")
      #expect(!typo.stderr.contains("USAGE"), "\(typo.stderr)")
    }
    let version = try await run(["--version"])
    #expect(version.status == 0)
    #expect(!version.stdout.isEmpty)
  }

  @Test("a mutating call without request_id gets a fresh one, printed; a retry with it gets the first answer")
  func freshRequestID() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      let method = "etimad.identity.v1.IdentityService/StartRegistration"
      let request = """
        {"personId":{"type":"PERSON_ID_TYPE_NATIONAL_ID","number":"\(TestDaemon.citizen.idNumber)"},\
        "birthDate":{"year":1990,"month":3,"day":15},"email":"someone@example.sa","password":"\(TestDaemon.password)"}
        """
      let first = try await run(["call", method, "-d", request, "--format", "json"] + flags(daemon))
      #expect(first.status == 0, "\(first.stderr)")
      let match = try #require(
        first.stderr.firstMatch(of: /request_id: ([0-9a-f-]{36}) \(reuse it to retry\)/), "\(first.stderr)")
      let id = String(match.1)
      // The retry names the id: nothing new is printed and the same ticket comes back
      let again = "{\"requestId\":\"\(id)\"," + String(request.dropFirst())
      let retry = try await run(["call", method, "-d", again, "--format", "json"] + flags(daemon))
      #expect(retry.status == 0, "\(retry.stderr)")
      #expect(!retry.stderr.contains("request_id:"), "\(retry.stderr)")
      #expect(try ticket(first.stdout) != nil)
      #expect(try ticket(first.stdout) == ticket(retry.stdout))
      // A request that does not decode is refused before any id is offered
      let typo = try await run(["call", method, "-d", #"{"emial":"x"}"#] + flags(daemon))
      #expect(typo.status == 1 && !typo.stderr.contains("request_id:"), "\(typo.stderr)")
      // A request message without request_id gets none
      let open = try await run(
        ["call", "etimad.platform.v1.PlatformService/ValidateIdentifiers", "-d", #"{"mobile":"0501234567"}"#]
          + flags(daemon))
      #expect(open.status == 0 && !open.stderr.contains("request_id"), "\(open.stderr)")
    }
  }

  func ticket(_ json: String) throws -> String? {
    let object = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any]
    return (object?["challenge"] as? [String: Any])?["ticket"] as? String
  }

  @Test("-v prints the request metadata with the token redacted, response headers, trailers and the request id")
  func verbose() async throws {
    try await TestDaemon.with { daemon in
      let id = "0b9e4c1e-5d0a-4a57-8c3e-2f1d6a7b8c9d"
      let call = try await run(
        [
          "call", "etimad.platform.v1.PlatformService/ValidateIdentifiers", "-d", #"{"mobile":"0501234567"}"#, "-v",
          "-H", "x-request-id: \(id)",
        ] + flags(daemon))
      #expect(call.status == 0, "\(call.stderr)")
      #expect(call.stdout.contains("+966501234567") && !call.stdout.contains("Response headers"), "\(call.stdout)")
      for line in [
        "Request metadata to send:", "accept-language: ar", "x-request-id: \(id)", "Response headers received:",
        "Response trailers received:", "Request id: \(id)", "Sent 1 request and received 1 response",
      ] {
        #expect(call.stderr.contains(line), "\(line) missing in \(call.stderr)")
      }
      let headers = try #require(call.stderr.range(of: "Response headers received:"))
      #expect(call.stderr[headers.upperBound...].contains("x-request-id: \(id)"), "\(call.stderr)")
      // The token is never printed, even when the call fails
      let secret = "secret-token-1234"
      let signed = try await run(
        ["call", "etimad.identity.v1.IdentityService/WhoAmI", "--verbose"] + flags(daemon), token: secret)
      #expect(signed.status == 64 + 16)
      #expect(signed.stderr.contains("authorization: Bearer <redacted>"), "\(signed.stderr)")
      #expect(!signed.stderr.contains(secret), "\(signed.stderr)")
      #expect(signed.stderr.contains("Response trailers received:"), "\(signed.stderr)")
    }
  }

  @Test("--rpc-header goes on the call only, -H on reflection too")
  func rpcHeader() async throws {
    try await TestDaemon.with { daemon in
      // A bad bearer token is refused on any method of the public port, reflection included
      let bad = "authorization: Bearer not-a-session"
      let onCallOnly = try await run(["list", "--rpc-header", bad] + flags(daemon))
      #expect(onCallOnly.status == 0, "\(onCallOnly.stderr)")
      let everywhere = try await run(["list", "-H", bad] + flags(daemon))
      #expect(everywhere.status == 64 + 16, "\(everywhere.stderr)")
      let call = try await run(
        ["call", "etimad.platform.v1.PlatformService/GetServerInfo", "--rpc-header", bad, "-v"] + flags(daemon))
      #expect(call.status == 64 + 16, "\(call.stderr)")
      #expect(call.stderr.contains("authorization: Bearer <redacted>"), "\(call.stderr)")
    }
  }

  @Test("describe with no symbol lists every service, its methods and messages, with the proto comments")
  func describeAll() async throws {
    try await TestDaemon.with { daemon in
      let all = try await run(["describe"] + flags(daemon))
      #expect(all.status == 0, "\(all.stderr)")
      for text in [
        "etimad.platform.v1.PlatformService is a service:", "rpc ValidateIdentifiers",
        "etimad.identity.v1.IdentityService is a service:", "grpc.health.v1.Health is a service:",
        "// Anyone may call it, anonymous callers included.", "etimad.platform.v1.ValidateIdentifiersRequest",
      ] {
        #expect(all.stdout.contains(text), "\(text) missing")
      }
      let message = try await run(["describe", "etimad.platform.v1.GetServerInfoResponse"] + flags(daemon))
      #expect(
        message.stdout.contains("  // The daemon's version (semantic versioning).\n  string version = 2;"),
        "\(message.stdout)")
    }
  }

  @Test("--emit-defaults prints fields at their default values, in proto order")
  func emitDefaults() async throws {
    try await TestDaemon.with { daemon in
      let method = "etimad.platform.v1.PlatformService/ValidateIdentifiers"
      let plain = try await run(
        ["call", method, "-d", #"{"mobile":"0501234567"}"#, "--format", "json"] + flags(daemon))
      #expect(plain.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == #"{"mobile":"+966501234567"}"#)
      let full = try await run(
        ["call", method, "-d", #"{"mobile":"0501234567"}"#, "--format", "json", "--emit-defaults"] + flags(daemon))
      #expect(full.status == 0, "\(full.stderr)")
      #expect(
        full.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
          == #"{"personId":null,"iban":"","mobile":"+966501234567","bankName":null}"#, "\(full.stdout)")
      let nested = try await run(
        [
          "call", method, "-d", #"{"personId":{"type":"PERSON_ID_TYPE_NATIONAL_ID","number":"1012345672"}}"#,
          "--emit-defaults",
        ] + flags(daemon))
      #expect(nested.status == 0, "\(nested.stderr)")
      #expect(
        nested.stdout.contains(#""number": "1012345672""#) && nested.stdout.contains(#""iban": """#), "\(nested.stdout)"
      )
    }
  }
}
