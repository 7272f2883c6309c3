import Etimad
import EtimadIdentity
import EtimadKit
import EtimadServer
import Foundation
import GRPCCore
import Testing

@Suite("National single sign-on")
struct IdentityTests {
  @Test("registration, login with the code from the SMS, who-am-i, sessions and logout")
  func fullJourney() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        // Given a citizen on the civil record who registers
        try await daemon.register(client)
        // When they sign in with the code sent to the mobile on record
        try await daemon.signIn(client)
        // Then who-am-i names them and their session
        let me = try await client.whoAmI()
        #expect(me.kind == .individual)
        #expect(me.account.personID.number == TestDaemon.citizen.idNumber)
        #expect(me.account.name.ar == "نورة العتيبي")
        #expect(me.account.maskedMobile == "+9665••••4567")
        #expect(me.session.current)
        let sessions = try await client.identity.listSessions(.init()).sessions
        #expect(sessions.count == 1)
        // And after logout the token is refused at once
        let token = try #require(client.session.value)
        try await client.logout()
        client.session.value = token
        let refused = await failure { _ = try await client.whoAmI() }
        #expect(refused?.code == .unauthenticated)
        #expect(refused?.reason == "INVALID_TOKEN")
      }
      // And the audit trail recorded the journey
      let audit = try await daemon.daemon.database.read { db in
        try AuditLog.entries(db, target: "account/\(TestDaemon.citizen.idNumber)").map(\.summary)
      }
      #expect(audit.contains("registered"))
      #expect(audit.contains { $0.hasPrefix("login succeeded") })
      #expect(audit.contains { $0.hasPrefix("logout") })
    }
  }

  @Test("a Hijri birth date is converted with Umm al-Qura")
  func hijriBirthDate() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        // 1990-03-15 is 17 Sha'ban 1410 in Umm al-Qura.
        let challenge = try await client.startRegistration(
          idNumber: TestDaemon.citizen.idNumber,
          birthDate: .with {
            $0.year = 1410
            $0.month = 8
            $0.day = 17
            $0.calendar = .hijri
          }, email: "noura@example.sa", password: TestDaemon.password)
        #expect(!challenge.ticket.isEmpty)
      }
    }
  }

  @Test("registration refuses bad IDs, bad dates, a weak password, and a record that does not match")
  func registrationRefusals() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { client in
        func start(_ id: String, _ date: (Int32, Int32, Int32), password: String = TestDaemon.password) async throws {
          _ = try await client.startRegistration(
            idNumber: id,
            birthDate: .with {
              $0.year = date.0
              $0.month = date.1
              $0.day = date.2
            }, email: "x@example.sa", password: password)
        }
        do {
          try await start("1012345673", (1990, 2, 30), password: "short")
          Issue.record("accepted")
        } catch let error as RPCError {
          let fields = error.etimadDetails?.fieldViolations ?? []
          #expect(error.code == .invalidArgument)
          #expect(fields.contains { $0.field == "person_id.number" && $0.reason == "CHECK_DIGIT" })
          #expect(fields.contains { $0.field == "birth_date" })
          #expect(fields.contains { $0.field == "password" && $0.reason == "TOO_SHORT" })
        }
        let zero = await failure { try await start("0012345672", (1990, 3, 15)) }
        #expect(zero?.code == .invalidArgument)
        let future = await failure { try await start(TestDaemon.citizen.idNumber, (2999, 1, 1)) }
        #expect(future?.code == .invalidArgument)
        let idInPassword = await failure {
          try await start(TestDaemon.citizen.idNumber, (1990, 3, 15), password: "a" + TestDaemon.citizen.idNumber)
        }
        #expect(idInPassword?.code == .invalidArgument)
        let mismatch = await failure { try await start(TestDaemon.citizen.idNumber, (1990, 3, 16)) }
        #expect(mismatch?.reason == "CIVIL_RECORD_MISMATCH")
        let stranger = await failure { try await start("1000000008", (1990, 3, 15)) }
        #expect(stranger?.reason == "CIVIL_RECORD_MISMATCH")
      }
    }
  }

  @Test("the code only ever goes to the mobile on record")
  func codeGoesToRecordedMobile() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let before = daemon.smsCount()
        let challenge = try await client.startRegistration(
          idNumber: TestDaemon.resident.idNumber,
          birthDate: .with {
            $0.year = 1985
            $0.month = 11
            $0.day = 2
          }, email: "ahmed@example.sa", password: TestDaemon.password)
        #expect(challenge.maskedMobile.hasSuffix("6543"))
        _ = try await daemon.code(to: TestDaemon.resident.mobile, after: before)
        let log = try String(contentsOfFile: daemon.smsLog, encoding: .utf8)
        #expect(log.split(separator: "\n").dropFirst(before).allSatisfy { $0.contains("to=+966559876543 ") })
        let mode = try FileManager.default.attributesOfItem(atPath: daemon.smsLog)[.posixPermissions] as? Int
        #expect(mode == 0o600)
      }
    }
  }

  @Test("five wrong codes spend the ticket; the right code is then refused too")
  func wrongCodes() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        try await daemon.register(client)
        let before = daemon.smsCount()
        let challenge = try await client.startLogin(
          idNumber: TestDaemon.citizen.idNumber, password: TestDaemon.password)
        let code = try await daemon.code(to: TestDaemon.citizen.mobile, after: before)
        let wrong = code == "000000" ? "111111" : "000000"
        var reasons: [String?] = []
        for _ in 0..<5 {
          reasons.append(
            await failure { try await client.completeLogin(ticket: challenge.ticket, code: wrong) }?.reason)
        }
        #expect(reasons == ["WRONG_CODE", "WRONG_CODE", "WRONG_CODE", "WRONG_CODE", "TOO_MANY_ATTEMPTS"])
        let right = await failure { try await client.completeLogin(ticket: challenge.ticket, code: code) }
        #expect(right?.reason == "TOO_MANY_ATTEMPTS")
        // And each counted wrong code is in the account's trail; the refusals after it are not
        let audit = try await daemon.daemon.database.read { db in
          try AuditLog.entries(db, target: "account/\(TestDaemon.citizen.idNumber)").map(\.summary)
        }
        #expect(
          audit.filter { $0.hasPrefix("wrong one-time code") } == [
            "wrong one-time code; 4 attempts left", "wrong one-time code; 3 attempts left",
            "wrong one-time code; 2 attempts left", "wrong one-time code; 1 attempt left",
            "wrong one-time code; no attempts left, code void",
          ])
      }
    }
  }

  @Test("a code expires after five minutes, and a used code is not accepted again")
  func expiredAndReused() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock) { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        try await daemon.register(client)
        var before = daemon.smsCount()
        var challenge = try await client.startLogin(
          idNumber: TestDaemon.citizen.idNumber, password: TestDaemon.password)
        var code = try await daemon.code(to: TestDaemon.citizen.mobile, after: before)
        clock.advance(by: 301)
        let expired = await failure { try await client.completeLogin(ticket: challenge.ticket, code: code) }
        #expect(expired?.reason == "CODE_EXPIRED")

        before = daemon.smsCount()
        challenge = try await client.startLogin(idNumber: TestDaemon.citizen.idNumber, password: TestDaemon.password)
        code = try await daemon.code(to: TestDaemon.citizen.mobile, after: before)
        // The same request retried returns the same session; a new request with the code is refused.
        let request = Etimad_Identity_V1_VerifyLoginRequest.with {
          $0.requestID = EtimadClient.newRequestID()
          $0.ticket = challenge.ticket
          $0.code = code
        }
        let first = try await client.identity.verifyLogin(request)
        let retry = try await client.identity.verifyLogin(request)
        #expect(first.accessToken == retry.accessToken)
        let reused = await failure { try await client.completeLogin(ticket: challenge.ticket, code: code) }
        #expect(reused?.reason == "TICKET_USED")
      }
    }
  }

  @Test("an unknown ID and a wrong password get the same answer; five failures lock the account for 15 minutes")
  func lockout() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock) { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        try await daemon.register(client)
        let unknown = await failure { _ = try await client.startLogin(idNumber: "1000000008", password: "Whatever123") }
        let wrong = await failure {
          _ = try await client.startLogin(idNumber: TestDaemon.citizen.idNumber, password: "Wrong12345")
        }
        #expect(unknown?.code == .unauthenticated && unknown?.reason == "INVALID_CREDENTIALS")
        #expect(wrong?.code == unknown?.code && wrong?.reason == unknown?.reason)
        var last: (code: RPCError.Code, reason: String?, retryAfter: Duration?)?
        for _ in 0..<4 {
          last = await failure {
            _ = try await client.startLogin(idNumber: TestDaemon.citizen.idNumber, password: "Wrong12345")
          }
        }
        #expect(last?.code == .resourceExhausted)
        #expect(last?.reason == "ACCOUNT_LOCKED")
        #expect(last?.retryAfter == .seconds(900))
        // The right password is refused while locked
        let locked = await failure {
          _ = try await client.startLogin(idNumber: TestDaemon.citizen.idNumber, password: TestDaemon.password)
        }
        #expect(locked?.reason == "ACCOUNT_LOCKED")
        // and accepted after 15 minutes
        clock.advance(by: 15 * 60 + 1)
        try await daemon.signIn(client)
        let audit = try await daemon.daemon.database.read { db in
          try AuditLog.entries(db, target: "account/\(TestDaemon.citizen.idNumber)").map(\.summary)
        }
        #expect(audit.contains("login failed; account locked for 15 minutes"))
      }
    }
  }

  @Test("a password change revokes the other sessions; a reset through the SMS code revokes all")
  func passwordChangeAndReset() async throws {
    try await TestDaemon.with { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { first in
        try await daemon.register(first)
        try await daemon.signIn(first)
        try await EtimadClient.withClient(daemon.publicClient()) { second in
          try await daemon.signIn(second)
          _ = try await first.identity.changePassword(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.currentPassword = TestDaemon.password
              $0.newPassword = "Changed2026x"
            })
          #expect(try await first.whoAmI().kind == .individual)
          let other = await failure { _ = try await second.whoAmI() }
          #expect(other?.reason == "INVALID_TOKEN")
          // Reset with the code sent to the mobile on record
          second.session.value = nil
          let before = daemon.smsCount()
          let reset = try await second.identity.startPasswordReset(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.personID.number = TestDaemon.citizen.idNumber
              $0.birthDate = .with {
                $0.year = 1990
                $0.month = 3
                $0.day = 15
              }
            })
          let code = try await daemon.code(to: TestDaemon.citizen.mobile, after: before)
          _ = try await second.identity.completePasswordReset(
            .with {
              $0.requestID = EtimadClient.newRequestID()
              $0.ticket = reset.challenge.ticket
              $0.code = code
              $0.newPassword = TestDaemon.password
            })
          let revoked = await failure { _ = try await first.whoAmI() }
          #expect(revoked?.reason == "INVALID_TOKEN")
          first.session.value = nil
          try await daemon.signIn(first)
        }
      }
    }
  }

  @Test("sign-in calls are rate limited per ID with RetryInfo")
  func rateLimit() async throws {
    try await TestDaemon.with(configure: { $0.signInRatePerID = 3 }) { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        var reasons: [String?] = []
        for _ in 0..<4 {
          reasons.append(
            await failure {
              _ = try await client.startLogin(idNumber: TestDaemon.resident.idNumber, password: "Wrong12345")
            }?.reason)
        }
        #expect(reasons.prefix(3).allSatisfy { $0 == "INVALID_CREDENTIALS" })
        #expect(reasons.last == "RATE_LIMITED")
      }
    }
  }

  @Test("an unknown ID is locked like a registered one: the same answers, metadata and retry after five failures")
  func lockoutDoesNotRevealAccounts() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock) { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        // Given a registered citizen, an unregistered resident on the civil record, and a valid
        // ID nobody holds
        try await daemon.register(client)
        let ids = [TestDaemon.citizen.idNumber, TestDaemon.resident.idNumber, "1000000008"]
        var answers: [String: [EtimadErrorDetails?]] = [:]
        // When each gets six wrong passwords
        for id in ids {
          for _ in 0..<6 {
            answers[id, default: []].append(
              await failureDetails { _ = try await client.startLogin(idNumber: id, password: "Wrong12345") })
          }
        }
        // Then every ID gets the same sequence: four INVALID_CREDENTIALS, then ACCOUNT_LOCKED
        // with locked_until and RetryInfo, and nothing that tells them apart
        for id in ids {
          let seen = try #require(answers[id])
          #expect(
            seen.map { $0?.reason } == Array(repeating: "INVALID_CREDENTIALS", count: 4) + [
              "ACCOUNT_LOCKED", "ACCOUNT_LOCKED",
            ], "\(id)")
          #expect(seen.last??.code == .resourceExhausted, "\(id)")
          #expect(seen.last??.retryAfter == .seconds(900), "\(id)")
          #expect(seen.last??.metadata["locked_until"] != nil, "\(id)")
        }
        func shape(_ details: EtimadErrorDetails?) -> String {
          guard let details else { return "accepted" }
          return
            "\(details.code) \(details.reason ?? "") \(details.metadata.keys.sorted()) \(details.retryAfter.map { "\($0)" } ?? "")"
            + " \(details.localizedMessage ?? "")"
        }
        let reference = answers[ids[0]]!.map(shape)
        for id in ids.dropFirst() { #expect(answers[id]!.map(shape) == reference, "\(id)") }
        // And after 15 minutes the lock ends for all, and the right password signs in
        clock.advance(by: 15 * 60 + 1)
        try await daemon.signIn(client)
        client.session.value = nil
        let unknown = await failure { _ = try await client.startLogin(idNumber: "1000000008", password: "Wrong12345") }
        #expect(unknown?.reason == "INVALID_CREDENTIALS")
      }
    }
  }

  @Test("wrong current passwords in ChangePassword count towards the lockout; the locking guess revokes the session")
  func changePasswordGuessesLock() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock) { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient(language: "en")) { client in
        // Given a signed-in citizen whose token was stolen
        try await daemon.register(client)
        try await daemon.signIn(client)
        func change(_ current: String) async -> EtimadErrorDetails? {
          await failureDetails {
            _ = try await client.identity.changePassword(
              .with {
                $0.requestID = EtimadClient.newRequestID()
                $0.currentPassword = current
                $0.newPassword = "Stolen2026xx"
              })
          }
        }
        // When the thief guesses the current password
        var answers: [EtimadErrorDetails?] = []
        for guess in 0..<5 { answers.append(await change("Guess\(guess)abc")) }
        // Then four guesses are refused with the attempts left, and the fifth locks the account
        #expect(answers.prefix(4).map { $0?.reason } == Array(repeating: "WRONG_PASSWORD", count: 4))
        #expect(answers.prefix(4).map { $0?.metadata["attempts_left"] } == ["4", "3", "2", "1"])
        #expect(answers[4]?.code == .resourceExhausted)
        #expect(answers[4]?.reason == "ACCOUNT_LOCKED")
        // And the session is revoked: the token no longer works, not even for the right password
        let afterLock = await failure { _ = try await client.whoAmI() }
        #expect(afterLock?.code == .unauthenticated)
        #expect(afterLock?.reason == "INVALID_TOKEN")
        #expect(await change(TestDaemon.password)?.reason == "INVALID_TOKEN")
        // And the account is locked for sign-in too, even with the right password
        client.session.value = nil
        let login = await failure {
          _ = try await client.startLogin(idNumber: TestDaemon.citizen.idNumber, password: TestDaemon.password)
        }
        #expect(login?.reason == "ACCOUNT_LOCKED")
        let audit = try await daemon.daemon.database.read { db in
          try AuditLog.entries(db, target: "account/\(TestDaemon.citizen.idNumber)").map(\.summary)
        }
        #expect(audit.contains { $0.hasPrefix("password change refused") && $0.contains("revoked") })
      }
    }
  }

  @Test("ChangePassword is rate limited per ID like the sign-in calls")
  func changePasswordRateLimit() async throws {
    let clock = ManualClock(Date())
    try await TestDaemon.with(clock: clock, configure: { $0.signInRatePerID = 3 }) { daemon in
      try await daemon.seedRegistry()
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        try await daemon.register(client)
        try await daemon.signIn(client)
        // The bucket refills with the (manual) clock: a minute later it is full again.
        clock.advance(by: 61)
        var reasons: [String?] = []
        for _ in 0..<4 {
          reasons.append(
            await failure {
              _ = try await client.identity.changePassword(
                .with {
                  $0.requestID = EtimadClient.newRequestID()
                  $0.currentPassword = "Wrong12345"
                  $0.newPassword = "Stolen2026xx"
                })
            }?.reason)
        }
        #expect(reasons == ["WRONG_PASSWORD", "WRONG_PASSWORD", "WRONG_PASSWORD", "RATE_LIMITED"])
      }
    }
  }
}
