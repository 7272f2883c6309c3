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
      abstract: "Serve gRPC over TLS (the default command).",
      discussion: """
        On first run, creates the data directory with its database, the development CA, the server \
        certificate and the agency CA. When ready, prints one line on standard output for scripts \
        ("etimadd ready public=... ca=..."), then on standard error the CA to trust, the probe \
        command that checks health and where one-time SMS codes arrive.
        """)

    @OptionGroup var options: CommonOptions
    @OptionGroup(title: "Serve Options") var serve: ServeOptions

    func run() async throws {
      let config = try options.resolve(.createIfMissing, flags: serve.layer)
      let level = Logger.Level(rawValue: config.logLevel) ?? .info
      LoggingSystem.bootstrap(LogOutput.factory(format: config.logFormat, level: level))
      let logger = Logger(label: "etimadd")
      do {
        try await operatorErrors { try await runDaemon(config, logger: logger) }
      } catch let error as OperatorError where config.logFormat == "json" {
        // In JSON mode every line on standard error is a JSON object, the reason for failing too.
        logger.critical("etimadd serve failed", metadata: ["error": "\(error.description)"])
        throw ExitCode.failure
      }
    }

    private func runDaemon(_ config: ServerConfig, logger: Logger) async throws {
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
          // One line on standard output, written at once, for scripts and tests to wait for.
          FileHandle.standardOutput.write(Data((endpoints.readyLine(identity: daemon.identity) + "\n").utf8))
          ReadyNotes(endpoints: endpoints, identity: daemon.identity, config: config)
            .write(format: config.logFormat, logger: logger)
        }
        try await tasks.waitForAll()
      }
      withExtendedLifetime(watchdog) {}
    }
  }

  struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Apply pending schema migrations and list them.",
      discussion: "Creates the data directory and its database when missing.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
      let config = try options.resolve(.createIfMissing)
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
        abstract: "Show the certificates: subject, serial, names, expiry.",
        discussion: """
          Reads <data-dir>/tls: the development CA, the server certificate and the agency CA. TLS \
          material missing from an existing data directory is created first, as 'etimadd serve' \
          would; a missing data directory is an error.
          """)

      @OptionGroup var options: CommonOptions

      func run() async throws {
        let config = try options.resolve(.mustExist)
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
            print("  serial:     \(CertificateText.serial(certificate.serialNumber.bytes))")
            print("  not after:  \(certificate.notValidAfter)")
            if let names = try certificate.extensions.subjectAlternativeNames {
              print("  names:      \(names.map(CertificateText.name).joined(separator: ", "))")
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
