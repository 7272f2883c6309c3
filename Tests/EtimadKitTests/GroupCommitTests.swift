import EtimadProtos
import Foundation
import GRDB
import Testing

@_spi(Testing) @testable import EtimadKit

@Suite("Group commit")
struct GroupCommitTests {
  typealias Receipt = Etimad_Type_V1_LocalizedText

  /// An account table with a balance that may not go below zero, and transfers whose account
  /// is checked only at COMMIT (a deferred foreign key): a write can pass its savepoint and
  /// still make the batch's COMMIT fail.
  static let accounts = Migration("test.v1.accounts") { db in
    try db.execute(
      sql: """
        CREATE TABLE account (id INTEGER PRIMARY KEY, balance INTEGER NOT NULL CHECK (balance >= 0));
        CREATE TABLE transfer (
          id INTEGER PRIMARY KEY AUTOINCREMENT,
          account_id INTEGER NOT NULL REFERENCES account (id) DEFERRABLE INITIALLY DEFERRED,
          amount INTEGER NOT NULL
        );
        INSERT INTO account (id, balance) VALUES (1, 1000);
        """)
  }

  static func call(
    _ amount: Int64, account: Int64 = 1, requestID: String = UUID().uuidString
  ) throws -> MutationCall<
    Etimad_Type_V1_Money
  > {
    try MutationCall(
      method: "/test.Accounts/Transfer",
      request: .with {
        $0.currencyCode = "SAR"
        $0.amountHalalas = amount * 1000 + account
      }, requestID: requestID, principal: .agency(.init(code: "MOF", employee: "e-1")), peer: "ipv4:127.0.0.1:1",
      domain: "test")
  }

  /// Takes `amount` from the account and records the transfer; CHECK refuses an overdraft in
  /// the statement, the deferred foreign key refuses an unknown account only at COMMIT.
  static func transfer(
    _ amount: Int64, account: Int64 = 1
  )
    -> @Sendable (Database, Date) throws -> (
      Receipt, AuditRecord
    )
  {
    { db, _ in
      try db.execute(sql: "UPDATE account SET balance = balance - ? WHERE id = 1", arguments: [amount])
      try db.execute(sql: "INSERT INTO transfer (account_id, amount) VALUES (?, ?)", arguments: [account, amount])
      return (
        .with { $0.en = "transfer \(db.lastInsertedRowID)" }, AuditRecord(target: "account/1", summary: "-\(amount)")
      )
    }
  }

  @Test("concurrent writes share commits, each answered with its own result")
  func concurrentWritesShareCommits() async throws {
    try await withTemporaryDatabase(migrations: [Self.accounts]) { database in
      // Given 60 transfers of 10 at once
      let answers = try await withThrowingTaskGroup(of: String.self) { group in
        for _ in 0..<60 {
          group.addTask {
            try await database.mutate(try Self.call(10), domain: "test", change: Self.transfer(10)).en
          }
        }
        return try await group.reduce(into: [String]()) { $0.append($1) }
      }
      // Then every one is answered once, all are on file, and fewer commits than writes were made
      #expect(Set(answers).count == 60)
      let balance = try await database.read { db in try Int.fetchOne(db, sql: "SELECT balance FROM account") }
      #expect(balance == 400)
      #expect(try await database.count("audit") == 60)
      let figures = try #require(database.commitFigures)
      #expect(figures.writes >= 60)
      #expect(figures.commits < figures.writes, "\(figures)")
    }
  }

  @Test("a write that fails in its savepoint is refused alone; its neighbours commit")
  func failingWriteRollsBackAlone() async throws {
    try await withTemporaryDatabase(migrations: [Self.accounts]) { database in
      // Given overdrafts among good transfers: 20 of 100 and 20 of 5,000 at once
      let outcomes = await withTaskGroup(of: Bool.self) { group in
        for index in 0..<40 {
          let amount: Int64 = index.isMultiple(of: 2) ? 5_000 : 10
          group.addTask {
            (try? await database.mutate(try Self.call(amount), domain: "test", change: Self.transfer(amount))) != nil
          }
        }
        return await group.reduce(into: [Bool]()) { $0.append($1) }
      }
      // Then the 20 small ones committed, and the overdrafts left nothing behind
      #expect(outcomes.filter { $0 }.count == 20)
      let (balance, transfers) = try await database.read { db in
        (
          try Int.fetchOne(db, sql: "SELECT balance FROM account"),
          try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM transfer")
        )
      }
      #expect(balance == 800)
      #expect(transfers == 20)
      #expect(try await database.count("audit") == 20)
      #expect(try await database.count("idempotency") == 20)
    }
  }

  @Test("when the COMMIT fails, nobody is answered from it and each write is retried alone")
  func failedCommitRetriesEachAlone() async throws {
    try await withTemporaryDatabase(migrations: [Self.accounts]) { database in
      // Given good transfers next to ones naming an unknown account, which only COMMIT refuses
      let outcomes = await withTaskGroup(of: (Bool, Bool).self) { group in
        for index in 0..<30 {
          let unknown = index.isMultiple(of: 3)
          group.addTask {
            let result = try? await database.mutate(
              try Self.call(1, account: unknown ? 99 : 1), domain: "test",
              change: Self.transfer(1, account: unknown ? 99 : 1))
            return (unknown, result != nil)
          }
        }
        return await group.reduce(into: [(Bool, Bool)]()) { $0.append($1) }
      }
      // Then exactly the good ones succeed and are on file, once each
      #expect(outcomes.allSatisfy { unknown, succeeded in unknown != succeeded })
      let transfers = try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM transfer") }
      #expect(transfers == 20)
      #expect(try await database.count("idempotency") == 20)
    }
  }

  @Test("a retry of the same request_id in the same batch gets the first answer")
  func sameRequestInOneBatch() async throws {
    try await withTemporaryDatabase(migrations: [Self.accounts]) { database in
      let requestID = UUID().uuidString
      let answers = try await withThrowingTaskGroup(of: String.self) { group in
        for _ in 0..<10 {
          group.addTask {
            try await database.mutate(
              try Self.call(7, requestID: requestID), domain: "test", change: Self.transfer(7)
            ).en
          }
        }
        return try await group.reduce(into: [String]()) { $0.append($1) }
      }
      #expect(Set(answers).count == 1)
      let balance = try await database.read { db in try Int.fetchOne(db, sql: "SELECT balance FROM account") }
      #expect(balance == 993)
    }
  }

  @Test("with group commit off every write commits alone and the figures are absent")
  func off() async throws {
    try await withTemporaryDirectory { directory in
      let database = try EtimadDatabase(
        path: directory.appendingPathComponent("etimad.sqlite").path, migrations: [Self.accounts],
        clock: ManualClock(), groupCommit: false)
      _ = try await database.mutate(try Self.call(10), domain: "test", change: Self.transfer(10))
      #expect(database.commitFigures == nil)
      let balance = try await database.read { db in try Int.fetchOne(db, sql: "SELECT balance FROM account") }
      #expect(balance == 990)
    }
  }
}
