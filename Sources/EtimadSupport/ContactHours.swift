import EtimadKit
import Foundation

/// When a channel is open on one day, in minutes after midnight Riyadh time: open from
/// `opens` inclusive to `closes` exclusive.
public struct DailyWindow: Sendable, Hashable {
  public let opens: Int
  public let closes: Int

  public init(opens: Int, closes: Int) {
    precondition(0 <= opens && opens < closes && closes <= 24 * 60, "a day's window lies within the day")
    self.opens = opens
    self.closes = closes
  }

  /// "08:00-22:00".
  public var text: String { Self.clock(opens) + "-" + Self.clock(closes) }

  static func clock(_ minutes: Int) -> String {
    Digits.zeroPadded(minutes / 60, width: 2) + ":" + Digits.zeroPadded(minutes % 60, width: 2)
  }
}

/// A channel's weekly opening hours in Asia/Riyadh (no daylight saving time), and the
/// questions asked of them: open at an instant, and when that next changes.
public struct WeeklyHours: Sendable, Hashable {
  /// Sunday first, as Foundation numbers weekdays (1 Sunday ... 7 Saturday) minus one.
  public let days: [DailyWindow]

  public init(days: [DailyWindow]) {
    precondition(days.count == 7, "a week has seven days")
    self.days = days
  }

  /// The platform's published hours: Sunday to Saturday 08:00-22:00, Friday 13:00-21:00.
  public static let etimad = WeeklyHours(
    days: (1...7).map {
      $0 == 6 ? DailyWindow(opens: 13 * 60, closes: 21 * 60) : DailyWindow(opens: 8 * 60, closes: 22 * 60)
    })

  /// Whether the channel is open at `date`.
  public func isOpen(at date: Date) -> Bool {
    let (day, minute) = Self.position(of: date)
    return days[day].opens <= minute && minute < days[day].closes
  }

  /// When the channel next opens (while closed) or closes (while open), after `date`.
  public func nextChange(after date: Date) -> Date {
    let calendar = RiyadhCalendars.gregorian
    let (day, minute) = Self.position(of: date)
    let today = calendar.startOfDay(for: date)
    let window = days[day]
    func at(_ minutes: Int, daysLater: Int) -> Date {
      let start = calendar.date(byAdding: .day, value: daysLater, to: today) ?? today
      return start.addingTimeInterval(TimeInterval(minutes * 60))
    }
    if minute < window.opens { return at(window.opens, daysLater: 0) }
    if minute < window.closes { return at(window.closes, daysLater: 0) }
    return at(days[(day + 1) % 7].opens, daysLater: 1)
  }

  /// The day of the week (0 Sunday) and the minute of the day of `date` in Riyadh.
  static func position(of date: Date) -> (day: Int, minute: Int) {
    let parts = RiyadhCalendars.gregorian.dateComponents([.weekday, .hour, .minute], from: date)
    return ((parts.weekday ?? 1) - 1, (parts.hour ?? 0) * 60 + (parts.minute ?? 0))
  }
}

/// A way to reach the platform's support.
public struct ContactChannel: Sendable, Hashable {
  public enum Kind: Sendable, Hashable { case phone, email, social }

  public let code: String
  public let kind: Kind
  public let name: LocalizedString
  public let address: String
  public let hours: WeeklyHours

  /// The seed's channels: the unified centre, e-mail and the social accounts, all on the
  /// platform's published hours.
  public static let all: [ContactChannel] = [
    .init(
      code: "unified_centre", kind: .phone, name: .init(en: "Unified contact centre", ar: "مركز الاتصال الموحد"),
      address: "1990", hours: .etimad),
    .init(
      code: "email", kind: .email, name: .init(en: "E-mail", ar: "البريد الإلكتروني"), address: "support@etimad.sa",
      hours: .etimad),
    .init(
      code: "x", kind: .social, name: .init(en: "X", ar: "إكس"), address: "https://x.com/Etimad_SA", hours: .etimad),
    .init(
      code: "instagram", kind: .social, name: .init(en: "Instagram", ar: "إنستغرام"),
      address: "https://www.instagram.com/etimad_sa", hours: .etimad),
    .init(
      code: "youtube", kind: .social, name: .init(en: "YouTube", ar: "يوتيوب"),
      address: "https://www.youtube.com/@EtimadSA", hours: .etimad),
  ]

  /// The promised time to a first answer while the channels are open.
  public static let responseTarget: TimeInterval = 15 * 60
}
