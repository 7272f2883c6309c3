import EtimadKit
import EtimadProtos
import GRDB
import SwiftProtobuf

/// Who is looking, and so which payments they may see: an individual their own (beneficiary
/// or an owned customer number), an agency its sectors'.
public enum Viewer: Sendable, Hashable {
  case individual(idNumber: String)
  case agency(code: String)

  var key: String {
    switch self {
    case .individual(let id): "individual:\(id)"
    case .agency(let code): "agency:\(code)"
    }
  }
}

/// A validated `PaymentFilter` as SQL conditions on `payments p`.
struct PaymentQuery: Sendable, Hashable {
  var beneficiary: String?
  var customerNumber: String?
  var sector: String?
  var service: String?
  var period = PaymentsRules.Period()
  var state: Int?

  /// Reads a filter, collecting every wrong field under `prefix` (such as "filter.").
  static func parse(
    _ filter: Etimad_Payments_V1_PaymentFilter, prefix: String, into violations: inout [EtimadError.FieldViolation]
  ) -> PaymentQuery {
    var query = PaymentQuery()
    if !filter.beneficiary.number.isEmpty {
      query.beneficiary =
        PaymentsRules.beneficiary(filter.beneficiary, field: prefix + "beneficiary.number", into: &violations)?.number
    }
    if !filter.customerNumber.isEmpty {
      query.customerNumber = PaymentsRules.customerNumber(
        filter.customerNumber, field: prefix + "customer_number", into: &violations)
    }
    query.sector = filter.sectorCode.isEmpty ? nil : filter.sectorCode
    query.service = filter.serviceCode.isEmpty ? nil : filter.serviceCode
    query.period = PaymentsRules.period(
      from: filter.hasPaidFrom ? filter.paidFrom : nil, to: filter.hasPaidTo ? filter.paidTo : nil, prefix: prefix,
      into: &violations)
    switch filter.state {
    case .unspecified: break
    case .UNRECOGNIZED:
      violations.append(
        PaymentsErrors.field(prefix + "state", "UNKNOWN_STATE", en: "Unknown payment state.", ar: "حالة غير معروفة."))
    default: query.state = filter.state.rawValue
    }
    return query
  }

  /// A stable description that page tokens are bound to.
  func description(viewer: Viewer) -> String {
    [
      viewer.key, beneficiary ?? "", customerNumber ?? "", sector ?? "", service ?? "",
      period.from.map { "\($0)" } ?? "", period.to.map { "\($0)" } ?? "", state.map { "\($0)" } ?? "",
    ].joined(separator: "|")
  }

  /// The conditions, and their arguments. `driving` false prefixes columns with a unary plus so
  /// that SQLite does not pick their indexes over the scope's (an individual's ~100 payments).
  func conditions(driving: Bool) -> (sql: [String], arguments: [any DatabaseValueConvertible & Sendable]) {
    let plus = driving ? "" : "+"
    var sql: [String] = []
    var arguments: [any DatabaseValueConvertible & Sendable] = []
    if let beneficiary {
      sql.append("\(plus)p.beneficiary_number = ?")
      arguments.append(beneficiary)
    }
    if let customerNumber {
      sql.append("\(plus)p.customer_number = ?")
      arguments.append(customerNumber)
    }
    if let sector {
      sql.append("\(plus)p.sector_code = ?")
      arguments.append(sector)
    }
    if let service {
      sql.append("+p.service_code = ?")
      arguments.append(service)
    }
    if let from = period.from {
      sql.append("\(plus)p.paid_time >= ?")
      arguments.append(from)
    }
    if let to = period.to {
      sql.append("\(plus)p.paid_time <= ?")
      arguments.append(to)
    }
    if let state {
      sql.append("+p.state = ?")
      arguments.append(state)
    }
    return (sql, arguments)
  }
}

/// Which payments a read covers: SQL over `payments p` with its arguments.
struct PaymentScope: Sendable {
  let sql: String
  let arguments: [any DatabaseValueConvertible & Sendable]
  /// Whether the scope is narrow (an individual's); filters then must not drive the plan.
  let narrow: Bool
  /// The same scope as conditions whose results are united (an individual's: as beneficiary,
  /// and through held customer numbers), each of which an index walks in paid-time order; nil
  /// when `sql` is one such condition already.
  var arms: [(sql: String, arguments: [any DatabaseValueConvertible & Sendable])]? = nil

  /// An individual's payments: those whose beneficiary they are, and those carrying a customer
  /// number that is theirs. A customer number equal to the individual's own ID number is
  /// theirs, and a number shaped like an ID number is nobody else's. Any other customer number
  /// (a SADAD account number) is held by the beneficiary of the first payment recorded with it,
  /// the person who opened that account. So a sponsor who pays a worker's iqama under the
  /// sponsor's ID or account sees the worker's payment, and the worker does not see the
  /// sponsor's.
  static func individual(_ idNumber: String) -> PaymentScope {
    PaymentScope(
      sql: """
        p.id IN (SELECT id FROM payments WHERE beneficiary_number = ?
          UNION SELECT id FROM payments WHERE customer_number IN \(held))
        """, arguments: [idNumber, idNumber, idNumber], narrow: true,
      arms: [
        ("p.beneficiary_number = ?", [idNumber]),
        ("p.customer_number IN \(held)", [idNumber, idNumber]),
      ])
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

  /// One sector's payments.
  static func sector(_ code: String) -> PaymentScope {
    PaymentScope(sql: "p.sector_code = ?", arguments: [code], narrow: false)
  }

  /// All sectors of an agency.
  static func agency(_ code: String) -> PaymentScope {
    PaymentScope(
      sql: "p.sector_code IN (SELECT code FROM payment_sectors WHERE agency_code = ?)", arguments: [code],
      narrow: false)
  }

  static func of(_ viewer: Viewer) -> PaymentScope {
    switch viewer {
    case .individual(let id): .individual(id)
    case .agency(let code): .agency(code)
    }
  }
}

/// Where a page stopped: the last row's paid time and id (newest first).
struct TimeCursor: Codable, Sendable, Hashable {
  let t: Int64
  let i: Int64
}
