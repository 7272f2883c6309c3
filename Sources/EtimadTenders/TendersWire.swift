import EtimadKit
import EtimadProtos
import Foundation
import SwiftProtobuf
import Synchronization

/// The tenders area's domain values as wire messages: the handler's half of the conversion,
/// the only place protos meet the domain.
enum TendersWire {
  /// The tender's message as of `now`: status, category, Hijri dates and time left computed here.
  static func tender(_ tender: Tender, now: Int64) -> Etimad_Tenders_V1_Tender {
    let fields = tender.fields
    let dates = fields.dates
    return .with {
      $0.id = String(tender.id)
      $0.referenceNumber = fields.referenceNumber
      $0.tenderNumber = fields.tenderNumber
      $0.name = fields.name
      $0.description_p = fields.description
      $0.agencyCode = tender.agencyCode
      $0.agencyName = .with {
        $0.ar = tender.agencyName.arabic
        $0.en = tender.agencyName.english
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
      $0.status = .init(TenderRules.status(state: tender.state, publish: dates.publish, now: now))
      $0.category = .init(TenderRules.category(state: tender.state, dates: dates, now: now))
      $0.type = TenderLookups.lookup(fields.typeCode)
      $0.mainActivity = TenderLookups.lookup(fields.mainActivity)
      $0.subActivity = TenderLookups.lookup(fields.subActivity)
      $0.regions = fields.regions.map(TenderLookups.lookup)
      $0.publishDate = date(dates.publish)
      $0.lastEnquiryDate = date(dates.lastEnquiry)
      $0.lastOfferDate = date(dates.lastOffer)
      $0.openingDate = date(dates.opening)
      let left = TenderRules.remaining(state: tender.state, dates: dates, now: now)
      $0.remaining = .with {
        $0.days = left.days
        $0.hours = left.hours
      }
      $0.statusReason = tender.statusReason
      $0.extensions = tender.extensions.map { item in
        .with {
          $0.extendTime = .init(seconds: item.time)
          $0.reason = item.reason
          $0.employee = item.employee
          $0.previousLastOfferTime = .init(seconds: item.previousLastOffer)
          $0.lastOfferTime = .init(seconds: item.lastOffer)
        }
      }
      $0.createTime = .init(seconds: tender.createTime)
      $0.updateTime = .init(seconds: tender.updateTime)
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

  static func lookup(_ lookup: TenderLookup) -> Etimad_Tenders_V1_Lookup {
    .with {
      $0.code = lookup.code
      $0.name = .with {
        $0.ar = lookup.name.arabic
        $0.en = lookup.name.english
      }
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
