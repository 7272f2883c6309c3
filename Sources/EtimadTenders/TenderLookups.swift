/// The coded values tenders refer to, as the migration seeds them: the 13 regions of the
/// kingdom, Etimad's tender types, and main activities with their sub-activities.
public enum TenderLookups {
  public struct Entry: Sendable, Equatable {
    public let code: String
    public let ar: String
    public let en: String
  }

  public struct MainActivity: Sendable {
    public let entry: Entry
    public let subActivities: [Entry]
  }

  /// The administrative regions, in Etimad's order.
  public static let regions: [Entry] = [
    .init(code: "riyadh", ar: "الرياض", en: "Riyadh"),
    .init(code: "makkah", ar: "مكة المكرمة", en: "Makkah"),
    .init(code: "madinah", ar: "المدينة المنورة", en: "Madinah"),
    .init(code: "qassim", ar: "القصيم", en: "Al-Qassim"),
    .init(code: "eastern", ar: "المنطقة الشرقية", en: "Eastern Province"),
    .init(code: "asir", ar: "عسير", en: "Asir"),
    .init(code: "tabuk", ar: "تبوك", en: "Tabuk"),
    .init(code: "hail", ar: "حائل", en: "Hail"),
    .init(code: "northern_borders", ar: "الحدود الشمالية", en: "Northern Borders"),
    .init(code: "jazan", ar: "جازان", en: "Jazan"),
    .init(code: "najran", ar: "نجران", en: "Najran"),
    .init(code: "baha", ar: "الباحة", en: "Al-Baha"),
    .init(code: "jouf", ar: "الجوف", en: "Al-Jouf"),
  ]

  /// Etimad's competition types.
  public static let types: [Entry] = [
    .init(code: "general_tender", ar: "منافسة عامة", en: "General tender"),
    .init(code: "limited_tender", ar: "منافسة محدودة", en: "Limited tender"),
    .init(code: "direct_purchase", ar: "شراء مباشر", en: "Direct purchase"),
    .init(code: "pre_qualification", ar: "تأهيل مسبق", en: "Pre-qualification"),
    .init(code: "reverse_auction", ar: "مزايدة عكسية إلكترونية", en: "Electronic reverse auction"),
    .init(code: "two_stage", ar: "منافسة على مرحلتين", en: "Two-stage tender"),
    .init(code: "framework_agreement", ar: "اتفاقية إطارية", en: "Framework agreement"),
    .init(code: "design_competition", ar: "مسابقة", en: "Design competition"),
    .init(code: "auction", ar: "مزايدة", en: "Auction (sale of government assets)"),
    .init(code: "local_content", ar: "منافسة المحتوى المحلي", en: "Local content tender"),
  ]

  /// Main activities and their sub-activities (codes `main.sub`).
  public static let activities: [MainActivity] = [
    main(
      "construction", "المقاولات والإنشاءات", "Construction and contracting",
      [
        ("buildings", "إنشاء المباني", "Buildings"), ("roads", "الطرق والجسور", "Roads and bridges"),
        ("water", "شبكات المياه والصرف الصحي", "Water and sewage networks"),
        ("electrical", "الأعمال الكهربائية", "Electrical works"),
      ]),
    main(
      "it", "تقنية المعلومات والاتصالات", "Information technology and communications",
      [
        ("software", "البرمجيات والتطبيقات", "Software and applications"),
        ("hardware", "أجهزة الحاسب الآلي", "Computer hardware"),
        ("networks", "الشبكات والاتصالات", "Networks and telecommunications"),
        ("cybersecurity", "الأمن السيبراني", "Cybersecurity"),
      ]),
    main(
      "medical", "التجهيزات والمستلزمات الطبية", "Medical equipment and supplies",
      [
        ("devices", "الأجهزة الطبية", "Medical devices"), ("medicines", "الأدوية", "Medicines"),
        ("consumables", "المستهلكات الطبية", "Medical consumables"),
        ("laboratory", "مستلزمات المختبرات", "Laboratory supplies"),
      ]),
    main(
      "maintenance", "الصيانة والتشغيل", "Maintenance and operation",
      [
        ("buildings", "صيانة المباني", "Building maintenance"),
        ("hvac", "صيانة أنظمة التكييف", "Air-conditioning maintenance"), ("cleaning", "النظافة", "Cleaning"),
        ("facilities", "تشغيل المرافق", "Facility operation"),
      ]),
    main(
      "consulting", "الخدمات الاستشارية", "Consulting services",
      [
        ("engineering", "الاستشارات الهندسية", "Engineering consulting"),
        ("management", "الاستشارات الإدارية", "Management consulting"),
        ("studies", "الدراسات والأبحاث", "Studies and research"),
        ("legal", "الاستشارات القانونية", "Legal consulting"),
      ]),
    main(
      "catering", "الإعاشة والتغذية", "Catering",
      [
        ("meals", "تقديم الوجبات", "Meal services"), ("food", "توريد المواد الغذائية", "Food supplies"),
      ]),
    main(
      "transport", "النقل والخدمات اللوجستية", "Transport and logistics",
      [
        ("vehicles", "توريد المركبات", "Vehicle supply"), ("services", "خدمات النقل", "Transport services"),
      ]),
    main(
      "security", "الأمن والسلامة", "Security and safety",
      [
        ("guards", "الحراسات الأمنية", "Security guards"),
        ("fire", "أنظمة السلامة ومكافحة الحريق", "Fire safety systems"),
      ]),
    main(
      "office", "اللوازم المكتبية والأثاث", "Office supplies and furniture",
      [
        ("furniture", "الأثاث", "Furniture"), ("stationery", "القرطاسية", "Stationery"),
        ("printing", "الطباعة", "Printing"),
      ]),
    main(
      "training", "التدريب والتعليم", "Training and education",
      [
        ("programs", "البرامج التدريبية", "Training programmes"),
        ("supplies", "الوسائل التعليمية", "Educational supplies"),
      ]),
  ]

  private static func main(
    _ code: String, _ ar: String, _ en: String, _ subs: [(String, String, String)]
  )
    -> MainActivity
  {
    MainActivity(
      entry: .init(code: code, ar: ar, en: en),
      subActivities: subs.map { .init(code: "\(code).\($0.0)", ar: $0.1, en: $0.2) })
  }
}
