import EtimadKit
import Foundation

/// Realistic tenders built from each activity's vocabulary, for the demo and the benchmark:
/// Arabic titles (with the spellings agencies really use: hamza forms, taa marbuta) and
/// English ones, deterministic for an index.
public enum TenderGenerator {
  /// What sub-activities buy, in both languages.
  static let subjects: [String: [(ar: String, en: String)]] = [
    "construction.buildings": [
      ("إنشاء مبنى إدارة التعليم", "Construction of the education department building"),
      ("إنشاء مدرسة ابتدائية", "Construction of a primary school"),
      ("إنشاء مركز رعاية صحية أولية", "Construction of a primary health care centre"),
    ],
    "construction.roads": [
      ("إنشاء طريق مزدوج", "Construction of a dual carriageway"),
      ("إنشاء جسر مشاة", "Construction of a pedestrian bridge"),
      ("سفلتة وإنارة الطرق الداخلية", "Asphalting and lighting of internal roads"),
    ],
    "construction.water": [
      ("تنفيذ شبكة مياه الشرب", "Drinking water network"), ("تنفيذ شبكة الصرف الصحي", "Sewage network works"),
      ("إنشاء خزان مياه أرضي", "Construction of a ground water tank"),
    ],
    "construction.electrical": [
      ("تنفيذ أعمال الكهرباء والإنارة", "Electrical and lighting works"),
      ("إنشاء محطة تحويل كهربائية", "Construction of an electrical substation"),
    ],
    "it.software": [
      ("تطوير منصة إلكترونية للخدمات", "Development of an e-services platform"),
      ("توريد تراخيص برمجيات", "Supply of software licences"),
      ("تطوير تطبيق جوال للمستفيدين", "Development of a mobile application for beneficiaries"),
    ],
    "it.hardware": [
      ("توريد أجهزة حاسب آلي محمولة", "Supply of laptop computers"),
      ("توريد خوادم ووحدات تخزين", "Supply of servers and storage"),
      ("توريد طابعات وماسحات ضوئية", "Supply of printers and scanners"),
    ],
    "it.networks": [
      ("تحديث البنية التحتية للشبكات", "Upgrade of the network infrastructure"),
      ("توريد وتركيب شبكة لاسلكية", "Supply and installation of a wireless network"),
    ],
    "it.cybersecurity": [
      ("توريد حلول الأمن السيبراني", "Supply of cybersecurity solutions"),
      ("خدمات مركز العمليات الأمنية", "Security operations centre services"),
    ],
    "medical.devices": [
      ("توريد أجهزة أشعة مقطعية", "Supply of CT scanners"), ("توريد أجهزة غسيل كلوي", "Supply of dialysis machines"),
      ("توريد أجهزة تخطيط القلب", "Supply of ECG machines"),
      ("توريد أسرّة طبية كهربائية", "Supply of electric hospital beds"),
    ],
    "medical.medicines": [
      ("توريد أدوية الأمراض المزمنة", "Supply of chronic disease medicines"),
      ("توريد اللقاحات الموسمية", "Supply of seasonal vaccines"),
    ],
    "medical.consumables": [
      ("توريد مستلزمات طبية مستهلكة", "Supply of medical consumables"),
      ("توريد قفازات وكمامات طبية", "Supply of medical gloves and masks"),
    ],
    "medical.laboratory": [
      ("توريد محاليل ومستلزمات المختبر", "Supply of laboratory reagents"),
      ("توريد أجهزة تحليل الدم", "Supply of blood analysers"),
    ],
    "maintenance.buildings": [
      ("صيانة وتشغيل المباني الإدارية", "Operation and maintenance of administrative buildings"),
      ("الصيانة الوقائية والتصحيحية للمدارس", "Preventive and corrective maintenance of schools"),
    ],
    "maintenance.hvac": [
      ("صيانة أنظمة التكييف المركزي", "Maintenance of central air-conditioning systems"),
      ("صيانة المصاعد والسلالم الكهربائية", "Maintenance of lifts and escalators"),
    ],
    "maintenance.cleaning": [
      ("أعمال النظافة العامة", "General cleaning services"),
      ("نظافة وتعقيم المستشفى", "Hospital cleaning and sterilisation"),
    ],
    "maintenance.facilities": [
      ("تشغيل وصيانة محطة معالجة المياه", "Operation of the water treatment plant"),
      ("تشغيل وصيانة المرافق الرياضية", "Operation of sports facilities"),
    ],
    "consulting.engineering": [
      ("الإشراف الهندسي على المشاريع", "Engineering supervision of projects"),
      ("إعداد التصاميم الهندسية", "Preparation of engineering designs"),
    ],
    "consulting.management": [
      ("دراسة إعادة هيكلة الإدارة", "Organisational restructuring study"),
      ("خدمات مكتب إدارة المشاريع", "Project management office services"),
    ],
    "consulting.studies": [
      ("دراسة جدوى اقتصادية", "Economic feasibility study"), ("دراسة الأثر البيئي", "Environmental impact study"),
    ],
    "consulting.legal": [("خدمات الاستشارات القانونية", "Legal advisory services")],
    "catering.meals": [
      ("تقديم الوجبات الغذائية للمرضى", "Meal services for patients"),
      ("إعاشة الطلاب في السكن الجامعي", "Catering for students' housing"),
    ],
    "catering.food": [("توريد المواد الغذائية الجافة", "Supply of dry food items")],
    "transport.vehicles": [
      ("توريد سيارات إسعاف مجهزة", "Supply of equipped ambulances"),
      ("توريد حافلات نقل الطلاب", "Supply of school buses"),
    ],
    "transport.services": [("خدمات نقل الموظفين", "Staff transport services")],
    "security.guards": [("خدمات الحراسة الأمنية", "Security guard services")],
    "security.fire": [
      ("توريد وتركيب أنظمة إطفاء الحريق", "Supply and installation of fire-fighting systems"),
      ("صيانة أنظمة الإنذار المبكر", "Maintenance of early warning systems"),
    ],
    "office.furniture": [("توريد أثاث مكتبي", "Supply of office furniture")],
    "office.stationery": [("توريد القرطاسية والأدوات المكتبية", "Supply of stationery")],
    "office.printing": [("طباعة المطبوعات والنماذج", "Printing of forms and publications")],
    "training.programs": [
      ("تنفيذ برامج تدريبية للموظفين", "Staff training programmes"),
      ("برنامج تدريب القيادات", "Leadership development programme"),
    ],
    "training.supplies": [("توريد وسائل تعليمية للمدارس", "Supply of educational aids for schools")],
  ]

  /// Places a title names, per region.
  static let places: [String: [(ar: String, en: String)]] = [
    "riyadh": [("بمدينة الرياض", "in Riyadh"), ("بمحافظة الخرج", "in Al-Kharj")],
    "makkah": [("بمكة المكرمة", "in Makkah"), ("بمحافظة جدة", "in Jeddah"), ("بمحافظة الطائف", "in Taif")],
    "madinah": [("بالمدينة المنورة", "in Madinah"), ("بمحافظة ينبع", "in Yanbu")],
    "qassim": [("بمدينة بريدة", "in Buraidah"), ("بمحافظة عنيزة", "in Unaizah")],
    "eastern": [("بمدينة الدمام", "in Dammam"), ("بمحافظة الأحساء", "in Al-Ahsa"), ("بمحافظة الجبيل", "in Jubail")],
    "asir": [("بمدينة أبها", "in Abha"), ("بمحافظة خميس مشيط", "in Khamis Mushait")],
    "tabuk": [("بمدينة تبوك", "in Tabuk")],
    "hail": [("بمدينة حائل", "in Hail")],
    "northern_borders": [("بمدينة عرعر", "in Arar")],
    "jazan": [("بمدينة جازان", "in Jazan")],
    "najran": [("بمدينة نجران", "in Najran")],
    "baha": [("بمدينة الباحة", "in Al-Baha")],
    "jouf": [("بمدينة سكاكا", "in Sakaka")],
  ]

  static let branches: [(ar: String, en: String)] = [
    ("الإدارة العامة للمشتريات", "General Procurement Department"), ("إدارة العقود", "Contracts Department"),
    ("الشؤون المالية والإدارية", "Finance and Administration"), ("فرع المنطقة", "Regional branch"),
  ]

  static let bookletPrices: [Int64] = [0, 100, 200, 300, 500, 1_000, 1_500, 2_000, 3_000, 5_000]

  /// The tender number `index`, published `publishOffset` seconds from `base`: deterministic,
  /// one in three in English. The reference number carries `prefix` to keep it unique.
  public static func tender(
    index: Int, base: Int64, publishOffset: Int64, prefix: String = ""
  )
    -> TenderFields
  {
    let subCodes = subjects.keys.sorted()
    var random = SplitMix(seed: UInt64(index) &* 0x9E37_79B9 &+ 17)
    let sub = subCodes[random.below(subCodes.count)]
    let main = String(sub.prefix { $0 != "." })
    let subject = subjects[sub]![random.below(subjects[sub]!.count)]
    let region = TenderLookups.regions[random.below(TenderLookups.regions.count)].code
    let place = places[region]![random.below(places[region]!.count)]
    let english = index % 3 == 2
    let year = 1446 + random.below(3)
    let name = english ? "\(subject.en) \(place.en)" : "\(subject.ar) \(place.ar)"
    let description =
      english
      ? "\(subject.en) \(place.en) according to the conditions booklet and the technical specifications, fiscal year \(year)H."
      : "\(subject.ar) \(place.ar) وفق كراسة الشروط والمواصفات الفنية للعام المالي \(year)هـ."
    let branch = branches[random.below(branches.count)]
    let publish = base + publishOffset
    let enquiryDays = Int64(5 + random.below(6))
    let offerDays = enquiryDays + Int64(7 + random.below(20))
    var regions = [region]
    if random.below(5) == 0 { regions.append(TenderLookups.regions[random.below(13)].code) }
    return TenderFields(
      referenceNumber: "\(prefix)\(25_01_00_000_000 + index)", tenderNumber: "\(index % 900 + 1)/\(year)",
      name: name, description: description, branch: english ? branch.en : branch.ar,
      typeCode: TenderLookups.types[random.below(index % 4 == 0 ? TenderLookups.types.count : 3)].code,
      mainActivity: main, subActivity: sub, regions: Array(Set(regions)).sorted(), insideKingdom: true,
      bookletPrice: bookletPrices[random.below(bookletPrices.count)] * 100,
      dates: TenderDates(
        publish: publish, lastEnquiry: publish + enquiryDays * 86_400, lastOffer: publish + offerDays * 86_400,
        opening: publish + (offerDays + 1) * 86_400 + 3 * 3_600))
  }

}
