import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import Synchronization

/// A connection to an Etimad daemon, for apps that serve individuals and for agencies'
/// systems. It attaches what every call needs (language, request id, deadline, and the access
/// token once signed in) and offers one accessor per service area. The generated messages
/// (`Etimad_Platform_V1_…`, `Grpc_Health_V1_…`) are its vocabulary.
///
/// ```swift
/// try await EtimadClient.withClient(.init(host: "localhost", port: 7443, trustRootsPEM: [caPEM])) { etimad in
///   let info = try await etimad.platform.getServerInfo(.init())
/// }
/// ```
public final class EtimadClient: Sendable {
  /// How to reach and trust the daemon.
  public struct Configuration: Sendable {
    /// Host name or IP address of the daemon.
    public var host: String
    /// The public port (7443) for individuals, or the agency port (7444) with `clientIdentity`.
    public var port: Int
    /// PEM certificates to trust; empty trusts the system's roots.
    public var trustRootsPEM: [String]
    /// The name to verify the server certificate against (and send as SNI), when it differs
    /// from `host`.
    public var serverName: String?
    /// An agency's client certificate and key (PEM), for the mutual-TLS agency port.
    public var clientIdentity: (certificatePEM: String, keyPEM: String)?
    /// Sent as `accept-language`: error messages come back in this language ("ar" or "en").
    public var acceptLanguage: String
    /// The deadline of each call unless the call sets its own.
    public var defaultTimeout: Duration
    /// Sent as `x-etimad-employee` on the agency port: who acts for the agency.
    public var employee: String?

    public init(
      host: String = "localhost", port: Int = 7443, trustRootsPEM: [String] = [], serverName: String? = nil,
      clientIdentity: (certificatePEM: String, keyPEM: String)? = nil, acceptLanguage: String = "ar",
      defaultTimeout: Duration = .seconds(10), employee: String? = nil
    ) {
      self.host = host
      self.port = port
      self.trustRootsPEM = trustRootsPEM
      self.serverName = serverName
      self.clientIdentity = clientIdentity
      self.acceptLanguage = acceptLanguage
      self.defaultTimeout = defaultTimeout
      self.employee = employee
    }
  }

  /// The underlying gRPC client, for calls the accessors do not cover.
  public let grpc: GRPCClient<HTTP2ClientTransport.Posix>
  /// The access token attached as `authorization: Bearer`, when signed in.
  public let session: SessionToken

  /// Creates the client; call `run()` (or use `withClient`) to open its connections.
  public init(_ configuration: Configuration) throws {
    let session = SessionToken()
    var config = HTTP2ClientTransport.Posix.Config.defaults
    config.http2.authority = configuration.serverName
    let trust: TLSConfig.TrustRootsSource =
      configuration.trustRootsPEM.isEmpty
      ? .systemDefault : .certificates(configuration.trustRootsPEM.map { .bytes(Array($0.utf8), format: .pem) })
    let security: HTTP2ClientTransport.Posix.TransportSecurity
    if let identity = configuration.clientIdentity {
      security = .mTLS(
        certificateChain: [.bytes(Array(identity.certificatePEM.utf8), format: .pem)],
        privateKey: .bytes(Array(identity.keyPEM.utf8), format: .pem)
      ) { $0.trustRoots = trust }
    } else {
      security = .tls { $0.trustRoots = trust }
    }
    let transport = try HTTP2ClientTransport.Posix(
      target: Self.target(host: configuration.host, port: configuration.port),
      transportSecurity: security,
      config: config,
      serviceConfig: ServiceConfig(methodConfig: [
        MethodConfig(names: [MethodConfig.Name(service: "")], timeout: configuration.defaultTimeout)
      ])
    )
    self.session = session
    self.grpc = GRPCClient(
      transport: transport,
      interceptors: [
        CallMetadataInterceptor(
          acceptLanguage: configuration.acceptLanguage, employee: configuration.employee, session: session)
      ])
  }

  /// Opens and maintains the connections until `close()`.
  public func run() async throws {
    try await grpc.runConnections()
  }

  /// Lets in-flight calls finish, then stops `run()`.
  public func close() {
    grpc.beginGracefulShutdown()
  }

  /// Runs `body` with a connected client and closes it afterwards.
  public static func withClient<Result: Sendable>(
    _ configuration: Configuration, _ body: (EtimadClient) async throws -> Result
  ) async throws -> Result {
    let client = try EtimadClient(configuration)
    return try await withThrowingTaskGroup(of: Void.self) { group in
      group.addTask { try await client.run() }
      defer { client.close() }
      return try await body(client)
    }
  }

  /// `grpc.health.v1.Health`.
  public var health: Grpc_Health_V1_Health.Client<HTTP2ClientTransport.Posix> { .init(wrapping: grpc) }

  /// `etimad.platform.v1.PlatformService`: server facts and identifier validation.
  public var platform: Etimad_Platform_V1_PlatformService.Client<HTTP2ClientTransport.Posix> {
    .init(wrapping: grpc)
  }

  static func target(host: String, port: Int) -> any ResolvableTarget {
    if host.contains(":") { return .ipv6(address: host, port: port) }
    if host.split(separator: ".").count == 4, host.split(separator: ".").allSatisfy({ UInt8($0) != nil }) {
      return .ipv4(address: host, port: port)
    }
    return .dns(host: host, port: port)
  }
}

/// The access token of the signed-in individual, shared by every call of a client.
public final class SessionToken: Sendable {
  private let token = Mutex<String?>(nil)

  public init() {}

  /// The token, or nil when signed out.
  public var value: String? {
    get { token.withLock { $0 } }
    set { token.withLock { $0 = newValue } }
  }
}

extension Grpc_Health_V1_Health.Client {
  /// The serving status of `service` ("" for the daemon as a whole).
  public func status(of service: String = "") async throws -> Grpc_Health_V1_HealthCheckResponse.ServingStatus {
    try await check(.with { $0.service = service }).status
  }
}
