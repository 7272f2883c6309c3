import EtimadKit
import Foundation
import GRDB

/// The catalogue of Ministry of Interior sectors and their services. Seeded by the first
/// migration; `etimadd payments sector add` and `service add` extend it.
public enum PaymentsCatalogue {
  public struct SectorEntry: Sendable, Hashable {
    public let code: String
    public let nameAr: String
    public let nameEn: String
    public let agencyCode: String

    public init(code: String, nameAr: String, nameEn: String, agencyCode: String) {
      self.code = code
      self.nameAr = nameAr
      self.nameEn = nameEn
      self.agencyCode = agencyCode
    }
  }

  public struct ServiceEntry: Sendable, Hashable {
    public let sectorCode: String
    public let code: String
    public let nameAr: String
    public let nameEn: String
    public let fee: Int64

    public init(sectorCode: String, code: String, nameAr: String, nameEn: String, fee: Int64) {
      self.sectorCode = sectorCode
      self.code = code
      self.nameAr = nameAr
      self.nameEn = nameEn
      self.fee = fee
    }
  }

  /// Each sector is recorded by an agency of its own (codes fit the agency registry's 16 characters).
  public static let sectors: [SectorEntry] = [
    .init(code: "PASSPORTS", nameAr: "الجوازات", nameEn: "Passports", agencyCode: "MOI-PASSPORTS"),
    .init(code: "CIVIL_AFFAIRS", nameAr: "الأحوال المدنية", nameEn: "Civil Affairs", agencyCode: "MOI-CIVIL"),
    .init(code: "TRAFFIC", nameAr: "المرور", nameEn: "Traffic", agencyCode: "MOI-TRAFFIC"),
    .init(code: "PUBLIC_SECURITY", nameAr: "الأمن العام", nameEn: "Public Security", agencyCode: "MOI-SECURITY"),
  ]

  /// The agencies of `sectors`, for the demo: (code, Arabic name, English name).
  public static let sectorAgencies: [(code: String, ar: String, en: String)] = [
    ("MOI-PASSPORTS", "المديرية العامة للجوازات", "General Directorate of Passports"),
    ("MOI-CIVIL", "وكالة الأحوال المدنية", "Civil Affairs Agency"),
    ("MOI-TRAFFIC", "الإدارة العامة للمرور", "General Department of Traffic"),
    ("MOI-SECURITY", "الأمن العام", "Public Security"),
  ]

  public static let services: [ServiceEntry] = [
    .init(
      sectorCode: "PASSPORTS", code: "PASSPORT_ISSUE_5Y", nameAr: "إصدار جواز سفر (5 سنوات)",
      nameEn: "Passport issue (5 years)", fee: 30_000),
    .init(
      sectorCode: "PASSPORTS", code: "PASSPORT_ISSUE_10Y", nameAr: "إصدار جواز سفر (10 سنوات)",
      nameEn: "Passport issue (10 years)", fee: 60_000),
    .init(
      sectorCode: "PASSPORTS", code: "IQAMA_RENEWAL", nameAr: "تجديد الإقامة", nameEn: "Iqama renewal", fee: 65_000),
    .init(
      sectorCode: "PASSPORTS", code: "EXIT_REENTRY", nameAr: "تأشيرة خروج وعودة", nameEn: "Exit and re-entry visa",
      fee: 20_000),
    .init(sectorCode: "PASSPORTS", code: "FINAL_EXIT", nameAr: "تأشيرة خروج نهائي", nameEn: "Final exit visa", fee: 0),
    .init(
      sectorCode: "CIVIL_AFFAIRS", code: "ID_REPLACEMENT", nameAr: "بدل فاقد الهوية الوطنية",
      nameEn: "National ID replacement", fee: 10_000),
    .init(
      sectorCode: "CIVIL_AFFAIRS", code: "FAMILY_RECORD", nameAr: "إصدار سجل الأسرة", nameEn: "Family record issue",
      fee: 10_000),
    .init(
      sectorCode: "CIVIL_AFFAIRS", code: "LATE_REGISTRATION", nameAr: "غرامة تأخر تسجيل المواليد",
      nameEn: "Late birth registration fine", fee: 10_000),
    .init(
      sectorCode: "TRAFFIC", code: "DRIVING_LICENCE_10Y", nameAr: "إصدار رخصة قيادة (10 سنوات)",
      nameEn: "Driving licence (10 years)", fee: 40_000),
    .init(
      sectorCode: "TRAFFIC", code: "VEHICLE_REGISTRATION", nameAr: "تجديد رخصة سير",
      nameEn: "Vehicle registration renewal", fee: 10_000),
    .init(
      sectorCode: "TRAFFIC", code: "TRAFFIC_VIOLATION", nameAr: "سداد مخالفات مرورية", nameEn: "Traffic violations",
      fee: 0),
    .init(
      sectorCode: "PUBLIC_SECURITY", code: "FIREARM_LICENCE", nameAr: "رخصة حيازة سلاح", nameEn: "Firearm licence",
      fee: 20_000),
    .init(
      sectorCode: "PUBLIC_SECURITY", code: "SECURITY_VIOLATION", nameAr: "مخالفات الأمن العام",
      nameEn: "Public security violations", fee: 0),
  ]

  /// The first migration's seeding, in that migration's table format (creation times in REAL
  /// seconds, converted to milliseconds by `payments.v5.conventions`): it never changes.
  static func seed(_ db: Database, now: Date) throws {
    for sector in sectors {
      try db.execute(
        sql: "INSERT INTO payment_sectors (code, name_ar, name_en, agency_code, create_time) VALUES (?, ?, ?, ?, ?)",
        arguments: [sector.code, sector.nameAr, sector.nameEn, sector.agencyCode, now.timeIntervalSince1970])
    }
    for service in services { try addService(db, service) }
  }

  /// Adds a sector; an existing code is an error.
  public static func addSector(_ db: Database, _ sector: SectorEntry, now: Date) throws {
    try db.execute(
      sql: "INSERT INTO payment_sectors (code, name_ar, name_en, agency_code, create_time) VALUES (?, ?, ?, ?, ?)",
      arguments: [
        sector.code, sector.nameAr, sector.nameEn, sector.agencyCode, StoredTime.milliseconds(now),
      ])
  }

  /// Adds a service to an existing sector; an existing code in the sector is an error.
  public static func addService(_ db: Database, _ service: ServiceEntry) throws {
    try db.execute(
      sql: "INSERT INTO payment_services (sector_code, code, name_ar, name_en, fee) VALUES (?, ?, ?, ?, ?)",
      arguments: [service.sectorCode, service.code, service.nameAr, service.nameEn, service.fee])
  }

  public static func allSectors(_ db: Database) throws -> [SectorEntry] {
    try Row.fetchAll(db, sql: "SELECT code, name_ar, name_en, agency_code FROM payment_sectors ORDER BY code").map {
      SectorEntry(code: $0["code"], nameAr: $0["name_ar"], nameEn: $0["name_en"], agencyCode: $0["agency_code"])
    }
  }

  public static func allServices(_ db: Database, sector: String?) throws -> [ServiceEntry] {
    let rows: [Row]
    let sql = "SELECT sector_code, code, name_ar, name_en, fee FROM payment_services"
    if let sector {
      rows = try Row.fetchAll(db, sql: sql + " WHERE sector_code = ? ORDER BY code", arguments: [sector])
    } else {
      rows = try Row.fetchAll(db, sql: sql + " ORDER BY sector_code, code")
    }
    return rows.map {
      ServiceEntry(
        sectorCode: $0["sector_code"], code: $0["code"], nameAr: $0["name_ar"], nameEn: $0["name_en"], fee: $0["fee"])
    }
  }
}
