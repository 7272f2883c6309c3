import EtimadKit
import Foundation
import GRDB

/// The agencies allowed on the mutual-TLS port, with the serial number of the one client
/// certificate each may use now (a reissue or a revocation takes effect on the next call).
public struct AgencyRegistry: Sendable {
  public struct Agency: Sendable, Hashable, Codable, FetchableRecord {
    public let code: String
    public let nameAr: String
    public let nameEn: String
    public let state: String
    public let certificateSerial: String?
    public let createTime: Double
    public let revokeTime: Double?

    enum CodingKeys: String, CodingKey {
      case code, state
      case nameAr = "name_ar"
      case nameEn = "name_en"
      case certificateSerial = "certificate_serial"
      case createTime = "create_time"
      case revokeTime = "revoke_time"
    }

    public var isActive: Bool { state == "active" }
  }

  let database: EtimadDatabase

  public init(database: EtimadDatabase) { self.database = database }

  /// Agency codes: 2 to 16 upper-case letters, digits or dashes (such as MOF, MOI-PASSPORTS).
  public static func validCode(_ code: String) -> Bool {
    (2...16).contains(code.count) && code.allSatisfy { $0.isASCII && ($0.isUppercase || $0.isNumber || $0 == "-") }
  }

  /// Read on every agency call (a revocation takes effect at once): one statement on a
  /// quick-read connection.
  public func agency(_ code: String) async throws -> Agency? {
    try await database.quickRead { db in
      try db.fetchOne(
        "SELECT code, name_ar, name_en, state, certificate_serial, create_time, revoke_time FROM agencies WHERE code = ?",
        [.text(code)]
      ) { row in
        Agency(
          code: row[0], nameAr: row[1], nameEn: row[2], state: row[3], certificateSerial: row[4],
          createTime: row[5], revokeTime: row[6])
      }
    }
  }

  public func all() async throws -> [Agency] {
    try await database.read { db in try Agency.fetchAll(db, sql: "SELECT * FROM agencies ORDER BY code") }
  }

  /// Registers an agency with the serial of its first certificate; the operator is audited.
  public func add(code: String, nameAr: String, nameEn: String, serial: String, operator user: String) async throws {
    try await database.write(as: .operator(user), method: "etimadd agency add") { db, audit in
      guard try Agency.fetchOne(db, sql: "SELECT * FROM agencies WHERE code = ?", arguments: [code]) == nil else {
        throw RegistryError("agency \(code) is already registered; use 'agency reissue \(code)' for a new certificate")
      }
      try db.execute(
        sql:
          "INSERT INTO agencies (code, name_ar, name_en, state, certificate_serial, create_time) VALUES (?, ?, ?, 'active', ?, ?)",
        arguments: [code, nameAr, nameEn, serial, audit.now.timeIntervalSince1970])
      try audit.record(target: "agency/\(code)", summary: "agency registered; certificate \(serial)")
    }
  }

  /// Makes `serial` the agency's only valid certificate (and reactivates it).
  public func reissue(code: String, serial: String, operator user: String) async throws {
    try await change(code, operator: user, method: "etimadd agency reissue", summary: "certificate reissued: \(serial)")
    { db, _ in
      try db.execute(
        sql: "UPDATE agencies SET certificate_serial = ?, state = 'active', revoke_time = NULL WHERE code = ?",
        arguments: [serial, code])
    }
  }

  /// Refuses the agency from the next call on, on open connections too.
  public func revoke(code: String, operator user: String) async throws {
    try await change(code, operator: user, method: "etimadd agency revoke", summary: "agency revoked") { db, now in
      try db.execute(
        sql: "UPDATE agencies SET state = 'revoked', revoke_time = ? WHERE code = ?",
        arguments: [now.timeIntervalSince1970, code])
    }
  }

  private func change(
    _ code: String, operator user: String, method: String, summary: String,
    _ body: @escaping @Sendable (Database, Date) throws -> Void
  ) async throws {
    try await database.write(as: .operator(user), method: method) { db, audit in
      guard try Agency.fetchOne(db, sql: "SELECT * FROM agencies WHERE code = ?", arguments: [code]) != nil else {
        throw RegistryError("no agency \(code); 'agency list' shows the registered ones")
      }
      try body(db, audit.now)
      try audit.record(target: "agency/\(code)", summary: summary)
    }
  }
}

/// An operator command's failure, worded for the operator.
public struct RegistryError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}
