import Crypto
import EtimadKit
import Foundation
import Testing

@testable import EtimadSupport

/// A Riyadh wall-clock time (UTC+3, no daylight saving time).
func riyadh(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Date {
  RiyadhCalendars.gregorian.date(
    from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
}

@Suite("Contact hours in Riyadh time")
struct ContactHoursTests {
  let hours = WeeklyHours.etimad

  @Test("open 08:00-22:00 on a weekday, closed around midnight")
  func weekday() {
    // 2026-12-08 is a Tuesday.
    #expect(!hours.isOpen(at: riyadh(2026, 12, 8, 7, 59, 59)))
    #expect(hours.isOpen(at: riyadh(2026, 12, 8, 8, 0)))
    #expect(hours.isOpen(at: riyadh(2026, 12, 8, 21, 59, 59)))
    #expect(!hours.isOpen(at: riyadh(2026, 12, 8, 22, 0)))
    #expect(!hours.isOpen(at: riyadh(2026, 12, 8, 23, 59, 59)))
    #expect(!hours.isOpen(at: riyadh(2026, 12, 9, 0, 0)))
    // Closed at 23:30 Tuesday: opens Wednesday 08:00; open at 21:00: closes 22:00.
    #expect(hours.nextChange(after: riyadh(2026, 12, 8, 23, 30)) == riyadh(2026, 12, 9, 8, 0))
    #expect(hours.nextChange(after: riyadh(2026, 12, 9, 0, 10)) == riyadh(2026, 12, 9, 8, 0))
    #expect(hours.nextChange(after: riyadh(2026, 12, 8, 21, 0)) == riyadh(2026, 12, 8, 22, 0))
  }

  @Test("Friday 13:00-21:00, and the nights on either side")
  func friday() {
    // 2026-12-11 is a Friday.
    #expect(!hours.isOpen(at: riyadh(2026, 12, 11, 10, 0)))
    #expect(!hours.isOpen(at: riyadh(2026, 12, 11, 12, 59)))
    #expect(hours.isOpen(at: riyadh(2026, 12, 11, 13, 0)))
    #expect(hours.isOpen(at: riyadh(2026, 12, 11, 20, 59)))
    #expect(!hours.isOpen(at: riyadh(2026, 12, 11, 21, 0)))
    #expect(!hours.isOpen(at: riyadh(2026, 12, 11, 21, 30)))
    // Thursday 23:00 -> Friday 13:00; Friday 21:30 -> Saturday 08:00.
    #expect(hours.nextChange(after: riyadh(2026, 12, 10, 23, 0)) == riyadh(2026, 12, 11, 13, 0))
    #expect(hours.nextChange(after: riyadh(2026, 12, 11, 21, 30)) == riyadh(2026, 12, 12, 8, 0))
    #expect(hours.nextChange(after: riyadh(2026, 12, 11, 14, 0)) == riyadh(2026, 12, 11, 21, 0))
  }

  @Test("Riyadh time, not UTC: 20:30 UTC is 23:30 in Riyadh, closed")
  func timeZone() {
    let utc = Date(timeIntervalSince1970: 1_796_675_400)  // 2026-12-07 20:30 UTC (Monday)
    #expect(!hours.isOpen(at: utc))
    #expect(hours.isOpen(at: utc - 3 * 3600))  // 17:30 UTC = 20:30 Riyadh
  }
}

@Suite("The proof-of-work challenge")
struct ChallengeTests {
  let issuer = ChallengeIssuer(key: SymmetricKey(size: .bits256), bits: 8)
  let now = Date(timeIntervalSince1970: 1_796_675_400)

  @Test("a solved challenge passes once per id; unsolved, expired, other peer, forged are refused")
  func outcomes() throws {
    let issued = issuer.issue(host: "ipv4:10.0.0.1", now: now)
    #expect(issued.expireTime == now + 300)
    let nonce = ProofOfWork.solve(challenge: issued.challenge, bits: issued.bits)
    let spent = try issuer.check(challenge: issued.challenge, nonce: nonce, host: "ipv4:10.0.0.1", now: now + 10)
    #expect(spent.expireTime == issued.expireTime)
    var unsolved: UInt64 = nonce &+ 1
    while ProofOfWork.isSolved(challenge: issued.challenge, nonce: unsolved, bits: 8) { unsolved &+= 1 }
    #expect(throws: ChallengeProblem.notSolved) {
      try issuer.check(challenge: issued.challenge, nonce: unsolved, host: "ipv4:10.0.0.1", now: now)
    }
    #expect(throws: ChallengeProblem.expired) {
      try issuer.check(challenge: issued.challenge, nonce: nonce, host: "ipv4:10.0.0.1", now: now + 300)
    }
    #expect(throws: ChallengeProblem.otherPeer) {
      try issuer.check(challenge: issued.challenge, nonce: nonce, host: "ipv4:10.0.0.2", now: now)
    }
    #expect(throws: ChallengeProblem.missing) {
      try issuer.check(challenge: "", nonce: 0, host: "ipv4:10.0.0.1", now: now)
    }
    var forged = Array(issued.challenge)
    forged[4] = forged[4] == "0" ? "1" : "0"
    #expect(throws: ChallengeProblem.invalid) {
      try issuer.check(challenge: String(forged), nonce: nonce, host: "ipv4:10.0.0.1", now: now)
    }
    let other = ChallengeIssuer(key: SymmetricKey(size: .bits256), bits: 8)
    #expect(throws: ChallengeProblem.invalid) {
      try other.check(challenge: issued.challenge, nonce: nonce, host: "ipv4:10.0.0.1", now: now)
    }
  }

  @Test("leading zero bits are counted across bytes")
  func zeroBits() {
    #expect(ProofOfWork.leadingZeroBits([0, 0, 0x10, 0xFF]) == 19)
    #expect(ProofOfWork.leadingZeroBits([0x80]) == 0)
    #expect(ProofOfWork.leadingZeroBits([0, 0]) == 16)
  }
}

@Suite("Ticket rules")
struct TicketRulesTests {
  static func ticket(_ status: TicketStatus, owner: String? = "1012345672") -> Ticket {
    Ticket(
      id: 1, number: "ET-2612-000001", status: status,
      requester: RequesterDetails(
        name: "نورة", document: .nationalID, documentNumber: "1012345672",
        mobile: try! SaudiMobile(parsing: "0501234567"), email: "n@example.sa"),
      owner: owner, mainService: "debts", subService: "debts.view", kind: .enquiry, title: "t", details: "d",
      openTime: Date(timeIntervalSince1970: 0), updateTime: Date(timeIntervalSince1970: 0), firstResponseTime: nil,
      assignee: nil)
  }

  /// Every status x every target, written out: "x" allowed.
  static let table: [TicketStatus: String] = [
    // open in_progress awaiting resolved closed
    .open: ". x x x x",
    .inProgress: ". . x x x",
    .awaitingRequester: ". x . x x",
    .resolved: ". x . . x",
    .closed: ". . . . .",
  ]

  @Test("staff moves follow the transition table")
  func transitions() {
    for (from, row) in Self.table {
      for (index, mark) in row.split(separator: " ").enumerated() {
        let to = TicketStatus.allCases[index]
        let result = Result { () throws(TicketRuleError) in
          try TicketRules.changeStatus(Self.ticket(from), to: to, employee: "e1")
        }
        switch result {
        case .success(let decision): #expect(mark == "x" && decision.status == to, "\(from) -> \(to)")
        case .failure: #expect(mark == ".", "\(from) -> \(to)")
        }
      }
    }
  }

  @Test("a requester's message reopens a resolved ticket; a closed one refuses it")
  func requesterMessages() throws {
    #expect(try TicketRules.requesterMessage(Self.ticket(.resolved), body: "x").status == .open)
    #expect(try TicketRules.requesterMessage(Self.ticket(.awaitingRequester), body: "x").status == .inProgress)
    #expect(try TicketRules.requesterMessage(Self.ticket(.inProgress), body: "x").status == nil)
    #expect(throws: TicketRuleError.closed) { try TicketRules.requesterMessage(Self.ticket(.closed), body: "x") }
  }

  @Test("the first reply sets the first response time and takes an open ticket up")
  func replies() throws {
    let now = Date(timeIntervalSince1970: 600)
    let decision = try TicketRules.reply(Self.ticket(.open), body: "answer", employee: "e1", now: now)
    #expect(decision.status == .inProgress && decision.firstResponseTime == now && decision.sms != nil)
    #expect(decision.message?.kind == .reply)
    var answered = Self.ticket(.inProgress)
    answered.firstResponseTime = Date(timeIntervalSince1970: 60)
    #expect(try TicketRules.reply(answered, body: "more", employee: "e1", now: now).firstResponseTime == nil)
  }

  @Test("only its owner, its token holder or staff read a ticket")
  func reading() {
    let ticket = Self.ticket(.open)
    #expect(TicketRules.canRead(ticket, as: .individual("1012345672")))
    #expect(!TicketRules.canRead(ticket, as: .individual("2044556671")))
    #expect(TicketRules.canRead(ticket, as: .tokenHolder("ET-2612-000001")))
    #expect(!TicketRules.canRead(ticket, as: .tokenHolder("ET-2612-000002")))
    #expect(TicketRules.canRead(ticket, as: .staff("e1")))
  }

  @Test("numbers read ET-YYMM-sequence in Riyadh's month")
  func numbers() {
    #expect(TicketRules.number(month: "2612", sequence: 123) == "ET-2612-000123")
    // 2026-11-30 22:30 UTC is already December 1st in Riyadh.
    #expect(TicketRules.month(of: Date(timeIntervalSince1970: 1_796_077_800)) == "2612")
  }
}

@Suite("Contact form validation")
struct TicketValidationTests {
  static func form() -> TicketForm {
    var form = TicketForm()
    form.name = "Noura Al-Otaibi"
    form.document = .nationalID
    form.documentNumber = "1012345672"
    form.mobile = "0501234567"
    form.email = "noura@example.sa"
    form.mainService = "debts"
    form.subService = "debts.payment"
    form.kind = .complaint
    form.title = "Payment not shown"
    form.details = "I paid the debt through SADAD yesterday."
    return form
  }

  @Test("a complete form passes and the mobile is normalised")
  func valid() throws {
    let draft = try TicketValidation.draft(Self.form(), profile: nil).get()
    #expect(draft.requester.mobile.e164 == "+966501234567")
  }

  @Test("each document type has its own check; every wrong field is named at once")
  func invalid() {
    var form = Self.form()
    form.document = .iqama  // a national ID number under iqama
    form.mobile = "12345"
    form.email = "not-an-email"
    form.subService = "tenders.search"  // not a debts sub service
    form.kind = nil
    form.title = "x"
    guard case .failure(let error) = TicketValidation.draft(form, profile: nil) else {
      Issue.record("accepted")
      return
    }
    #expect(
      Set(error.fieldViolations.map(\.field)) == [
        "requester.document.number", "requester.mobile", "requester.email", "sub_service_code", "request_type", "title",
      ])
    var passport = Self.form()
    passport.document = .passport
    passport.documentNumber = "a1234567"
    #expect((try? TicketValidation.draft(passport, profile: nil).get())?.requester.documentNumber == "A1234567")
    passport.documentNumber = "12"
    #expect((try? TicketValidation.draft(passport, profile: nil).get()) == nil)
    var border = Self.form()
    border.document = .borderNumber
    border.documentNumber = "3123456789"
    #expect((try? TicketValidation.draft(border, profile: nil).get()) != nil)
  }

  @Test("e-mail syntax")
  func emails() {
    for good in ["a@b.sa", "first.last+tag@mail.example.com"] { #expect(TicketValidation.isEmail(good), "\(good)") }
    for bad in ["", "a", "a@b", "a@@b.sa", ".a@b.sa", "a..b@c.sa", "a@-b.sa", "a@b.s1", "a b@c.sa"] {
      #expect(!TicketValidation.isEmail(bad), "\(bad)")
    }
  }
}

@Suite("Support figures")
struct SupportFiguresTests {
  @Test("p50/p90 by nearest rank; the share counts tickets opened while open")
  func figures() {
    let open = riyadh(2026, 12, 8, 10, 0)  // Tuesday, open
    let closed = riyadh(2026, 12, 8, 23, 0)  // closed
    let samples = [
      ResponseSample(openTime: open, firstResponseTime: open + 300),
      ResponseSample(openTime: open, firstResponseTime: open + 1200),
      ResponseSample(openTime: open, firstResponseTime: nil),
      ResponseSample(openTime: closed, firstResponseTime: closed + 36_000),
    ]
    let figures = SupportFigures.compute(samples, hours: .etimad, target: 900)
    #expect(figures.opened == 4 && figures.answered == 3)
    #expect(figures.firstResponseP50 == 1200 && figures.firstResponseP90 == 36_000)
    #expect(figures.openedWhileOpen == 3)
    #expect(abs(figures.shareWithinTarget - 1.0 / 3) < 1e-9)
  }
}
