import Foundation
import GRDB
import Testing

@_spi(Testing) @testable import EtimadKit

@Suite("Quick reads and SQL rows")
struct QuickReadTests {
  static let table = Migration("test.v1.things") { db in
    try db.execute(
      sql: """
        CREATE TABLE things (
          id INTEGER PRIMARY KEY, name TEXT NOT NULL, note TEXT, amount INTEGER NOT NULL, ratio REAL, data BLOB
        )
        """)
  }

  struct Thing: Equatable, Sendable {
    var id: Int64
    var name: String
    var note: String?
    var amount: Int
    var ratio: Double?
    var noteOrEmpty: String
  }

  static let select = "SELECT id, name, note, amount, ratio, note FROM things"

  static func thing(_ row: SQLRow) -> Thing {
    Thing(id: row[0], name: row[1], note: row[2], amount: row[3], ratio: row[4], noteOrEmpty: row[5])
  }

  @Test("a quick read sees what GRDB committed just before, with NULLs as nil and Arabic text intact")
  func readsCommittedRows() async throws {
    try await withTemporaryDatabase(migrations: [Self.table]) { database in
      // Given rows written through GRDB's writer
      try await database.testingPool.write { db in
        try db.execute(
          sql:
            "INSERT INTO things (id, name, note, amount, ratio) VALUES (1, 'دين', NULL, 5, 0.5), (2, 'b', 'n', -7, NULL)"
        )
      }
      // When they are read on a quick-read connection
      let things = try await database.quickRead { db in
        try db.fetchAll("\(Self.select) ORDER BY id", [], Self.thing)
      }
      // Then every column comes back as written
      #expect(
        things == [
          Thing(id: 1, name: "دين", note: nil, amount: 5, ratio: 0.5, noteOrEmpty: ""),
          Thing(id: 2, name: "b", note: "n", amount: -7, ratio: nil, noteOrEmpty: "n"),
        ])
      // And a later commit is seen by the next quick read (no snapshot is kept between reads)
      try await database.testingPool.write { db in try db.execute(sql: "UPDATE things SET amount = 99 WHERE id = 2") }
      let amount = try await database.quickRead { db in
        try db.fetchOne("SELECT amount FROM things WHERE id = ?", [.int(2)]) { $0[0] as Int }
      }
      #expect(amount == 99)
    }
  }

  @Test("every kind of argument binds, and a statement reused with other arguments forgets the old ones")
  func bindsArguments() async throws {
    try await withTemporaryDatabase(migrations: [Self.table]) { database in
      try await database.testingPool.write { db in
        try db.execute(
          sql: "INSERT INTO things (id, name, note, amount, ratio, data) VALUES (1, 'a', NULL, 1, 1.5, x'00ff')")
      }
      let sql = "SELECT count(*) FROM things WHERE name = ? AND note IS ? AND amount = ? AND ratio = ? AND data = ?"
      let matching: [SQLArgument] = [.text("a"), .null, .int(1), .double(1.5), .blob(Data([0, 255]))]
      let counts = try await database.quickRead { db in
        [
          try db.fetchOne(sql, matching) { $0[0] as Int },
          try db.fetchOne(sql, [.text("a"), .text("x"), .int(1), .double(1.5), .blob(Data([0, 255]))]) { $0[0] as Int },
          try db.fetchOne(sql, matching) { $0[0] as Int },
        ]
      }
      #expect(counts == [1, 0, 1])
      // GRDB values convert to the same arguments
      #expect(SQLArgument("x") == .text("x"))
      #expect(SQLArgument(Int64(3)) == .int(3))
      #expect(SQLArgument(2.5) == .double(2.5))
      #expect(SQLArgument(nil) == .null)
    }
  }

  @Test("the same SQL runs inside a GRDB transaction through its cached statements")
  func runsInsideGRDB() async throws {
    try await withTemporaryDatabase(migrations: [Self.table]) { database in
      let things = try await database.testingPool.write { db in
        try db.execute(sql: "INSERT INTO things (id, name, amount) VALUES (7, 'in transaction', 3)")
        return try db.fetchAll("\(Self.select) WHERE id = ?", [.int(7)], Self.thing)
      }
      #expect(things == [Thing(id: 7, name: "in transaction", note: nil, amount: 3, ratio: nil, noteOrEmpty: "")])
    }
  }

  @Test("a quick-read connection refuses writes, and SQL errors are thrown, not crashes")
  func refusesWritesAndReportsErrors() async throws {
    try await withTemporaryDatabase(migrations: [Self.table]) { database in
      await #expect(throws: DatabaseError.self) {
        try await database.quickRead { db in
          try db.fetchOne("INSERT INTO things (name, amount) VALUES ('x', 1) RETURNING id", []) { $0[0] as Int }
        }
      }
      await #expect(throws: DatabaseError.self) {
        try await database.quickRead { db in try db.fetchOne("SELECT nope FROM things", []) { $0[0] as Int } }
      }
      #expect(try await database.count("things") == 0)
      // And the connection is still good for the next read
      let count = try await database.quickRead { db in
        try db.fetchOne("SELECT count(*) FROM things", []) { $0[0] as Int }
      }
      #expect(count == 0)
    }
  }

  @Test("the statement cache starts again past its limit without finalising a statement in use")
  func statementCacheLimit() async throws {
    try await withTemporaryDatabase(migrations: [Self.table]) { database in
      try await database.testingPool.write { db in
        try db.execute(sql: "INSERT INTO things (id, name, amount) VALUES (1, 'a', 1), (2, 'b', 2)")
      }
      let sums = try await database.quickRead { db in
        // Rows of one statement are read while more distinct statements than the limit run
        try db.rows("SELECT amount FROM things ORDER BY id", []) { rows in
          var sums: [Int] = []
          while let row = try rows.next() {
            let amount: Int = row[0]
            for offset in 0...QuickReadConnection.statementLimit {
              let sum = try db.fetchOne("SELECT ? + \(offset)", [.int(amount)]) { $0[0] as Int }
              if offset == QuickReadConnection.statementLimit { sums.append(sum ?? -1) }
            }
          }
          return sums
        }
      }
      #expect(sums == [1 + QuickReadConnection.statementLimit, 2 + QuickReadConnection.statementLimit])
    }
  }

  @Test("many concurrent quick reads during writes each see a whole committed state")
  func concurrentReadsSeeCommittedStates() async throws {
    try await withTemporaryDatabase(migrations: [Self.table]) { database in
      try await database.testingPool.write { db in
        try db.execute(sql: "INSERT INTO things (id, name, amount) VALUES (1, 'a', 50), (2, 'b', 50)")
      }
      // Transfers between two rows keep the sum at 100 in every committed state
      try await withThrowingTaskGroup(of: Int.self) { group in
        group.addTask {
          for step in 0..<200 {
            try await database.testingPool.write { db in
              try db.execute(sql: "UPDATE things SET amount = amount - 1 WHERE id = ?", arguments: [step % 2 + 1])
              try db.execute(sql: "UPDATE things SET amount = amount + 1 WHERE id = ?", arguments: [2 - step % 2])
            }
          }
          return 100
        }
        for _ in 0..<64 {
          group.addTask {
            var last = 0
            for _ in 0..<20 {
              last = try await database.quickRead { db in
                try db.fetchOne("SELECT sum(amount) FROM things", []) { $0[0] as Int } ?? 0
              }
              if last != 100 { return last }
            }
            return last
          }
        }
        for try await sum in group { #expect(sum == 100) }
      }
    }
  }
}

@Suite("Hex and base64url")
struct EncodingTests {
  @Test("base64url matches Foundation's base64 with the URL alphabet and no padding, and decodes back")
  func base64URLRoundTrip() throws {
    var generator = SystemRandomNumberGenerator()
    for length in 0..<70 {
      let data = Data((0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) })
      let encoded = Base64URL.encode(data)
      let foundation = data.base64EncodedString().replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
      #expect(encoded == foundation)
      #expect(Base64URL.decode(encoded) == data)
    }
  }

  @Test(
    "base64url refuses symbols outside its alphabet and impossible lengths",
    arguments: ["a", "ab+c", "ab/c", "a=", "abcde", "ab c"])
  func base64URLRefusesGarbage(_ text: String) {
    #expect(Base64URL.decode(text) == nil)
  }

  @Test("request ids are distinct version-4 UUIDs in lower case")
  func randomUUIDs() throws {
    let ids = (0..<1000).map { _ in Hex.randomUUID() }
    #expect(Set(ids).count == ids.count)
    for id in ids.prefix(50) {
      let parsed = try #require(UUID(uuidString: id))
      #expect(parsed.uuidString.lowercased() == id)
      let bytes = Array(id.utf8)
      #expect(bytes[14] == UInt8(ascii: "4"))
      #expect("89ab".utf8.contains(bytes[19]))
    }
  }

  @Test("hex is lower case, two digits a byte")
  func hex() {
    #expect(Hex.encode([0x00, 0x0f, 0xa0, 0xff] as [UInt8]) == "000fa0ff")
    #expect(Hex.encode([UInt8]()) == "")
  }
}
