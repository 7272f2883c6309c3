import EtimadProtos
import Foundation
import SwiftProtobuf

/// The instants, durations and dates the contract accepts, and their safe conversions.
///
/// A `google.protobuf.Timestamp` is only meaningful within 0001-01-01T00:00:00Z ...
/// 9999-12-31T23:59:59.999999999Z with nanos in 0 ..< 10^9 (the range timestamp.proto
/// documents); swift-protobuf's `Timestamp.date` traps on values far outside it. Every request
/// is checked against these ranges before a handler runs (`RequestBounds`), and handlers
/// convert only through the functions here, which never trap whatever they are given.
public enum WireTime {
  /// 0001-01-01T00:00:00Z.
  public static let minimumSeconds: Int64 = -62_135_596_800
  /// 9999-12-31T23:59:59Z.
  public static let maximumSeconds: Int64 = 253_402_300_799
  /// ±10,000 years, the range duration.proto documents.
  public static let maximumDurationSeconds: Int64 = 315_576_000_000
  /// Calendar years a `CalendarDate` may name (Gregorian; Hijri years up to 9666 AH).
  public static let gregorianYears: ClosedRange<Int32> = 1...9999
  public static let hijriYears: ClosedRange<Int32> = 1...9666

  /// Whether `timestamp` lies in the documented range.
  public static func isValid(_ timestamp: Google_Protobuf_Timestamp) -> Bool {
    (minimumSeconds...maximumSeconds).contains(timestamp.seconds) && (0..<1_000_000_000).contains(timestamp.nanos)
  }

  /// Whether `duration` lies in the documented range (nanos share the sign of seconds).
  public static func isValid(_ duration: Google_Protobuf_Duration) -> Bool {
    guard (-maximumDurationSeconds...maximumDurationSeconds).contains(duration.seconds),
      (-999_999_999...999_999_999).contains(duration.nanos)
    else { return false }
    return duration.seconds == 0 || duration.nanos == 0 || (duration.seconds < 0) == (duration.nanos < 0)
  }

  /// Whether a date's numbers are plausible for its calendar. All zeros is an unset date
  /// (the handler decides whether it was required); day-of-month existence is the handler's.
  public static func isValid(_ date: Etimad_Type_V1_CalendarDate) -> Bool {
    if date.year == 0 && date.month == 0 && date.day == 0 { return true }
    let years = date.calendar == .hijri ? hijriYears : gregorianYears
    return years.contains(date.year) && (1...12).contains(date.month) && (1...31).contains(date.day)
  }

  /// The instant `timestamp` names, clamped into the documented range (never traps).
  public static func date(_ timestamp: Google_Protobuf_Timestamp) -> Date {
    let seconds = min(max(timestamp.seconds, minimumSeconds), maximumSeconds)
    let nanos = min(max(timestamp.nanos, 0), 999_999_999)
    return Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9)
  }

  /// Whole seconds since 1970, clamped into the documented range.
  public static func seconds(_ timestamp: Google_Protobuf_Timestamp) -> Int64 {
    min(max(timestamp.seconds, minimumSeconds), maximumSeconds)
  }

  /// Milliseconds since 1970, clamped into the documented range (sub-millisecond parts dropped).
  public static func milliseconds(_ timestamp: Google_Protobuf_Timestamp) -> Int64 {
    seconds(timestamp) * 1000 + Int64(min(max(timestamp.nanos, 0), 999_999_999) / 1_000_000)
  }

  /// The field violation for a value outside the documented range.
  public static func violation(field: String) -> EtimadError.FieldViolation {
    EtimadError.FieldViolation(
      field: field, reason: "OUT_OF_RANGE",
      description: LocalizedString(
        en: "The time or date must lie between the years 1 and 9999.",
        ar: "يجب أن يقع الوقت أو التاريخ بين السنة 1 والسنة 9999."))
  }
}
