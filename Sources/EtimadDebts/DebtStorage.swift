import EtimadKit
import Foundation
import GRDB
import SwiftProtobuf

/// What the debts handler needs from storage, in the area's domain values only. `DebtsStore`
/// keeps it in the embedded SQLite database; a PostgreSQL store (several replicas behind a load
/// balancer) implements the same methods and runs the same contract tests
/// (`Tests/EtimadDebtsTests/DebtStorageContract.swift`).
///
/// Every method checks that the caller owns the records it touches (NOT_FOUND otherwise). A
/// change loads its `ChangeSnapshot` inside one transaction, hands it to the change's
/// `decide` (the pure `DebtWorkflow`, the same whichever store), writes the `DebtDecision`,
/// and reads the records back for the change's `answer`, exactly once per request_id and with
/// its audit row, all in that transaction.
protocol DebtStorage: Sendable {
  var clock: any WallClock { get }
  /// Days an instalment may stay unpaid past its due date (the area's setting).
  var graceDays: Int { get }

  func change<Answer: Sendable>(_ change: DebtChange<Answer>) async throws -> Answer

  /// The debt with its figures, pending requests and latest plan.
  func debt(id: Int64, caller: DebtCaller) async throws -> DebtSnapshot
  /// One page of debts matching `filter`, newest first, after the id `after`.
  func debts(
    _ filter: DebtFilter, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> DebtPage<DebtSnapshot>
  /// One page of a debt's movements, oldest first.
  func movements(
    debtID: Int64, caller: DebtCaller, pageSize: Int, after: Int64?
  ) async throws
    -> DebtPage<Movement>
  /// One page of a debt's change requests, newest first, before the id `before`.
  func changeRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> DebtPage<ChangeRequest>
  func reliefRequests(
    debtID: Int64, caller: DebtCaller, pageSize: Int, before: Int64?
  ) async throws
    -> DebtPage<ReliefRequest>
  /// The registered debts on an ID number, by state (OUTSTANDING, PAID, CANCELLED; states
  /// without debts left out).
  func summary(idNumber: String) async throws -> [DebtStateTotal]

  /// Marks DEFAULTED the plans with an instalment unpaid past the grace period; returns how many.
  func markDefaultedPlans() async throws -> Int
}

/// One change as the handler asks for it: who asks, which records it loads, the rules that
/// decide, and how the outcome is answered. The answer is opaque to storage: the kit keeps it
/// for a retry with the same request_id.
struct DebtChange<Answer: Sendable>: Sendable {
  var caller: DebtCaller
  var target: DebtTarget
  var once: ExactlyOnce<Answer>
  var decide: @Sendable (ChangeSnapshot, Date) throws -> DebtDecision
  var answer: @Sendable (DebtOutcome, Date) throws -> Answer
}

extension ExactlyOnce {
  /// The call's exactly-once envelope, refusals in this area's error domain.
  init<Request: SwiftProtobuf.Message>(_ call: MutationCall<Request>) where Answer: SwiftProtobuf.Message {
    self.init(call, domain: DebtRules.domain)
  }
}
