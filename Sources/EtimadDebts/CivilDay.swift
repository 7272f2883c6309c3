import EtimadKit
import EtimadProtos
import Foundation

/// A whole Gregorian date (due dates, instalments), compared and stepped without times or
/// zones. Stored as `YYYY-MM-DD`, which sorts as the dates do.
public struct CivilDay: Sendable, Hashable, Comparable, CustomStringConvertible {
  public let year: Int
  public let month: Int
  public let day: Int

  /// Fixed-zone arithmetic: whole days never cross a daylight-saving change.
  private static let utc: Calendar = {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    return calendar
  }()

  /// nil when the date does not exist (30 February).
  public init?(year: Int, month: Int, day: Int) {
    guard (1...9999).contains(year), (1...12).contains(month), (1...31).contains(day),
      let date = Self.utc.date(from: DateComponents(year: year, month: month, day: day))
    else { return nil }
    let back = Self.utc.dateComponents([.year, .month, .day], from: date)
    guard back.year == year, back.month == month, back.day == day else { return nil }
    self.year = year
    self.month = month
    self.day = day
  }

  /// Reads `YYYY-MM-DD`.
  public init?(_ text: String) {
    let parts = text.split(separator: "-")
    guard parts.count == 3, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]) else { return nil }
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
    let parts = RiyadhCalendars.gregorian.dateComponents([.year, .month, .day], from: instant)
    return CivilDay(year: parts.year ?? 1970, month: parts.month ?? 1, day: parts.day ?? 1)
      ?? .epoch
  }

  /// 1970-01-01, for rows that cannot be read (never written by this code).
  public static let epoch = CivilDay(unchecked: 1970, 1, 1)

  private init(unchecked year: Int, _ month: Int, _ day: Int) {
    self.year = year
    self.month = month
    self.day = day
  }

  private var date: Date {
    Self.utc.date(from: DateComponents(year: year, month: month, day: day)) ?? Date(timeIntervalSince1970: 0)
  }

  private init(_ date: Date) {
    let parts = Self.utc.dateComponents([.year, .month, .day], from: date)
    self.init(unchecked: parts.year ?? 1970, parts.month ?? 1, parts.day ?? 1)
  }

  public func adding(days: Int) -> CivilDay {
    CivilDay(Self.utc.date(byAdding: .day, value: days, to: date) ?? date)
  }

  /// The same day `months` later, or the last day of that month when it is shorter.
  public func adding(months: Int) -> CivilDay {
    CivilDay(Self.utc.date(byAdding: .month, value: months, to: date) ?? date)
  }

  /// Whole days from `self` to `other`.
  public func days(to other: CivilDay) -> Int {
    Self.utc.dateComponents([.day], from: date, to: other.date).day ?? 0
  }

  public var description: String { String(format: "%04d-%02d-%02d", year, month, day) }

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
