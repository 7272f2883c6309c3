import EtimadKit
import Foundation
import GRPCCore
import Logging

/// Turns a full disk into answers clients can act on: writes refused for lack of space are
/// UNAVAILABLE (`STORAGE_FULL`, retry in 30 s), logged once a minute with a count, and the
/// services that write turn NOT_SERVING in health; a probe write every few seconds notices
/// when space is back and turns them SERVING again.
final class StorageWatch: Sendable {
  static let domain = "platform.etimad.sa"
  static let probeInterval: Duration = .seconds(2)

  let database: EtimadDatabase
  let health: HealthStatusStore
  /// The services whose methods write.
  let writingServices: [String]
  let logger: Logger

  init(database: EtimadDatabase, health: HealthStatusStore, writingServices: [String], logger: Logger) {
    self.database = database
    self.health = health
    self.writingServices = writingServices
    self.logger = logger
  }

  /// The answer to a write the store refused for lack of space.
  func refused(method: String) -> EtimadError {
    if let count = database.storage.recordFull(now: database.clock.now) {
      logger.error(
        "writes refused: storage full",
        metadata: ["storage.refused_writes": .stringConvertible(count), "rpc.method": "\(method)"])
    }
    for service in writingServices { health.set(.notServing, for: service) }
    return EtimadError(
      code: .unavailable, reason: "STORAGE_FULL", domain: Self.domain,
      message: LocalizedString(
        en: "The platform cannot store changes right now; nothing was changed. Try again shortly.",
        ar: "لا تستطيع المنصة حفظ التغييرات حاليًا، ولم يتغير شيء. حاول مرة أخرى بعد قليل."),
      retryAfter: .seconds(30))
  }

  /// The probe, run every `probeInterval` by the daemon; does nothing while writes succeed.
  var job: PeriodicJob {
    PeriodicJob(name: "storage-probe", interval: Self.probeInterval) { [self] in
      guard database.storage.isFull else { return }
      do {
        try await database.probeStorage()
      } catch  where StorageHealth.isFull(error) {
        _ = database.storage.recordFull(now: database.clock.now)
        return
      }
      if database.storage.recordWritable() {
        logger.notice("storage writable again")
        for service in writingServices { health.set(.serving, for: service) }
      }
    }
  }
}
