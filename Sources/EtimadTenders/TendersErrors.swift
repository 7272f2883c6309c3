import EtimadKit

/// The tenders area's errors, worded once in both languages.
enum TendersErrors {
  static let domain = TenderRules.domain

  static func error(
    _ code: EtimadError.Code, _ reason: String, en: String, ar: String, metadata: [String: String] = [:]
  ) -> EtimadError {
    EtimadError(
      code: code, reason: reason, domain: domain, message: LocalizedString(en: en, ar: ar), metadata: metadata)
  }

  /// A tender that does not exist, or that the caller may not see: answered alike.
  static let notFound = EtimadError.notFound("tender", named: .init(en: "The tender", ar: "المنافسة"), domain: domain)

  static func referenceTaken(_ reference: String) -> EtimadError {
    error(
      .alreadyExists, "REFERENCE_NUMBER_TAKEN", en: "A tender with reference number \(reference) already exists.",
      ar: "توجد منافسة بالرقم المرجعي \(reference).", metadata: ["reference_number": reference])
  }

  static let notDraft = error(
    .failedPrecondition, "NOT_DRAFT", en: "Only a draft tender can be changed or published.",
    ar: "لا يمكن تعديل المنافسة أو نشرها إلا وهي مسودة.")
  static let notPublished = error(
    .failedPrecondition, "NOT_PUBLISHED", en: "This tender is not published (it is a draft, cancelled or closed).",
    ar: "هذه المنافسة غير منشورة (مسودة أو ملغاة أو مغلقة).")
  static let notPublicYet = error(
    .failedPrecondition, "NOT_PUBLIC_YET", en: "This tender's publish time has not come yet.",
    ar: "لم يحن موعد نشر هذه المنافسة بعد.")
  static let offersClosed = error(
    .failedPrecondition, "OFFERS_CLOSED", en: "The last offer time has passed; the dates can no longer be extended.",
    ar: "انقضى آخر موعد لتقديم العروض؛ لا يمكن تمديد المواعيد.")
  static let offersStillOpen = error(
    .failedPrecondition, "OFFERS_STILL_OPEN", en: "The tender can be closed only after its last offer time.",
    ar: "لا يمكن إغلاق المنافسة قبل انقضاء آخر موعد لتقديم العروض.")
  static let alreadyFinal = error(
    .failedPrecondition, "TENDER_FINAL", en: "This tender is already cancelled, withdrawn or closed.",
    ar: "هذه المنافسة ملغاة أو مسحوبة أو مغلقة بالفعل.")

  static func datesPassed(_ violations: [EtimadError.FieldViolation]) -> EtimadError {
    EtimadError(
      code: .failedPrecondition, reason: "DATES_PASSED", domain: domain,
      message: LocalizedString(
        en: "Published now, the tender's dates would be out of order; update them first.",
        ar: "عند النشر الآن تصبح مواعيد المنافسة غير مرتبة؛ عدّلها أولًا."),
      fieldViolations: violations)
  }

  static func required(_ field: String) -> EtimadError.FieldViolation {
    .init(
      field: field, reason: "REQUIRED", description: .init(en: "\(field) is required.", ar: "الحقل \(field) مطلوب."))
  }
}
