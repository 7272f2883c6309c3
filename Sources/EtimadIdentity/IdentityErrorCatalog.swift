import EtimadKit
import Foundation

extension IdentityErrors {
  /// Every error of the area, with counts that exercise each plural form, so that a test
  /// reads each text a person can see in both languages.
  static var catalog: [EtimadError] {
    let now = Date(timeIntervalSince1970: 1_800_000_000)
    let counts = [0, 1, 2, 3, 10, 11, 99, 100, 101]
    return [
      invalidCredentials, ticketInvalid, ticketUsed, codeExpired, tooManyAttempts, tooManyResends,
      civilRecordMismatch, alreadyRegistered, invalidToken, tokenOnAgencyPort, agencyCertificateRequired,
      agencyNotRecognised, certificateExpired, employeeRequired, sessionNotFound, rateLimited(.seconds(5)),
    ]
      + counts.map { locked(until: now.addingTimeInterval(Double($0 * 60)), now: now) }
      + counts.map { wrongCode(attemptsLeft: $0) }
      + counts.map { resendTooSoon(after: Double($0)) }
      + counts.map { wrongPassword(attemptsLeft: $0) }
  }
}
