import ArgumentParser
import EtimadIdentity
import EtimadKit
import EtimadServer
import Foundation
import Logging
import ServiceLifecycle
import X509

@main
struct Etimadd: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "etimadd",
    abstract: "The Etimad daemon: individuals' side of the platform over TLS gRPC.",
    version: EtimadVersion.current,
    subcommands: [
      Serve.self, Migrate.self, Certs.self, Registry.self, Agency.self, Demo.self, Version.self,
      Debts.self, Payments.self, Tenders.self,
    ],
    defaultSubcommand: Serve.self
  )
}

/// Flags shared by the subcommands that read the configuration.
struct ConfigOptions: ParsableArguments {
  @Option(help: "JSON configuration file (keys: data_directory, host, public_port, ...).")
  var config: String?

  @Option(help: "Data directory: SQLite file and TLS material (default ./etimad-data, env ETIMAD_DATA_DIR).")
  var dataDir: String?

  @Option(help: "Address both gRPC listeners bind to (default 127.0.0.1).")
  var host: String?

  @Option(help: "Public TLS port (default 7443; 0 picks a free port).")
  var publicPort: Int?

  @Option(help: "Agencies' mutual-TLS port (default 7444; 0 picks a free port).")
  var agencyPort: Int?

  @Option(help: "Prometheus endpoint address (default 127.0.0.1).")
  var metricsHost: String?

  @Option(parsing: .unconditional, help: "Prometheus endpoint port (default 9464; 0 picks, -1 turns it off).")
  var metricsPort: Int?

  @Option(name: .customLong("server-name"), help: "Extra DNS name or IP for the server certificate (repeatable).")
  var serverNames: [String] = []

  @Option(help: "Log format: text or json.")
  var logFormat: String?

  @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
  var logLevel: String?

  @Option(help: "Seconds in-flight calls may take to finish after SIGTERM.")
  var shutdownGrace: Double?

  @Option(help: "Seconds health answers NOT_SERVING after SIGTERM, still serving calls, before draining (default 2).")
  var shutdownDrain: Double?

  func resolve() throws -> ServerConfig {
    var flags = ServerConfig.Layer()
    flags.dataDirectory = dataDir
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
    do {
      return try ServerConfig.resolve(file: config, environment: ProcessInfo.processInfo.environment, flags: flags)
    } catch {
      throw OperatorError("configuration: \(error.description)")
    }
  }
}

/// A failure worded for the operator: printed as one message, exit code 1, no stack trace.
struct OperatorError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

extension AsyncParsableCommand {
  /// Runs `body`, turning the daemon's known failures into operator messages.
  func operatorErrors<T>(_ body: () async throws -> T) async throws -> T {
    do {
      return try await body()
    } catch let error as OperatorError {
      throw error
    } catch let error as ConfigError {
      throw OperatorError(error.description)
    } catch let error as TLSSetupError {
      throw OperatorError("TLS: \(error.description)")
    } catch let error as ListenError {
      throw OperatorError(error.description)
    } catch let error as RegistryError {
      throw OperatorError(error.description)
    } catch {
      throw OperatorError("\(error)")
    }
  }
}

extension Etimadd {
  struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Serve gRPC over TLS; creates the data directory, its CA and certificates on first run.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
      let config = try options.resolve()
      let level = Logger.Level(rawValue: config.logLevel) ?? .info
      LoggingSystem.bootstrap(LogOutput.factory(format: config.logFormat, level: level))
      let logger = Logger(label: "etimadd")
      try await operatorErrors {
        let daemon = try await buildServer(config: config, logger: logger)
        let group = ServiceGroup(
          configuration: .init(
            services: daemon.services,
            gracefulShutdownSignals: [.sigterm, .sigint],
            cancellationSignals: [],
            logger: logger
          ).withShutdownLimits(config))
        let watchdog = ShutdownWatchdog(limit: config.shutdownLimit, logger: logger)
        try await withThrowingTaskGroup(of: Void.self) { tasks in
          tasks.addTask { try await group.run() }
          tasks.addTask {
            let endpoints = try await daemon.endpoints()
            FileHandle.standardError.write(
              Data("trust the development CA: \(daemon.identity.paths.caCertificate)\n".utf8))
            // One line on standard output, written at once, for scripts and tests to wait for.
            FileHandle.standardOutput.write(Data((endpoints.readyLine(identity: daemon.identity) + "\n").utf8))
          }
          try await tasks.waitForAll()
        }
        withExtendedLifetime(watchdog) {}
      }
    }
  }

  struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Apply pending schema migrations to the data directory's database and list them.")

    @OptionGroup var options: ConfigOptions

    func run() async throws {
      let config = try options.resolve()
      try await operatorErrors {
        try FileManager.default.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let database = try openDatabase(config)
        for name in try database.appliedMigrations() { print(name) }
      }
    }
  }

  struct Certs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Certificates of the data directory.", subcommands: [Show.self])

    struct Show: AsyncParsableCommand {
      static let configuration = CommandConfiguration(
        abstract: "Create the TLS material if missing and show each certificate's subject, names and expiry.")

      @OptionGroup var options: ConfigOptions

      func run() async throws {
        let config = try options.resolve()
        try await operatorErrors {
          let identity = try ServerIdentity.prepare(
            dataDirectory: config.dataDirectory, serverNames: config.serverNames, now: Date())
          for change in identity.changes { print("note: \(change)") }
          let paths = identity.paths
          for (title, path) in [
            ("development CA", paths.caCertificate), ("server", paths.serverCertificate),
            ("agency CA", paths.agencyCACertificate),
          ] {
            let certificate = try Certificate(pemEncoded: String(contentsOfFile: path, encoding: .utf8))
            print("\(title): \(path)")
            print("  subject:    \(certificate.subject)")
            print("  issuer:     \(certificate.issuer)")
            print("  not after:  \(certificate.notValidAfter)")
            if let names = try certificate.extensions.subjectAlternativeNames {
              print("  names:      \(names.map { "\($0)" }.joined(separator: ", "))")
            }
          }
        }
      }
    }
  }

  struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the daemon's version.")
    func run() { print("etimadd \(EtimadVersion.current)") }
  }
}

extension ServiceGroupConfiguration {
  /// Graceful shutdown may take the drain delay plus the grace period; then calls are
  /// cancelled. No limit on the cancellation itself here (ServiceGroup would crash the
  /// process past it): `ShutdownWatchdog` ends a stop that hangs, with a log line and status 70.
  func withShutdownLimits(_ config: ServerConfig) -> Self {
    var copy = self
    copy.maximumGracefulShutdownDuration = .milliseconds(
      Int64((config.shutdownDrainSeconds + config.shutdownGraceSeconds) * 1000))
    copy.maximumCancellationDuration = nil
    return copy
  }
}

extension ServerConfig {
  /// How long after SIGTERM the process may live: drain, grace, and 5 s for cancellation.
  var shutdownLimit: Duration { .milliseconds(Int64((shutdownDrainSeconds + shutdownGraceSeconds + 5) * 1000)) }
}
