import EtimadKit
import EtimadProtos
import Foundation
import SwiftProtobuf

/// Checks of request fields, all reported at once as BadRequest violations in both languages.
enum DebtValidation {
  /// The paths of `DebtDetails` a field mask may name.
  static let paths: [String] = [
    "debtor_id", "debtor_name", "category", "reason", "amount", "due_date", "sadad_bill_number", "attachment_refs",
    "notes",
  ]
  /// The largest amount a debt may carry: the kit's ceiling for every amount.
  static let maximumAmount: Int64 = Halalas.ceiling

  typealias Violations = [EtimadError.FieldViolation]

  static func violation(_ field: String, _ reason: String, en: String, ar: String) -> EtimadError.FieldViolation {
    .init(field: field, reason: reason, description: LocalizedString(en: en, ar: ar))
  }

  static func required(_ field: String) -> EtimadError.FieldViolation {
    violation(field, "REQUIRED", en: "\(field) is required.", ar: "الحقل \(field) مطلوب.")
  }

  /// The first instalment's due date is missing, not a date, or outside today ... 90 days on.
  static func firstDueDate(_ reason: String) -> EtimadError.FieldViolation {
    violation(
      "first_due_date", reason, en: "The first instalment falls due between today and 90 days from today.",
      ar: "يستحق القسط الأول بين اليوم و90 يومًا من اليوم.")
  }

  static func text(
    _ value: String, field: String, max: Int, required: Bool, into violations: inout Violations
  )
    -> String
  {
    let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
    if trimmed.isEmpty, required {
      violations.append(Self.required(field))
    } else if trimmed.count > max {
      let most = CountedNoun.character(max)
      violations.append(
        violation(
          field, "TOO_LONG", en: "\(field) has at most \(most.english).", ar: "الحقل \(field) لا يتجاوز \(most.arabic)."
        ))
    }
    return trimmed
  }

  /// A positive SAR amount within range.
  static func amount(
    _ money: Etimad_Type_V1_Money, present: Bool, field: String, into violations: inout Violations
  )
    -> Halalas
  {
    guard present else {
      violations.append(required(field))
      return .zero
    }
    do {
      let amount = try Halalas(currencyCode: money.currencyCode, amount: money.amountHalalas)
      guard amount.value > 0 else {
        violations.append(
          violation(
            field, "NOT_POSITIVE", en: "The amount must be at least 1 halala.", ar: "يجب ألا يقل المبلغ عن هللة واحدة.")
        )
        return .zero
      }
      guard amount.value <= maximumAmount else { throw Halalas.Problem.overflow }
      return amount
    } catch {
      violations.append(FieldRules.violation(error, field: field))
      return .zero
    }
  }

  static func attachments(_ refs: [String], field: String, into violations: inout Violations) -> [String] {
    if refs.count > 10 {
      violations.append(
        violation(field, "TOO_MANY", en: "At most 10 attachments.", ar: "لا يتجاوز عدد المرفقات 10."))
    }
    for (index, ref) in refs.enumerated() {
      let trimmed = ref.trimmingCharacters(in: .whitespacesAndNewlines)
      if trimmed.isEmpty || trimmed.count > 200 {
        violations.append(
          violation(
            "\(field)[\(index)]", "INVALID_REFERENCE", en: "An attachment reference has 1 to 200 characters.",
            ar: "مرجع المرفق من 1 إلى 200 حرف."))
      }
    }
    return refs.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
  }

  /// The values of the fields named by `paths`, read from `details` and validated: the one
  /// check of new debt values (a new debt names every path).
  static func patch(
    _ details: Etimad_Debts_V1_DebtDetails, paths: Set<String>, prefix: String, into violations: inout Violations
  ) -> DebtPatch {
    var patch = DebtPatch()
    if paths.contains("debtor_id") {
      do {
        let id = try NationalID(parsing: details.debtorID.number, expected: details.debtorID.type.kind)
        patch.debtor = (id.kind, id.number)
      } catch {
        violations.append(FieldRules.violation(error, field: prefix + "debtor_id.number"))
      }
    }
    if paths.contains("debtor_name") {
      patch.debtorName = text(
        details.debtorName, field: prefix + "debtor_name", max: 200, required: true, into: &violations)
    }
    if paths.contains("category") {
      if let category = DebtCategory(details.category) {
        patch.category = category
      } else {
        violations.append(required(prefix + "category"))
      }
    }
    if paths.contains("reason") {
      patch.reason = text(details.reason, field: prefix + "reason", max: 500, required: true, into: &violations)
    }
    if paths.contains("amount") {
      patch.amount = amount(details.amount, present: details.hasAmount, field: prefix + "amount", into: &violations)
    }
    if paths.contains("due_date") {
      if let day = CivilDay(details.dueDate), details.hasDueDate {
        patch.dueDate = day
      } else {
        violations.append(
          violation(
            prefix + "due_date", details.hasDueDate ? "INVALID_DATE" : "REQUIRED",
            en: "Enter a real due date (Gregorian or Hijri).", ar: "أدخل تاريخ استحقاق صحيحًا (ميلادي أو هجري)."))
      }
    }
    if paths.contains("sadad_bill_number") {
      let digits = Digits.normalized(details.sadadBillNumber)
      if !digits.isEmpty, digits.count > 30 || !Digits.allASCIIDigits(digits) {
        violations.append(
          violation(
            prefix + "sadad_bill_number", "INVALID_BILL_NUMBER", en: "A SADAD bill number has 1 to 30 digits.",
            ar: "رقم فاتورة سداد من 1 إلى 30 رقمًا."))
      }
      patch.sadadBillNumber = digits
    }
    if paths.contains("attachment_refs") {
      patch.attachmentRefs = attachments(details.attachmentRefs, field: prefix + "attachment_refs", into: &violations)
    }
    if paths.contains("notes") {
      patch.notes = text(details.notes, field: prefix + "notes", max: 2000, required: false, into: &violations)
    }
    return patch
  }

  /// The paths of a field mask: known, at least one.
  static func mask(
    _ mask: Google_Protobuf_FieldMask, present: Bool, field: String, into violations: inout Violations
  )
    -> Set<String>
  {
    let paths = Set(mask.paths)
    if !present || paths.isEmpty { violations.append(required(field)) }
    for path in paths where !Self.paths.contains(path) {
      violations.append(
        violation(
          field, "UNKNOWN_PATH", en: "\(path) is not a field of a debt that can be changed.",
          ar: "\(path) ليس حقلًا قابلًا للتعديل في المديونية."))
    }
    return paths.intersection(Self.paths)
  }

  /// A numeric identifier; nil (read as not found) for anything else.
  static func id(_ text: String) -> Int64? {
    guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
    return Int64(text)
  }
}
