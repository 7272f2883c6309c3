import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf
import Synchronization

/// A tender as stored, with what its messages show: the agency's names and its extensions.
struct StoredTender: Sendable {
  var id: Int64
  var agencyCode: String
  var agencyName: (ar: String, en: String)
  var fields: TenderFields
  var state: TenderState
  var statusReason: String
  var createTime: Int64
  var updateTime: Int64
  var extensions: [Extension] = []

  struct Extension: Sendable {
    var time: Int64
    var reason: String
    var employee: String
    var previousLastOffer: Int64
    var lastOffer: Int64
  }

  /// The columns `init(row:)` reads, for `FROM tenders t LEFT JOIN agencies a`.
  static let columns = """
    t.id, t.agency_code, a.name_ar AS agency_ar, a.name_en AS agency_en, t.reference_number, t.tender_number,
    t.name, t.description, t.branch, t.type_code, t.main_activity, t.sub_activity, t.inside_kingdom,
    t.booklet_price, t.publish_time, t.last_enquiry_time, t.last_offer_time, t.opening_time, t.state,
    t.status_reason, t.create_time, t.update_time
    """

  /// Reads the columns by position, in the order of `columns`: GRDB's lookup by name
  /// lowercases the name on every access, the largest cost of a search page in a profile.
  init(row: SQLRow, regions: [String]) {
    id = row[0]
    agencyCode = row[1]
    agencyName = (row[2] ?? "", row[3] ?? "")
    fields = TenderFields(
      referenceNumber: row[4], tenderNumber: row[5], name: row[6], description: row[7], branch: row[8],
      typeCode: row[9], mainActivity: row[10], subActivity: row[11], regions: regions, insideKingdom: row[12],
      bookletPrice: row[13],
      dates: TenderDates(publish: row[14], lastEnquiry: row[15], lastOffer: row[16], opening: row[17]))
    state = TenderState(rawValue: row[18]) ?? .draft
    statusReason = row[19]
    createTime = row[20]
    updateTime = row[21]
  }

  /// The tender's message as of `now`: status, category, Hijri dates and time left computed here.
  func message(now: Int64) -> Etimad_Tenders_V1_Tender {
    let dates = fields.dates
    return .with {
      $0.id = String(id)
      $0.referenceNumber = fields.referenceNumber
      $0.tenderNumber = fields.tenderNumber
      $0.name = fields.name
      $0.description_p = fields.description
      $0.agencyCode = agencyCode
      $0.agencyName = .with {
        $0.ar = agencyName.ar
        $0.en = agencyName.en
      }
      $0.branch = fields.branch
      $0.typeCode = fields.typeCode
      $0.mainActivityCode = fields.mainActivity
      $0.subActivityCode = fields.subActivity
      $0.regionCodes = fields.regions
      $0.insideKingdom = fields.insideKingdom
      $0.bookletPrice = .with {
        $0.currencyCode = "SAR"
        $0.amountHalalas = fields.bookletPrice
      }
      $0.publishTime = .init(seconds: dates.publish)
      $0.lastEnquiryTime = .init(seconds: dates.lastEnquiry)
      $0.lastOfferTime = .init(seconds: dates.lastOffer)
      $0.openingTime = .init(seconds: dates.opening)
      $0.status = .init(TenderRules.status(state: state, publish: dates.publish, now: now))
      $0.category = .init(TenderRules.category(state: state, dates: dates, now: now))
      $0.type = TenderLookups.lookup(fields.typeCode)
      $0.mainActivity = TenderLookups.lookup(fields.mainActivity)
      $0.subActivity = TenderLookups.lookup(fields.subActivity)
      $0.regions = fields.regions.map(TenderLookups.lookup)
      $0.publishDate = Self.date(dates.publish)
      $0.lastEnquiryDate = Self.date(dates.lastEnquiry)
      $0.lastOfferDate = Self.date(dates.lastOffer)
      $0.openingDate = Self.date(dates.opening)
      let left = TenderRules.remaining(state: state, dates: dates, now: now)
      $0.remaining = .with {
        $0.days = left.days
        $0.hours = left.hours
      }
      $0.statusReason = statusReason
      $0.extensions = extensions.map { item in
        .with {
          $0.extendTime = .init(seconds: item.time)
          $0.reason = item.reason
          $0.employee = item.employee
          $0.previousLastOfferTime = .init(seconds: item.previousLastOffer)
          $0.lastOfferTime = .init(seconds: item.lastOffer)
        }
      }
      $0.createTime = .init(seconds: createTime)
      $0.updateTime = .init(seconds: updateTime)
    }
  }

  static func date(_ seconds: Int64) -> Etimad_Tenders_V1_TenderDate {
    let (hijri, gregorian) = RiyadhDays.dates(seconds)
    return .with {
      $0.time = .init(seconds: seconds)
      $0.hijri = hijri
      $0.gregorian = gregorian
    }
  }
}

/// The Hijri and Gregorian dates of Riyadh days, computed once per day: Foundation's
/// Umm al-Qura calendar goes through ICU on Linux and cost more than the rest of a search
/// page when called for every date of every row.
enum RiyadhDays {
  private static let cache = Mutex<[Int64: (Etimad_Type_V1_CalendarDate, Etimad_Type_V1_CalendarDate)]>([:])

  static func dates(_ seconds: Int64) -> (hijri: Etimad_Type_V1_CalendarDate, gregorian: Etimad_Type_V1_CalendarDate) {
    // Riyadh is UTC+3 all year (no daylight saving).
    let day = (seconds + 3 * 3_600).floorDivided(by: 86_400)
    if let known = cache.withLock({ $0[day] }) { return known }
    let date = Date(timeIntervalSince1970: TimeInterval(seconds))
    let dates = (
      calendarDate(RiyadhCalendars.hijri, date, .hijri), calendarDate(RiyadhCalendars.gregorian, date, .gregorian)
    )
    cache.withLock {
      if $0.count > 50_000 { $0.removeAll() }
      $0[day] = dates
    }
    return dates
  }

  static func calendarDate(
    _ calendar: Calendar, _ date: Date, _ kind: Etimad_Type_V1_CalendarDate.Calendar
  ) -> Etimad_Type_V1_CalendarDate {
    let parts = calendar.dateComponents([.year, .month, .day], from: date)
    return .with {
      $0.year = Int32(parts.year ?? 0)
      $0.month = Int32(parts.month ?? 0)
      $0.day = Int32(parts.day ?? 0)
      $0.calendar = kind
    }
  }
}

extension Int64 {
  fileprivate func floorDivided(by divisor: Int64) -> Int64 {
    let (quotient, remainder) = quotientAndRemainder(dividingBy: divisor)
    return remainder < 0 ? quotient - 1 : quotient
  }
}

extension TenderLookups {
  private static let names: [String: Entry] = {
    var names: [String: Entry] = [:]
    for entry in regions + types { names[entry.code] = entry }
    for main in activities {
      names[main.entry.code] = main.entry
      for sub in main.subActivities { names[sub.code] = sub }
    }
    return names
  }()

  /// The code with its names (empty names for a code no lookup knows).
  static func lookup(_ code: String) -> Etimad_Tenders_V1_Lookup {
    .with {
      $0.code = code
      $0.name = .with {
        $0.ar = names[code]?.ar ?? ""
        $0.en = names[code]?.en ?? ""
      }
    }
  }
}

extension Etimad_Tenders_V1_TenderStatus {
  init(_ status: OCDSStatus) {
    switch status {
    case .planned: self = .planned
    case .active: self = .active
    case .complete: self = .complete
    case .cancelled: self = .cancelled
    case .unsuccessful: self = .unsuccessful
    case .withdrawn: self = .withdrawn
    }
  }
}

extension Etimad_Tenders_V1_TenderCategory {
  init(_ category: TenderCategory?) {
    switch category {
    case .active: self = .active
    case .ended: self = .ended
    case nil: self = .unspecified
    }
  }
}
