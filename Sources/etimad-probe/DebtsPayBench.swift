import ArgumentParser
import Etimad
import EtimadProtos
import Foundation
import GRPCCore
import GRPCProtobuf
import Histogram
import Synchronization

/// `debts-pay-bench`: drives RecordPayment on the agency port with a fresh request_id and SADAD
/// reference on every call (each one a real write transaction, never an idempotent replay),
/// 1 halala at a time over a range of debts; prints the same report as `bench`.
struct DebtsPayBenchCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "debts-pay-bench",
    abstract: "Load RecordPayment with distinct payments: calls/s, p50/p90/p99/max and errors by status.")

  @OptionGroup var connection: ConnectionOptions

  @Option(help: "The first debt id to pay.") var firstDebt: Int64 = 1
  @Option(help: "How many consecutive debt ids to spread the payments over.") var debtCount: Int64 = 1_000
  @Option(name: .customShort("n"), help: "Calls to make (after the warm-up).") var total = 10_000
  @Option(name: .customShort("c"), help: "Calls in flight at once.") var concurrency = 64
  @Option(help: "Calls made first and not counted.") var warmup = 200
  @Option(help: "Open loop: calls per second, each timed from when it was due (at most -c in flight).")
  var rate: Double?

  func validate() throws {
    guard total > 0, concurrency > 0, warmup >= 0, debtCount > 0 else {
      throw ValidationError("-n, -c and --debt-count must be positive")
    }
    if let rate, rate <= 0 { throw ValidationError("--rate must be positive") }
  }

  func run() async throws {
    let metadata = try connection.rpcMetadata()
    let options = connection.callOptions()
    try await connection.checkReachable()
    let (first, count) = (firstDebt, debtCount)
    let plan = LoadPlan(total: total, duration: nil, concurrency: concurrency, warmup: warmup, rate: rate)
    let report = try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
      let counter = Counter()
      let call: @Sendable () async -> RPCError.Code? = {
        let index = counter.next()
        let request = Etimad_Debts_V1_RecordPaymentRequest.with {
          $0.requestID = UUID().uuidString.lowercased()
          $0.debtID = String(first + Int64(index) % count)
          $0.amount = .with {
            $0.currencyCode = "SAR"
            $0.amountHalalas = 1
          }
          $0.sadadReference = "BENCH" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        }
        do {
          _ = try await client.debts.recordPayment(request, metadata: metadata, options: options)
          return nil
        } catch let error as RPCError {
          return error.code
        } catch {
          return .unknown
        }
      }
      return await Load.load(method: "etimad.debts.v1.DebtService/RecordPayment", plan: plan, call: call)
    }
    try report.finish(format: connection.format, hgrm: nil)
  }
}

/// A shared sequence number.
final class Counter: Sendable {
  private let value = Atomic<Int>(0)
  func next() -> Int { value.wrappingAdd(1, ordering: .relaxed).oldValue }
}
