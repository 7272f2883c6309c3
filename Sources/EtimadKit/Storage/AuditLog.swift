import Foundation
import GRDB

/// The audit trail: one append-only row for every change, written in the change's transaction.
public enum AuditLog {
  /// One row of the trail, as read back.
  public struct Entry: Sendable, Hashable, FetchableRecord, Decodable {
    public let id: Int64
    public let time: Int64
    public let principalKind: String
    public let principalId: String
    public let employee: String?
    public let method: String
    public let target: String
    public let requestId: String?
    public let peer: String
    public let summary: String

    enum CodingKeys: String, CodingKey {
      case id, time, employee, method, target, peer, summary
      case principalKind = "principal_kind"
      case principalId = "principal_id"
      case requestId = "request_id"
    }
  }

  /// Appends a row. Call inside the transaction of the change it records.
  public static func append(
    _ db: Database, principal: Principal, method: String, target: String, requestID: String?,
    peer: String, summary: String, time: Date
  ) throws {
    let (id, employee): (String, String?) =
      switch principal {
      case .anonymous: ("anonymous", nil)
      case .individual(let person): (person.nationalID.number, nil)
      case .agency(let agency): (agency.code, agency.employee)
      }
    try append(
      db, kind: principal.kind, id: id, employee: employee, method: method, target: target, requestID: requestID,
      peer: peer, summary: summary, time: time)
  }

  /// Appends a row for an actor that is not an RPC caller, such as the operator on the host
  /// (`kind` "operator", `id` the user name). Inside `EtimadDatabase.write(as:method:_:)`,
  /// `AuditTrail.record` does this for the write's actor.
  public static func append(
    _ db: Database, kind: String, id: String, employee: String?, method: String, target: String,
    requestID: String?, peer: String, summary: String, time: Date
  ) throws {
    try db.execute(
      sql: """
        INSERT INTO audit (time, principal_kind, principal_id, employee, method, target, request_id, peer, summary)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
      arguments: [
        Int64(time.timeIntervalSince1970), kind, id, employee, method, target,
        requestID, peer, summary,
      ])
  }

  /// The rows about one target, oldest first.
  public static func entries(_ db: Database, target: String) throws -> [Entry] {
    try Entry.fetchAll(db, sql: "SELECT * FROM audit WHERE target = ? ORDER BY id", arguments: [target])
  }
}
