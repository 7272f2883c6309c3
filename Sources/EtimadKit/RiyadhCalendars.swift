import Foundation

/// The calendars Etimad reads and shows dates in, in Riyadh time: Gregorian and Umm al-Qura
/// (the kingdom's official Hijri calendar). Tenders, travel orders and registration all use them.
public enum RiyadhCalendars {
  public static let timeZone = TimeZone(identifier: "Asia/Riyadh")!

  public static let gregorian = calendar(.gregorian)
  public static let hijri = calendar(.islamicUmmAlQura)

  /// YYYY-MM-DD of `date` in the Hijri calendar.
  public static func hijriString(for date: Date) -> String {
    let parts = hijri.dateComponents([.year, .month, .day], from: date)
    return [(parts.year ?? 0, 4), (parts.month ?? 0, 2), (parts.day ?? 0, 2)].map { Digits.zeroPadded($0, width: $1) }
      .joined(separator: "-")
  }

  private static func calendar(_ identifier: Calendar.Identifier) -> Calendar {
    var calendar = Calendar(identifier: identifier)
    calendar.timeZone = timeZone
    return calendar
  }
}
