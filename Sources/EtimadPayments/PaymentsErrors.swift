import EtimadKit
import Foundation

/// The payments area's errors, worded once in both languages.
enum PaymentsErrors {
  static let domain = PaymentsRules.domain

  static func error(
    _ code: EtimadError.Code, _ reason: String, en: String, ar: String, metadata: [String: String] = [:]
  ) -> EtimadError {
    EtimadError(
      code: code, reason: reason, domain: domain, message: LocalizedString(en: en, ar: ar), metadata: metadata)
  }

  static let paymentNotFound = EtimadError.notFound(
    "payment", named: .init(en: "The payment", ar: "عملية الدفع"), domain: domain)
  static let refundRequestNotFound = EtimadError.notFound(
    "refund request", named: .init(en: "The refund request", ar: "طلب الاسترداد"), domain: domain)
  static let sectorNotFound = EtimadError.notFound(
    "sector", named: .init(en: "The sector", ar: "القطاع"), domain: domain)

  static func field(_ field: String, _ reason: String, en: String, ar: String) -> EtimadError.FieldViolation {
    .init(field: field, reason: reason, description: LocalizedString(en: en, ar: ar))
  }

  static func required(_ field: String) -> EtimadError.FieldViolation {
    .init(
      field: field, reason: "REQUIRED", description: .init(en: "\(field) is required.", ar: "الحقل \(field) مطلوب."))
  }

  static let unknownSector = EtimadError.invalidFields(
    [field("sector_code", "UNKNOWN_SECTOR", en: "No sector has this code.", ar: "لا يوجد قطاع بهذا الرمز.")],
    domain: domain)
  static let unknownService = EtimadError.invalidFields(
    [
      field(
        "service_code", "UNKNOWN_SERVICE", en: "The sector has no service with this code.",
        ar: "لا توجد خدمة بهذا الرمز في القطاع.")
    ], domain: domain)
  static let sectorOfAnotherAgency = error(
    .permissionDenied, "SECTOR_OF_ANOTHER_AGENCY",
    en: "This sector's payments are recorded by another agency.", ar: "مدفوعات هذا القطاع تسجلها جهة أخرى.")
  static let sadadReferenceExists = error(
    .alreadyExists, "SADAD_REFERENCE_EXISTS",
    en: "A different payment with this SADAD reference is already recorded in the sector.",
    ar: "توجد عملية سداد مختلفة مسجلة بمرجع سداد نفسه في هذا القطاع.")
  static let paidTimeInFuture = EtimadError.invalidFields(
    [
      field(
        "paid_time", "IN_FUTURE", en: "The paid time must not be in the future.",
        ar: "يجب ألا يكون وقت السداد في المستقبل.")
    ],
    domain: domain)
  static let refundNotPending = error(
    .failedPrecondition, "REFUND_NOT_PENDING", en: "The refund request was already decided.",
    ar: "تم البت في طلب الاسترداد من قبل.")

  /// A movement or a refund larger than the part it comes from.
  static func exceeds(_ problem: PaymentBalance.Problem, part: String) -> EtimadError {
    switch problem {
    case .notPositive:
      return .invalidFields(
        [
          field(
            "amount", "NOT_POSITIVE", en: "The amount must be more than zero.", ar: "يجب أن يكون المبلغ أكبر من صفر.")
        ],
        domain: domain)
    case .overflow:
      return error(
        .internalError, "BALANCE_OVERFLOW", en: "The payment's stored balance cannot be read.",
        ar: "تعذرت قراءة رصيد عملية الدفع المخزن.")
    case .exceeds(let limit):
      let riyals = Halalas(limit).riyals
      let (en, ar): (String, String) =
        switch part {
        case "refundable":
          (
            "The amount is more than the refundable balance (\(riyals) SAR).",
            "المبلغ أكبر من الرصيد القابل للاسترداد (\(riyals) ريال)."
          )
        case "refund_pending":
          ("The amount is more than the pending refunds (\(riyals) SAR).", "المبلغ أكبر من طلبات الاسترداد المعلقة.")
        default:
          (
            "The amount is more than the available balance (\(riyals) SAR).",
            "المبلغ أكبر من الرصيد المتاح (\(riyals) ريال)."
          )
        }
      return error(
        .failedPrecondition, "AMOUNT_EXCEEDS_\(part.uppercased())", en: en, ar: ar,
        metadata: ["\(part)_halalas": "\(limit)"])
    }
  }
}
