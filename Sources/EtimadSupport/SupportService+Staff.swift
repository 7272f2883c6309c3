import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore

/// The staff side: employees of the platform's support agency on the agency port.
extension SupportService {
  public func listTickets(
    request: Etimad_Support_V1_ListTicketsRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_ListTicketsResponse {
    _ = try staffEmployee()
    let size = try Paging.pageSize(request.pageSize, default: 50, maximum: 200, domain: Self.domain)
    var violations: [EtimadError.FieldViolation] = []
    var filter = TicketFilter()
    for (index, status) in request.statuses.enumerated() {
      if let status = SupportWire.status(status) {
        filter.statuses.insert(status)
      } else {
        violations.append(
          .init(
            field: "statuses[\(index)]", reason: "UNSPECIFIED",
            description: .init(en: "Name a ticket status.", ar: "حدد حالة البلاغ.")))
      }
    }
    let main = request.mainServiceCode.trimmingCharacters(in: .whitespaces)
    if !main.isEmpty { filter.mainService = main }
    if request.hasOpenedAfter { filter.openedFrom = request.openedAfter.date }
    if request.hasOpenedBefore { filter.openedBefore = request.openedBefore.date }
    if !request.assignee.isEmpty {
      do {
        filter.assignee = try EmployeeID.normalized(request.assignee)
      } catch {
        violations.append(FieldRules.violation(error, field: "assignee"))
      }
    }
    if request.overdueOnly { filter.overdueBefore = clock.now - ContactChannel.responseTarget }
    guard violations.isEmpty else { throw EtimadError.invalidFields(violations, domain: Self.domain) }
    let filters = SupportWire.filterBinding(request)
    let before = try paging.cursor(Int64.self, from: request.pageToken, filters: filters, domain: Self.domain)
    let tickets = try await store.tickets(filter, before: before, limit: size + 1)
    return .with {
      $0.tickets = tickets.prefix(size).map { SupportWire.ticket($0, staff: true) }
      if tickets.count > size, let last = tickets.prefix(size).last {
        $0.nextPageToken = paging.token(for: last.id, filters: filters)
      }
    }
  }

  public func assignTicket(
    request: Etimad_Support_V1_AssignTicketRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_AssignTicketResponse {
    _ = try staffEmployee()
    let call = try MutationCall(request, requestID: request.requestID, context: context, domain: Self.domain)
    let number = try Self.ticketNumber(request.ticketNumber)
    var assignee: String?
    if !request.assignee.trimmingCharacters(in: .whitespaces).isEmpty {
      do {
        assignee = try EmployeeID.normalized(request.assignee)
      } catch {
        throw EtimadError.invalidFields([FieldRules.violation(error, field: "assignee")], domain: Self.domain)
      }
    }
    let chosen = assignee
    return try await store.change(
      number: number, once: ExactlyOnceCall(call), decide: { ticket, _ in try TicketRules.assign(ticket, to: chosen) },
      answer: { ticket, _ in .with { $0.ticket = SupportWire.ticket(ticket, staff: true) } })
  }

  public func reply(
    request: Etimad_Support_V1_ReplyRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_ReplyResponse {
    let employee = try staffEmployee()
    let call = try MutationCall(request, requestID: request.requestID, context: context, domain: Self.domain)
    let number = try Self.ticketNumber(request.ticketNumber)
    let body = try TicketValidation.body(request.body)
    return try await store.change(
      number: number, once: ExactlyOnceCall(call),
      decide: { ticket, now in try TicketRules.reply(ticket, body: body, employee: employee, now: now) },
      answer: { ticket, message in
        .with {
          if let message { $0.message = SupportWire.message(message, staff: true) }
          $0.ticket = SupportWire.ticket(ticket, staff: true)
        }
      })
  }

  public func addNote(
    request: Etimad_Support_V1_AddNoteRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_AddNoteResponse {
    let employee = try staffEmployee()
    let call = try MutationCall(request, requestID: request.requestID, context: context, domain: Self.domain)
    let number = try Self.ticketNumber(request.ticketNumber)
    let body = try TicketValidation.body(request.body)
    return try await store.change(
      number: number, once: ExactlyOnceCall(call),
      decide: { ticket, _ in TicketRules.note(ticket, body: body, employee: employee) },
      answer: { _, message in .with { if let message { $0.message = SupportWire.message(message, staff: true) } } })
  }

  public func changeStatus(
    request: Etimad_Support_V1_ChangeStatusRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_ChangeStatusResponse {
    let employee = try staffEmployee()
    let call = try MutationCall(request, requestID: request.requestID, context: context, domain: Self.domain)
    let number = try Self.ticketNumber(request.ticketNumber)
    guard let status = SupportWire.status(request.status) else {
      throw EtimadError.invalidFields([SupportErrors.required("status")], domain: Self.domain)
    }
    return try await store.change(
      number: number, once: ExactlyOnceCall(call),
      decide: { ticket, _ in try TicketRules.changeStatus(ticket, to: status, employee: employee) },
      answer: { ticket, _ in .with { $0.ticket = SupportWire.ticket(ticket, staff: true) } })
  }

  public func getSupportFigures(
    request: Etimad_Support_V1_GetSupportFiguresRequest, context: ServerContext
  ) async throws -> Etimad_Support_V1_GetSupportFiguresResponse {
    _ = try staffEmployee()
    let now = clock.now
    // By default up to now, the tickets opened in the current second included.
    let to = request.hasOpenedBefore ? request.openedBefore.date : now + 1
    let from = request.hasOpenedAfter ? request.openedAfter.date : to - 30 * 86_400
    guard from < to, to.timeIntervalSince(from) <= 366 * 86_400 else {
      throw EtimadError.invalidFields(
        [
          .init(
            field: "opened_after", reason: "BAD_PERIOD",
            description: .init(
              en: "The period must end after it starts and last at most 366 days.",
              ar: "يجب أن تنتهي الفترة بعد بدايتها وألا تزيد على 366 يومًا."))
        ], domain: Self.domain)
    }
    let samples = try await store.responseSamples(from: from, to: to)
    let figures = SupportFigures.compute(samples, hours: .etimad, target: ContactChannel.responseTarget)
    return .with {
      $0.ticketsOpened = Int64(figures.opened)
      $0.ticketsAnswered = Int64(figures.answered)
      if let p50 = figures.firstResponseP50 { $0.firstResponseP50 = SupportWire.duration(p50) }
      if let p90 = figures.firstResponseP90 { $0.firstResponseP90 = SupportWire.duration(p90) }
      $0.openedWhileOpen = Int64(figures.openedWhileOpen)
      $0.shareAnsweredWithinTarget = figures.shareWithinTarget
    }
  }
}
