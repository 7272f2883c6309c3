import EtimadKit
import EtimadProtos
import Foundation
import GRDB

/// The payments area's SQL. Reads go through `database.read`; every change through
/// `database.mutate` (one transaction with the idempotency row and the audit row).
public struct PaymentsStore: Sendable {
  public let database: EtimadDatabase
  let paging: Paging
  var clock: any WallClock { database.clock }

  static let domain = PaymentsRules.domain

  public init(database: EtimadDatabase, paging: Paging) {
    self.database = database
    self.paging = paging
  }

  // MARK: Catalogue

  func sectors() async throws -> [PaymentsCatalogue.SectorEntry] {
    try await database.read { db in try PaymentsCatalogue.allSectors(db) }
  }

  func services(sector: String?) async throws -> [PaymentsCatalogue.ServiceEntry] {
    try await database.read { db in try PaymentsCatalogue.allServices(db, sector: sector) }
  }

  // MARK: Inquiry

  /// A page of the viewer's payments matching `query`, newest first.
  func search(
    viewer: Viewer, query: PaymentQuery, pageSize: Int, pageToken: String
  ) async throws -> (
    [Etimad_Payments_V1_Payment], String
  ) {
    let filters = query.description(viewer: viewer)
    let cursor = try paging.cursor(TimeCursor.self, from: pageToken, filters: filters, domain: Self.domain)
    let scope = PaymentScope.of(viewer)
    // One statement: a quick read, outside GRDB's pool.
    let records = try await database.quickRead { db in
      try Self.page(db, scope: scope, query: query, after: cursor, limit: pageSize + 1)
    }
    let page = Array(records.prefix(pageSize))
    var next = ""
    if records.count > pageSize, let last = page.last {
      next = paging.token(for: TimeCursor(t: last.paidTime, i: last.id), filters: filters)
    }
    return (page.map(\.proto), next)
  }

  static func page(
    _ db: any SQLStatements, scope: PaymentScope, query: PaymentQuery, after cursor: TimeCursor?, limit: Int
  ) throws -> [PaymentRecord] {
    var (conditions, arguments) = query.conditions(driving: !scope.narrow)
    if let cursor {
      conditions.append("(p.paid_time, p.id) < (?, ?)")
      arguments += [cursor.t, cursor.i]
    }
    let sql: String
    var all: [any DatabaseValueConvertible] = []
    if let arms = scope.arms {
      // The page's ids first, from each arm's index in paid-time order (a few hundred index
      // entries for an individual), then full rows and names for those ids only.
      let selects = arms.map { arm in
        all += arm.arguments + arguments
        return "SELECT p.id AS id, p.paid_time AS paid_time FROM payments p WHERE "
          + ([arm.sql] + conditions).joined(separator: " AND ")
      }
      sql = """
        SELECT \(PaymentRecord.columns) FROM (
          \(selects.joined(separator: " UNION "))
          ORDER BY paid_time DESC, id DESC LIMIT \(limit)
        ) k CROSS JOIN \(PaymentRecord.joins)
        WHERE p.id = k.id
        ORDER BY k.paid_time DESC, k.id DESC
        """
    } else {
      all = scope.arguments + arguments
      sql = """
        SELECT \(PaymentRecord.columns) FROM \(PaymentRecord.joins)
        WHERE \(([scope.sql] + conditions).joined(separator: " AND "))
        ORDER BY p.paid_time DESC, p.id DESC LIMIT \(limit)
        """
    }
    // One cached statement per filter combination: planning this query costs more than running it.
    return try db.rows(sql, all.map(SQLArgument.init)) { rows in
      var records: [PaymentRecord] = []
      records.reserveCapacity(limit)
      while let row = try rows.next() { records.append(PaymentRecord(row: row)) }
      return records
    }
  }

  /// A payment the viewer may see, or nil (unknown and not visible are the same).
  static func visiblePayment(_ db: Database, id: Int64, viewer: Viewer) throws -> PaymentRecord? {
    guard
      let record = try db.fetchOne(
        "SELECT \(PaymentRecord.columns) FROM \(PaymentRecord.joins) WHERE p.id = ?", [.int(id)],
        { PaymentRecord(row: $0) })
    else { return nil }
    switch viewer {
    case .agency(let code):
      return record.agencyCode == code ? record : nil
    case .individual(let idNumber):
      if record.beneficiaryNumber == idNumber || record.customerNumber == idNumber { return record }
      let holder = try String.fetchOne(
        db.cachedStatement(sql: PaymentScope.customerHolder), arguments: [record.customerNumber])
      return holder == idNumber ? record : nil
    }
  }

  func payment(id: Int64, viewer: Viewer) async throws -> Etimad_Payments_V1_GetPaymentResponse {
    try await database.read { db in
      guard let record = try Self.visiblePayment(db, id: id, viewer: viewer) else {
        throw PaymentsErrors.paymentNotFound
      }
      let movements = try db.fetchAll(
        "SELECT \(MovementRecord.columns) FROM payment_movements m WHERE m.payment_id = ? ORDER BY m.id", [.int(id)]
      ) { MovementRecord(row: $0).proto }
      let refunds = try db.fetchAll(
        "SELECT \(RefundRecord.columns) FROM payment_refund_requests r WHERE r.payment_id = ? ORDER BY r.id",
        [.int(id)]
      ) { RefundRecord(row: $0).proto }
      return .with {
        $0.payment = record.proto
        $0.movements = movements
        $0.refundRequests = refunds
      }
    }
  }

  /// The CANCELLED movements of the individual's payments, newest first.
  func cancelledOperations(
    viewer: Viewer, pageSize: Int, pageToken: String
  ) async throws -> (
    [Etimad_Payments_V1_CancelledOperation], String
  ) {
    let filters = "cancelled|" + viewer.key
    let cursor = try paging.cursor(TimeCursor.self, from: pageToken, filters: filters, domain: Self.domain)
    let scope = PaymentScope.of(viewer)
    let rows = try await database.read { db in
      var arguments: [any DatabaseValueConvertible] = scope.arguments
      var keyset = ""
      if let cursor {
        keyset = "AND (m.time, m.id) < (?, ?)"
        arguments += [cursor.t, cursor.i]
      }
      return try db.fetchAll(
        """
        SELECT \(MovementRecord.columns), \(PaymentRecord.columns)
        FROM payment_movements m JOIN payments p ON p.id = m.payment_id
        JOIN payment_sectors s ON s.code = p.sector_code
        LEFT JOIN payment_services v ON v.sector_code = p.sector_code AND v.code = p.service_code
        WHERE m.kind = \(MovementKind.cancelled.rawValue) AND \(scope.sql) \(keyset)
        ORDER BY m.time DESC, m.id DESC LIMIT \(pageSize + 1)
        """, arguments.map(SQLArgument.init)
      ) { (MovementRecord(row: $0), PaymentRecord(row: $0, offset: 6)) }
    }
    let page = Array(rows.prefix(pageSize))
    var next = ""
    if rows.count > pageSize, let last = page.last {
      next = paging.token(for: TimeCursor(t: last.0.time, i: last.0.id), filters: filters)
    }
    return (
      page.map { movement, payment in
        .with {
          $0.movement = movement.proto
          $0.payment = payment.proto
        }
      }, next
    )
  }

  /// The viewer's balances per sector and overall.
  func balance(viewer: Viewer) async throws -> Etimad_Payments_V1_GetBalanceResponse {
    let scope = PaymentScope.of(viewer)
    // One statement: a quick read with its prepared statement kept (preparing this one cost
    // more than running it), outside GRDB's pool.
    return try await database.quickRead { db in
      try db.rows(
        """
        SELECT p.sector_code, s.name_ar, s.name_en, SUM(p.amount), SUM(p.consumed), SUM(p.cancelled),
          SUM(p.refund_pending), SUM(p.refunded), COUNT(*)
        FROM payments p JOIN payment_sectors s ON s.code = p.sector_code
        WHERE \(scope.sql) GROUP BY p.sector_code ORDER BY p.sector_code
        """, scope.arguments.map(SQLArgument.init)
      ) { rows in
        var response = Etimad_Payments_V1_GetBalanceResponse()
        var total = PaymentBalance.zero
        while let row = try rows.next() {
          let balance = PaymentBalance(
            paid: row[3], consumed: row[4], cancelled: row[5], refundPending: row[6], refunded: row[7])
          total = try total.adding(balance)
          let count: Int64 = row[8]
          response.paymentCount += count
          response.sectors.append(
            .with {
              $0.sectorCode = row[0]
              $0.sectorName = .with {
                $0.ar = row[1]
                $0.en = row[2]
              }
              $0.balance = balance.proto
              $0.paymentCount = count
            })
        }
        response.total = total.proto
        return response
      }
    }
  }

  /// A page of the agency's refund requests, oldest first.
  func refundRequests(
    agency: String, state: Int?, pageSize: Int, pageToken: String
  ) async throws -> (
    [Etimad_Payments_V1_RefundRequest], String
  ) {
    let filters = "refunds|\(agency)|\(state ?? 0)"
    let after = try paging.cursor(Int64.self, from: pageToken, filters: filters, domain: Self.domain) ?? 0
    let rows = try await database.read { db in
      var arguments: [any DatabaseValueConvertible] = [agency, after]
      var stateSQL = ""
      if let state {
        stateSQL = "AND r.state = ?"
        arguments.append(state)
      }
      return try db.fetchAll(
        """
        SELECT \(RefundRecord.columns) FROM payment_refund_requests r
        WHERE r.sector_code IN (SELECT code FROM payment_sectors WHERE agency_code = ?) AND r.id > ? \(stateSQL)
        ORDER BY r.id LIMIT \(pageSize + 1)
        """, arguments.map(SQLArgument.init), RefundRecord.init(row:))
    }
    let page = Array(rows.prefix(pageSize))
    var next = ""
    if rows.count > pageSize, let last = page.last { next = paging.token(for: last.id, filters: filters) }
    return (page.map(\.proto), next)
  }
}
