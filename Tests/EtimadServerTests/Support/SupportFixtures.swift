import Etimad
import EtimadKit
import EtimadProtos
import EtimadServer
import Foundation
import GRPCCore

/// Forms, staff and SMS codes for the support tests, on a running `TestDaemon`.
extension TestDaemon {
  /// A daemon for the support tests: a cheap challenge (tests solve many) and the limits out
  /// of the way unless a test sets them.
  static func withSupport<T: Sendable>(
    clock: any WallClock = SystemClock(), configure: (inout ServerConfig) -> Void = { _ in },
    _ body: @Sendable (TestDaemon) async throws -> T
  ) async throws -> T {
    try await with(
      clock: clock,
      configure: {
        $0.supportChallengeBits = 6
        $0.supportRatePerPeer = 10_000
        $0.supportRatePerMobile = 10_000
        configure(&$0)
      }, body)
  }

  /// A client of the support agency's staff (agency `ETIMAD` on the agency port).
  func supportStaff(employee: String = "agent-1") async throws -> EtimadClient.Configuration {
    try await tendersAgency("ETIMAD", employee: employee)
  }

  /// The 6-digit code of the first SMS to `mobile` after line `after` that carries one,
  /// waiting for the outbox worker.
  func supportCode(to mobile: String, after: Int) async throws -> String {
    for _ in 0..<800 {
      let lines = ((try? String(contentsOfFile: smsLog, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst(after)
      for line in lines where line.contains("to=\(mobile) ") {
        if let match = line.firstMatch(of: /: (\d{6})\./) { return String(match.1) }
      }
      try await Task.sleep(for: .milliseconds(25))
    }
    throw TestFailure("no SMS with a code to \(mobile) after line \(after)")
  }

  /// Waits for an SMS to `mobile` containing `text`.
  func sms(to mobile: String, containing text: String) async throws {
    for _ in 0..<800 {
      let log = (try? String(contentsOfFile: smsLog, encoding: .utf8)) ?? ""
      if log.split(separator: "\n").contains(where: { $0.contains("to=\(mobile) ") && $0.contains(text) }) { return }
      try await Task.sleep(for: .milliseconds(25))
    }
    throw TestFailure("no SMS to \(mobile) containing \(text)")
  }
}

/// A complete anonymous contact form.
func supportForm(
  mobile: String = "0551112233", title: String = "Payment not shown"
) -> Etimad_Support_V1_OpenTicketRequest {
  .with {
    $0.requester = .with {
      $0.name = "Khalid Al-Harbi"
      $0.document = .with {
        $0.type = .nationalID
        $0.number = "1012345672"
      }
      $0.mobile = mobile
      $0.email = "khalid@example.sa"
    }
    $0.mainServiceCode = "debts"
    $0.subServiceCode = "debts.payment"
    $0.requestType = .complaint
    $0.title = title
    $0.details = "I paid the debt through SADAD yesterday and it still shows outstanding."
  }
}

/// A Riyadh wall-clock time (UTC+3, no daylight saving time).
func riyadhTime(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int = 0) -> Date {
  RiyadhCalendars.gregorian.date(
    from: DateComponents(year: year, month: month, day: day, hour: hour, minute: minute, second: second))!
}
