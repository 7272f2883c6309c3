import ArgumentParser
import EtimadProtos
import Foundation
import GRPCCore
import Histogram

/// What a load run measured: latencies in microseconds, failures by status code.
struct LoadReport: Sendable {
  let method: String
  let calls: Int
  let concurrency: Int
  let rate: Double?
  let seconds: Double
  let histogram: Histogram<UInt64>
  /// Failed calls by status code.
  let errorCodes: [RPCError.Code: Int]
  /// Why the run ended before its plan, if it did.
  let stoppedEarly: String?

  /// One minute, in microseconds: longer calls are recorded as one minute.
  static let highest: UInt64 = 60_000_000

  static func emptyHistogram() -> Histogram<UInt64> {
    Histogram<UInt64>(highestTrackableValue: highest, numberOfSignificantValueDigits: .three)
  }

  func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
  var maxMs: Double { Double(histogram.max) / 1000 }
  var rps: Double { seconds > 0 ? Double(calls) / seconds : 0 }

  var errors: [String: Int] {
    Dictionary(uniqueKeysWithValues: errorCodes.map { ($0.key.canonicalName, $0.value) })
  }

  /// 64 + the most frequent failure's code when any call failed, as `call` exits.
  var exitCode: ExitCode? {
    guard let worst = errorCodes.max(by: { ($0.value, $1.key.rawValue) < ($1.value, $0.key.rawValue) }) else {
      return nil
    }
    return worst.key.exitCode
  }

  var text: String {
    var lines = [
      "method:      \(method)",
      "calls:       \(calls) at \(concurrency) concurrent"
        + (rate.map { String(format: ", %.0f/s open loop", $0) } ?? "")
        + " in \(String(format: "%.2f", seconds)) s",
      "calls/s:     \(String(format: "%.0f", rps))",
      "latency ms:  p50 \(fmt(ms(50)))  p90 \(fmt(ms(90)))  p99 \(fmt(ms(99)))  max \(fmt(maxMs))",
    ]
    lines.append(
      "errors:      "
        + (errors.isEmpty
          ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
    if let stoppedEarly { lines.append("stopped:     early: \(stoppedEarly)") }
    return lines.joined(separator: "\n")
  }

  /// The report as JSON; method names keep their slash (`Health/Check`, not `Health\/Check`).
  var json: String {
    struct Document: Encodable {
      let method: String
      let calls: Int
      let concurrency: Int
      let rate: Double?
      let seconds: Double
      let rps: Double
      let p50: Double
      let p90: Double
      let p99: Double
      let p999: Double
      let max: Double
      let errors: [String: Int]
      let stoppedEarly: String?

      enum CodingKeys: String, CodingKey {
        case method, calls, concurrency, rate, seconds, rps, errors
        case p50 = "p50_ms"
        case p90 = "p90_ms"
        case p99 = "p99_ms"
        case p999 = "p999_ms"
        case max = "max_ms"
        case stoppedEarly = "stopped_early"
      }
    }
    let document = Document(
      method: method, calls: calls, concurrency: concurrency, rate: rate, seconds: seconds, rps: rps, p50: ms(50),
      p90: ms(90), p99: ms(99), p999: ms(99.9), max: maxMs, errors: errors, stoppedEarly: stoppedEarly)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return String(decoding: (try? encoder.encode(document)) ?? Data(), as: UTF8.self)
  }

  /// HdrHistogram's percentile distribution in milliseconds, the text its plotters read.
  var hgrm: String {
    var text = ""
    histogram.outputPercentileDistribution(to: &text, outputValueUnitScalingRatio: 1000)
    return text
  }

  /// Prints the report, writes the .hgrm file if asked, and exits as the calls did.
  func finish(format: OutputFormat, hgrm path: String?) throws {
    print(format == .json ? json : text)
    if let path {
      do {
        try hgrm.write(toFile: path, atomically: true, encoding: .utf8)
      } catch {
        printError("error: cannot write \(path): \(error.localizedDescription)")
        throw ExitCode(1)
      }
    }
    if let stoppedEarly { printError("error: stopped early: \(stoppedEarly)") }
    if let exitCode { throw exitCode }
  }

  private func fmt(_ value: Double) -> String { String(format: "%.3f", value) }
}
