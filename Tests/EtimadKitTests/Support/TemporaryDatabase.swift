import EtimadKit
import Foundation
import GRDB
import Synchronization

/// A directory of its own under the system's temporary directory, removed when `body` ends,
/// so that every database test runs on a real SQLite file and leaves nothing behind.
func withTemporaryDirectory(_ body: (URL) async throws -> Void) async throws {
  let directory = FileManager.default.temporaryDirectory
    .appendingPathComponent("etimad-kit-tests-\(UUID().uuidString)", isDirectory: true)
  try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: directory) }
  try await body(directory)
}

/// Opens a fresh database file in a temporary directory with `migrations` after the kit's.
func withTemporaryDatabase(
  migrations: [Migration] = [],
  clock: any WallClock = ManualClock(),
  _ body: (EtimadDatabase) async throws -> Void
) async throws {
  try await withTemporaryDirectory { directory in
    let database = try EtimadDatabase(
      path: directory.appendingPathComponent("etimad.sqlite").path, migrations: migrations, clock: clock)
    try await body(database)
  }
}

/// Counts how many times something ran, from any thread.
final class Counter: Sendable {
  private let count = Atomic<Int>(0)

  var value: Int { count.load(ordering: .sequentiallyConsistent) }

  func increment() { count.add(1, ordering: .sequentiallyConsistent) }
}

extension EtimadDatabase {
  /// The number of rows in `table`, read back from the file.
  func count(_ table: String) async throws -> Int {
    try await read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table)") ?? 0 }
  }
}
