import ArgumentParser
import Etimad
import Foundation
import GRPCCore
import GRPCProtobuf
import Histogram
import SwiftProtobuf
import Synchronization

/// `bench`: drives a unary method with N calls at C concurrent and prints throughput, latency
/// percentiles (HDR histogram) and errors by status.
struct BenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench", abstract: "Load a unary method: calls/s, p50/p90/p99/max and errors by status.")

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

  func validate() throws {
    guard total > 0, concurrency > 0, warmup >= 0 else { throw ValidationError("-n and -c must be positive") }
  }

  func run() async throws {
    let entry = try MethodLookup.entry(method)
    guard entry.kind == .unary else {
      throw ValidationError("bench drives unary methods; \(entry.fullName) is \(entry.kind)")
    }
    let json = try RequestJSON.load(data)
    let metadata = try connection.metadata()
    let options = connection.callOptions()
    let (total, concurrency, warmup) = (self.total, self.concurrency, self.warmup)
    let report = try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
      try await Load.run(
        entry.requestType, entry.responseType, entry: entry, json: json, client: client, metadata: metadata,
        options: options, total: total, concurrency: concurrency, warmup: warmup)
    }
    print(connection.format == .json ? report.json : report.text)
  }
}

struct LoadReport: Sendable {
  let method: String
  let calls: Int
  let concurrency: Int
  let seconds: Double
  let histogram: Histogram<UInt64>
  let errors: [String: Int]

  func ms(_ percentile: Double) -> Double { Double(histogram.valueAtPercentile(percentile)) / 1000 }
  var rps: Double { Double(calls) / seconds }

  var text: String {
    var lines = [
      "method:      \(method)",
      "calls:       \(calls) at \(concurrency) concurrent in \(String(format: "%.2f", seconds)) s",
      "calls/s:     \(String(format: "%.0f", rps))",
      "latency ms:  p50 \(fmt(ms(50)))  p90 \(fmt(ms(90)))  p99 \(fmt(ms(99)))  max \(fmt(Double(histogram.max) / 1000))",
    ]
    lines.append(
      "errors:      "
        + (errors.isEmpty
          ? "none" : errors.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")))
    return lines.joined(separator: "\n")
  }

  var json: String {
    let object: [String: Any] = [
      "method": method, "calls": calls, "concurrency": concurrency, "seconds": seconds, "rps": rps,
      "p50_ms": ms(50), "p90_ms": ms(90), "p99_ms": ms(99), "max_ms": Double(histogram.max) / 1000, "errors": errors,
    ]
    let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }

  private func fmt(_ value: Double) -> String { String(format: "%.3f", value) }
}

enum Load {
  /// Runs `warmup` uncounted calls, then `total` calls from `concurrency` workers, each worker
  /// recording into its own histogram (merged at the end) so that workers never contend.
  static func run<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ request: Request.Type, _ response: Response.Type, entry: MethodCatalogEntry, json: String,
    client: EtimadClient, metadata: Metadata, options: CallOptions, total: Int, concurrency: Int, warmup: Int
  ) async throws -> LoadReport {
    guard let message = try RequestJSON.messages(Request.self, from: json, many: false).first else {
      throw ValidationError("no request")
    }
    let descriptor = MethodDescriptor(fullyQualifiedService: entry.service, method: entry.method)
    let call: @Sendable () async -> RPCError.Code? = {
      do {
        try await client.grpc.unary(
          request: ClientRequest(message: message, metadata: metadata), descriptor: descriptor,
          serializer: ProtobufSerializer<Request>(), deserializer: ProtobufDeserializer<Response>(),
          options: options
        ) { response in _ = try response.message }
        return nil
      } catch let error as RPCError {
        return error.code
      } catch {
        return .unknown
      }
    }
    return await load(
      method: entry.fullName, total: total, concurrency: concurrency, warmup: warmup, call: call)
  }

  /// Warms up with `warmup` calls, then makes `total` calls from `concurrency` workers and
  /// reports their latencies and failures; `call` returns nil on success or the status code.
  static func load(
    method: String, total: Int, concurrency: Int, warmup: Int, call: @escaping @Sendable () async -> RPCError.Code?
  ) async -> LoadReport {
    // Warm-up: connection, TLS, caches.
    await withTaskGroup(of: Void.self) { group in
      for worker in 0..<min(concurrency, max(warmup, 1)) {
        group.addTask {
          for _ in stride(from: worker, to: warmup, by: concurrency) { _ = await call() }
        }
      }
    }
    let budget = CallBudget(total)
    let start = ContinuousClock.now
    let results = await withTaskGroup(of: (Histogram<UInt64>, [String: Int]).self) { group in
      for _ in 0..<concurrency {
        group.addTask {
          var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
          var errors: [String: Int] = [:]
          while budget.take() {
            let began = ContinuousClock.now
            let code = await call()
            let elapsed = ContinuousClock.now - began
            histogram.record(UInt64(max(1, elapsed / .microseconds(1))))
            if let code { errors["\(code)", default: 0] += 1 }
          }
          return (histogram, errors)
        }
      }
      var merged = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
      var errors: [String: Int] = [:]
      for await (histogram, workerErrors) in group {
        merged.add(histogram)
        errors.merge(workerErrors, uniquingKeysWith: +)
      }
      return (merged, errors)
    }
    let elapsed = ContinuousClock.now - start
    return LoadReport(
      method: method, calls: total, concurrency: concurrency, seconds: elapsed / .seconds(1),
      histogram: results.0, errors: results.1)
  }
}

/// The calls left to make, shared by the workers without a lock.
final class CallBudget: Sendable {
  private let taken = Atomic<Int>(0)
  private let total: Int

  init(_ total: Int) { self.total = total }

  /// Whether one more call may be made.
  func take() -> Bool { taken.wrappingAdd(1, ordering: .relaxed).oldValue < total }
}
