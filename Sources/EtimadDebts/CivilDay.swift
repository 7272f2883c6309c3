import EtimadKit
import EtimadProtos
import Foundation

/// A whole Gregorian date (due dates, instalments), compared and stepped without times or
/// zones. Stored as `YYYY-MM-DD`, which sorts as the dates do.
public struct CivilDay: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let year: Int
  public let month: Int
  public let day: Int

  // Whole days are counted with plain integer arithmetic (proleptic Gregorian, days since
  // 1970-01-01): Foundation's Calendar costs microseconds per call, and every debt read
  // parses a due date.

  /// nil when the date does not exist (30 February).
  public init?(year: Int, month: Int, day: Int) {
    guard (1...9999).contains(year), (1...12).contains(month), day >= 1,
      day <= Self.daysIn(year: year, month: month)
    else { return nil }
    self.year = year
    self.month = month
    self.day = day
  }

  /// Reads `YYYY-MM-DD`.
  public init?(_ text: String) {
    let parts = text.utf8.split(separator: UInt8(ascii: "-"))
    guard parts.count == 3, let y = Int(Substring(parts[0])), let m = Int(Substring(parts[1])),
      let d = Int(Substring(parts[2]))
    else { return nil }
    self.init(year: y, month: m, day: d)
  }

  /// A date from the wire, converting Umm al-Qura (Hijri) dates to Gregorian.
  public init?(_ date: Etimad_Type_V1_CalendarDate) {
    guard date.calendar == .hijri else {
      self.init(year: Int(date.year), month: Int(date.month), day: Int(date.day))
      return
    }
    let components = DateComponents(year: Int(date.year), month: Int(date.month), day: Int(date.day))
    guard (1...12).contains(date.month), (1...30).contains(date.day), date.year > 0,
      let instant = RiyadhCalendars.hijri.date(from: components)
    else { return nil }
    let back = RiyadhCalendars.hijri.dateComponents([.year, .month, .day], from: instant)
    guard back.year == components.year, back.month == components.month, back.day == components.day else {
      return nil
    }
    let gregorian = RiyadhCalendars.gregorian.dateComponents([.year, .month, .day], from: instant)
    guard let y = gregorian.year, let m = gregorian.month, let d = gregorian.day else { return nil }
    self.init(year: y, month: m, day: d)
  }

  /// The date in Riyadh at `instant`.
  public static func inRiyadh(_ instant: Date) -> CivilDay {
    let offset = RiyadhCalendars.timeZone.secondsFromGMT(for: instant)
    let seconds = Int((instant.timeIntervalSince1970 + Double(offset)).rounded(.down))
    return CivilDay(ordinal: seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
  }

  /// 1970-01-01, for rows that cannot be read (never written by this code).
  public static let epoch = CivilDay(ordinal: 0)

  /// Days since 1970-01-01 (H. Hinnant's days_from_civil).
  var ordinal: Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The date `ordinal` days after 1970-01-01 (civil_from_days).
  init(ordinal: Int) {
    let z = ordinal + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let d = dayOfYear - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    self.year = yearOfEra + era * 400 + (m <= 2 ? 1 : 0)
    self.month = m
    self.day = d
  }

  static func daysIn(year: Int, month: Int) -> Int {
    switch month {
    case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
    case 4, 6, 9, 11: 30
    default: 31
    }
  }

  public func adding(days: Int) -> CivilDay {
    CivilDay(ordinal: ordinal + days)
  }

  /// The same day `months` later, or the last day of that month when it is shorter.
  public func adding(months: Int) -> CivilDay {
    let index = year * 12 + (month - 1) + months
    let (y, m) = (index / 12, index % 12 + 1)
    return CivilDay(year: y, month: m, day: min(day, Self.daysIn(year: y, month: m))) ?? self
  }

  /// Whole days from `self` to `other`.
  public func days(to other: CivilDay) -> Int {
    other.ordinal - ordinal
  }

  public var description: String {
    func padded(_ value: Int, _ width: Int) -> String {
      let digits = String(value)
      return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }
    return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))"
  }

  /// The wire form, Gregorian.
  public var message: Etimad_Type_V1_CalendarDate {
    .with {
      $0.year = Int32(year)
      $0.month = Int32(month)
      $0.day = Int32(day)
      $0.calendar = .gregorian
    }
  }

  public static func < (lhs: CivilDay, rhs: CivilDay) -> Bool {
    (lhs.year, lhs.month, lhs.day) < (rhs.year, rhs.month, rhs.day)
  }
}
