import Etimad
import EtimadKit
import EtimadProtos
import EtimadTestSupport
import Foundation
import GRPCCore
import Testing

@Suite("Support: channels, catalogue and the challenge over real TLS")
struct SupportTests {
  @Test("open now follows the server clock in Riyadh time: around midnight and on Friday")
  func hours() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.withSupport(clock: clock) { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        func channels(at date: Date) async throws -> Etimad_Support_V1_GetContactChannelsResponse {
          clock.set(date)
          return try await client.support.getContactChannels(.init())
        }
        // Tuesday 2026-12-08, 23:59:30 and Wednesday 00:00:30 Riyadh: closed until 08:00.
        for date in [riyadhTime(2026, 12, 8, 23, 59, 30), riyadhTime(2026, 12, 9, 0, 0, 30)] {
          let answer = try await channels(at: date)
          #expect(answer.timeZone == "Asia/Riyadh")
          #expect(answer.channels.allSatisfy { !$0.openNow })
          #expect(answer.channels.allSatisfy { $0.nextChangeTime.date == riyadhTime(2026, 12, 9, 8, 0) })
        }
        let morning = try await channels(at: riyadhTime(2026, 12, 9, 8, 0))
        #expect(morning.channels.allSatisfy { $0.openNow })
        #expect(morning.responseTarget.seconds == 900)
        // Friday 2026-12-11: closed at 12:59, open 13:00-21:00, closed from 21:00 to Saturday 08:00.
        let noon = try await channels(at: riyadhTime(2026, 12, 11, 12, 59))
        #expect(noon.channels.allSatisfy { !$0.openNow })
        let friday = try await channels(at: riyadhTime(2026, 12, 11, 13, 0))
        #expect(friday.channels.allSatisfy { $0.openNow && $0.nextChangeTime.date == riyadhTime(2026, 12, 11, 21, 0) })
        let night = try await channels(at: riyadhTime(2026, 12, 11, 21, 0))
        #expect(night.channels.allSatisfy { !$0.openNow && $0.nextChangeTime.date == riyadhTime(2026, 12, 12, 8, 0) })
        let centre = try #require(night.channels.first { $0.code == "unified_centre" })
        #expect(centre.address == "1990" && centre.kind == .phone)
        #expect(
          centre.weeklyHours.map(\.text) == Array(repeating: "08:00-22:00", count: 5) + ["13:00-21:00", "08:00-22:00"])
        #expect(centre.weeklyHours[5].day == .friday && centre.weeklyHours[5].opensMinute == 780)
        #expect(night.channels.contains { $0.kind == .email } && night.channels.contains { $0.kind == .social })
      }
    }
  }

  @Test("the catalogue lists the seven main services with sub services and four request types")
  func catalogue() async throws {
    try await TestDaemon.withSupport { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let catalogue = try await client.support.listSupportCatalogue(.init())
        #expect(
          catalogue.mainServices.map(\.code) == [
            "debts", "invoices", "payments", "tenders", "travel", "account", "other",
          ])
        #expect(
          catalogue.mainServices.allSatisfy { main in
            !main.subServices.isEmpty && main.subServices.allSatisfy { $0.code.hasPrefix(main.code + ".") }
          })
        #expect(catalogue.mainServices[0].name.ar == "الديون" && catalogue.mainServices[0].name.en == "Debts")
        #expect(catalogue.requestTypes.map(\.type) == [.enquiry, .complaint, .suggestion, .technicalProblem])
      }
    }
  }

  @Test("the challenge: solved, missing, unsolved, reused, expired and from another peer")
  func challenge() async throws {
    let clock = ManualClock(Date())
    // Listening on :: (dual stack) lets one machine call from two addresses: 127.0.0.1 and ::1.
    try await TestDaemon.withSupport(clock: clock, configure: { $0.host = "::" }) { daemon in
      var ipv6 = daemon.publicClient(language: "en")
      ipv6.host = "::1"
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { client in
        let missing = await failure { _ = try await client.openTicket(supportForm()) }
        #expect(missing?.code == .invalidArgument && missing?.reason == "CHALLENGE_REQUIRED")

        let issued = try await client.support.getChallenge(.init())
        #expect(issued.difficultyBits == 6)
        var nonce: UInt64 = 0
        while SupportChallenge.isSolved(issued.challenge, nonce: nonce, bits: 6) { nonce += 1 }
        let unsolved = await failure {
          _ = try await client.openTicket(
            supportForm(),
            challenge: .with {
              $0.challenge = issued.challenge
              $0.nonce = nonce
            })
        }
        #expect(unsolved?.code == .invalidArgument && unsolved?.reason == "CHALLENGE_NOT_SOLVED")

        let solved = Etimad_Support_V1_ChallengeSolution.with {
          $0.challenge = issued.challenge
          $0.nonce = SupportChallenge.solve(issued.challenge, bits: 6)
        }
        let ticket = try await client.openTicket(supportForm(), challenge: solved)
        #expect(ticket.number.wholeMatch(of: /ET-\d{4}-\d{6}/) != nil)
        #expect(ticket.status == .open && !ticket.openedSignedIn)
        #expect(ticket.requester.mobile == "+9665••••2233")
        try await daemon.sms(to: "+966551112233", containing: ticket.number)

        let reused = await failure { _ = try await client.openTicket(supportForm(), challenge: solved) }
        #expect(reused?.code == .failedPrecondition && reused?.reason == "CHALLENGE_USED")

        let old = try await client.solvedChallenge()
        clock.advance(by: 301)
        let expired = await failure { _ = try await client.openTicket(supportForm(), challenge: old) }
        #expect(expired?.code == .failedPrecondition && expired?.reason == "CHALLENGE_EXPIRED")

        let fromIPv4 = try await client.solvedChallenge()
        try await EtimadClient.withClient(ipv6) { other in
          let foreign = await failure { _ = try await other.openTicket(supportForm(), challenge: fromIPv4) }
          #expect(foreign?.code == .permissionDenied && foreign?.reason == "CHALLENGE_OTHER_PEER")
          // Its own challenge works from there.
          _ = try await other.openTicket(supportForm(), challenge: try await other.solvedChallenge())
        }
      }
    }
  }

  @Test("the probe solves a challenge that opens a ticket")
  func probeSolves() async throws {
    try await TestDaemon.withSupport { daemon in
      let run = try await ProgramRun.run(
        Products.path("etimad-probe"),
        [
          "support-challenge", "--format", "json", "--addr", "localhost:\(daemon.endpoints.publicPort)",
          "--tls-ca-cert", daemon.daemon.identity.paths.caCertificate,
        ])
      #expect(run.status == 0, "\(run.stderr)")
      let solution = try Etimad_Support_V1_ChallengeSolution(jsonString: run.stdout)
      #expect(SupportChallenge.isSolved(solution.challenge, nonce: solution.nonce, bits: 6))
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        _ = try await client.openTicket(supportForm(), challenge: solution)
      }
    }
  }

  @Test("the same request_id twice opens one ticket")
  func exactlyOnce() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.withSupport(clock: clock) { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let challenge = try await client.solvedChallenge()
        let requestID = EtimadClient.newRequestID()
        let first = try await client.openTicket(supportForm(), challenge: challenge, requestID: requestID)
        let second = try await client.openTicket(supportForm(), challenge: challenge, requestID: requestID)
        #expect(first == second)
        // A retry after its challenge expired still gets the first answer.
        clock.advance(by: 600)
        let late = try await client.openTicket(supportForm(), challenge: challenge, requestID: requestID)
        #expect(late == first)
        let changed = await failure {
          _ = try await client.openTicket(supportForm(title: "Another"), challenge: challenge, requestID: requestID)
        }
        #expect(changed?.code == .invalidArgument && changed?.reason == "REQUEST_ID_REUSED")
        let next = try await client.openTicket(supportForm(), challenge: try await client.solvedChallenge())
        #expect(next.number != first.number)
        let staff = try await daemon.supportStaff()
        try await EtimadClient.withClient(staff) { staff in
          let listed = try await staff.support.listTickets(.init()).tickets.map(\.number)
          #expect(listed == [next.number, first.number])
        }
      }
    }
  }

  @Test("invalid fields are named at once; calls per peer are limited")
  func validationAndLimits() async throws {
    // A clock that stands still: the limit does not refill however slow the machine.
    try await TestDaemon.withSupport(clock: ManualClock(Date()), configure: { $0.supportRatePerPeer = 3 }) { daemon in
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { client in
        var form = supportForm()
        form.requester.document.type = .iqama
        form.requester.mobile = "0123"
        form.requester.email = "khalid@"
        do {
          _ = try await client.openTicket(form, challenge: try await client.solvedChallenge())
          Issue.record("accepted")
        } catch let error as RPCError {
          #expect(error.code == .invalidArgument)
          #expect(
            Set(error.etimadDetails?.fieldViolations.map(\.field) ?? [])
              == ["requester.document.number", "requester.mobile", "requester.email"])
        }
        // Two calls made (GetChallenge, OpenTicket); the third passes, the fourth is refused.
        _ = try await client.support.getChallenge(.init())
        let limited = await failure { _ = try await client.support.getChallenge(.init()) }
        #expect(limited?.code == .resourceExhausted && limited?.reason == "RATE_LIMITED" && limited?.retryAfter != nil)
      }
    }
  }
}
