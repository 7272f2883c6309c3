import EtimadKit
import Foundation

/// A tender as the area knows it: what the agency wrote, its state and history, and its
/// agency's names. Times are whole seconds since 1970.
struct Tender: Sendable, Equatable {
  var id: Int64
  var agencyCode: String
  var agencyName: LocalizedString
  var fields: TenderFields
  var state: TenderState
  var statusReason: String
  var createTime: Int64
  var updateTime: Int64
  var extensions: [Extension] = []

  struct Extension: Sendable, Equatable {
    var time: Int64
    var reason: String
    var employee: String
    var previousLastOffer: Int64
    var lastOffer: Int64
  }
}

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

extension SQLRow {
  subscript<Value: SQLColumnDecodable, Column: ColumnList>(_ column: Column) -> Value {
    self[column.rawValue]
  }
}

/// A stored value this version cannot read: never written by this code, so a bug or a
/// hand-edited database, reported rather than read as some default.
struct UnreadableColumn: Error, CustomStringConvertible {
  var column: String
  var value: String
  var description: String { "unreadable value in \(column): \(value)" }
}

/// A tender row with its agency's names, `FROM tenders t LEFT JOIN agencies a`. Read by
/// position: GRDB's lookup by name lowercases the name on every access, the largest cost of a
/// search page in a profile.
enum TenderColumn: Int, ColumnList {
  case id, agencyCode, agencyNameAr, agencyNameEn, referenceNumber, tenderNumber, name, description, branch
  case typeCode, mainActivity, subActivity, insideKingdom, bookletPrice
  case publishTime, lastEnquiryTime, lastOfferTime, openingTime, state, statusReason, createTime, updateTime

  var sql: String {
    switch self {
    case .id: "t.id"
    case .agencyCode: "t.agency_code"
    case .agencyNameAr: "a.name_ar"
    case .agencyNameEn: "a.name_en"
    case .referenceNumber: "t.reference_number"
    case .tenderNumber: "t.tender_number"
    case .name: "t.name"
    case .description: "t.description"
    case .branch: "t.branch"
    case .typeCode: "t.type_code"
    case .mainActivity: "t.main_activity"
    case .subActivity: "t.sub_activity"
    case .insideKingdom: "t.inside_kingdom"
    case .bookletPrice: "t.booklet_price"
    case .publishTime: "t.publish_time"
    case .lastEnquiryTime: "t.last_enquiry_time"
    case .lastOfferTime: "t.last_offer_time"
    case .openingTime: "t.opening_time"
    case .state: "t.state"
    case .statusReason: "t.status_reason"
    case .createTime: "t.create_time"
    case .updateTime: "t.update_time"
    }
  }

  static let from = "tenders t LEFT JOIN agencies a ON a.code = t.agency_code"

  static func tender(_ row: SQLRow, regions: [String]) throws -> Tender {
    let stateCode: String = row[Self.state]
    guard let state = TenderState(rawValue: stateCode) else {
      throw UnreadableColumn(column: Self.state.sql, value: stateCode)
    }
    let fields = TenderFields(
      referenceNumber: row[Self.referenceNumber], tenderNumber: row[Self.tenderNumber], name: row[Self.name],
      description: row[Self.description], branch: row[Self.branch], typeCode: row[Self.typeCode],
      mainActivity: row[Self.mainActivity], subActivity: row[Self.subActivity], regions: regions,
      insideKingdom: row[Self.insideKingdom], bookletPrice: row[Self.bookletPrice],
      dates: TenderDates(
        publish: row[Self.publishTime], lastEnquiry: row[Self.lastEnquiryTime], lastOffer: row[Self.lastOfferTime],
        opening: row[Self.openingTime]))
    return Tender(
      id: row[Self.id], agencyCode: row[Self.agencyCode],
      agencyName: LocalizedString(en: row[Self.agencyNameEn], ar: row[Self.agencyNameAr]), fields: fields,
      state: state, statusReason: row[Self.statusReason], createTime: row[Self.createTime],
      updateTime: row[Self.updateTime])
  }
}
