import ArgumentParser
import Etimad
import Foundation
import GRPCCore
import GRPCProtobuf
import Histogram
import SwiftProtobuf
import Synchronization

/// How much load to make: a number of calls or a duration, closed loop or at a fixed rate.
struct LoadPlan: Sendable {
  /// Calls to make; nil when `duration` bounds the run.
  var total: Int?
  var duration: Duration?
  var concurrency: Int
  var warmup: Int
  /// Calls per second in open loop; nil for closed loop.
  var rate: Double?
  /// Calls UNAVAILABLE in a row that end the run early (the daemon is gone).
  var unavailableInARow = 50
}

enum Load {
  /// Decodes the request once, then loads `entry` with it.
  static func run<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ request: Request.Type, _ response: Response.Type, entry: MethodCatalogEntry, json: String,
    client: EtimadClient, metadata: Metadata, options: CallOptions, plan: LoadPlan
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
    return await load(method: entry.fullName, plan: plan, call: call)
  }

  /// Warms up, then makes the plan's calls from `plan.concurrency` workers, each recording
  /// into its own histogram (merged at the end) so that workers never contend; `call` returns
  /// nil on success or the status code.
  static func load(
    method: String, plan: LoadPlan, call: @escaping @Sendable () async -> RPCError.Code?
  ) async -> LoadReport {
    let concurrency = plan.concurrency
    await withTaskGroup(of: Void.self) { group in
      for worker in 0..<min(concurrency, max(plan.warmup, 1)) {
        group.addTask {
          for _ in stride(from: worker, to: plan.warmup, by: concurrency) { _ = await call() }
        }
      }
    }
    let state = LoadState()
    let start = ContinuousClock.now
    let end = plan.duration.map { start + $0 }
    let progress = LiveProgress.onTerminal(state: state, start: start)
    let results = await withTaskGroup(of: (Histogram<UInt64>, [RPCError.Code: Int]).self) { group in
      for _ in 0..<concurrency {
        group.addTask {
          var histogram = LoadReport.emptyHistogram()
          var errors: [RPCError.Code: Int] = [:]
          while !state.stopped.load(ordering: .relaxed) {
            let index = state.tickets.wrappingAdd(1, ordering: .relaxed).oldValue
            if let total = plan.total, index >= total { break }
            // Open loop: the call is due at its slot, and late calls count their lateness.
            let due = plan.rate.map { start + .nanoseconds(Int64(Double(index) / $0 * 1e9)) } ?? ContinuousClock.now
            if let end, due >= end { break }
            if due > ContinuousClock.now { try? await Task.sleep(until: due, clock: .continuous) }
            let code = await call()
            let elapsed = ContinuousClock.now - due
            histogram.record(min(LoadReport.highest, UInt64(max(1, elapsed / .microseconds(1)))))
            state.completed.wrappingAdd(1, ordering: .relaxed)
            if let code {
              errors[code, default: 0] += 1
              state.failed.wrappingAdd(1, ordering: .relaxed)
            }
            if code == .unavailable {
              if state.unavailableInARow.wrappingAdd(1, ordering: .relaxed).newValue >= plan.unavailableInARow {
                state.stopped.store(true, ordering: .relaxed)
              }
            } else {
              state.unavailableInARow.store(0, ordering: .relaxed)
            }
          }
          return (histogram, errors)
        }
      }
      var merged = LoadReport.emptyHistogram()
      var errors: [RPCError.Code: Int] = [:]
      for await (histogram, workerErrors) in group {
        merged.add(histogram)
        errors.merge(workerErrors, uniquingKeysWith: +)
      }
      return (merged, errors)
    }
    progress?.stop()
    let elapsed = ContinuousClock.now - start
    return LoadReport(
      method: method, calls: Int(results.0.totalCount), concurrency: concurrency, rate: plan.rate,
      seconds: elapsed / .seconds(1), histogram: results.0, errorCodes: results.1,
      stoppedEarly: state.stopped.load(ordering: .relaxed)
        ? "\(plan.unavailableInARow) calls in a row were UNAVAILABLE" : nil)
  }
}

/// Counters the workers share without a lock.
final class LoadState: Sendable {
  let tickets = Atomic<Int>(0)
  let completed = Atomic<Int>(0)
  let failed = Atomic<Int>(0)
  let unavailableInARow = Atomic<Int>(0)
  let stopped = Atomic<Bool>(false)
}

/// A progress line on standard error, redrawn twice a second, on a terminal only (a pipe or
/// a file gets the report alone).
final class LiveProgress: Sendable {
  private let task: Task<Void, Never>

  static func onTerminal(state: LoadState, start: ContinuousClock.Instant) -> LiveProgress? {
    isatty(STDERR_FILENO) == 1 ? LiveProgress(state: state, start: start) : nil
  }

  private init(state: LoadState, start: ContinuousClock.Instant) {
    task = Task {
      while !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(500))
        let calls = state.completed.load(ordering: .relaxed)
        let seconds = (ContinuousClock.now - start) / .seconds(1)
        let line = String(
          format: "\r%d calls  %.0f calls/s  %d errors  %.1f s\u{1B}[K", calls, Double(calls) / max(seconds, 0.001),
          state.failed.load(ordering: .relaxed), seconds)
        FileHandle.standardError.write(Data(line.utf8))
      }
    }
  }

  func stop() {
    task.cancel()
    FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
  }
}
