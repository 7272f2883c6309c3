import EtimadKit
import Foundation

/// The contact form as typed, before validation (the handler's reading of the request).
public struct TicketForm: Sendable, Hashable {
  public var name = ""
  public var document: DocumentKind?
  public var documentNumber = ""
  public var mobile = ""
  public var email = ""
  public var mainService = ""
  public var subService = ""
  public var kind: RequestKind?
  public var title = ""
  public var details = ""

  public init() {}
}

/// Checks every field of the contact form at once and turns it into a `TicketDraft`.
public enum TicketValidation {
  public static let titleLength = 3...150
  public static let detailsLength = 10...5000
  public static let nameLength = 3...100
  public static let messageLength = 1...5000

  /// The draft, or every field violation. `profile` (a signed-in individual's civil record)
  /// fills the name, document and mobile; the form's e-mail is kept when given.
  public static func draft(
    _ form: TicketForm, profile: RequesterProfile?
  ) -> Result<
    TicketDraft, EtimadError
  > {
    var violations: [EtimadError.FieldViolation] = []
    let requester: RequesterDetails?
    if let profile {
      let email = form.email.trimmingCharacters(in: .whitespaces)
      if !email.isEmpty, !isEmail(email) { violations.append(badEmail) }
      let mobile = try? SaudiMobile(parsing: profile.mobile)
      requester = mobile.map {
        RequesterDetails(
          name: profile.nameArabic, document: profile.document, documentNumber: profile.idNumber, mobile: $0,
          email: email.isEmpty ? profile.email : email)
      }
    } else {
      requester = anonymousRequester(form, into: &violations)
    }
    let main = form.mainService.trimmingCharacters(in: .whitespaces)
    let sub = form.subService.trimmingCharacters(in: .whitespaces)
    if let service = SupportCatalogue.mainService(main) {
      if !service.subServices.contains(where: { $0.code == sub }) {
        violations.append(
          violation(
            "sub_service_code", sub.isEmpty ? "REQUIRED" : "UNKNOWN_CODE",
            en: "Choose a sub service of the main service from ListSupportCatalogue.",
            ar: "اختر خدمة فرعية تابعة للخدمة الرئيسية من قائمة الخدمات."))
      }
    } else {
      violations.append(
        violation(
          "main_service_code", main.isEmpty ? "REQUIRED" : "UNKNOWN_CODE",
          en: "Choose a main service from ListSupportCatalogue.", ar: "اختر خدمة رئيسية من قائمة الخدمات."))
    }
    if form.kind == nil {
      violations.append(
        violation(
          "request_type", "REQUIRED",
          en: "Choose the request type: enquiry, complaint, suggestion or technical problem.",
          ar: "اختر نوع الطلب: استفسار أو شكوى أو اقتراح أو مشكلة تقنية."))
    }
    let title = text(form.title, field: "title", length: titleLength, into: &violations)
    let details = text(form.details, field: "details", length: detailsLength, into: &violations)
    guard violations.isEmpty, let requester, let kind = form.kind else {
      return .failure(EtimadError.invalidFields(violations, domain: TicketRules.domain))
    }
    return .success(
      TicketDraft(
        requester: requester, owner: profile?.idNumber, mainService: main, subService: sub, kind: kind, title: title,
        details: details))
  }

  /// A message body (AddMessage, Reply, AddNote), trimmed.
  public static func body(_ raw: String) throws(EtimadError) -> String {
    var violations: [EtimadError.FieldViolation] = []
    let body = text(raw, field: "body", length: messageLength, into: &violations)
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: TicketRules.domain) }
    return body
  }

  static func anonymousRequester(
    _ form: TicketForm, into violations: inout [EtimadError.FieldViolation]
  )
    -> RequesterDetails?
  {
    let name = text(form.name, field: "requester.name", length: nameLength, into: &violations)
    var number: String?
    switch form.document {
    case nil:
      violations.append(
        violation(
          "requester.document.type", "REQUIRED",
          en: "Choose the document type: national ID, iqama, passport or border number.",
          ar: "اختر نوع الوثيقة: هوية وطنية أو إقامة أو جواز سفر أو رقم حدود."))
    case .passport:
      let passport = Digits.normalized(form.documentNumber).uppercased()
      if (6...12).contains(passport.count),
        passport.unicodeScalars.allSatisfy({ ("A"..."Z").contains($0) || ("0"..."9").contains($0) })
      {
        number = passport
      } else {
        violations.append(
          violation(
            "requester.document.number", passport.isEmpty ? "REQUIRED" : "NOT_A_PASSPORT_NUMBER",
            en: "A passport number has 6 to 12 letters and digits.", ar: "يتكون رقم جواز السفر من 6 إلى 12 حرفًا ورقمًا.")
        )
      }
    case .some(let kind):
      let expected: NationalID.Kind =
        switch kind {
        case .iqama: .iqama
        case .borderNumber: .borderNumber
        default: .nationalID
        }
      do {
        number = try NationalID(parsing: form.documentNumber, expected: expected).number
      } catch {
        violations.append(FieldRules.violation(error, field: "requester.document.number"))
      }
    }
    var mobile: SaudiMobile?
    do {
      mobile = try SaudiMobile(parsing: form.mobile)
    } catch {
      violations.append(FieldRules.violation(error, field: "requester.mobile"))
    }
    let email = form.email.trimmingCharacters(in: .whitespaces)
    if email.isEmpty {
      violations.append(
        violation(
          "requester.email", "REQUIRED", en: "An e-mail address is required.", ar: "البريد الإلكتروني مطلوب."))
    } else if !isEmail(email) {
      violations.append(badEmail)
    }
    guard let number, let mobile, let document = form.document else { return nil }
    return RequesterDetails(name: name, document: document, documentNumber: number, mobile: mobile, email: email)
  }

  /// A practical check of an address's syntax (RFC 5321 limits, dot-atom local part, a
  /// host name with a top-level domain of letters); no quoted local parts or IP literals.
  public static func isEmail(_ text: String) -> Bool {
    guard text.utf8.count <= 254 else { return false }
    let parts = text.split(separator: "@", omittingEmptySubsequences: false)
    guard parts.count == 2, let local = parts.first, let domain = parts.last else { return false }
    let localAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-")
    guard (1...64).contains(local.count), local.allSatisfy(localAllowed.contains), !local.hasPrefix("."),
      !local.hasSuffix("."), !local.contains("..")
    else { return false }
    let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
    let labelAllowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-")
    guard labels.count >= 2,
      labels.allSatisfy({
        (1...63).contains($0.count) && $0.allSatisfy(labelAllowed.contains) && !$0.hasPrefix("-") && !$0.hasSuffix("-")
      }),
      let top = labels.last, top.count >= 2, top.allSatisfy({ $0.isASCII && $0.isLetter })
    else { return false }
    return true
  }

  static let badEmail = violation(
    "requester.email", "NOT_AN_EMAIL", en: "Enter an e-mail address such as name@example.sa.",
    ar: "أدخل بريدًا إلكترونيًا صحيحًا.")

  static func text(
    _ raw: String, field: String, length: ClosedRange<Int>, into violations: inout [EtimadError.FieldViolation]
  ) -> String {
    let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
    if value.isEmpty {
      violations.append(violation(field, "REQUIRED", en: "\(field) is required.", ar: "الحقل \(field) مطلوب."))
    } else if !length.contains(value.count) {
      violations.append(
        violation(
          field, value.count < length.lowerBound ? "TOO_SHORT" : "TOO_LONG",
          en: "\(field) must have \(length.lowerBound) to \(length.upperBound) characters.",
          ar: "يجب أن يتكون الحقل \(field) من \(length.lowerBound) إلى \(length.upperBound) حرفًا."))
    } else if value.unicodeScalars.contains(where: {
      $0.properties.generalCategory == .control && $0 != "\n" && $0 != "\t" && $0 != "\r"
    }) {
      violations.append(
        violation(
          field, "CONTROL_CHARACTERS", en: "\(field) has control characters.", ar: "يحتوي الحقل \(field) على رموز تحكم."
        ))
    }
    return value
  }

  static func violation(_ field: String, _ reason: String, en: String, ar: String) -> EtimadError.FieldViolation {
    .init(field: field, reason: reason, description: LocalizedString(en: en, ar: ar))
  }
}
