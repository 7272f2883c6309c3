import ArgumentParser
import Etimad
import Foundation
import GRPCCore
import Synchronization

/// `export`: streams a government payments export into a file, with a progress bar on
/// standard error. The file appears only once complete (temporary file, then rename).
struct PaymentsExportCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export government payments to a CSV or JSON Lines file with a progress bar.",
    discussion: """
      Individuals use the token saved by 'login' (or --token); agencies pass --tls-client-cert,
      --tls-client-key and --employee on the agency port. Nothing is left half-written: the
      export goes to a temporary file that is renamed when the stream completes.
      """)

  enum Format: String, ExpressibleByArgument { case csv, jsonl }

  @OptionGroup var connection: ConnectionOptions

  @Option(name: .customShort("o"), help: "The file to write.")
  var output: String

  @Option(help: "csv (UTF-8 with BOM) or jsonl.")
  var fileFormat: Format = .csv

  @Flag(help: "Arabic CSV headers and names.")
  var arabic = false

  @Option(help: "Only this sector.") var sector: String?
  @Option(help: "Only this service.") var service: String?
  @Option(help: "Only this beneficiary ID number.") var beneficiary: String?
  @Option(help: "Only this customer number.") var customerNumber: String?
  @Option(help: "Paid at or after (ISO 8601, such as 2026-01-01T00:00:00Z).") var from: String?
  @Option(help: "Paid at or before (ISO 8601).") var to: String?

  @Option(help: "The acting employee (agency port).") var employee: String?
  @Option(help: "Bearer token (default: the one saved by login).") var token: String?

  @Flag(help: "No progress bar.") var quiet = false
  @Flag(help: "Draw the progress bar even when standard error is not a terminal.") var progress = false

  func run() async throws {
    var filter = Etimad_Payments_V1_PaymentFilter()
    filter.sectorCode = sector ?? ""
    filter.serviceCode = service ?? ""
    filter.customerNumber = customerNumber ?? ""
    if let beneficiary { filter.beneficiary.number = beneficiary }
    for (text, name) in [(from, "--from"), (to, "--to")] {
      guard let text else { continue }
      guard let date = ISO8601DateFormatter().date(from: text) else {
        throw ValidationError("\(name) must be ISO 8601, such as 2026-01-01T00:00:00Z")
      }
      if name == "--from" { filter.paidFrom = .init(date: date) } else { filter.paidTo = .init(date: date) }
    }
    try await connection.checkReachable()
    var configuration = try connection.clientConfiguration()
    configuration.employee = employee
    let destination = URL(fileURLWithPath: output)
    let bar = ProgressBar(enabled: !quiet && (progress || isatty(STDERR_FILENO) == 1))
    let started = ContinuousClock.now
    let token = token
    let (fileFormat, arabic) = (fileFormat, arabic)
    // Ctrl-C (or a TERM) cancels the export, whose temporary file the client library removes;
    // a second one ends the probe at once. Installed before the export starts.
    let cancel = Mutex<(@Sendable () -> Void)?>(nil)
    let interruption = Interruption { cancel.withLock { $0 }?() }
    defer { interruption.stop() }
    let export = Task {
      try await EtimadClient.withClient(configuration) { client in
        if connection.clientCert == nil, let token = token ?? TokenFile.load() { client.session.value = token }
        return try await client.exportPayments(
          to: destination, filter: filter, format: fileFormat == .csv ? .csv : .jsonLines, arabicHeaders: arabic,
          timeout: .seconds(24 * 3600)
        ) { bar.show($0) }
      }
    }
    cancel.withLock { $0 = { export.cancel() } }
    if interruption.received != nil { export.cancel() }
    do {
      let final = try await export.value
      bar.finish()
      let elapsed = ContinuousClock.now - started
      let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
      let rate = seconds > 0 ? Double(final.rows) / seconds : 0
      if connection.format == .json {
        print(
          #"{"rows":\#(final.rows),"bytes":\#(final.bytes),"seconds":\#(String(format: "%.3f", seconds)),"rows_per_second":\#(Int(rate)),"file":"\#(output)"}"#
        )
      } else {
        print(
          "exported \(final.rows) rows (\(final.bytes) bytes) to \(output) in "
            + String(format: "%.2f s, %.0f rows/s", seconds, rate))
      }
    } catch {
      bar.finish()
      if let signal = interruption.received {
        FileHandle.standardError.write(Data("export interrupted: no file written\n".utf8))
        throw ExitCode(128 + signal)
      }
      guard let error = error as? RPCError else { throw error }
      CallFailure.report(error, json: connection.format == .json)
      throw error.code.exitCode
    }
  }
}

/// Runs `handler` when SIGINT or SIGTERM first arrives (instead of the process dying at once),
/// and remembers which one came, until stopped.
final class Interruption {
  private let sources: [any DispatchSourceSignal]
  private let signal = Mutex<Int32?>(nil)

  init(_ handler: @escaping @Sendable () -> Void) {
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGINT, SIGTERM] {
      Foundation.signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      sources.append(source)
    }
    self.sources = sources
    for (source, number) in zip(sources, [SIGINT, SIGTERM]) {
      source.setEventHandler { [weak self] in
        self?.signal.withLock { $0 = $0 ?? number }
        // The next one takes the default action: a hung cancellation can still be ended.
        Foundation.signal(number, SIG_DFL)
        handler()
      }
      source.resume()
    }
  }

  /// The signal that arrived, if any.
  var received: Int32? { signal.withLock { $0 } }

  func stop() {
    for source in sources { source.cancel() }
    Foundation.signal(SIGINT, SIG_DFL)
    Foundation.signal(SIGTERM, SIG_DFL)
  }
}

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar: Sendable {
  private let enabled: Bool
  private let last = Mutex<ContinuousClock.Instant?>(nil)

  init(enabled: Bool) { self.enabled = enabled }

  func show(_ progress: EtimadClient.ExportProgress) {
    guard enabled else { return }
    let now = ContinuousClock.now
    let due = last.withLock { last -> Bool in
      if let previous = last, now - previous < .milliseconds(100), progress.rows < progress.expectedRows {
        return false
      }
      last = now
      return true
    }
    guard due else { return }
    let width = 30
    let filled = Int(progress.fraction * Double(width))
    let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
    let line =
      "\r[\(bar)] \(Int(progress.fraction * 100))%  \(progress.rows)/\(progress.expectedRows) rows  "
      + String(format: "%.1f MiB", Double(progress.bytes) / 1_048_576)
    FileHandle.standardError.write(Data(line.utf8))
  }

  func finish() {
    if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}
