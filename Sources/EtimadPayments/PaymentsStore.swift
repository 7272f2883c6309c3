import EtimadKit
import Foundation
import GRDB

/// `PaymentStorage` in the embedded SQLite database. Reads go through `database.read` or, for
/// the one-statement reads every inquiry makes, `database.quickRead`; every change through
/// `database.mutate` (one transaction with the idempotency row and the audit row).
public struct PaymentsStore: PaymentStorage {
  public let database: EtimadDatabase
  var clock: any WallClock { database.clock }

  public init(database: EtimadDatabase) {
    self.database = database
  }

  // MARK: Catalogue

  func sectors() async throws -> [PaymentsCatalogue.SectorEntry] {
    try await database.read { db in try PaymentsCatalogue.allSectors(db) }
  }

  func services(sector: String?) async throws -> [PaymentsCatalogue.ServiceEntry] {
    try await database.read { db in try PaymentsCatalogue.allServices(db, sector: sector) }
  }

  func sectorCodes(agency: String) async throws -> [String] {
    try await database.read { db in
      try String.fetchAll(
        db, sql: "SELECT code FROM payment_sectors WHERE agency_code = ? ORDER BY code", arguments: [agency])
    }
  }

  // MARK: Inquiry

  func payments(
    _ query: PaymentQuery, viewer: Viewer, after cursor: TimeCursor?, limit: Int
  ) async throws
    -> [Payment]
  {
    let scope = PaymentScope.of(viewer)
    // One statement: a quick read, outside GRDB's pool.
    return try await database.quickRead { db in
      try Self.page(db, scope: scope, query: query, after: cursor, limit: limit)
    }
  }

  static func page(
    _ db: any SQLStatements, scope: PaymentScope, query: PaymentQuery, after cursor: TimeCursor?, limit: Int
  ) throws -> [Payment] {
    var (conditions, arguments) = PaymentsSQL.conditions(query, driving: !scope.narrow)
    if let cursor {
      conditions.append("(p.paid_time, p.id) < (?, ?)")
      arguments += [cursor.t, cursor.i]
    }
    let sql: String
    var all: [any DatabaseValueConvertible] = []
    if let arms = PaymentsSQL.arms(scope) {
      // The page's ids first, from each arm's index in paid-time order (a few hundred index
      // entries for an individual), then full rows and names for those ids only.
      let selects = arms.map { arm in
        all += arm.arguments + arguments
        return "SELECT p.id AS id, p.paid_time AS paid_time FROM payments p WHERE "
          + ([arm.sql] + conditions).joined(separator: " AND ")
      }
      sql = """
        SELECT \(PaymentColumn.selectList) FROM (
          \(selects.joined(separator: " UNION "))
          ORDER BY paid_time DESC, id DESC LIMIT \(limit)
        ) k CROSS JOIN \(PaymentColumn.joins)
        WHERE p.id = k.id
        ORDER BY k.paid_time DESC, k.id DESC
        """
    } else {
      let condition = PaymentsSQL.condition(scope)
      all = condition.arguments + arguments
      sql = """
        SELECT \(PaymentColumn.selectList) FROM \(PaymentColumn.joins)
        WHERE \(([condition.sql] + conditions).joined(separator: " AND "))
        ORDER BY p.paid_time DESC, p.id DESC LIMIT \(limit)
        """
    }
    // One cached statement per filter combination: planning this query costs more than running it.
    return try db.rows(sql, all.map(SQLArgument.init)) { rows in
      var payments: [Payment] = []
      payments.reserveCapacity(limit)
      while let row = try rows.next() { payments.append(try PaymentColumn.payment(row)) }
      return payments
    }
  }

  func payment(id: Int64, viewer: Viewer) async throws -> PaymentDetails? {
    try await database.read { db in
      guard let payment = try Self.visiblePayment(db, id: id, viewer: viewer) else { return nil }
      let movements = try db.fetchAll(
        "SELECT \(MovementColumn.selectList) FROM payment_movements m WHERE m.payment_id = ? ORDER BY m.id", [.int(id)],
        MovementColumn.movement)
      let refunds = try db.fetchAll(
        "SELECT \(RefundColumn.selectList) FROM payment_refund_requests r WHERE r.payment_id = ? ORDER BY r.id",
        [.int(id)], RefundColumn.refund)
      return PaymentDetails(payment: payment, movements: movements, refundRequests: refunds)
    }
  }

  func cancelledOperations(
    viewer: Viewer, after cursor: TimeCursor?, limit: Int
  ) async throws
    -> [CancelledOperation]
  {
    let scope = PaymentsSQL.condition(.of(viewer))
    return try await database.read { db in
      var arguments: [any DatabaseValueConvertible] = scope.arguments
      var keyset = ""
      if let cursor {
        keyset = "AND (m.time, m.id) < (?, ?)"
        arguments += [cursor.t, cursor.i]
      }
      // The movement's columns, then the payment's.
      let paymentOffset = MovementColumn.allCases.count
      return try db.fetchAll(
        """
        SELECT \(MovementColumn.selectList), \(PaymentColumn.selectList)
        FROM payment_movements m JOIN payments p ON p.id = m.payment_id
        JOIN payment_sectors s ON s.code = p.sector_code
        LEFT JOIN payment_services v ON v.sector_code = p.sector_code AND v.code = p.service_code
        WHERE m.kind = '\(MovementKind.cancelled.rawValue)' AND \(scope.sql) \(keyset)
        ORDER BY m.time DESC, m.id DESC LIMIT \(limit)
        """, arguments.map(SQLArgument.init)
      ) { row in
        CancelledOperation(
          movement: try MovementColumn.movement(row), payment: try PaymentColumn.payment(row, offset: paymentOffset))
      }
    }
  }

  func balances(viewer: Viewer) async throws -> [SectorBalance] {
    let scope = PaymentsSQL.condition(.of(viewer))
    // One statement: a quick read with its prepared statement kept (preparing this one cost
    // more than running it), outside GRDB's pool.
    return try await database.quickRead { db in
      try db.fetchAll(
        """
        SELECT \(SectorBalanceColumn.selectList)
        FROM payments p JOIN payment_sectors s ON s.code = p.sector_code
        WHERE \(scope.sql) GROUP BY p.sector_code ORDER BY p.sector_code
        """, scope.arguments.map(SQLArgument.init), SectorBalanceColumn.balance)
    }
  }

  func refundRequests(
    agency: String, state: RefundState?, after: Int64, limit: Int
  ) async throws
    -> [RefundRequest]
  {
    try await database.read { db in
      var arguments: [any DatabaseValueConvertible] = [agency, after]
      var stateSQL = ""
      if let state {
        stateSQL = "AND r.state = ?"
        arguments.append(state.rawValue)
      }
      return try db.fetchAll(
        """
        SELECT \(RefundColumn.selectList) FROM payment_refund_requests r
        WHERE r.sector_code IN (SELECT code FROM payment_sectors WHERE agency_code = ?) AND r.id > ? \(stateSQL)
        ORDER BY r.id LIMIT \(limit)
        """, arguments.map(SQLArgument.init), RefundColumn.refund)
    }
  }

  // MARK: Helpers

  /// A payment the viewer may see, or nil (unknown and not visible are the same).
  static func visiblePayment(_ db: Database, id: Int64, viewer: Viewer) throws -> Payment? {
    guard let payment = try self.payment(db, id: id) else { return nil }
    switch viewer {
    case .agency(let code):
      return payment.agencyCode == code ? payment : nil
    case .individual(let idNumber):
      if payment.beneficiary.number == idNumber || payment.customerNumber == idNumber { return payment }
      let holder = try String.fetchOne(
        db.cachedStatement(sql: PaymentsSQL.customerHolder), arguments: [payment.customerNumber])
      return holder == idNumber ? payment : nil
    }
  }

  /// A payment by id, whoever may see it.
  static func payment(_ db: Database, id: Int64) throws -> Payment? {
    try db.fetchOne(
      "SELECT \(PaymentColumn.selectList) FROM \(PaymentColumn.joins) WHERE p.id = ?", [.int(id)],
      { try PaymentColumn.payment($0) })
  }
}
