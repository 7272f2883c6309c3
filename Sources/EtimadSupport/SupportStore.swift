import EtimadKit
import Foundation
import GRDB

/// `SupportStorage` on the embedded SQLite database. Reads go through `database.read`,
/// changes through the kit's `mutate` (exactly once, audited, one transaction).
public struct SupportStore: SupportStorage {
  let database: EtimadDatabase

  public init(database: EtimadDatabase) {
    self.database = database
  }

  public func profile(idNumber: String) async throws -> RequesterProfile? {
    try await database.read { db in
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT p.id_number, p.id_type, p.name_ar, p.mobile, COALESCE(a.email, '') AS email
            FROM persons p LEFT JOIN accounts a ON a.id_number = p.id_number WHERE p.id_number = ?
            """, arguments: [idNumber])
      else { return nil }
      let type: String = row["id_type"]
      return RequesterProfile(
        idNumber: row["id_number"], document: type == "iqama" ? .iqama : .nationalID, nameArabic: row["name_ar"],
        mobile: row["mobile"], email: row["email"])
    }
  }

  public func open<Answer: Sendable>(
    _ draft: TicketDraft, challenge: SpentChallenge?, once: ExactlyOnceCall<Answer>,
    answer: @escaping @Sendable (Ticket) throws -> Answer
  ) async throws -> Answer {
    try await once.run(on: database) { db, now in
      let seconds = Int64(now.timeIntervalSince1970)
      if let challenge {
        try db.execute(sql: "DELETE FROM support_spent_challenges WHERE expire_time < ?", arguments: [seconds])
        try db.execute(
          sql: "INSERT INTO support_spent_challenges (id, expire_time) VALUES (?, ?) ON CONFLICT (id) DO NOTHING",
          arguments: [challenge.id, Int64(challenge.expireTime.timeIntervalSince1970)])
        guard db.changesCount == 1 else { throw ChallengeProblem.used }
      }
      let month = TicketRules.month(of: now)
      let sequence =
        try Int64.fetchOne(
          db, sql: "SELECT COALESCE(MAX(sequence), 0) + 1 FROM support_tickets WHERE month = ?", arguments: [month])
        ?? 1
      let number = TicketRules.number(month: month, sequence: sequence)
      let requester = draft.requester
      try db.execute(
        sql: """
          INSERT INTO support_tickets (number, month, sequence, status, owner_id_number, name, document_type,
            document_number, mobile, email, main_service, sub_service, request_type, title, details, open_time,
            update_time)
          VALUES (?, ?, ?, 'open', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          number, month, sequence, draft.owner, requester.name, requester.document.rawValue, requester.documentNumber,
          requester.mobile.e164, requester.email, draft.mainService, draft.subService, draft.kind.rawValue,
          draft.title, draft.details, seconds, seconds,
        ])
      try Outbox.enqueueSMS(db, to: requester.mobile, body: TicketTexts.openedSMS(number: number), now: now)
      guard let ticket = try Self.ticket(db, number: number) else { throw DatabaseError(message: "ticket vanished") }
      let kind = draft.owner == nil ? "anonymous" : "signed-in"
      return (
        try answer(ticket),
        AuditRecord(target: "support-ticket/\(number)", summary: "opened (\(kind), \(draft.mainService))")
      )
    }
  }

  public func ticket(number: String) async throws -> Ticket? {
    try await database.read { db in try Self.ticket(db, number: number) }
  }

  public func answered<Answer: Sendable>(_ once: ExactlyOnceCall<Answer>) async throws -> Answer? {
    try await once.storedAnswer(on: database)
  }

  public func messages(
    ticketID: Int64, includeNotes: Bool, after: Int64?, limit: Int
  ) async throws
    -> [TicketMessage]
  {
    try await database.read { db in
      let rows = try Row.fetchAll(
        db,
        sql: """
          SELECT id, kind, body, author, create_time FROM support_messages
          WHERE ticket_id = ? AND id > ? AND (? OR kind <> 'note') ORDER BY id LIMIT ?
          """, arguments: [ticketID, after ?? 0, includeNotes, limit])
      return try rows.map(Self.message)
    }
  }

  public func sendAccessCode<Answer: Sendable>(
    number: String, code: AccessCode, once: ExactlyOnceCall<Answer>, answer: @escaping @Sendable () -> Answer
  ) async throws -> Answer {
    try await once.run(on: database) { db, now in
      if let ticket = try Self.ticket(db, number: number) {
        try db.execute(
          sql: """
            INSERT INTO support_access_codes (ticket_id, code_hash, expire_time) VALUES (?, ?, ?)
            ON CONFLICT (ticket_id) DO UPDATE SET code_hash = excluded.code_hash, expire_time = excluded.expire_time
            """, arguments: [ticket.id, code.hash, Int64(code.expireTime.timeIntervalSince1970)])
        try Outbox.enqueueSMS(
          db, to: ticket.requester.mobile, body: TicketTexts.accessCodeSMS(number: number, code: code.code), now: now)
      }
      return (answer(), AuditRecord(target: "support-ticket/\(number)", summary: "follow-up code requested"))
    }
  }

  public func accessCode(number: String) async throws -> (hash: Data, expireTime: Date)? {
    try await database.read { db in
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT c.code_hash, c.expire_time FROM support_access_codes c
            JOIN support_tickets t ON t.id = c.ticket_id WHERE t.number = ?
            """, arguments: [number])
      else { return nil }
      let expire: Int64 = row["expire_time"]
      return (row["code_hash"], Date(timeIntervalSince1970: TimeInterval(expire)))
    }
  }

  public func change<Answer: Sendable>(
    number: String, once: ExactlyOnceCall<Answer>,
    decide: @escaping @Sendable (Ticket, Date) throws -> TicketDecision,
    answer: @escaping @Sendable (Ticket, TicketMessage?) throws -> Answer
  ) async throws -> Answer {
    try await once.run(on: database) { db, now in
      guard let ticket = try Self.ticket(db, number: number) else { throw SupportErrors.ticketNotFound }
      let decision = try decide(ticket, now)
      let seconds = Int64(now.timeIntervalSince1970)
      if let status = decision.status {
        try db.execute(
          sql: "UPDATE support_tickets SET status = ? WHERE id = ?", arguments: [status.rawValue, ticket.id])
      }
      if let assignee = decision.assignee {
        try db.execute(sql: "UPDATE support_tickets SET assignee = ? WHERE id = ?", arguments: [assignee, ticket.id])
      }
      if let first = decision.firstResponseTime {
        try db.execute(
          sql: "UPDATE support_tickets SET first_response_time = ? WHERE id = ? AND first_response_time IS NULL",
          arguments: [Int64(first.timeIntervalSince1970), ticket.id])
      }
      var added: TicketMessage?
      if let message = decision.message {
        try db.execute(
          sql: "INSERT INTO support_messages (ticket_id, kind, body, author, create_time) VALUES (?, ?, ?, ?, ?)",
          arguments: [ticket.id, message.kind.rawValue, message.body, message.author, seconds])
        added = TicketMessage(
          id: db.lastInsertedRowID, kind: message.kind, body: message.body, author: message.author,
          createTime: Date(timeIntervalSince1970: TimeInterval(seconds)))
      }
      try db.execute(sql: "UPDATE support_tickets SET update_time = ? WHERE id = ?", arguments: [seconds, ticket.id])
      if let sms = decision.sms { try Outbox.enqueueSMS(db, to: sms.to, body: sms.body, now: now) }
      guard let changed = try Self.ticket(db, number: number) else { throw SupportErrors.ticketNotFound }
      return (try answer(changed, added), AuditRecord(target: "support-ticket/\(number)", summary: decision.summary))
    }
  }

  public func tickets(_ filter: TicketFilter, before: Int64?, limit: Int) async throws -> [Ticket] {
    var conditions = ["id < ?"]
    var arguments: StatementArguments = [before ?? Int64.max]
    if !filter.statuses.isEmpty {
      let codes = filter.statuses.map(\.rawValue).sorted()
      conditions.append("status IN (\(codes.map { _ in "?" }.joined(separator: ", ")))")
      for code in codes { arguments += [code] }
    }
    if let main = filter.mainService {
      conditions.append("main_service = ?")
      arguments += [main]
    }
    if let from = filter.openedFrom {
      conditions.append("open_time >= ?")
      arguments += [Int64(from.timeIntervalSince1970.rounded(.up))]
    }
    if let before = filter.openedBefore {
      conditions.append("open_time < ?")
      arguments += [Int64(before.timeIntervalSince1970.rounded(.up))]
    }
    if let assignee = filter.assignee {
      conditions.append("assignee = ?")
      arguments += [assignee]
    }
    if let overdue = filter.overdueBefore {
      conditions.append(
        "first_response_time IS NULL AND status NOT IN ('resolved', 'closed') AND open_time < ?")
      arguments += [Int64(overdue.timeIntervalSince1970)]
    }
    arguments += [limit]
    let sql =
      "SELECT \(Self.columns) FROM support_tickets WHERE \(conditions.joined(separator: " AND ")) ORDER BY id DESC LIMIT ?"
    let bound = arguments
    return try await database.read { db in try Row.fetchAll(db, sql: sql, arguments: bound).map(Self.ticket) }
  }

  public func responseSamples(from: Date, to: Date) async throws -> [ResponseSample] {
    try await database.read { db in
      try Row.fetchAll(
        db, sql: "SELECT open_time, first_response_time FROM support_tickets WHERE open_time >= ? AND open_time < ?",
        arguments: [Int64(from.timeIntervalSince1970), Int64(to.timeIntervalSince1970)]
      ).map { row in
        let open: Int64 = row["open_time"]
        let first: Int64? = row["first_response_time"]
        return ResponseSample(
          openTime: Date(timeIntervalSince1970: TimeInterval(open)),
          firstResponseTime: first.map { Date(timeIntervalSince1970: TimeInterval($0)) })
      }
    }
  }

  // MARK: Rows

  /// The columns a ticket is read from, by name.
  static let columns = """
    id, number, status, owner_id_number, name, document_type, document_number, mobile, email, main_service, \
    sub_service, request_type, title, details, assignee, open_time, update_time, first_response_time
    """

  static func ticket(_ db: Database, number: String) throws -> Ticket? {
    try Row.fetchOne(db, sql: "SELECT \(columns) FROM support_tickets WHERE number = ?", arguments: [number])
      .map(ticket)
  }

  static func ticket(_ row: Row) throws -> Ticket {
    func code<T: RawRepresentable<String>>(_ column: String) throws -> T {
      let text: String = row[column]
      guard let value = T(rawValue: text) else {
        throw DatabaseError(message: "support_tickets.\(column) has an unknown code '\(text)'")
      }
      return value
    }
    func time(_ column: String) -> Date? {
      let seconds: Int64? = row[column]
      return seconds.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }
    let mobile: String = row["mobile"]
    return Ticket(
      id: row["id"], number: row["number"], status: try code("status"),
      requester: RequesterDetails(
        name: row["name"], document: try code("document_type"), documentNumber: row["document_number"],
        mobile: try SaudiMobile(parsing: mobile), email: row["email"]),
      owner: row["owner_id_number"], mainService: row["main_service"], subService: row["sub_service"],
      kind: try code("request_type"), title: row["title"], details: row["details"],
      openTime: time("open_time") ?? .distantPast, updateTime: time("update_time") ?? .distantPast,
      firstResponseTime: time("first_response_time"), assignee: row["assignee"])
  }

  static func message(_ row: Row) throws -> TicketMessage {
    let text: String = row["kind"]
    guard let kind = MessageKind(rawValue: text) else {
      throw DatabaseError(message: "support_messages.kind has an unknown code '\(text)'")
    }
    let seconds: Int64 = row["create_time"]
    return TicketMessage(
      id: row["id"], kind: kind, body: row["body"], author: row["author"],
      createTime: Date(timeIntervalSince1970: TimeInterval(seconds)))
  }
}
