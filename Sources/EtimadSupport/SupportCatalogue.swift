import EtimadKit

/// The catalogue of the contact form: main services with their sub services, and the request
/// types. Codes are stable; sub service codes begin with their main service's code and a dot.
public enum SupportCatalogue {
  public struct Entry: Sendable, Hashable {
    public let code: String
    public let name: LocalizedString
  }

  public struct MainService: Sendable, Hashable {
    public let entry: Entry
    public let subServices: [Entry]
  }

  private static func entry(_ code: String, _ en: String, _ ar: String) -> Entry {
    Entry(code: code, name: LocalizedString(en: en, ar: ar))
  }

  public static let mainServices: [MainService] = [
    MainService(
      entry: entry("debts", "Debts", "الديون"),
      subServices: [
        entry("debts.view", "Viewing my debts", "الاستعلام عن الديون"),
        entry("debts.payment", "Paying a debt", "سداد الدين"),
        entry("debts.change_request", "Change and cancellation requests", "طلبات التعديل والإلغاء"),
        entry("debts.relief", "Exemption and instalments", "الإعفاء والتقسيط"),
      ]),
    MainService(
      entry: entry("invoices", "Invoices", "الفواتير"),
      subServices: [
        entry("invoices.register", "Registering an invoice", "تسجيل فاتورة"),
        entry("invoices.status", "An invoice's status", "حالة الفاتورة"),
        entry("invoices.payment_order", "Payment orders", "أوامر الدفع"),
      ]),
    MainService(
      entry: entry("payments", "Government payments", "المدفوعات الحكومية"),
      subServices: [
        entry("payments.inquiry", "Payment inquiry", "الاستعلام عن المدفوعات"),
        entry("payments.refund", "Refund requests", "طلبات الاسترداد"),
        entry("payments.export", "Exporting the list", "تصدير القائمة"),
      ]),
    MainService(
      entry: entry("tenders", "Tenders", "المنافسات"),
      subServices: [
        entry("tenders.search", "Finding a tender", "البحث عن المنافسات"),
        entry("tenders.booklet", "Conditions booklets", "كراسة الشروط"),
        entry("tenders.dates", "Tender dates", "مواعيد المنافسة"),
      ]),
    MainService(
      entry: entry("travel", "Travel orders", "أوامر الإركاب"),
      subServices: [
        entry("travel.order", "Urgent travel orders", "أمر إركاب عاجل"),
        entry("travel.booking", "Ticket booking", "حجز التذاكر"),
      ]),
    MainService(
      entry: entry("account", "Account and sign-in", "الحساب وتسجيل الدخول"),
      subServices: [
        entry("account.registration", "Registration", "التسجيل"),
        entry("account.sign_in", "Signing in and verification codes", "تسجيل الدخول ورمز التحقق"),
        entry("account.password", "Password", "كلمة المرور"),
      ]),
    MainService(
      entry: entry("other", "Other", "أخرى"),
      subServices: [entry("other.general", "General", "عام")]),
  ]

  public static let requestKinds: [(kind: RequestKind, name: LocalizedString)] = [
    (.enquiry, LocalizedString(en: "Enquiry", ar: "استفسار")),
    (.complaint, LocalizedString(en: "Complaint", ar: "شكوى")),
    (.suggestion, LocalizedString(en: "Suggestion", ar: "اقتراح")),
    (.technicalProblem, LocalizedString(en: "Technical problem", ar: "مشكلة تقنية")),
  ]

  /// The main service named `code`, if any.
  public static func mainService(_ code: String) -> MainService? {
    mainServices.first { $0.entry.code == code }
  }
}
