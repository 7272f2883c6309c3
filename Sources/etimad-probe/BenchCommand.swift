import ArgumentParser
import Etimad
import Foundation
import GRPCCore
import GRPCProtobuf
import Histogram
import SwiftProtobuf
import Synchronization

/// `bench`: drives a unary method with N calls (or for a duration) at C concurrent, closed loop
/// or at a fixed rate, and prints throughput, latency percentiles (HDR histogram) and errors by
/// status.
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Load a unary method: calls/s, p50/p90/p99/max and errors by status.",
    discussion: """
      Closed loop by default: C workers each make the next call when the last one answers. With
      --rate, open loop: call i is due at i/rate seconds and its latency counts from when it was
      due, so a stalled daemon shows up in the percentiles (no coordinated omission). A live
      progress line is drawn on a terminal. The run stops early when 50 calls in a row are
      UNAVAILABLE. Exits 0 when every call succeeded, otherwise 64 + the most frequent failure's
      status code (the report is printed either way).
      """)

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "A unary method, such as grpc.health.v1.Health/Check.")
  var method: String

  @Option(name: .customShort("d"), help: "The request as JSON (default {}), or @FILE.")
  var data = "{}"

  @Option(name: .customShort("n"), help: "Calls to make (after the warm-up).")
  var total = 10_000

  @Option(name: .customShort("c"), help: "Calls in flight at once.")
  var concurrency = 16

  @Option(help: "Calls made first and not counted.")
  var warmup = 200

  @Option(help: "Run for this many seconds instead of -n calls.")
  var duration: Double?

  @Option(help: "Open loop: start this many calls per second, each timed from when it was due.")
  var rate: Double?

  @Option(help: "Write the latency distribution (ms) to FILE in HdrHistogram's .hgrm format.")
  var hgrm: String?

  func validate() throws {
    guard total > 0, concurrency > 0, warmup >= 0 else { throw ValidationError("-n and -c must be positive") }
    if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
  }

  var plan: LoadPlan {
    LoadPlan(
      total: duration == nil ? total : nil, duration: duration.map { .milliseconds(Int64($0 * 1000)) },
      concurrency: concurrency, warmup: warmup, rate: rate)
  }

  func run() async throws {
    let entry = try MethodLookup.entry(method)
    guard entry.kind == .unary else {
      throw ValidationError("bench drives unary methods; \(entry.fullName) is \(entry.kind)")
    }
    let json = try RequestJSON.load(data)
    let metadata = try connection.rpcMetadata()
    let options = connection.callOptions()
    // A dead address stops the bench before it starts, with the cause.
    try await connection.checkReachable()
    let plan = self.plan
    let report = try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
      try await Load.run(
        entry.requestType, entry.responseType, entry: entry, json: json, client: client, metadata: metadata,
        options: options, plan: plan)
    }
    try report.finish(format: connection.format, hgrm: hgrm)
  }
}
