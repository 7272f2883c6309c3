import EtimadKit
import Foundation
import Logging

/// Everything `etimadd serve` needs. Values come from defaults, then a JSON file, then
/// `ETIMAD_*` environment variables, then flags; each later source wins. `validate()` says
/// in one message what is wrong before anything starts.
public struct ServerConfig: Sendable, Equatable {
  /// Where the SQLite file, the TLS material and the SMS log live.
  public var dataDirectory = "./etimad-data"
  /// The address both gRPC listeners bind to.
  public var host = "127.0.0.1"
  /// The public TLS port (individuals, anonymous callers, health, reflection). 0 picks one.
  public var publicPort = 7443
  /// The agencies' mutual-TLS port. 0 picks one.
  public var agencyPort = 7444
  /// The Prometheus text endpoint (plain HTTP). Loopback by default: metrics are for the host.
  public var metricsHost = "127.0.0.1"
  /// 0 picks a port; -1 turns the endpoint off.
  public var metricsPort = 9464
  /// Extra DNS names or IP addresses for the server certificate.
  public var serverNames: [String] = []
  /// `text` or `json`.
  public var logFormat = "text"
  public var logLevel = "info"
  /// How long in-flight calls may take to finish after SIGTERM before they are cancelled.
  public var shutdownGraceSeconds = 10.0
  /// How long health answers NOT_SERVING after SIGTERM while calls are still served, so that
  /// load balancers polling every few seconds see it before the listeners close.
  public var shutdownDrainSeconds = 2.0
  /// SETTINGS_MAX_CONCURRENT_STREAMS advertised on every connection.
  public var maxConcurrentStreams = 100
  /// The largest request message a method accepts, in bytes (RESOURCE_EXHAUSTED past it).
  public var maxRequestBytes = 64 * 1024
  /// A connection that has not finished its TLS handshake and HTTP/2 preface by then is closed.
  public var handshakeTimeoutSeconds = 20.0
  /// A connection without calls for this long is closed (0: never).
  public var connectionIdleSeconds = 300.0
  /// A connection older than this is asked to reconnect (GOAWAY), so load balancers can
  /// rebalance (gRFC A9; 0: never).
  public var connectionMaxAgeSeconds = 1800.0
  /// How long calls on a connection past its age may still run before it is closed.
  public var connectionMaxAgeGraceSeconds = 300.0
  /// scrypt cost of new password hashes, log2 N (15: 32 MiB, about 0.1 s per hash).
  public var passwordHashLogN = 15
  /// Sign-in calls (StartLogin, VerifyLogin, registration, codes) a minute per peer address.
  public var signInRatePerPeer = 60.0
  /// Sign-in calls a minute per ID number.
  public var signInRatePerID = 10.0
  /// `file` (appends to <data-dir>/sms.log) or `http` (POSTs to `sms_http_url`).
  public var smsGateway = "file"
  public var smsHTTPURL = ""
  /// Bearer token for the HTTP SMS gateway; prefer ETIMAD_SMS_HTTP_TOKEN to a file.
  public var smsHTTPToken = ""
  /// Days an instalment may stay unpaid past its due date before its plan is DEFAULTED.
  public var instalmentGraceDays = 30
  /// `on`: concurrent writes share one SQLite transaction and one fsync (each in a savepoint
  /// of its own, answered after the commit); `off`: each write commits alone.
  public var groupCommit = "on"
  /// Leading zero bits of the support form's proof of work (20: about a second in a browser).
  public var supportChallengeBits = 20
  /// The agency code of the platform's own support team (staff side of SupportService).
  public var supportAgency = "ETIMAD"
  /// GetChallenge, anonymous OpenTicket and SendTicketAccessCode calls a minute per peer address.
  public var supportRatePerPeer = 20.0
  /// Tickets an hour per mobile number.
  public var supportRatePerMobile = 5.0

  public init() {}

  /// The settings the service areas read.
  public var areaSettings: AreaSettings {
    AreaSettings(
      instalmentGraceDays: instalmentGraceDays,
      support: SupportSettings(
        challengeBits: supportChallengeBits, supportAgency: supportAgency, ratePerPeerPerMinute: supportRatePerPeer,
        ratePerMobilePerHour: supportRatePerMobile))
  }

  /// The fields as the file, the environment and the flags may give them; nil means unset.
  public struct Layer: Sendable, Codable, Equatable {
    public var dataDirectory: String?
    public var host: String?
    public var publicPort: Int?
    public var agencyPort: Int?
    public var metricsHost: String?
    public var metricsPort: Int?
    public var serverNames: [String]?
    public var logFormat: String?
    public var logLevel: String?
    public var shutdownGraceSeconds: Double?
    public var shutdownDrainSeconds: Double?
    public var maxConcurrentStreams: Int?
    public var maxRequestBytes: Int?
    public var handshakeTimeoutSeconds: Double?
    public var connectionIdleSeconds: Double?
    public var connectionMaxAgeSeconds: Double?
    public var connectionMaxAgeGraceSeconds: Double?
    public var passwordHashLogN: Int?
    public var signInRatePerPeer: Double?
    public var signInRatePerID: Double?
    public var smsGateway: String?
    public var smsHTTPURL: String?
    public var smsHTTPToken: String?
    public var instalmentGraceDays: Int?
    public var groupCommit: String?
    public var supportChallengeBits: Int?
    public var supportAgency: String?
    public var supportRatePerPeer: Double?
    public var supportRatePerMobile: Double?

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
      case dataDirectory = "data_directory"
      case host
      case publicPort = "public_port"
      case agencyPort = "agency_port"
      case metricsHost = "metrics_host"
      case metricsPort = "metrics_port"
      case serverNames = "server_names"
      case logFormat = "log_format"
      case logLevel = "log_level"
      case shutdownGraceSeconds = "shutdown_grace_seconds"
      case shutdownDrainSeconds = "shutdown_drain_seconds"
      case maxConcurrentStreams = "max_concurrent_streams"
      case maxRequestBytes = "max_request_bytes"
      case handshakeTimeoutSeconds = "handshake_timeout_seconds"
      case connectionIdleSeconds = "connection_idle_seconds"
      case connectionMaxAgeSeconds = "connection_max_age_seconds"
      case connectionMaxAgeGraceSeconds = "connection_max_age_grace_seconds"
      case passwordHashLogN = "password_hash_log_n"
      case signInRatePerPeer = "sign_in_rate_per_peer"
      case signInRatePerID = "sign_in_rate_per_id"
      case smsGateway = "sms_gateway"
      case smsHTTPURL = "sms_http_url"
      case smsHTTPToken = "sms_http_token"
      case instalmentGraceDays = "instalment_grace_days"
      case groupCommit = "group_commit"
      case supportChallengeBits = "support_challenge_bits"
      case supportAgency = "support_agency"
      case supportRatePerPeer = "support_rate_per_peer"
      case supportRatePerMobile = "support_rate_per_mobile"
    }

    /// Reads a JSON file whose keys are the snake_case names above; unknown keys are refused,
    /// since a misspelt key silently ignored is a configuration that lies.
    public static func file(_ path: String) throws(ConfigError) -> Layer {
      let data: Data
      do {
        data = try Data(contentsOf: URL(fileURLWithPath: path))
      } catch {
        throw ConfigError("cannot read configuration file \(path): \((error as NSError).localizedDescription)")
      }
      guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
        throw ConfigError("configuration file \(path) is not a JSON object")
      }
      let known = Set(CodingKeys.allCases.map(\.rawValue))
      if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
        throw ConfigError(
          "configuration file \(path): unknown key '\(unknown)' (known: \(known.sorted().joined(separator: ", ")))")
      }
      do {
        return try JSONDecoder().decode(Layer.self, from: data)
      } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
        let key = context.codingPath.map(\.stringValue).joined(separator: ".")
        throw ConfigError("configuration file \(path): '\(key)' has the wrong type")
      } catch {
        throw ConfigError("configuration file \(path): \(error)")
      }
    }

    /// Reads `ETIMAD_DATA_DIR`, `ETIMAD_HOST`, `ETIMAD_PUBLIC_PORT`, `ETIMAD_AGENCY_PORT`,
    /// `ETIMAD_METRICS_HOST`, `ETIMAD_METRICS_PORT`, `ETIMAD_SERVER_NAMES` (comma-separated),
    /// `ETIMAD_LOG_FORMAT`, `ETIMAD_LOG_LEVEL`, `ETIMAD_SHUTDOWN_GRACE_SECONDS`.
    public static func environment(_ env: [String: String]) throws(ConfigError) -> Layer {
      var layer = Layer()
      func int(_ key: String) throws(ConfigError) -> Int? {
        guard let text = env[key] else { return nil }
        guard let value = Int(text) else { throw ConfigError("\(key)='\(text)' is not a whole number") }
        return value
      }
      layer.dataDirectory = env["ETIMAD_DATA_DIR"]
      layer.host = env["ETIMAD_HOST"]
      layer.publicPort = try int("ETIMAD_PUBLIC_PORT")
      layer.agencyPort = try int("ETIMAD_AGENCY_PORT")
      layer.metricsHost = env["ETIMAD_METRICS_HOST"]
      layer.metricsPort = try int("ETIMAD_METRICS_PORT")
      layer.serverNames = env["ETIMAD_SERVER_NAMES"].map {
        $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
      }
      layer.logFormat = env["ETIMAD_LOG_FORMAT"]
      layer.logLevel = env["ETIMAD_LOG_LEVEL"]
      func double(_ key: String) throws(ConfigError) -> Double? {
        guard let text = env[key] else { return nil }
        guard let value = Double(text) else { throw ConfigError("\(key)='\(text)' is not a number") }
        return value
      }
      layer.shutdownGraceSeconds = try double("ETIMAD_SHUTDOWN_GRACE_SECONDS")
      layer.shutdownDrainSeconds = try double("ETIMAD_SHUTDOWN_DRAIN_SECONDS")
      layer.maxConcurrentStreams = try int("ETIMAD_MAX_CONCURRENT_STREAMS")
      layer.maxRequestBytes = try int("ETIMAD_MAX_REQUEST_BYTES")
      layer.handshakeTimeoutSeconds = try double("ETIMAD_HANDSHAKE_TIMEOUT_SECONDS")
      layer.connectionIdleSeconds = try double("ETIMAD_CONNECTION_IDLE_SECONDS")
      layer.connectionMaxAgeSeconds = try double("ETIMAD_CONNECTION_MAX_AGE_SECONDS")
      layer.connectionMaxAgeGraceSeconds = try double("ETIMAD_CONNECTION_MAX_AGE_GRACE_SECONDS")
      layer.passwordHashLogN = try int("ETIMAD_PASSWORD_HASH_LOG_N")
      layer.signInRatePerPeer = try double("ETIMAD_SIGN_IN_RATE_PER_PEER")
      layer.signInRatePerID = try double("ETIMAD_SIGN_IN_RATE_PER_ID")
      layer.smsGateway = env["ETIMAD_SMS_GATEWAY"]
      layer.smsHTTPURL = env["ETIMAD_SMS_HTTP_URL"]
      layer.smsHTTPToken = env["ETIMAD_SMS_HTTP_TOKEN"]
      layer.instalmentGraceDays = try int("ETIMAD_INSTALMENT_GRACE_DAYS")
      layer.groupCommit = env["ETIMAD_GROUP_COMMIT"]
      layer.supportChallengeBits = try int("ETIMAD_SUPPORT_CHALLENGE_BITS")
      layer.supportAgency = env["ETIMAD_SUPPORT_AGENCY"]
      layer.supportRatePerPeer = try double("ETIMAD_SUPPORT_RATE_PER_PEER")
      layer.supportRatePerMobile = try double("ETIMAD_SUPPORT_RATE_PER_MOBILE")
      return layer
    }
  }

  /// This configuration with the layer's set fields applied over it.
  public func applying(_ layer: Layer) -> ServerConfig {
    var config = self
    if let value = layer.dataDirectory { config.dataDirectory = value }
    if let value = layer.host { config.host = value }
    if let value = layer.publicPort { config.publicPort = value }
    if let value = layer.agencyPort { config.agencyPort = value }
    if let value = layer.metricsHost { config.metricsHost = value }
    if let value = layer.metricsPort { config.metricsPort = value }
    if let value = layer.serverNames { config.serverNames = value }
    if let value = layer.logFormat { config.logFormat = value }
    if let value = layer.logLevel { config.logLevel = value }
    if let value = layer.shutdownGraceSeconds { config.shutdownGraceSeconds = value }
    if let value = layer.shutdownDrainSeconds { config.shutdownDrainSeconds = value }
    if let value = layer.maxConcurrentStreams { config.maxConcurrentStreams = value }
    if let value = layer.maxRequestBytes { config.maxRequestBytes = value }
    if let value = layer.handshakeTimeoutSeconds { config.handshakeTimeoutSeconds = value }
    if let value = layer.connectionIdleSeconds { config.connectionIdleSeconds = value }
    if let value = layer.connectionMaxAgeSeconds { config.connectionMaxAgeSeconds = value }
    if let value = layer.connectionMaxAgeGraceSeconds { config.connectionMaxAgeGraceSeconds = value }
    if let value = layer.passwordHashLogN { config.passwordHashLogN = value }
    if let value = layer.signInRatePerPeer { config.signInRatePerPeer = value }
    if let value = layer.signInRatePerID { config.signInRatePerID = value }
    if let value = layer.smsGateway { config.smsGateway = value }
    if let value = layer.groupCommit { config.groupCommit = value }
    if let value = layer.smsHTTPURL { config.smsHTTPURL = value }
    if let value = layer.smsHTTPToken { config.smsHTTPToken = value }
    if let value = layer.instalmentGraceDays { config.instalmentGraceDays = value }
    if let value = layer.supportChallengeBits { config.supportChallengeBits = value }
    if let value = layer.supportAgency { config.supportAgency = value }
    if let value = layer.supportRatePerPeer { config.supportRatePerPeer = value }
    if let value = layer.supportRatePerMobile { config.supportRatePerMobile = value }
    return config
  }

  /// Defaults < file < environment < flags.
  public static func resolve(
    file: String?, environment: [String: String], flags: Layer
  ) throws(ConfigError)
    -> ServerConfig
  {
    var config = ServerConfig()
    if let file { config = config.applying(try Layer.file(file)) }
    config = config.applying(try Layer.environment(environment)).applying(flags)
    try config.validate()
    return config
  }

  /// Every problem at once, one per line.
  public func validate() throws(ConfigError) {
    var problems: [String] = []
    for (name, port) in [("public_port", publicPort), ("agency_port", agencyPort)] where !(0...65535).contains(port) {
      problems.append("\(name) must be 0...65535 (0 picks a free port), not \(port)")
    }
    if !(-1...65535).contains(metricsPort) {
      problems.append("metrics_port must be -1 (off) or 0...65535, not \(metricsPort)")
    }
    if publicPort != 0, publicPort == agencyPort {
      problems.append("public_port and agency_port must differ (both \(publicPort))")
    }
    if metricsPort > 0, metricsPort == publicPort || metricsPort == agencyPort {
      problems.append("metrics_port \(metricsPort) is already used by a gRPC listener")
    }
    if host.isEmpty { problems.append("host must not be empty") }
    if dataDirectory.isEmpty { problems.append("data_directory must not be empty") }
    if !["text", "json"].contains(logFormat) { problems.append("log_format must be text or json, not '\(logFormat)'") }
    if Logger.Level(rawValue: logLevel) == nil {
      problems.append(
        "log_level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", ")), not '\(logLevel)'")
    }
    if !(shutdownGraceSeconds >= 0 && shutdownGraceSeconds <= 3600) {
      problems.append("shutdown_grace_seconds must be 0...3600, not \(shutdownGraceSeconds)")
    }
    if !(shutdownDrainSeconds >= 0 && shutdownDrainSeconds <= 600) {
      problems.append("shutdown_drain_seconds must be 0...600, not \(shutdownDrainSeconds)")
    }
    if !(1...10_000).contains(maxConcurrentStreams) {
      problems.append("max_concurrent_streams must be 1...10000, not \(maxConcurrentStreams)")
    }
    if !(1024...(4 << 20)).contains(maxRequestBytes) {
      problems.append("max_request_bytes must be 1024...4194304, not \(maxRequestBytes)")
    }
    for (name, value, range) in [
      ("handshake_timeout_seconds", handshakeTimeoutSeconds, 0.1...300),
      ("connection_idle_seconds", connectionIdleSeconds, 0...86_400),
      ("connection_max_age_seconds", connectionMaxAgeSeconds, 0...604_800),
      ("connection_max_age_grace_seconds", connectionMaxAgeGraceSeconds, 0...86_400),
    ] where !range.contains(value) {
      problems.append("\(name) must be \(range.lowerBound)...\(range.upperBound), not \(value)")
    }
    if !(10...20).contains(passwordHashLogN) {
      problems.append("password_hash_log_n must be 10...20 (15 in production), not \(passwordHashLogN)")
    }
    if !(signInRatePerPeer > 0 && signInRatePerID > 0) {
      problems.append("sign_in_rate_per_peer and sign_in_rate_per_id must be positive")
    }
    if !(0...365).contains(instalmentGraceDays) {
      problems.append("instalment_grace_days must be 0...365, not \(instalmentGraceDays)")
    }
    if !(0...32).contains(supportChallengeBits) {
      problems.append(
        "support_challenge_bits must be 0...32 (20: about a second in a browser), not \(supportChallengeBits)")
    }
    if supportAgency.isEmpty { problems.append("support_agency must name an agency code") }
    if !(supportRatePerPeer > 0 && supportRatePerMobile > 0) {
      problems.append("support_rate_per_peer and support_rate_per_mobile must be positive")
    }
    switch smsGateway {
    case "file": break
    case "http":
      if URL(string: smsHTTPURL)?.scheme.map({ ["http", "https"].contains($0) }) != true {
        problems.append("sms_gateway http needs sms_http_url, an http(s) URL")
      }
      if smsHTTPToken.isEmpty { problems.append("sms_gateway http needs sms_http_token (ETIMAD_SMS_HTTP_TOKEN)") }
    default: problems.append("sms_gateway must be file or http, not '\(smsGateway)'")
    }
    if !["on", "off"].contains(groupCommit) {
      problems.append("group_commit must be on or off, not '\(groupCommit)'")
    }
    if !problems.isEmpty { throw ConfigError(problems.joined(separator: "\n")) }
  }
}

/// A configuration problem, worded for the operator.
public struct ConfigError: Error, CustomStringConvertible, Equatable {
  public let description: String
  public init(_ description: String) { self.description = description }
}
