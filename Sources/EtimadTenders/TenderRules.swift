import EtimadKit
import Foundation

/// The four key dates of a tender, in whole seconds since 1970.
public struct TenderDates: Sendable, Equatable, Codable {
  public var publish: Int64
  public var lastEnquiry: Int64
  public var lastOffer: Int64
  public var opening: Int64

  public init(publish: Int64, lastEnquiry: Int64, lastOffer: Int64, opening: Int64) {
    self.publish = publish
    self.lastEnquiry = lastEnquiry
    self.lastOffer = lastOffer
    self.opening = opening
  }
}

/// Where a tender is in its life, as stored.
public enum TenderState: String, Sendable, Codable, CaseIterable {
  case draft, published, cancelled, withdrawn, complete, unsuccessful
}

/// OCDS tender status codes.
public enum OCDSStatus: String, Sendable, Equatable {
  case planned, active, complete, cancelled, unsuccessful, withdrawn
}

/// Etimad's category of a public tender.
public enum TenderCategory: String, Sendable, Equatable {
  case active, ended
}

/// The tender rules that need no I/O.
public enum TenderRules {
  public static let domain = "tenders.etimad.sa"

  /// publish <= last enquiry <= last offer <= opening; one violation per date out of order,
  /// named by `prefix` + the field (such as `tender.last_offer_time`).
  public static func dateViolations(_ dates: TenderDates, prefix: String = "tender.") -> [EtimadError.FieldViolation] {
    var violations: [EtimadError.FieldViolation] = []
    if dates.lastEnquiry < dates.publish {
      violations.append(
        order(
          prefix + "last_enquiry_time", en: "The last enquiry time must not be before the publish time.",
          ar: "يجب ألا يسبق آخر موعد لاستقبال الاستفسارات تاريخ النشر."))
    }
    if dates.lastOffer < dates.lastEnquiry {
      violations.append(
        order(
          prefix + "last_offer_time", en: "The last offer time must not be before the last enquiry time.",
          ar: "يجب ألا يسبق آخر موعد لتقديم العروض آخر موعد لاستقبال الاستفسارات."))
    }
    if dates.opening < dates.lastOffer {
      violations.append(
        order(
          prefix + "opening_time", en: "The offers opening time must not be before the last offer time.",
          ar: "يجب ألا يسبق موعد فتح العروض آخر موعد لتقديم العروض."))
    }
    return violations
  }

  /// The violations of an extension: each new date at least its current value, one of them
  /// later, the order rule kept, a reason given.
  public static func extensionViolations(
    from current: TenderDates, to proposed: TenderDates, reason: String
  ) -> [EtimadError.FieldViolation] {
    var violations: [EtimadError.FieldViolation] = []
    let pairs: [(String, Int64, Int64)] = [
      ("last_enquiry_time", current.lastEnquiry, proposed.lastEnquiry),
      ("last_offer_time", current.lastOffer, proposed.lastOffer),
      ("opening_time", current.opening, proposed.opening),
    ]
    for (field, old, new) in pairs where new < old {
      violations.append(
        .init(
          field: field, reason: "EARLIER_THAN_CURRENT",
          description: .init(
            en: "An extension only moves dates later; \(field) is earlier than its current value.",
            ar: "التمديد ينقل المواعيد إلى وقت لاحق فقط؛ الموعد الجديد أبكر من الموعد الحالي.")))
    }
    if violations.isEmpty && proposed == current {
      violations.append(
        .init(
          field: "last_offer_time", reason: "NOTHING_EXTENDED",
          description: .init(
            en: "Give at least one date later than its current value.",
            ar: "حدد موعدًا واحدًا على الأقل لاحقًا لموعده الحالي.")))
    }
    violations += dateViolations(proposed, prefix: "")
    violations += textViolations(reason, field: "reason", required: true, maximum: 500)
    return violations
  }

  /// Whether the public sees the tender: published (or cancelled or closed after publishing)
  /// and its publish time has come.
  public static func isPublic(state: TenderState, publish: Int64, now: Int64) -> Bool {
    state != .draft && state != .withdrawn && publish <= now
  }

  public static func status(state: TenderState, publish: Int64, now: Int64) -> OCDSStatus {
    switch state {
    case .draft: .planned
    case .published: publish <= now ? .active : .planned
    case .cancelled: .cancelled
    case .withdrawn: .withdrawn
    case .complete: .complete
    case .unsuccessful: .unsuccessful
    }
  }

  /// Active while published and offers are accepted; ended afterwards; nil before it is public.
  public static func category(state: TenderState, dates: TenderDates, now: Int64) -> TenderCategory? {
    guard isPublic(state: state, publish: dates.publish, now: now) else { return nil }
    return acceptsOffers(state: state, dates: dates, now: now) ? .active : .ended
  }

  /// Whether suppliers can submit offers now: published, public, and before the last offer time.
  public static func acceptsOffers(state: TenderState, dates: TenderDates, now: Int64) -> Bool {
    state == .published && dates.publish <= now && now < dates.lastOffer
  }

  /// Whole days and hours left to submit offers: zero unless the tender accepts offers now, as
  /// a tender cancelled, withdrawn or closed before its last offer time must show no countdown.
  public static func remaining(state: TenderState, dates: TenderDates, now: Int64) -> (days: Int32, hours: Int32) {
    guard acceptsOffers(state: state, dates: dates, now: now) else { return (0, 0) }
    let seconds = dates.lastOffer - now
    return (Int32(clamping: seconds / 86_400), Int32(clamping: (seconds % 86_400) / 3_600))
  }

  /// A reference number as stored: Arabic-Indic digits as ASCII, uppercase; nil when it is
  /// not 1-32 letters, digits, `-` or `/`.
  public static func referenceNumber(_ text: String) -> String? {
    let value = asciiDigits(text.trimmingCharacters(in: .whitespaces)).uppercased()
    guard (1...32).contains(value.count),
      value.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "/" }
      )
    else { return nil }
    return value
  }

  /// Arabic-Indic and Persian digits as ASCII; everything else as it is.
  public static func asciiDigits(_ text: String) -> String {
    String(
      String.UnicodeScalarView(
        text.unicodeScalars.map { scalar in
          switch scalar.value {
          case 0x0660...0x0669: Unicode.Scalar(scalar.value - 0x0660 + 0x30) ?? scalar
          case 0x06F0...0x06F9: Unicode.Scalar(scalar.value - 0x06F0 + 0x30) ?? scalar
          default: scalar
          }
        }))
  }

  /// Length and content checks of a free-text field.
  public static func textViolations(
    _ text: String, field: String, required: Bool, minimum: Int = 1, maximum: Int
  ) -> [EtimadError.FieldViolation] {
    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty {
      return required
        ? [
          .init(
            field: field, reason: "REQUIRED",
            description: .init(en: "\(field) is required.", ar: "الحقل \(field) مطلوب."))
        ]
        : []
    }
    if trimmed.count < minimum || trimmed.count > maximum {
      return [
        .init(
          field: field, reason: "LENGTH",
          description: .init(
            en: "\(field) must have \(minimum) to \(CountedNoun.character(maximum).english).",
            ar: "يجب أن يتكون الحقل \(field) من \(minimum) إلى \(CountedNoun.character(maximum).arabic)."))
      ]
    }
    if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" })
    {
      return [
        .init(
          field: field, reason: "CONTROL_CHARACTERS",
          description: .init(en: "\(field) contains control characters.", ar: "الحقل \(field) يحتوي على رموز تحكم."))
      ]
    }
    return []
  }

  static func order(_ field: String, en: String, ar: String) -> EtimadError.FieldViolation {
    .init(field: field, reason: "DATE_ORDER", description: .init(en: en, ar: ar))
  }
}
