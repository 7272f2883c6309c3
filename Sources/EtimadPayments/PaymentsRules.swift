import EtimadKit
import EtimadProtos
import Foundation
import SwiftProtobuf

/// The payments area's pure rules: what a valid beneficiary, customer number, SADAD
/// reference, amount, period and refund destination are. No I/O; tested without a server.
public enum PaymentsRules {
  public static let domain = "payments.etimad.sa"

  /// A beneficiary's document: national ID or iqama (Luhn), or a border number (10 digits
  /// starting with 3 to 9, no check digit), as Kit's `NationalID` reads them.
  public static func beneficiary(
    _ id: Etimad_Type_V1_PersonId, field: String, into violations: inout [EtimadError.FieldViolation]
  ) -> NationalID? {
    do {
      return try NationalID(parsing: id.number, expected: id.type.kind)
    } catch {
      violations.append(FieldRules.violation(error, field: field))
      return nil
    }
  }

  /// A SADAD customer (biller account) number: 6 to 20 digits (Arabic-Indic digits accepted).
  public static func customerNumber(
    _ text: String, field: String, into violations: inout [EtimadError.FieldViolation]
  ) -> String? {
    let digits = Digits.normalized(text)
    guard Digits.allASCIIDigits(digits), (6...20).contains(digits.utf8.count) else {
      violations.append(
        .init(
          field: field, reason: digits.isEmpty ? "REQUIRED" : "INVALID_CUSTOMER_NUMBER",
          description: .init(
            en: "The customer number has 6 to 20 digits.", ar: "يتكون رقم العميل من 6 إلى 20 رقمًا.")))
      return nil
    }
    return digits
  }

  /// A SADAD payment reference: 6 to 32 letters, digits or dashes, kept upper case.
  public static func sadadReference(
    _ text: String, field: String, into violations: inout [EtimadError.FieldViolation]
  ) -> String? {
    // Digits.normalized folds Arabic-Indic digits but drops dashes, which references keep.
    let value = text.split(separator: "-", omittingEmptySubsequences: false)
      .map { Digits.normalized(String($0)) }.joined(separator: "-").uppercased()
    let allowed = value.utf8.allSatisfy {
      ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x2D
    }
    guard allowed, (6...32).contains(value.utf8.count) else {
      violations.append(
        .init(
          field: field, reason: value.isEmpty ? "REQUIRED" : "INVALID_SADAD_REFERENCE",
          description: .init(
            en: "The SADAD reference has 6 to 32 letters, digits or dashes.",
            ar: "يتكون مرجع سداد من 6 إلى 32 حرفًا أو رقمًا أو شرطة.")))
      return nil
    }
    return value
  }

  /// A positive amount in SAR.
  public static func positiveAmount(
    _ money: Etimad_Type_V1_Money, field: String, into violations: inout [EtimadError.FieldViolation]
  ) -> Int64? {
    do {
      let amount = try Halalas(currencyCode: money.currencyCode, amount: money.amountHalalas)
      guard amount.value > 0 else {
        violations.append(
          .init(
            field: field, reason: "NOT_POSITIVE",
            description: .init(en: "The amount must be more than zero.", ar: "يجب أن يكون المبلغ أكبر من صفر.")))
        return nil
      }
      return amount.value
    } catch {
      violations.append(FieldRules.violation(error, field: field))
      return nil
    }
  }

  /// A period of payment times in milliseconds since 1970; nil bounds are open.
  public struct Period: Sendable, Hashable {
    public var from: Int64?
    public var to: Int64?
  }

  /// The period of a filter. `paid_from` after `paid_to` is a violation of both fields.
  public static func period(
    from: Google_Protobuf_Timestamp?, to: Google_Protobuf_Timestamp?, prefix: String,
    into violations: inout [EtimadError.FieldViolation]
  ) -> Period {
    let period = Period(from: from.map(WireTime.milliseconds), to: to.map(WireTime.milliseconds))
    if let start = period.from, let end = period.to, start > end {
      let description = LocalizedString(
        en: "The period's start (paid_from) must not be after its end (paid_to).",
        ar: "يجب ألا تكون بداية الفترة بعد نهايتها.")
      violations.append(.init(field: prefix + "paid_from", reason: "PERIOD_REVERSED", description: description))
      violations.append(.init(field: prefix + "paid_to", reason: "PERIOD_REVERSED", description: description))
    }
    return period
  }

  /// The name of the account holder a refund goes to: 2 to 100 characters after trimming.
  public static func accountHolderName(
    _ text: String, field: String, into violations: inout [EtimadError.FieldViolation]
  ) -> String? {
    let name = text.trimmingCharacters(in: .whitespacesAndNewlines)
    guard (2...100).contains(name.count), !name.contains(where: { $0.isNewline }) else {
      violations.append(
        .init(
          field: field, reason: name.isEmpty ? "REQUIRED" : "INVALID_NAME",
          description: .init(
            en: "Enter the account holder's name as at the bank (2 to 100 characters).",
            ar: "أدخل اسم صاحب الحساب كما هو لدى البنك (من 2 إلى 100 حرف).")))
      return nil
    }
    return name
  }

  /// The IBAN a refund goes to: Saudi, 24 characters, mod-97 check digits, a known bank.
  public static func refundIBAN(
    _ text: String, field: String, into violations: inout [EtimadError.FieldViolation]
  ) -> SaudiIBAN? {
    do {
      return try SaudiIBAN(parsing: text, requireKnownBank: true)
    } catch {
      violations.append(FieldRules.violation(error, field: field))
      return nil
    }
  }

  /// Milliseconds since 1970 as a timestamp.
  public static func timestamp(milliseconds: Int64) -> Google_Protobuf_Timestamp {
    let (seconds, remainder) = milliseconds.quotientAndRemainder(dividingBy: 1000)
    let adjusted = remainder < 0 ? (seconds - 1, remainder + 1000) : (seconds, remainder)
    return .with {
      $0.seconds = adjusted.0
      $0.nanos = Int32(adjusted.1) * 1_000_000
    }
  }

  /// Sector and service codes: 2 to 32 upper-case letters, digits or underscores.
  public static func validCode(_ code: String) -> Bool {
    (2...32).contains(code.utf8.count)
      && code.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x41 && $0 <= 0x5A) || $0 == 0x5F }
  }

  /// Payment ids on the wire are decimal; anything else names no payment.
  public static func paymentID(_ text: String) -> Int64? {
    guard Digits.allASCIIDigits(text), text.utf8.count <= 18 else { return nil }
    return Int64(text)
  }
}
