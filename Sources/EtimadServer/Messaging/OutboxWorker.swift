import EtimadKit
import Foundation
import Logging
import ServiceLifecycle

/// Delivers the outbox: polls for due messages, sends each through the gateway, and on
/// failure retries with exponential backoff (2 s doubling to 5 minutes, 10 attempts).
public struct OutboxWorker: Service {
  let database: EtimadDatabase
  let gateway: any SMSGateway
  let logger: Logger
  let interval: Duration

  public static let maximumAttempts = 10

  public init(
    database: EtimadDatabase, gateway: any SMSGateway, logger: Logger, interval: Duration = .milliseconds(100)
  ) {
    self.database = database
    self.gateway = gateway
    self.logger = logger
    self.interval = interval
  }

  public func run() async throws {
    await withGracefulShutdownHandler {
      while !Task.isCancelled, !Task.isShuttingDownGracefully {
        do {
          try await deliverDue()
        } catch {
          logger.error("outbox delivery failed", metadata: ["error": "\(error)"])
        }
        try? await Task.sleep(for: interval)
      }
    } onGracefulShutdown: {
    }
  }

  /// Sends every message that is due now; returns how many were sent.
  @discardableResult
  public func deliverDue() async throws -> Int {
    let due = try await database.read { db in try Outbox.due(db, now: database.clock.now, limit: 50) }
    var sent = 0
    for message in due {
      do {
        try await gateway.send(to: message.recipient, body: message.body)
        try await database.bookkeeping(.outboxDelivery) { db, now in try Outbox.markSent(db, id: message.id, now: now) }
        sent += 1
      } catch {
        let attempt = message.attempts + 1
        let retry: TimeInterval? = attempt >= Self.maximumAttempts ? nil : min(300, 2 * pow(2, Double(attempt - 1)))
        logger.warning(
          "SMS not delivered",
          metadata: ["outbox.id": "\(message.id)", "attempt": .stringConvertible(attempt), "error": "\(error)"])
        try await database.bookkeeping(.outboxDelivery) { db, now in
          try Outbox.markFailed(db, id: message.id, error: "\(error)", retryAfter: retry, now: now)
        }
      }
    }
    return sent
  }
}
