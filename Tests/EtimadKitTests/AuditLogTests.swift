import Foundation
import GRDB
import Testing

@_spi(Testing) @testable import EtimadKit

@Suite("AuditLog")
struct AuditLogTests {
  static let time = Date(timeIntervalSince1970: 1_764_000_123.9)

  static func append(_ db: Database, _ principal: Principal, target: String, requestID: String? = nil) throws {
    try AuditLog.append(
      db, principal: principal, method: "/etimad.debts.v1.DebtService/ApproveDebt", target: target,
      requestID: requestID, peer: "ipv4:10.0.0.7:51234", summary: "Approved", time: time)
  }

  @Test("each kind of caller is recorded with its id, and an agency with its employee")
  func principals() async throws {
    try await withTemporaryDatabase { database in
      // Given a change by each kind of caller on one target
      let person = Principal.individual(.init(nationalID: try NationalID(parsing: "1012345672"), sessionID: "s-1"))
      try await database.testingPool.write { db in
        try Self.append(db, .anonymous, target: "debt/42")
        try Self.append(db, person, target: "debt/42", requestID: "6f1c2e9a-1b2c-4d3e-8f90-0123456789ab")
        try Self.append(db, .agency(.init(code: "MOF", employee: "e-1001")), target: "debt/42")
        try Self.append(db, .agency(.init(code: "MOI", employee: nil)), target: "debt/42")
      }
      // When the target's trail is read
      let entries = try await database.read { db in try AuditLog.entries(db, target: "debt/42") }
      // Then the rows come oldest first, each naming its caller
      #expect(entries.map(\.principalKind) == ["anonymous", "individual", "agency", "agency"])
      #expect(entries.map(\.principalId) == ["anonymous", "1012345672", "MOF", "MOI"])
      #expect(entries.map(\.employee) == [nil, nil, "e-1001", nil])
      #expect(entries.map(\.requestId) == [nil, "6f1c2e9a-1b2c-4d3e-8f90-0123456789ab", nil, nil])
      #expect(entries.map(\.id) == entries.map(\.id).sorted())
      // And the time is kept to the second
      #expect(entries.allSatisfy { $0.time == 1_764_000_123 })
      #expect(entries.allSatisfy { $0.method == "/etimad.debts.v1.DebtService/ApproveDebt" })
      #expect(entries.allSatisfy { $0.peer == "ipv4:10.0.0.7:51234" && $0.summary == "Approved" })
    }
  }

  @Test("a target's trail holds only its own rows")
  func perTarget() async throws {
    try await withTemporaryDatabase { database in
      try await database.testingPool.write { db in
        try Self.append(db, .anonymous, target: "debt/1")
        try Self.append(db, .anonymous, target: "debt/2")
        try Self.append(db, .anonymous, target: "debt/1")
      }
      let (first, second, none) = try await database.read { db in
        (
          try AuditLog.entries(db, target: "debt/1"), try AuditLog.entries(db, target: "debt/2"),
          try AuditLog.entries(db, target: "debt/3")
        )
      }
      #expect(first.count == 2)
      #expect(second.count == 1)
      #expect(none.isEmpty)
      #expect(first.allSatisfy { $0.target == "debt/1" })
    }
  }

  @Test("a row appended in a transaction that rolls back is not kept")
  func rolledBack() async throws {
    struct Abort: Error {}
    try await withTemporaryDatabase { database in
      // Given a row appended in a change that then fails
      await #expect(throws: Abort.self) {
        try await database.testingPool.write { db in
          try Self.append(db, .anonymous, target: "debt/42")
          throw Abort()
        }
      }
      // Then the trail is empty
      let entries = try await database.read { db in try AuditLog.entries(db, target: "debt/42") }
      #expect(entries.isEmpty)
    }
  }
}
