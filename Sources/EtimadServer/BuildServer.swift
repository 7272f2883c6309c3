import EtimadDebts
import EtimadIdentity
import EtimadKit
import EtimadPayments
import EtimadProtos
import EtimadSupport
import EtimadTenders
import Foundation
import GRPCCore
import GRPCNIOTransportCore
import GRPCNIOTransportHTTP2
import Logging
import NIOCore
import NIOHPACK
import NIOHTTP2
import Prometheus

/// Builds the daemon from its configuration: prepares the data directory (database, TLS
/// material), binds the metrics port and assembles both listeners. `etimadd serve` and the
/// tests call this same function.
public func buildServer(
  config: ServerConfig,
  logger: Logger,
  clock: any WallClock = SystemClock(),
  smsGateway: (any SMSGateway)? = nil
) async throws -> EtimadDaemon {
  try config.validate()
  let files = FileManager.default
  do {
    try files.createDirectory(
      atPath: config.dataDirectory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
  } catch {
    throw ConfigError(
      "cannot create data directory \(config.dataDirectory): \((error as NSError).localizedDescription)")
  }
  let identity = try ServerIdentity.prepare(
    dataDirectory: config.dataDirectory, serverNames: config.serverNames, now: clock.now)
  for change in identity.changes { logger.notice("\(change)") }

  let database = try EtimadDatabase(
    path: config.dataDirectory + "/etimad.sqlite", migrations: ServiceAreasCatalog.migrations,
    connectionSetup: ServiceAreasCatalog.connectionSetup, clock: clock, groupCommit: config.groupCommit == "on")
  let secret = try ServerSecret.loadOrCreate(path: config.dataDirectory + "/server.key")
  let identityStore = IdentityStore(database: database, codeKey: secret.key(for: "one-time-codes"))
  let agencies = AgencyRegistry(database: database)
  let authenticator = IdentityAuthenticator(store: identityStore, agencies: agencies)
  let gateway = smsGateway ?? ServiceAreasCatalog.gateway(config, logger: logger)

  let registry = PrometheusCollectorRegistry()
  let health = HealthStatusStore()
  let platformName = Etimad_Platform_V1_PlatformService.descriptor.fullyQualifiedService
  let openToAll = [
    Grpc_Health_V1_Health.descriptor.fullyQualifiedService,
    Grpc_Reflection_V1_ServerReflection.descriptor.fullyQualifiedService,
    Grpc_Reflection_V1alpha_ServerReflection.descriptor.fullyQualifiedService,
    platformName,
  ]
  let context = AreaContext(
    database: database, clock: clock, logger: logger, settings: config.areaSettings, secret: secret)
  let areas = try ServiceAreasCatalog.areas(context)
  let names =
    openToAll + [Etimad_Identity_V1_IdentityService.descriptor.fullyQualifiedService] + areas.flatMap(\.serviceNames)
  let reflection = try ReflectionIndex(descriptorSet: EtimadDescriptorSet.bytes, services: names)
  let services: [any RegistrableRPCService] =
    [
      HealthService(store: health),
      ReflectionService(index: reflection),
      ReflectionServiceV1Alpha(index: reflection),
      PlatformService(version: EtimadVersion.current, services: names, clock: clock),
      IdentityService(
        store: identityStore, agencies: agencies, hasher: PasswordHasher(logN: config.passwordHashLogN),
        limits: .init(perPeer: .perMinute(config.signInRatePerPeer), perID: .perMinute(config.signInRatePerID))),
    ] + areas.flatMap(\.services)
  var policy = AccessPolicy(AccessPolicy.services(Set(openToAll), callers: Set(AccessPolicy.Caller.allCases)))
  policy.add(IdentityAccess.rules)
  for area in areas { policy.add(area.rules) }

  let metricsInterceptor = MetricsInterceptor(registry: registry)
  let storage = StorageWatch(
    database: database, health: health, writingServices: names.filter { !openToAll.contains($0) }, logger: logger)
  func interceptors(_ listener: Listener) -> [any ServerInterceptor] {
    [
      RequestIDInterceptor(),
      LoggingInterceptor(logger: logger),
      metricsInterceptor,
      ErrorMappingInterceptor(logger: logger, storage: storage),
      AuthenticationInterceptor(listener: listener, authenticator: authenticator, policy: policy),
      RequestBoundsInterceptor(),
    ]
  }
  let chain: [TLSConfig.CertificateSource] = [.bytes(Array(identity.serverCertificatePEM.utf8), format: .pem)]
  let key: TLSConfig.PrivateKeySource = .bytes(Array(identity.serverKeyPEM.utf8), format: .pem)
  let publicTransport = HTTP2ServerTransport.Posix(
    address: .ipv4OrIPv6(host: config.host, port: config.publicPort),
    transportSecurity: .tls(certificateChain: chain, privateKey: key),
    config: config.transport)
  let agencyTransport = HTTP2ServerTransport.Posix(
    address: .ipv4OrIPv6(host: config.host, port: config.agencyPort),
    transportSecurity: .mTLS(certificateChain: chain, privateKey: key) {
      $0.trustRoots = .certificates([.bytes(Array(identity.agencyCA.certificatePEM.utf8), format: .pem)])
    },
    config: config.transport)
  let publicServer = GRPCServer(
    transport: config.limitingRequestSize(publicTransport), services: services, interceptors: interceptors(.public))
  let agencyServer = GRPCServer(
    transport: config.limitingRequestSize(agencyTransport), services: services, interceptors: interceptors(.agency))

  var metrics: MetricsEndpoint?
  var metricsPort: Int?
  if config.metricsPort >= 0 {
    let endpoint = MetricsEndpoint(
      registry: registry, host: config.metricsHost, port: config.metricsPort,
      refresh: CommitGauges(registry: registry, database: database).refresh)
    do {
      metricsPort = try await endpoint.bind()
    } catch {
      throw ConfigError("cannot listen on \(config.metricsHost):\(config.metricsPort) (metrics port): \(error)")
    }
    metrics = endpoint
  }
  let listeners = Listeners(
    config: config, health: health, serviceNames: names, logger: logger, publicServer: publicServer,
    agencyServer: agencyServer, publicTransport: publicTransport, agencyTransport: agencyTransport)
  return EtimadDaemon(
    config: config, identity: identity, database: database, health: health, registry: registry,
    listeners: listeners, metrics: metrics, metricsPort: metricsPort,
    outbox: OutboxWorker(database: database, gateway: gateway, logger: logger),
    jobs: PeriodicJobs(jobs: areas.flatMap(\.jobs) + [storage.job, MemoryTrim.job], logger: logger))
}

/// The service areas of the daemon, registered in ONE list that the server, health,
/// reflection, the migrations and `etimadd demo` all read. Identity comes first and apart:
/// every other area authenticates through it.
public enum ServiceAreasCatalog {
  /// Every area beyond identity, in the order their migrations apply.
  public static let all: [ServiceAreaDefinition] = [
    DebtsArea.definition, PaymentsArea.definition, TendersArea.definition, SupportArea.definition,
  ]

  public static let migrations: [Migration] = IdentitySchema.migrations + all.flatMap(\.migrations)

  /// What every database connection needs from the areas (SQL functions).
  public static let connectionSetup: [EtimadDatabase.ConnectionSetup] = all.flatMap(\.connectionSetup)

  /// The service areas beyond identity, each assembled from the shared context.
  static func areas(_ context: AreaContext) throws -> [ServiceArea] {
    try all.map { try $0.make(context) }
  }

  /// The SMS gateway the configuration names.
  static func gateway(_ config: ServerConfig, logger: Logger) -> any SMSGateway {
    if config.smsGateway == "http", let url = URL(string: config.smsHTTPURL) {
      return HTTPSMSGateway(url: url, token: config.smsHTTPToken)
    }
    return FileSMSGateway(path: config.dataDirectory + "/sms.log", logger: logger)
  }
}

/// A listener's gRPC server: the HTTP/2 transport with request sizes held per method.
typealias EtimadGRPCServer = GRPCServer<RequestSizeLimitedTransport<HTTP2ServerTransport.Posix>>

extension ServerConfig {
  /// The HTTP/2 transport's own maximum, a backstop: `OversizeMessageHandler` replaces larger
  /// messages before they reach it.
  static let transportMessageCeiling = 4 << 20

  /// The HTTP/2 settings, connection management (gRFC A9) and handshake deadline.
  var transport: HTTP2ServerTransport.Posix.Config {
    var transport = HTTP2ServerTransport.Posix.Config.defaults
    transport.http2.maxConcurrentStreams = maxConcurrentStreams
    transport.rpc.maxRequestPayloadSize = max(Self.transportMessageCeiling, requestSizeLimits.largest + 1)
    func duration(_ seconds: Double) -> Duration? { seconds > 0 ? .milliseconds(Int64(seconds * 1000)) : nil }
    transport.connection.maxIdleTime = duration(connectionIdleSeconds)
    transport.connection.maxAge = duration(connectionMaxAgeSeconds)
    transport.connection.maxGraceTime = duration(connectionMaxAgeGraceSeconds)
    let handshake = TimeAmount.milliseconds(Int64(handshakeTimeoutSeconds * 1000))
    let streams = maxConcurrentStreams
    transport.channelDebuggingCallbacks.onAcceptTCPConnection = { channel in
      HandshakeDeadlineHandler.install(on: channel, deadline: handshake).flatMapThrowing {
        try HiddenSettingsHandler.install(
          on: channel, looseSettings: Self.internalHTTP2Settings(maxConcurrentStreams: streams),
          streams: StreamBudget(limit: streams))
      }
    }
    let limits = requestSizeLimits
    transport.channelDebuggingCallbacks.onAcceptHTTP2Stream = { stream in
      stream.eventLoop.makeCompletedFuture {
        let operations = stream.pipeline.syncOperations
        try operations.addHandler(OversizeMessageHandler(limits: limits), position: .first)
        let connection = try stream.parent!.pipeline.syncOperations.handler(type: HiddenSettingsHandler.self)
        try operations.addHandler(
          StreamAdmissionHandler(budget: connection.streams, maxHeaderListSize: Self.advertisedMaxHeaderListSize),
          position: .first)
      }
    }
    return transport
  }

  /// SETTINGS_MAX_HEADER_LIST_SIZE as the transport advertises it (NIOHPACK's default, 16 KiB).
  static let advertisedMaxHeaderListSize = HPACKDecoder.defaultMaxHeaderListSize

  /// The limits NIOHTTP2 itself enforces, above the advertised ones: what lies between is
  /// refused one stream at a time by `StreamAdmissionHandler`; only beyond these does NIOHTTP2
  /// close the connection. The stream margin exceeds the streams one 64 KiB read can open (a
  /// new stream costs at least 9 bytes) before the refusals of the read take effect; the
  /// header list ceiling bounds what NIOHTTP2 decodes (it also takes at most 5 CONTINUATION
  /// frames, so about 96 KiB encoded).
  static func internalHTTP2Settings(maxConcurrentStreams: Int) -> HTTP2Settings {
    [
      HTTP2Setting(parameter: .maxConcurrentStreams, value: maxConcurrentStreams + 10_000),
      HTTP2Setting(parameter: .maxHeaderListSize, value: 256 << 10),
    ]
  }

  /// `max_request_bytes` for every method; none takes more yet (uploads will).
  var requestSizeLimits: RequestSizeLimits { RequestSizeLimits(standard: maxRequestBytes, perMethod: [:]) }

  func limitingRequestSize(
    _ transport: HTTP2ServerTransport.Posix
  ) -> RequestSizeLimitedTransport<HTTP2ServerTransport.Posix> {
    RequestSizeLimitedTransport(base: transport, limits: requestSizeLimits)
  }
}

extension GRPCNIOTransportCore.SocketAddress {
  /// An IPv6 address when `host` has a colon, IPv4 otherwise.
  static func ipv4OrIPv6(host: String, port: Int) -> Self {
    host.contains(":") ? .ipv6(host: host, port: port) : .ipv4(host: host, port: port)
  }
}
