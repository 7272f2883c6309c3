import ArgumentParser
import EtimadServer
import Foundation

/// `--config` and `--data-dir`: the flags of every subcommand that opens the data directory.
struct CommonOptions: ParsableArguments {
  @Option(help: "JSON configuration file (keys: data_directory, host, public_port, ...).")
  var config: String?

  @Option(help: "Data directory: SQLite file and TLS material (default ./etimad-data, env ETIMAD_DATA_DIR).")
  var dataDir: String?

  /// Whether a command may make the data directory. Only `serve`, `migrate` and `demo` do: any
  /// other command run in the wrong directory would otherwise make a fresh CA and database
  /// there, and answer from them ("no agencies") as if nothing were wrong.
  enum DataDirectoryUse {
    case createIfMissing
    case mustExist
  }

  /// The configuration from the file, the environment and `flags`, validated; with
  /// `.mustExist`, a missing data directory is a one-line error saying how to make one.
  func resolve(_ use: DataDirectoryUse, flags: ServerConfig.Layer = .init()) throws -> ServerConfig {
    var flags = flags
    flags.dataDirectory = dataDir
    let config: ServerConfig
    do {
      config = try ServerConfig.resolve(
        file: self.config, environment: ProcessInfo.processInfo.environment, flags: flags)
    } catch {
      throw OperatorError("configuration: \(error.description)")
    }
    if use == .mustExist { try Self.requireDataDirectory(config.dataDirectory) }
    return config
  }

  static func requireDataDirectory(_ path: String) throws {
    var isDirectory: ObjCBool = false
    let exists = FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    if !exists {
      throw OperatorError(
        "no data directory at \(absolute): 'etimadd migrate --data-dir \(absolute)' (or serve, demo) creates one;"
          + " --data-dir or ETIMAD_DATA_DIR names another")
    }
    if !isDirectory.boolValue { throw OperatorError("data directory \(absolute) is not a directory") }
  }
}

/// The listener, log and shutdown flags: `serve` only.
struct ServeOptions: ParsableArguments {
  @Option(help: "Address both gRPC listeners bind to (default 127.0.0.1).")
  var host: String?

  @Option(parsing: .unconditional, help: "Public TLS port (default 7443; 0 picks a free port).")
  var publicPort: Int?

  @Option(parsing: .unconditional, help: "Agencies' mutual-TLS port (default 7444; 0 picks a free port).")
  var agencyPort: Int?

  @Option(help: "Prometheus endpoint address (default 127.0.0.1).")
  var metricsHost: String?

  @Option(parsing: .unconditional, help: "Prometheus endpoint port (default 9464; 0 picks a free port, -1 is off).")
  var metricsPort: Int?

  @Option(name: .customLong("server-name"), help: "Extra DNS name or IP for the server certificate (repeatable).")
  var serverNames: [String] = []

  @Option(help: "Log format: text or json (one JSON object per line on standard error).")
  var logFormat: String?

  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String?

  // Unconditional: a negative value is a value, so that validation can say the range.
  @Option(parsing: .unconditional, help: "Seconds in-flight calls may take to finish after SIGTERM (default 10).")
  var shutdownGrace: Double?

  @Option(
    parsing: .unconditional, help: "Seconds health is NOT_SERVING, calls still served, before draining (default 2).")
  var shutdownDrain: Double?

  /// These flags as a configuration layer.
  var layer: ServerConfig.Layer {
    var flags = ServerConfig.Layer()
    flags.host = host
    flags.publicPort = publicPort
    flags.agencyPort = agencyPort
    flags.metricsHost = metricsHost
    flags.metricsPort = metricsPort
    flags.serverNames = serverNames.isEmpty ? nil : serverNames
    flags.logFormat = logFormat
    flags.logLevel = logLevel
    flags.shutdownGraceSeconds = shutdownGrace
    flags.shutdownDrainSeconds = shutdownDrain
    return flags
  }
}
