import EtimadKit

/// Why a rule refused an action. Each case maps to one gRPC status and ErrorInfo reason.
public enum DebtRuleError: DomainError, Hashable {
  case debtNotDraft(DebtRules.State)
  case debtNotUnderReview(DebtRules.State)
  case debtNotOutstanding(DebtRules.State)
  case debtClosed(DebtRules.State)
  case requestNotNew(RequestRules.State)
  case requestNotPending(RequestRules.State)
  case planNotActive(PlanRules.State)
  case planClosed(PlanRules.State)
  /// Four eyes: the decider is the employee who submitted or raised.
  case sameEmployee
  case employeeRequired
  /// Only the side that raised a request may withdraw it.
  case notRaiser
  /// Requests are decided by the agency.
  case debtorCannotDecide
  case amountNotPositive
  case amountExceedsBalance(Halalas)
  case instalmentCountOutOfRange(Int)
  case balanceTooSmallForInstalments(Halalas, Int)

  /// The error the caller sees.
  public var etimadError: EtimadError {
    switch self {
    case .debtNotDraft(let state):
      DebtsErrors.state(
        "DEBT_NOT_DRAFT", state.rawValue, en: "Only a draft debt can be changed or submitted.",
        ar: "لا يمكن تعديل المديونية أو إرسالها إلا وهي مسودة.")
    case .debtNotUnderReview(let state):
      DebtsErrors.state(
        "DEBT_NOT_UNDER_REVIEW", state.rawValue, en: "Only a debt under review can be approved or rejected.",
        ar: "لا يمكن اعتماد المديونية أو رفضها إلا وهي قيد المراجعة.")
    case .debtNotOutstanding(let state):
      DebtsErrors.state(
        "DEBT_NOT_OUTSTANDING", state.rawValue, en: "This needs an outstanding (approved, unpaid) debt.",
        ar: "يتطلب هذا مديونية قائمة (معتمدة وغير مسددة).")
    case .debtClosed(let state):
      DebtsErrors.state(
        "DEBT_CLOSED", state.rawValue, en: "The debt is paid or cancelled and cannot change any more.",
        ar: "المديونية مسددة أو ملغاة ولا يمكن تغييرها.")
    case .requestNotNew(let state):
      DebtsErrors.state(
        "REQUEST_NOT_NEW", state.rawValue, en: "The request was already submitted.",
        ar: "تم تقديم الطلب من قبل.")
    case .requestNotPending(let state):
      DebtsErrors.state(
        "REQUEST_NOT_PENDING", state.rawValue, en: "The request is no longer pending.",
        ar: "الطلب لم يعد قيد الانتظار.")
    case .planNotActive(let state):
      DebtsErrors.state(
        "PLAN_NOT_ACTIVE", state.rawValue, en: "The instalment plan is not active.",
        ar: "خطة التقسيط غير نشطة.")
    case .planClosed(let state):
      DebtsErrors.state(
        "PLAN_CLOSED", state.rawValue, en: "The instalment plan is completed or cancelled.",
        ar: "خطة التقسيط مكتملة أو ملغاة.")
    case .sameEmployee:
      DebtsErrors.error(
        .permissionDenied, "SAME_EMPLOYEE",
        en: "Another employee must decide: the one who submitted or raised it cannot (four eyes).",
        ar: "يجب أن يتخذ القرار موظف آخر غير الذي قدّم الطلب (مبدأ العينين الأربع).")
    case .employeeRequired:
      DebtsErrors.error(
        .permissionDenied, "EMPLOYEE_REQUIRED",
        en: "Agency calls must name the acting employee.", ar: "يجب أن تحدد طلبات الجهات الموظف المنفذ.")
    case .notRaiser:
      DebtsErrors.error(
        .permissionDenied, "NOT_RAISER",
        en: "Only the side that raised the request can withdraw it.", ar: "لا يسحب الطلب إلا من قدّمه.")
    case .debtorCannotDecide:
      DebtsErrors.error(
        .permissionDenied, "AGENCY_DECIDES",
        en: "Requests are decided by the creditor agency.", ar: "تبت الجهة الدائنة في الطلبات.")
    case .amountNotPositive:
      EtimadError.invalidFields(
        [
          .init(
            field: "amount", reason: "NOT_POSITIVE",
            description: .init(en: "The amount must be at least 1 halala.", ar: "يجب ألا يقل المبلغ عن هللة واحدة."))
        ],
        domain: DebtRules.domain)
    case .amountExceedsBalance(let balance):
      DebtsErrors.error(
        .failedPrecondition, "AMOUNT_EXCEEDS_BALANCE",
        en: "The amount is above the balance of \(balance.riyals) SAR; nothing was applied.",
        ar: "المبلغ أكبر من الرصيد المتبقي \(balance.riyals) ريال؛ لم يُطبق شيء.",
        metadata: ["balance_halalas": "\(balance.value)"])
    case .instalmentCountOutOfRange(let count):
      EtimadError.invalidFields(
        [
          .init(
            field: "instalment_count", reason: "OUT_OF_RANGE",
            description: .init(
              en: "A plan has 2 to 60 instalments, not \(count).",
              ar: "عدد الأقساط من 2 إلى 60، وليس \(count)."))
        ],
        domain: DebtRules.domain)
    case .balanceTooSmallForInstalments(let balance, let count):
      DebtsErrors.error(
        .failedPrecondition, "BALANCE_TOO_SMALL",
        en:
          "A balance of \(balance.riyals) SAR cannot be split into \(CountedNoun.instalment(count).english) of at least 1 halala.",
        ar:
          "لا يمكن تقسيم رصيد \(balance.riyals) ريال إلى \(CountedNoun.instalment(count).arabic) لا يقل كل منها عن هللة.",
        metadata: ["balance_halalas": "\(balance.value)"])
    }
  }
}

/// The debts area's other errors, worded once in both languages.
enum DebtsErrors {
  static func error(
    _ code: EtimadError.Code, _ reason: String, en: String, ar: String, metadata: [String: String] = [:]
  ) -> EtimadError {
    EtimadError(
      code: code, reason: reason, domain: DebtRules.domain, message: LocalizedString(en: en, ar: ar),
      metadata: metadata)
  }

  static func state(_ reason: String, _ state: String, en: String, ar: String) -> EtimadError {
    error(.failedPrecondition, reason, en: en, ar: ar, metadata: ["state": state])
  }

  static let debtNotFound = EtimadError.notFound(
    "debt", named: .init(en: "The debt", ar: "المديونية"), domain: DebtRules.domain)
  static let changeRequestNotFound = EtimadError.notFound(
    "change request", named: .init(en: "The change request", ar: "طلب التعديل"), domain: DebtRules.domain)
  static let reliefRequestNotFound = EtimadError.notFound(
    "relief request", named: .init(en: "The relief request", ar: "طلب الإعفاء أو التقسيط"), domain: DebtRules.domain)
  static let planNotFound = EtimadError.notFound(
    "instalment plan", named: .init(en: "The instalment plan", ar: "خطة التقسيط"), domain: DebtRules.domain)

  static func requestAlreadyPending(_ kind: String) -> EtimadError {
    error(
      .failedPrecondition, "REQUEST_ALREADY_PENDING",
      en: "A request of this kind is already pending on the debt.",
      ar: "يوجد طلب من هذا النوع قيد الانتظار على المديونية.",
      metadata: ["kind": kind])
  }

  /// An ACTIVE plan was split from the balance: no second plan, no exemption and no new amount
  /// while it runs.
  static let planAlreadyActive = error(
    .failedPrecondition, "PLAN_ALREADY_ACTIVE",
    en:
      "The debt has an active instalment plan, split from its balance: no second plan, exemption or new amount while it runs.",
    ar: "للمديونية خطة تقسيط نشطة مقسومة من رصيدها: لا خطة ثانية ولا إعفاء ولا مبلغ جديد أثناء سريانها.",
    metadata: ["plan_state": "ACTIVE"])

  static func firstDueDatePassed(_ day: CivilDay) -> EtimadError {
    error(
      .failedPrecondition, "FIRST_DUE_DATE_PASSED",
      en: "The requested first due date has passed: reject the request so that the debtor asks again.",
      ar: "انقضى تاريخ استحقاق القسط الأول المطلوب: ارفض الطلب ليتقدم المدين بطلب جديد.",
      metadata: ["first_due_date": day.description])
  }

  static let paymentAlreadyCredited = error(
    .alreadyExists, "PAYMENT_ALREADY_CREDITED",
    en: "The debt was already credited with a payment under this reference.",
    ar: "سبق قيد دفعة بهذا المرجع على المديونية.")

  static let sadadReferenceUsed = error(
    .alreadyExists, "SADAD_REFERENCE_USED",
    en: "This SADAD reference was already recorded by the agency.", ar: "سبق تسجيل مرجع سداد هذا لدى الجهة.")

  static let balanceWouldBeNegative = error(
    .failedPrecondition, "AMOUNT_BELOW_SETTLED",
    en: "The new amount is below what was already paid or exempted.", ar: "المبلغ الجديد أقل مما تم سداده أو إعفاؤه.")
}
