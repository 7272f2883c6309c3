import Crypto
import Foundation
import GRDB
import GRPCCore
import SwiftProtobuf

/// What every mutating RPC hands to the store: the request, its caller-chosen `request_id`,
/// who called and from where. `EtimadDatabase.mutate` runs the change exactly once.
public struct MutationCall<Request: SwiftProtobuf.Message>: Sendable {
  public let method: String
  public let request: Request
  public let requestID: String
  public let principal: Principal
  public let peer: String

  /// - Throws: INVALID_ARGUMENT when `requestID` is not a UUID.
  public init(
    method: String, request: Request, requestID: String, principal: Principal, peer: String,
    domain: String
  ) throws(EtimadError) {
    guard let uuid = UUID(uuidString: requestID) else {
      throw EtimadError.invalidFields(
        [
          .init(
            field: "request_id", reason: requestID.isEmpty ? "REQUIRED" : "NOT_A_UUID",
            description: LocalizedString(
              en: "request_id must be a UUID chosen by the caller for this change.",
              ar: "يجب أن يكون request_id معرّفًا فريدًا (UUID) يختاره المستدعي لهذا التغيير."))
        ], domain: domain)
    }
    self.method = method
    self.request = request
    self.requestID = uuid.uuidString.lowercased()
    self.principal = principal
    self.peer = peer
  }

  /// The change a handler is making: the method and peer from the call's context, the caller
  /// from `Principal.current`.
  public init(_ request: Request, requestID: String, context: ServerContext, domain: String) throws(EtimadError) {
    try self.init(
      method: context.descriptor.fullyQualifiedMethod, request: request, requestID: requestID,
      principal: Principal.current, peer: context.remotePeer, domain: domain)
  }
}

/// A call's exactly-once envelope with its wire types erased, for an area's storage protocol:
/// the request_id and the kit's `mutate` for that call (idempotency record, audit row and the
/// change in one transaction). The stored answer is the kit's business; storage only sees
/// `Answer`. Each area adds `init(_ call:)` naming its error domain.
public struct ExactlyOnce<Answer: Sendable>: Sendable {
  public let requestID: String
  private let stored: @Sendable (EtimadDatabase) async throws -> Answer?
  private let mutate:
    @Sendable (EtimadDatabase, @escaping @Sendable (Database, Date) throws -> (Answer, AuditRecord)) async throws
      -> Answer

  public init<Request: SwiftProtobuf.Message>(_ call: MutationCall<Request>, domain: String)
  where Answer: SwiftProtobuf.Message {
    requestID = call.requestID
    stored = { database in try await database.storedResponse(for: call, domain: domain) }
    mutate = { database, change in try await database.mutate(call, domain: domain, change: change) }
  }

  /// The answer stored for this call's request_id, if any.
  public func storedAnswer(on database: EtimadDatabase) async throws -> Answer? {
    try await stored(database)
  }

  /// Runs `change` once for this call on the embedded database.
  public func run(
    on database: EtimadDatabase, _ change: @escaping @Sendable (Database, Date) throws -> (Answer, AuditRecord)
  ) async throws -> Answer {
    try await mutate(database, change)
  }
}

/// The audit row a change writes, in the same transaction as the change.
public struct AuditRecord: Sendable {
  /// What was changed, such as `debt/42`.
  public var target: String
  /// A short English description of the change, free of secrets.
  public var summary: String

  public init(target: String, summary: String) {
    self.target = target
    self.summary = summary
  }
}

extension EtimadDatabase {
  /// Runs a change exactly once per caller and `request_id`, in one write transaction that
  /// also stores the answer and the audit row. A retry with the same id and the same request
  /// gets the first answer and changes nothing; the same id with another request or method is
  /// refused with INVALID_ARGUMENT (`REQUEST_ID_REUSED`). A thrown error rolls everything back.
  public func mutate<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ call: MutationCall<Request>,
    domain: String,
    change: @escaping @Sendable (Database, Date) throws -> (Response, AuditRecord)
  ) async throws -> Response {
    let hash = try Self.requestHash(method: call.method, request: call.request)
    let now = clock.now
    return try await writeTransaction { db in
      let key = call.principal.key
      if let row = try Row.fetchOne(
        db,
        sql: "SELECT method, request_hash, response FROM idempotency WHERE principal_key = ? AND request_id = ?",
        arguments: [key, call.requestID])
      {
        let storedHash: Data = row["request_hash"]
        guard storedHash == hash else { throw Self.requestIDReused(domain: domain) }
        return try Response(serializedBytes: row["response"] as Data)
      }
      let (response, audit) = try change(db, now)
      try db.execute(
        sql: """
          INSERT INTO idempotency (principal_key, request_id, method, request_hash, response, create_time)
          VALUES (?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          key, call.requestID, call.method, hash, try response.serializedBytes() as Data,
          Int64(now.timeIntervalSince1970),
        ])
      try AuditLog.append(
        db, principal: call.principal, method: call.method, target: audit.target,
        requestID: call.requestID, peer: call.peer, summary: audit.summary, time: now)
      return response
    }
  }

  /// The answer already given to this call's `request_id`, if any: lets a handler answer a
  /// retry before doing expensive work (such as hashing a password) again.
  /// - Throws: INVALID_ARGUMENT (`REQUEST_ID_REUSED`) when the id was used for another request.
  public func storedResponse<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    for call: MutationCall<Request>, domain: String, as type: Response.Type = Response.self
  ) async throws -> Response? {
    let hash = try Self.requestHash(method: call.method, request: call.request)
    let stored = try await read { db -> (hash: Data, response: Data)? in
      guard
        let row = try Row.fetchOne(
          db, sql: "SELECT request_hash, response FROM idempotency WHERE principal_key = ? AND request_id = ?",
          arguments: [call.principal.key, call.requestID])
      else { return nil }
      return (row["request_hash"], row["response"])
    }
    guard let stored else { return nil }
    guard stored.hash == hash else { throw Self.requestIDReused(domain: domain) }
    return try Response(serializedBytes: stored.response)
  }

  /// SHA-256 over the method and the request's deterministic encoding.
  static func requestHash(method: String, request: some SwiftProtobuf.Message) throws -> Data {
    var options = BinaryEncodingOptions()
    options.useDeterministicOrdering = true
    var hasher = SHA256()
    hasher.update(data: Data(method.utf8))
    hasher.update(data: [0])
    hasher.update(data: try request.serializedBytes(options: options) as [UInt8])
    return Data(hasher.finalize())
  }

  static func requestIDReused(domain: String) -> EtimadError {
    EtimadError(
      code: .invalidArgument,
      reason: "REQUEST_ID_REUSED",
      domain: domain,
      message: LocalizedString(
        en: "This request_id was already used for a different request.",
        ar: "تم استخدام request_id هذا لطلب مختلف من قبل."),
      fieldViolations: [
        .init(
          field: "request_id", reason: "REUSED",
          description: LocalizedString(
            en: "Choose a new request_id for a new change; reuse one only to retry the same request.",
            ar: "اختر request_id جديدًا لكل تغيير جديد، ولا تُعِد استخدامه إلا لإعادة الطلب نفسه."))
      ]
    )
  }
}
