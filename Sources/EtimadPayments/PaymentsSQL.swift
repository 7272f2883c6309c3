import EtimadKit
import GRDB

/// The SQLite store's SQL for scopes and filters: conditions on `payments p` with their
/// arguments.
enum PaymentsSQL {
  typealias Arguments = [any DatabaseValueConvertible & Sendable]

  /// A condition with its arguments.
  struct Condition: Sendable {
    var sql: String
    var arguments: Arguments
  }

  /// The scope as one condition.
  static func condition(_ scope: PaymentScope) -> Condition {
    switch scope {
    case .individual(let idNumber):
      Condition(
        sql: """
          p.id IN (SELECT id FROM payments WHERE beneficiary_number = ?
            UNION SELECT id FROM payments WHERE customer_number IN \(held))
          """, arguments: [idNumber, idNumber, idNumber])
    case .sector(let code):
      Condition(sql: "p.sector_code = ?", arguments: [code])
    case .agency(let code):
      Condition(sql: "p.sector_code IN (SELECT code FROM payment_sectors WHERE agency_code = ?)", arguments: [code])
    }
  }

  /// The scope as conditions whose results are united (an individual's: as beneficiary, and
  /// through held customer numbers), each of which an index walks in paid-time order; nil when
  /// `condition` is one such condition already.
  ///
  /// An individual's payments are those whose beneficiary they are, and those carrying a
  /// customer number that is theirs. A customer number equal to the individual's own ID number
  /// is theirs, and a number shaped like an ID number is nobody else's. Any other customer
  /// number (a SADAD account number) is held by the beneficiary of the first payment recorded
  /// with it, the person who opened that account. So a sponsor who pays a worker's iqama under
  /// the sponsor's ID or account sees the worker's payment, and the worker does not see the
  /// sponsor's.
  static func arms(_ scope: PaymentScope) -> [Condition]? {
    guard case .individual(let idNumber) = scope else { return nil }
    return [
      Condition(sql: "p.beneficiary_number = ?", arguments: [idNumber]),
      Condition(sql: "p.customer_number IN \(held)", arguments: [idNumber, idNumber]),
    ]
  }

  /// The customer numbers an individual holds (two arguments: the ID number twice).
  static let held = """
    (SELECT customer_number FROM payment_customer_holders WHERE holder_number = ? UNION SELECT ?)
    """

  /// The holder of a customer number: the beneficiary of the first payment recorded with it,
  /// kept in `payment_customer_holders` by a trigger, so a payment notified late with an
  /// earlier paid time does not hand the number, and its payments, to someone else. Numbers
  /// shaped like an ID number have no holder: they are the person's with that ID.
  static let customerHolder = """
    SELECT holder_number FROM payment_customer_holders WHERE customer_number = ?
    """

  /// The query's conditions, and their arguments. `driving` false prefixes columns with a
  /// unary plus so that SQLite does not pick their indexes over the scope's (an individual's
  /// ~100 payments).
  static func conditions(_ query: PaymentQuery, driving: Bool) -> (sql: [String], arguments: Arguments) {
    let plus = driving ? "" : "+"
    var sql: [String] = []
    var arguments: Arguments = []
    if let beneficiary = query.beneficiary {
      sql.append("\(plus)p.beneficiary_number = ?")
      arguments.append(beneficiary)
    }
    if let customerNumber = query.customerNumber {
      sql.append("\(plus)p.customer_number = ?")
      arguments.append(customerNumber)
    }
    if let sector = query.sector {
      sql.append("\(plus)p.sector_code = ?")
      arguments.append(sector)
    }
    if let service = query.service {
      sql.append("+p.service_code = ?")
      arguments.append(service)
    }
    if let from = query.period.from {
      sql.append("\(plus)p.paid_time >= ?")
      arguments.append(from)
    }
    if let to = query.period.to {
      sql.append("\(plus)p.paid_time <= ?")
      arguments.append(to)
    }
    if let state = query.state {
      sql.append("+p.state = ?")
      arguments.append(state.rawValue)
    }
    return (sql, arguments)
  }
}
