import Foundation
import GRDB
import Testing

@testable import EtimadKit

@Suite("EtimadDatabase writes outside mutate")
struct WritesTests {
  static let start = Date(timeIntervalSince1970: 1_764_000_000)

  /// An area table the writes change.
  static let agencies = Migration("test.v1.agencies") { db in
    try db.execute(sql: "CREATE TABLE agency (code TEXT PRIMARY KEY, state TEXT NOT NULL)")
  }

  static func withDatabase(_ body: (EtimadDatabase) async throws -> Void) async throws {
    try await withTemporaryDatabase(migrations: [agencies], clock: ManualClock(start), body)
  }

  static func codes(_ database: EtimadDatabase) async throws -> [String] {
    try await database.read { db in try String.fetchAll(db, sql: "SELECT code FROM agency ORDER BY code") }
  }

  static func trail(_ database: EtimadDatabase) async throws -> [AuditLog.Entry] {
    try await database.read { db in try AuditLog.Entry.fetchAll(db, sql: "SELECT * FROM audit ORDER BY id") }
  }

  @Test("an operator's change is written with its audit row, naming the operator")
  func operatorWrite() async throws {
    try await Self.withDatabase { database in
      // When the operator adds an agency
      let added = try await database.write(as: .operator("alice"), method: "etimadd agency add") { db, audit in
        try db.execute(sql: "INSERT INTO agency (code, state) VALUES ('MOF', 'active')")
        try audit.record(target: "agency/MOF", summary: "agency registered")
        return "MOF"
      }
      // Then the change and its row are both there, the row naming the operator and the time
      #expect(added == "MOF")
      #expect(try await Self.codes(database) == ["MOF"])
      let trail = try await Self.trail(database)
      #expect(trail.count == 1)
      let row = try #require(trail.first)
      #expect(row.principalKind == "operator")
      #expect(row.principalId == "alice")
      #expect(row.employee == nil)
      #expect(row.method == "etimadd agency add")
      #expect(row.target == "agency/MOF")
      #expect(row.summary == "agency registered")
      #expect(row.requestId == nil)
      #expect(row.peer == "local")
      #expect(row.time == Int64(Self.start.timeIntervalSince1970))
    }
  }

  @Test("a job's change that throws leaves neither its change nor its audit row")
  func rollsBack() async throws {
    struct Abort: Error {}
    try await Self.withDatabase { database in
      // When a job writes and records, then fails
      await #expect(throws: Abort.self) {
        try await database.write(as: .system("debts"), method: "job/instalment-plan-defaults") { db, audit in
          try db.execute(sql: "INSERT INTO agency (code, state) VALUES ('MOI', 'active')")
          try audit.record(target: "agency/MOI", summary: "written, then rolled back")
          throw Abort()
        }
      }
      // Then nothing of it is kept
      let (codes, trail) = (try await Self.codes(database), try await Self.trail(database))
      #expect(codes.isEmpty)
      #expect(trail.isEmpty)
    }
  }

  @Test("a change without an audit row is refused and rolled back; one that writes nothing needs none")
  func unaudited() async throws {
    try await Self.withDatabase { database in
      // When a job changes a row and records nothing
      await #expect(throws: UnauditedWrite.self) {
        try await database.write(as: .system("debts"), method: "job/forgetful") { db, _ in
          try db.execute(sql: "INSERT INTO agency (code, state) VALUES ('MOH', 'active')")
        }
      }
      // Then the change is not kept
      #expect(try await Self.codes(database).isEmpty)
      // And a job that finds nothing to do writes no row and succeeds
      let marked = try await database.write(as: .system("debts"), method: "job/idle") { db, _ in
        try Int.fetchOne(db, sql: "SELECT count(*) FROM agency") ?? 0
      }
      #expect(marked == 0)
      #expect(try await Self.trail(database).isEmpty)
    }
  }

  @Test("audited bookkeeping must leave a row when it changes; the unaudited kinds need none")
  func bookkeeping() async throws {
    try await Self.withDatabase { database in
      // An audited kind that changes without a row is refused
      await #expect(throws: UnauditedWrite.self) {
        try await database.bookkeeping(.signInFailure) { db, _ in
          try db.execute(sql: "INSERT INTO agency (code, state) VALUES ('MOF', 'locked')")
        }
      }
      // and kept with its row, committed even though the caller goes on to fail
      try await database.bookkeeping(.signInFailure) { db, now in
        try db.execute(sql: "INSERT INTO agency (code, state) VALUES ('MOF', 'locked')")
        try AuditLog.append(
          db, principal: .anonymous, method: "/etimad.identity.v1.IdentityService/StartLogin", target: "account/1",
          requestID: nil, peer: "ipv4:10.0.0.7:51234", summary: "login failed", time: now)
      }
      // An unaudited kind writes no row
      try await database.bookkeeping(.sessionTouch) { db, _ in
        try db.execute(sql: "UPDATE agency SET state = 'active' WHERE code = 'MOF'")
      }
      #expect(try await Self.codes(database) == ["MOF"])
      #expect(try await Self.trail(database).map(\.summary) == ["login failed"])
      #expect(Bookkeeping.allCases.filter(\.audited) == [.signInFailure, .oneTimeCodeAttempt])
    }
  }

  @Test("a bulk load writes its batches with one audit row for the whole load")
  func bulkLoad() async throws {
    try await Self.withDatabase { database in
      // When a load writes three batches
      let load = try await database.beginBulkLoad(
        as: .operator("bench"), method: "etimadd agencies bench-seed",
        audit: AuditRecord(target: "agencies", summary: "benchmark load: 30 agencies"))
      for batch in 0..<3 {
        try await load.batch { db in
          for index in 0..<10 {
            try db.execute(
              sql: "INSERT INTO agency (code, state) VALUES (?, 'active')", arguments: ["A\(batch)-\(index)"])
          }
        }
      }
      // Then every row is there, and one audit row for them all
      #expect(try await Self.codes(database).count == 30)
      let trail = try await Self.trail(database)
      #expect(trail.map(\.summary) == ["benchmark load: 30 agencies"])
      #expect(trail.map(\.principalId) == ["bench"])
    }
  }
}
