import Etimad
import EtimadKit
import EtimadProtos
import Foundation
import GRPCCore
import Testing

@Suite("Support tickets: follow-up, ownership and the staff side over real TLS")
struct SupportTicketsTests {
  @Test("anonymous follow-up with the SMS code; another ticket's code or token opens nothing")
  func anonymousFollowUp() async throws {
    try await TestDaemon.withSupport { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let mine = try await client.openTicket(
          supportForm(mobile: "0551112233"), challenge: try await client.solvedChallenge())
        let theirs = try await client.openTicket(
          supportForm(mobile: "0557778899"), challenge: try await client.solvedChallenge())

        let noToken = await failure { _ = try await client.support.getTicket(.with { $0.ticketNumber = mine.number }) }
        #expect(noToken?.code == .invalidArgument)

        let before = daemon.smsCount()
        try await client.sendTicketAccessCode(mine.number)
        let code = try await daemon.supportCode(to: "+966551112233", after: before)
        let wrong = await failure {
          _ = try await client.verifyTicketAccess(mine.number, code: code == "000000" ? "111111" : "000000")
        }
        #expect(wrong?.code == .unauthenticated && wrong?.reason == "WRONG_CODE")
        // The code of one ticket does not open another.
        let crossed = await failure { _ = try await client.verifyTicketAccess(theirs.number, code: code) }
        #expect(crossed?.code == .unauthenticated && crossed?.reason == "WRONG_CODE")

        let token = try await client.verifyTicketAccess(mine.number, code: code)
        let seen = try await client.support.getTicket(
          .with {
            $0.ticketNumber = mine.number
            $0.ticketToken = token
          }
        ).ticket
        #expect(seen.number == mine.number && seen.requester.mobile == "+9665••••2233" && seen.assignee.isEmpty)
        // The token of one ticket does not open another.
        let other = await failure {
          _ = try await client.support.getTicket(
            .with {
              $0.ticketNumber = theirs.number
              $0.ticketToken = token
            })
        }
        #expect(other?.code == .unauthenticated && other?.reason == "TICKET_TOKEN_INVALID")

        let added = try await client.support.addMessage(
          .with {
            $0.requestID = EtimadClient.newRequestID()
            $0.ticketNumber = mine.number
            $0.ticketToken = token
            $0.body = "Any news?"
          })
        #expect(added.message.kind == .requester && added.message.author.isEmpty)
        let messages = try await client.support.listMessages(
          .with {
            $0.ticketNumber = mine.number
            $0.ticketToken = token
          })
        #expect(messages.messages.map(\.body) == ["Any news?"])
      }
    }
  }

  @Test("individuals need no challenge, see their own tickets only; staff notes never reach them")
  func ownershipAndStaff() async throws {
    try await TestDaemon.withSupport { daemon in
      try await daemon.seedRegistry()
      let staffConfig = try await daemon.supportStaff(employee: "agent-1")
      let otherAgency = try await daemon.tendersAgency("MOH")
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { citizen in
        try await daemon.register(citizen, TestDaemon.citizen)
        try await daemon.signIn(citizen, TestDaemon.citizen)
        var form = supportForm()
        form.requester = .init()
        let ticket = try await citizen.openTicket(form)
        #expect(ticket.openedSignedIn && ticket.requester.name == TestDaemon.citizen.nameAr)
        #expect(ticket.requester.document.number == TestDaemon.citizen.idNumber)
        #expect(ticket.requester.mobile == "+9665••••4567")
        #expect(ticket.requester.email == "someone@example.sa")

        try await EtimadClient.withClient(daemon.publicClient()) { resident in
          try await daemon.register(resident, TestDaemon.resident)
          try await daemon.signIn(resident, TestDaemon.resident)
          let foreign = await failure {
            _ = try await resident.support.getTicket(.with { $0.ticketNumber = ticket.number })
          }
          #expect(foreign?.code == .notFound)
          let write = await failure {
            _ = try await resident.support.addMessage(
              .with {
                $0.requestID = EtimadClient.newRequestID()
                $0.ticketNumber = ticket.number
                $0.body = "not mine"
              })
          }
          #expect(write?.code == .notFound)
        }

        try await EtimadClient.withClient(otherAgency) { moh in
          let refused = await failure { _ = try await moh.support.listTickets(.init()) }
          #expect(refused?.code == .permissionDenied && refused?.reason == "NOT_SUPPORT_STAFF")
        }

        try await EtimadClient.withClient(staffConfig) { staff in
          func id() -> String { EtimadClient.newRequestID() }
          let assigned = try await staff.support.assignTicket(
            .with {
              $0.requestID = id()
              $0.ticketNumber = ticket.number
              $0.assignee = "Agent-7"
            })
          #expect(assigned.ticket.assignee == "agent-7")
          _ = try await staff.support.addNote(
            .with {
              $0.requestID = id()
              $0.ticketNumber = ticket.number
              $0.body = "Internal: check the SADAD feed"
            })
          let before = daemon.smsCount()
          let reply = try await staff.support.reply(
            .with {
              $0.requestID = id()
              $0.ticketNumber = ticket.number
              $0.body = "The payment is now recorded."
            })
          #expect(reply.ticket.status == .inProgress && reply.ticket.hasFirstResponseTime)
          #expect(reply.message.author == "agent-1")
          _ = before
          try await daemon.sms(to: TestDaemon.citizen.mobile, containing: "answer to ticket \(ticket.number)")

          // The requester sees the reply, never the note.
          let seen = try await citizen.support.listMessages(.with { $0.ticketNumber = ticket.number }).messages
          #expect(seen.map(\.kind) == [.reply] && seen[0].author.isEmpty)
          // Staff see both, with their authors.
          let all = try await staff.support.listMessages(.with { $0.ticketNumber = ticket.number }).messages
          #expect(all.map(\.kind) == [.note, .reply] && all[0].author == "agent-1")

          // RESOLVED, then the requester writes: OPEN again.
          let resolved = try await staff.support.changeStatus(
            .with {
              $0.requestID = id()
              $0.ticketNumber = ticket.number
              $0.status = .resolved
            })
          #expect(resolved.ticket.status == .resolved)
          let reopened = try await citizen.support.addMessage(
            .with {
              $0.requestID = id()
              $0.ticketNumber = ticket.number
              $0.body = "It shows again as outstanding."
            })
          #expect(reopened.ticket.status == .open)

          // CLOSED is final.
          _ = try await staff.support.changeStatus(
            .with {
              $0.requestID = id()
              $0.ticketNumber = ticket.number
              $0.status = .closed
            })
          let back = await failure {
            _ = try await staff.support.changeStatus(
              .with {
                $0.requestID = id()
                $0.ticketNumber = ticket.number
                $0.status = .open
              })
          }
          #expect(back?.code == .failedPrecondition && back?.reason == "INVALID_TRANSITION")
          let late = await failure {
            _ = try await citizen.support.addMessage(
              .with {
                $0.requestID = id()
                $0.ticketNumber = ticket.number
                $0.body = "Hello?"
              })
          }
          #expect(late?.code == .failedPrecondition && late?.reason == "TICKET_CLOSED")

          let byAssignee = try await staff.support.listTickets(.with { $0.assignee = "agent-7" }).tickets
          #expect(byAssignee.map(\.number) == [ticket.number])
          let stillOpen = try await staff.support.listTickets(.with { $0.statuses = [.open] }).tickets
          #expect(stillOpen.isEmpty)
          let figures = try await staff.support.getSupportFigures(.init())
          #expect(figures.ticketsOpened == 1 && figures.ticketsAnswered == 1)
        }
      }
    }
  }

  @Test("staff page through tickets and find the overdue ones")
  func pagingAndOverdue() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.withSupport(clock: clock) { daemon in
      let staffConfig = try await daemon.supportStaff()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        var numbers: [String] = []
        for index in 0..<3 {
          numbers.append(
            try await client.openTicket(
              supportForm(title: "Ticket \(index)"), challenge: try await client.solvedChallenge()
            ).number)
        }
        try await EtimadClient.withClient(staffConfig) { staff in
          let first = try await staff.support.listTickets(.with { $0.pageSize = 2 })
          #expect(first.tickets.map(\.number) == [numbers[2], numbers[1]] && !first.nextPageToken.isEmpty)
          let second = try await staff.support.listTickets(
            .with {
              $0.pageSize = 2
              $0.pageToken = first.nextPageToken
            })
          #expect(second.tickets.map(\.number) == [numbers[0]] && second.nextPageToken.isEmpty)
          let otherFilter = await failure {
            _ = try await staff.support.listTickets(
              .with {
                $0.pageSize = 2
                $0.pageToken = first.nextPageToken
                $0.overdueOnly = true
              })
          }
          #expect(otherFilter?.code == .invalidArgument)

          let early = try await staff.support.listTickets(.with { $0.overdueOnly = true }).tickets
          #expect(early.isEmpty)
          clock.advance(by: 16 * 60)
          _ = try await staff.support.reply(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.ticketNumber = numbers[1]
              $0.body = "Looking into it."
            })
          let overdue = try await staff.support.listTickets(.with { $0.overdueOnly = true }).tickets
          #expect(overdue.map(\.number) == [numbers[2], numbers[0]])
        }
      }
    }
  }
}
