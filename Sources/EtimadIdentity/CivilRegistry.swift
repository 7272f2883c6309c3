import EtimadKit
import Foundation
import GRDB

/// A person on the civil record, as the national single sign-on checks registrations against.
public struct Person: Sendable, Hashable, Codable, FetchableRecord, PersistableRecord {
  public static let databaseTableName = "persons"

  public var idNumber: String
  public var idType: String
  public var nameAr: String
  public var nameEn: String
  /// Gregorian, YYYY-MM-DD.
  public var birthDate: String
  /// E.164.
  public var mobile: String
  public var nationality: String

  public init(row: Row) {
    idNumber = row["id_number"]
    idType = row["id_type"]
    nameAr = row["name_ar"]
    nameEn = row["name_en"]
    birthDate = row["birth_date"]
    mobile = row["mobile"]
    nationality = row["nationality"]
  }

  enum CodingKeys: String, CodingKey {
    case idNumber = "id_number"
    case idType = "id_type"
    case nameAr = "name_ar"
    case nameEn = "name_en"
    case birthDate = "birth_date"
    case mobile, nationality
  }

  public init(
    idNumber: String, idType: String, nameAr: String, nameEn: String, birthDate: String, mobile: String,
    nationality: String
  ) {
    self.idNumber = idNumber
    self.idType = idType
    self.nameAr = nameAr
    self.nameEn = nameEn
    self.birthDate = birthDate
    self.mobile = mobile
    self.nationality = nationality
  }
}

/// The civil registry the daemon keeps: loaded from CSV by the operator, read at registration.
public enum CivilRegistry {
  /// The CSV header `etimadd registry import` expects.
  public static let header = ["id_number", "name_ar", "name_en", "birth_date", "mobile", "nationality"]

  /// The rows that kept a file from being imported.
  public struct Rejected: Error, Sendable {
    public let rows: [Rejection]
  }

  /// A row that could not be imported, with its line number and why.
  public struct Rejection: Sendable, Hashable, CustomStringConvertible {
    public let line: Int
    public let reason: String
    public var description: String { "line \(line): \(reason)" }
  }

  /// Parses and validates a whole CSV file (UTF-8, with or without BOM, header required).
  /// Returns the persons, or every rejected row: a file is imported whole or not at all.
  public static func parse(csv text: String) -> Result<[Person], Rejected> {
    var lines = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
    if let first = lines.first, first.hasPrefix("\u{FEFF}") { lines[0] = String(first.dropFirst()) }
    guard let headerLine = lines.first, CSV.fields(headerLine) == header else {
      return .failure(
        Rejected(rows: [Rejection(line: 1, reason: "the header must be \(header.joined(separator: ","))")]))
    }
    var persons: [Person] = []
    var rejections: [Rejection] = []
    var seen: Set<String> = []
    for (offset, line) in lines.enumerated().dropFirst() where !line.trimmingCharacters(in: .whitespaces).isEmpty {
      let number = offset + 1
      let fields = CSV.fields(line)
      guard fields.count == header.count else {
        rejections.append(Rejection(line: number, reason: "expected \(header.count) fields, found \(fields.count)"))
        continue
      }
      do {
        let person = try validate(fields)
        guard seen.insert(person.idNumber).inserted else {
          rejections.append(Rejection(line: number, reason: "ID \(person.idNumber) appears twice"))
          continue
        }
        persons.append(person)
      } catch {
        rejections.append(Rejection(line: number, reason: error.description))
      }
    }
    return rejections.isEmpty ? .success(persons) : .failure(Rejected(rows: rejections))
  }

  static func validate(_ fields: [String]) throws(RowError) -> Person {
    let id: NationalID
    do {
      id = try NationalID(parsing: fields[0])
    } catch {
      throw RowError("id_number '\(fields[0])' is not a valid national ID or iqama (\(error))")
    }
    guard id.kind != .borderNumber else { throw RowError("id_number \(id.number) is a border number") }
    guard !fields[1].isEmpty, !fields[2].isEmpty else { throw RowError("name_ar and name_en are required") }
    guard IdentityRules.birthDate(fields[3]) != nil else {
      throw RowError("birth_date '\(fields[3])' is not a past Gregorian date YYYY-MM-DD")
    }
    let mobile: SaudiMobile
    do {
      mobile = try SaudiMobile(parsing: fields[4])
    } catch {
      throw RowError("mobile '\(fields[4])' is not a Saudi mobile number")
    }
    guard fields[5].count == 2, fields[5].allSatisfy(\.isUppercase) else {
      throw RowError("nationality '\(fields[5])' is not a two-letter country code (SA, EG, ...)")
    }
    return Person(
      idNumber: id.number, idType: id.kind == .nationalID ? "national_id" : "iqama", nameAr: fields[1],
      nameEn: fields[2], birthDate: fields[3], mobile: mobile.e164, nationality: fields[5])
  }

  struct RowError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
  }

  /// Inserts or replaces the persons, in the caller's transaction.
  public static func save(_ persons: [Person], _ db: Database) throws {
    for person in persons { try person.insert(db, onConflict: .replace) }
  }

  public static func person(_ idNumber: String, _ db: Database) throws -> Person? {
    try Person.fetchOne(db.cachedStatement(sql: "SELECT * FROM persons WHERE id_number = ?"), arguments: [idNumber])
  }
}

extension IdentityRules {
  /// Whether a YYYY-MM-DD text is a real Gregorian date in the past; returns it normalised.
  static func birthDate(_ text: String) -> String? {
    let parts = text.split(separator: "-")
    guard parts.count == 3, let year = Int32(parts[0]), let month = Int32(parts[1]), let day = Int32(parts[2]) else {
      return nil
    }
    return birthDate(
      .with {
        $0.year = year
        $0.month = month
        $0.day = day
        $0.calendar = .gregorian
      }, now: Date())
  }
}

/// Minimal RFC 4180 fields: commas, double quotes and doubled quotes inside quoted fields.
enum CSV {
  static func fields(_ line: String) -> [String] {
    var fields: [String] = []
    var current = ""
    var quoted = false
    var iterator = Array(line).makeIterator()
    while let character = iterator.next() {
      switch (character, quoted) {
      case ("\"", true):
        if let next = iterator.next() {
          if next == "\"" {
            current.append("\"")
          } else {
            quoted = false
            if next == "," {
              fields.append(current)
              current = ""
            } else {
              current.append(next)
            }
          }
        } else {
          quoted = false
        }
      case ("\"", false) where current.isEmpty: quoted = true
      case (",", false):
        fields.append(current)
        current = ""
      default: current.append(character)
      }
    }
    fields.append(current)
    return fields.map { $0.trimmingCharacters(in: .whitespaces) }
  }
}
