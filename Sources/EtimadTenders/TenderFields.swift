import EtimadKit
import Foundation

/// What an agency writes on a tender (everything but its state and history).
public struct TenderFields: Sendable, Equatable {
  public var referenceNumber: String
  public var tenderNumber: String
  public var name: String
  public var description: String
  public var branch: String
  public var typeCode: String
  public var mainActivity: String
  public var subActivity: String
  public var regions: [String]
  public var insideKingdom: Bool
  public var bookletPrice: Int64
  public var dates: TenderDates

  public init(
    referenceNumber: String, tenderNumber: String, name: String, description: String, branch: String,
    typeCode: String, mainActivity: String, subActivity: String, regions: [String], insideKingdom: Bool,
    bookletPrice: Int64, dates: TenderDates
  ) {
    self.referenceNumber = referenceNumber
    self.tenderNumber = tenderNumber
    self.name = name
    self.description = description
    self.branch = branch
    self.typeCode = typeCode
    self.mainActivity = mainActivity
    self.subActivity = subActivity
    self.regions = regions
    self.insideKingdom = insideKingdom
    self.bookletPrice = bookletPrice
    self.dates = dates
  }

  /// Every problem of the fields at once, named under `prefix` (such as `tender.`). Also
  /// puts the reference number in its stored form and trims the texts.
  public mutating func validate(prefix: String = "tender.") -> [EtimadError.FieldViolation] {
    var violations: [EtimadError.FieldViolation] = []
    if let reference = TenderRules.referenceNumber(referenceNumber) {
      referenceNumber = reference
    } else {
      violations.append(
        .init(
          field: prefix + "reference_number", reason: "INVALID_REFERENCE",
          description: .init(
            en: "The reference number has 1 to 32 letters, digits, '-' or '/'.",
            ar: "يتكون الرقم المرجعي من 1 إلى 32 حرفًا أو رقمًا أو '-' أو '/'.")))
    }
    tenderNumber = TenderRules.asciiDigits(tenderNumber.trimmingCharacters(in: .whitespaces))
    name = name.trimmingCharacters(in: .whitespacesAndNewlines)
    description = description.trimmingCharacters(in: .whitespacesAndNewlines)
    branch = branch.trimmingCharacters(in: .whitespacesAndNewlines)
    violations += TenderRules.textViolations(
      tenderNumber, field: prefix + "tender_number", required: false, maximum: 32)
    violations += TenderRules.textViolations(name, field: prefix + "name", required: true, minimum: 3, maximum: 300)
    violations += TenderRules.textViolations(
      description, field: prefix + "description", required: false, maximum: 5000)
    violations += TenderRules.textViolations(branch, field: prefix + "branch", required: false, maximum: 200)
    if !TenderLookups.types.contains(where: { $0.code == typeCode }) {
      violations.append(Self.unknown(prefix + "type_code", "ListTenderTypes"))
    }
    if let main = TenderLookups.activities.first(where: { $0.entry.code == mainActivity }) {
      if !main.subActivities.contains(where: { $0.code == subActivity }) {
        violations.append(
          .init(
            field: prefix + "sub_activity_code", reason: "NOT_A_SUB_ACTIVITY",
            description: .init(
              en: "Choose a sub-activity of the main activity (see ListActivities).",
              ar: "اختر نشاطًا فرعيًا تابعًا للنشاط الرئيسي (انظر قائمة الأنشطة).")))
      }
    } else {
      violations.append(Self.unknown(prefix + "main_activity_code", "ListActivities"))
    }
    regions = Array(Set(regions)).sorted()
    if regions.isEmpty {
      violations.append(
        .init(
          field: prefix + "region_codes", reason: "REQUIRED",
          description: .init(en: "Name at least one region.", ar: "حدد منطقة واحدة على الأقل.")))
    } else if regions.contains(where: { code in !TenderLookups.regions.contains { $0.code == code } }) {
      violations.append(Self.unknown(prefix + "region_codes", "ListRegions"))
    }
    if bookletPrice < 0 {
      violations.append(FieldRules.violation(Halalas.Problem.negative, field: prefix + "booklet_price.amount_halalas"))
    }
    violations += TenderRules.dateViolations(dates, prefix: prefix)
    return violations
  }

  static func unknown(_ field: String, _ list: String) -> EtimadError.FieldViolation {
    .init(
      field: field, reason: "UNKNOWN_CODE",
      description: .init(en: "Unknown code; see \(list).", ar: "رمز غير معروف؛ انظر \(list)."))
  }
}
