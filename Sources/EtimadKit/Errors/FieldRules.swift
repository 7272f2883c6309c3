import EtimadProtos

/// The wording of the value types' problems as field violations, in both languages, so that
/// every area reports a bad ID, IBAN, mobile number or amount the same way.
public enum FieldRules {
  public static func violation(_ error: any Error, field: String) -> EtimadError.FieldViolation {
    let (reason, en, ar): (String, String, String)
    switch error {
    case let problem as NationalID.Problem:
      switch problem {
      case .empty: (reason, en, ar) = ("REQUIRED", "An ID number is required.", "رقم الهوية مطلوب.")
      case .notDigits:
        (reason, en, ar) = (
          "NOT_DIGITS", "The ID number must contain digits only.", "يجب أن يتكون رقم الهوية من أرقام فقط."
        )
      case .wrongLength:
        (reason, en, ar) = (
          "WRONG_LENGTH", "The ID number must have 10 digits.", "يجب أن يتكون رقم الهوية من 10 أرقام."
        )
      case .wrongFirstDigit:
        (reason, en, ar) = (
          "WRONG_FIRST_DIGIT", "A national ID starts with 1 and an iqama with 2.",
          "رقم الهوية الوطنية يبدأ بالرقم 1 ورقم الإقامة يبدأ بالرقم 2."
        )
      case .checkDigit:
        (reason, en, ar) = (
          "CHECK_DIGIT", "The ID number is not valid (check digit).", "رقم الهوية غير صحيح (خانة التحقق)."
        )
      case .kindMismatch:
        (reason, en, ar) = (
          "TYPE_MISMATCH", "The ID number does not match the document type chosen.",
          "رقم الهوية لا يطابق نوع الوثيقة المختار."
        )
      }
    case let problem as SaudiIBAN.Problem:
      switch problem {
      case .empty: (reason, en, ar) = ("REQUIRED", "An IBAN is required.", "رقم الآيبان مطلوب.")
      case .notSaudi:
        (reason, en, ar) = (
          "NOT_SAUDI", "The IBAN must be a Saudi IBAN starting with SA.", "يجب أن يكون الآيبان سعوديًا ويبدأ بـ SA."
        )
      case .wrongLength:
        (reason, en, ar) = ("WRONG_LENGTH", "A Saudi IBAN has 24 characters.", "يتكون الآيبان السعودي من 24 خانة.")
      case .badCharacters:
        (reason, en, ar) = (
          "BAD_CHARACTERS", "The IBAN has characters that are not allowed.", "يحتوي الآيبان على رموز غير مسموحة."
        )
      case .checksum:
        (reason, en, ar) = ("CHECKSUM", "The IBAN is not valid (check digits).", "رقم الآيبان غير صحيح (خانات التحقق).")
      case .unknownBank:
        (reason, en, ar) = (
          "UNKNOWN_BANK", "The IBAN's bank code is not a known Saudi bank.",
          "رمز البنك في الآيبان لا يعود لبنك سعودي معروف."
        )
      }
    case let problem as SaudiMobile.Problem:
      switch problem {
      case .empty: (reason, en, ar) = ("REQUIRED", "A mobile number is required.", "رقم الجوال مطلوب.")
      case .notDigits:
        (reason, en, ar) = (
          "NOT_DIGITS", "The mobile number must contain digits only.", "يجب أن يتكون رقم الجوال من أرقام فقط."
        )
      case .notSaudiMobile:
        (reason, en, ar) = (
          "NOT_SAUDI_MOBILE", "Enter a Saudi mobile number such as 05XXXXXXXX.",
          "أدخل رقم جوال سعوديًا مثل 05XXXXXXXX."
        )
      }
    case let problem as EmployeeID.Problem:
      switch problem {
      case .empty:
        (reason, en, ar) = ("REQUIRED", "The acting employee is required.", "يجب تحديد الموظف المنفذ.")
      case .tooLong:
        (reason, en, ar) = (
          "TOO_LONG", "The employee identifier has at most 64 characters.", "يجب ألا يزيد معرّف الموظف على 64 خانة."
        )
      case .badCharacters:
        (reason, en, ar) = (
          "BAD_CHARACTERS", "The employee identifier allows only letters a-z, digits and . _ - @.",
          "يقبل معرّف الموظف الحروف اللاتينية والأرقام والرموز . _ - @ فقط."
        )
      }
    case let problem as Halalas.Problem:
      switch problem {
      case .overflow: (reason, en, ar) = ("OUT_OF_RANGE", "The amount is too large.", "المبلغ كبير جدًا.")
      case .negative: (reason, en, ar) = ("NEGATIVE", "The amount must not be negative.", "يجب ألا يكون المبلغ سالبًا.")
      case .wrongCurrency(let code):
        (reason, en, ar) = (
          "WRONG_CURRENCY", "Amounts are in SAR, not \(code).", "المبالغ بالريال السعودي وليس \(code)."
        )
      }
    default:
      (reason, en, ar) = ("INVALID", "The value is not valid.", "القيمة غير صحيحة.")
    }
    return EtimadError.FieldViolation(field: field, reason: reason, description: LocalizedString(en: en, ar: ar))
  }
}

extension Etimad_Type_V1_PersonIdType {
  /// The document kind a form asked for; nil when unspecified (inferred from the number).
  public var kind: NationalID.Kind? {
    switch self {
    case .nationalID: .nationalID
    case .iqama: .iqama
    case .borderNumber: .borderNumber
    default: nil
    }
  }

  public init(_ kind: NationalID.Kind) {
    switch kind {
    case .nationalID: self = .nationalID
    case .iqama: self = .iqama
    case .borderNumber: self = .borderNumber
    }
  }
}
