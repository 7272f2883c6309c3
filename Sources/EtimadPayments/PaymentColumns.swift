import EtimadKit
import Foundation

/// The columns one statement selects, named, in the order selected: the SQL select list is
/// built from the cases and each value is read by its case, so a column added to the list can
/// never shift another one's position (`SQLRow` reads by position, for speed).
protocol ColumnList: RawRepresentable<Int>, CaseIterable where AllCases == [Self] {
  /// The expression selected.
  var sql: String { get }
}

extension ColumnList {
  /// The select list, in case order.
  static var selectList: String { allCases.map(\.sql).joined(separator: ", ") }
}

/// A row read with its columns named by a `ColumnList`, starting at `offset` when the list
/// follows another one's columns in the same select.
struct NamedRow<Column: ColumnList> {
  let row: SQLRow
  var offset = 0

  subscript<Value: SQLColumnDecodable>(_ column: Column) -> Value { row[offset + column.rawValue] }

  func halalas(_ column: Column) -> Halalas { Halalas(self[column]) }

  /// A stored code read back as its enum; a code this version does not know is an error.
  func code<Code: RawRepresentable<String>>(_ column: Column, as: Code.Type = Code.self) throws -> Code {
    let text: String = self[column]
    guard let value = Code(rawValue: text) else { throw UnreadableColumn(column: column.sql, value: text) }
    return value
  }
}

/// A stored value this version cannot read: never written by this code, so a bug or a
/// hand-edited database, reported rather than read as some default.
struct UnreadableColumn: Error, CustomStringConvertible {
  var column: String
  var value: String
  var description: String { "unreadable value in \(column): \(value)" }
}

/// Instants as the payments tables store them: integer milliseconds since 1970, the unit of
/// every area's tables.
enum StoredTime {
  static func milliseconds(_ date: Date) -> Int64 {
    Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
  }
}

/// A payment row with its sector's and service's names: `p` is payments, `s` sectors, `v`
/// services (`PaymentColumn.joins`).
enum PaymentColumn: Int, ColumnList {
  case id, sectorCode, serviceCode, beneficiaryType, beneficiaryNumber, customerNumber, sadadReference
  case amount, paidTime, consumed, cancelled, refundPending, refunded
  case sectorNameAr, sectorNameEn, serviceNameAr, serviceNameEn, agencyCode

  var sql: String {
    switch self {
    case .id: "p.id"
    case .sectorCode: "p.sector_code"
    case .serviceCode: "p.service_code"
    case .beneficiaryType: "p.beneficiary_type"
    case .beneficiaryNumber: "p.beneficiary_number"
    case .customerNumber: "p.customer_number"
    case .sadadReference: "p.sadad_reference"
    case .amount: "p.amount"
    case .paidTime: "p.paid_time"
    case .consumed: "p.consumed"
    case .cancelled: "p.cancelled"
    case .refundPending: "p.refund_pending"
    case .refunded: "p.refunded"
    case .sectorNameAr: "s.name_ar"
    case .sectorNameEn: "s.name_en"
    case .serviceNameAr: "v.name_ar"
    case .serviceNameEn: "v.name_en"
    case .agencyCode: "s.agency_code"
    }
  }

  static let joins = """
    payments p JOIN payment_sectors s ON s.code = p.sector_code
    LEFT JOIN payment_services v ON v.sector_code = p.sector_code AND v.code = p.service_code
    """

  /// The payment of a row; a balance that does not add up is refused, never shown.
  static func payment(_ row: SQLRow, offset: Int = 0) throws -> Payment {
    let row = NamedRow<Self>(row: row, offset: offset)
    let type: String = row[.beneficiaryType]
    guard let kind = Beneficiary.kind(code: type) else {
      throw UnreadableColumn(column: Self.beneficiaryType.sql, value: type)
    }
    let balance = PaymentBalance(
      paid: row[.amount], consumed: row[.consumed], cancelled: row[.cancelled], refundPending: row[.refundPending],
      refunded: row[.refunded])
    let id: Int64 = row[.id]
    guard balance.addsUp else { throw UnreadableColumn(column: "balance of payment \(id)", value: "\(balance)") }
    return Payment(
      id: id, sectorCode: row[.sectorCode], serviceCode: row[.serviceCode],
      sectorName: LocalizedString(en: row[.sectorNameEn], ar: row[.sectorNameAr]),
      serviceName: LocalizedString(en: row[.serviceNameEn], ar: row[.serviceNameAr]), agencyCode: row[.agencyCode],
      beneficiary: Beneficiary(kind: kind, number: row[.beneficiaryNumber]), customerNumber: row[.customerNumber],
      sadadReference: row[.sadadReference], paidTime: row[.paidTime], balance: balance)
  }
}

/// A ledger row, `m` being payment_movements.
enum MovementColumn: Int, ColumnList {
  case id, paymentID, kind, amount, time, note, refundRequestID

  var sql: String {
    switch self {
    case .id: "m.id"
    case .paymentID: "m.payment_id"
    case .kind: "m.kind"
    case .amount: "m.amount"
    case .time: "m.time"
    case .note: "m.note"
    case .refundRequestID: "m.refund_request_id"
    }
  }

  static func movement(_ row: SQLRow) throws -> PaymentMovement {
    let row = NamedRow<Self>(row: row)
    return PaymentMovement(
      id: row[.id], paymentID: row[.paymentID], kind: try row.code(.kind), amount: row.halalas(.amount),
      time: row[.time], note: row[.note], refundRequestID: row[.refundRequestID])
  }
}

/// A refund request row, `r` being payment_refund_requests.
enum RefundColumn: Int, ColumnList {
  case id, paymentID, sectorCode, requester, amount, iban, accountHolderName, state, createTime, decideTime
  case decisionNote, employee

  var sql: String {
    switch self {
    case .id: "r.id"
    case .paymentID: "r.payment_id"
    case .sectorCode: "r.sector_code"
    case .requester: "r.requester"
    case .amount: "r.amount"
    case .iban: "r.iban"
    case .accountHolderName: "r.account_holder_name"
    case .state: "r.state"
    case .createTime: "r.create_time"
    case .decideTime: "r.decide_time"
    case .decisionNote: "r.decision_note"
    case .employee: "r.employee"
    }
  }

  static func refund(_ row: SQLRow) throws -> RefundRequest {
    let row = NamedRow<Self>(row: row)
    return RefundRequest(
      id: row[.id], paymentID: row[.paymentID], sectorCode: row[.sectorCode], requester: row[.requester],
      amount: row.halalas(.amount), iban: row[.iban], accountHolderName: row[.accountHolderName],
      state: try row.code(.state), createTime: row[.createTime], decideTime: row[.decideTime],
      decisionNote: row[.decisionNote], employee: row[.employee])
  }
}

/// A sector's sums over the viewer's payments (GetBalance), `p` payments, `s` sectors.
enum SectorBalanceColumn: Int, ColumnList {
  case sectorCode, nameAr, nameEn, paid, consumed, cancelled, refundPending, refunded, count

  var sql: String {
    switch self {
    case .sectorCode: "p.sector_code"
    case .nameAr: "s.name_ar"
    case .nameEn: "s.name_en"
    // SQLite's SUM fails on an integer overflow rather than wrap.
    case .paid: "SUM(p.amount)"
    case .consumed: "SUM(p.consumed)"
    case .cancelled: "SUM(p.cancelled)"
    case .refundPending: "SUM(p.refund_pending)"
    case .refunded: "SUM(p.refunded)"
    case .count: "COUNT(*)"
    }
  }

  static func balance(_ row: SQLRow) -> SectorBalance {
    let row = NamedRow<Self>(row: row)
    return SectorBalance(
      sectorCode: row[.sectorCode], sectorName: LocalizedString(en: row[.nameEn], ar: row[.nameAr]),
      balance: PaymentBalance(
        paid: row[.paid], consumed: row[.consumed], cancelled: row[.cancelled], refundPending: row[.refundPending],
        refunded: row[.refunded]),
      paymentCount: row[.count])
  }
}
