import EtimadDebts
import EtimadIdentity
import EtimadKit
import EtimadPayments
import EtimadTenders
import Foundation
import GRDB

/// Realistic demo data for a newcomer: a civil registry of citizens and residents, agencies
/// with client certificates, and signed-up accounts with a known password.
public enum DemoData {
  /// The password of the demo accounts.
  public static let password = "Etimad2026"

  static let firstNames: [(String, String)] = [
    ("محمد", "Mohammed"), ("عبدالله", "Abdullah"), ("فهد", "Fahad"), ("سارة", "Sarah"), ("نورة", "Noura"),
    ("خالد", "Khalid"), ("ريم", "Reem"), ("سلطان", "Sultan"), ("هيفاء", "Haifa"), ("عبدالعزيز", "Abdulaziz"),
    ("لمى", "Lama"), ("تركي", "Turki"), ("منيرة", "Munirah"), ("ماجد", "Majed"), ("أحمد", "Ahmed"),
  ]
  static let familyNames: [(String, String)] = [
    ("القحطاني", "Al-Qahtani"), ("العتيبي", "Al-Otaibi"), ("الشمري", "Al-Shammari"), ("الدوسري", "Al-Dosari"),
    ("الغامدي", "Al-Ghamdi"), ("الزهراني", "Al-Zahrani"), ("الحربي", "Al-Harbi"), ("المطيري", "Al-Mutairi"),
    ("السبيعي", "Al-Subaie"), ("العنزي", "Al-Anazi"),
  ]

  /// The registry: `count` persons, four in five citizens, with deterministic IDs.
  public static func persons(count: Int = 200) -> [Person] {
    (0..<count).map { index in
      let citizen = index % 5 != 4
      let prefix = (citizen ? "1" : "2") + Digits.zeroPadded(10_000_000 + index * 7919 % 89_999_999, width: 8)
      let number = prefix + String(NationalID.checkDigit(for: prefix))
      let first = firstNames[index % firstNames.count]
      let family = familyNames[(index / firstNames.count) % familyNames.count]
      let year = 1960 + index % 45
      let month = 1 + index % 12
      let day = 1 + index % 28
      return Person(
        idNumber: number, idType: citizen ? "national_id" : "iqama", nameAr: "\(first.0) \(family.0)",
        nameEn: "\(first.1) \(family.1)",
        birthDate: [(year, 4), (month, 2), (day, 2)].map { Digits.zeroPadded($0, width: $1) }.joined(separator: "-"),
        mobile: "+9665" + Digits.zeroPadded(50_000_000 + index * 104_729 % 49_999_999, width: 8),
        nationality: citizen ? "SA" : ["EG", "IN", "PK", "JO", "YE"][index % 5])
    }
  }

  public static let agencies: [(code: String, ar: String, en: String)] = [
    ("MOF", "وزارة المالية", "Ministry of Finance"),
    ("MOI", "وزارة الداخلية", "Ministry of Interior"),
    ("MOH", "وزارة الصحة", "Ministry of Health"),
    ("MOI-PASSPORTS", "المديرية العامة للجوازات", "General Directorate of Passports"),
    ("MOI-CIVIL", "وكالة الأحوال المدنية", "Civil Affairs Agency"),
    ("MOI-TRAFFIC", "الإدارة العامة للمرور", "General Department of Traffic"),
    ("MOI-SECURITY", "الأمن العام", "Public Security"),
  ]

  /// Seeds everything into a data directory; idempotent (existing agencies and accounts are kept).
  public static func seed(dataDirectory: String, accounts: Int = 5, logN: Int = 15) async throws -> String {
    precondition(accounts >= 0 && accounts <= 150)
    let administration = try AgencyAdministration(dataDirectory: dataDirectory)
    let database = administration.database
    let persons = persons()
    try await database.write(as: DemoContext.actor, method: DemoContext.method) { db, audit in
      try CivilRegistry.save(persons, db)
      try audit.record(target: "registry", summary: "demo civil registry: \(persons.count) persons")
    }
    var lines = ["civil registry: \(persons.count) persons"]
    for agency in agencies {
      if try await administration.registry.agency(agency.code) == nil {
        let issued = try await administration.add(
          code: agency.code, nameAr: agency.ar, nameEn: agency.en, outputDirectory: dataDirectory + "/agencies",
          operator: "demo")
        lines.append("agency \(agency.code): \(issued.certificatePath), \(issued.keyPath)")
      }
    }
    let hasher = PasswordHasher(logN: logN)
    let hash = try hasher.hash(password)
    let chosen = Array(persons.prefix(accounts))
    let now = Date().timeIntervalSince1970
    try await database.write(as: DemoContext.actor, method: DemoContext.method) { db, audit in
      for person in chosen {
        try db.execute(
          sql: """
            INSERT OR IGNORE INTO accounts (id_number, email, password_hash, create_time, password_time)
            VALUES (?, ?, ?, ?, ?)
            """,
          arguments: [
            person.idNumber, "\(person.nameEn.lowercased().replacingOccurrences(of: " ", with: "."))@example.sa", hash,
            now, now,
          ])
        if db.changesCount > 0 {
          try audit.record(target: "account/\(person.idNumber)", summary: "demo account signed up")
        }
      }
    }
    let demo = DemoContext(
      database: database, persons: persons.map(\.idNumber), accounts: accounts, agencies: agencies.map(\.code),
      now: Date())
    for area in ServiceAreasCatalog.all {
      lines += try await area.seedDemo(demo)
    }
    lines.append("accounts (password \(password)): " + chosen.map(\.idNumber).joined(separator: ", "))
    lines.append(
      "unregistered persons to try registration: "
        + persons.dropFirst(accounts).prefix(3).map { "\($0.idNumber) born \($0.birthDate)" }.joined(separator: "; "))
    return lines.joined(separator: "\n")
  }
}
