import Etimad
import EtimadIdentity
import EtimadKit
import EtimadServer
import Foundation
import GRPCCore
import Testing
import X509

/// People, agencies and codes for identity tests, on a running `TestDaemon`.
extension TestDaemon {
  static let password = "Sahara2026x"

  /// A citizen and a resident on the civil record.
  static let citizen = Person(
    idNumber: "1012345672", idType: "national_id", nameAr: "نورة العتيبي", nameEn: "Noura Al-Otaibi",
    birthDate: "1990-03-15", mobile: "+966501234567", nationality: "SA")
  static let resident: Person = {
    let prefix = "204455667"
    return Person(
      idNumber: prefix + String(NationalID.checkDigit(for: prefix)), idType: "iqama", nameAr: "أحمد حسن",
      nameEn: "Ahmed Hassan", birthDate: "1985-11-02", mobile: "+966559876543", nationality: "EG")
  }()

  func seedRegistry(_ persons: [Person] = [TestDaemon.citizen, TestDaemon.resident]) async throws {
    try await daemon.database.write(as: .operator("tests"), method: "etimadd registry import") { db, audit in
      try CivilRegistry.save(persons, db)
      try audit.record(target: "registry", summary: "imported \(persons.count) persons")
    }
  }

  var smsLog: String { dataDirectory + "/sms.log" }

  /// Lines of the SMS log so far; pass the count to `code(to:after:)` to wait for a new one.
  func smsCount() -> Int {
    ((try? String(contentsOfFile: smsLog, encoding: .utf8)) ?? "").split(separator: "\n").count
  }

  /// The code in the first SMS to `mobile` after line `after`, waiting for the outbox worker.
  func code(to mobile: String, after: Int) async throws -> String {
    for _ in 0..<200 {
      let lines = ((try? String(contentsOfFile: smsLog, encoding: .utf8)) ?? "").split(separator: "\n").dropFirst(after)
      if let line = lines.first(where: { $0.contains("to=\(mobile) ") }),
        let match = line.firstMatch(of: /: (\d{6})\./)
      {
        return String(match.1)
      }
      try await Task.sleep(for: .milliseconds(25))
    }
    throw TestFailure("no SMS to \(mobile) after line \(after)")
  }

  /// Registers and signs in `person`; returns the client's configuration with the token set.
  func signIn(_ client: EtimadClient, _ person: Person = TestDaemon.citizen) async throws {
    let before = smsCount()
    let challenge = try await client.startLogin(idNumber: person.idNumber, password: Self.password)
    try await client.completeLogin(ticket: challenge.ticket, code: try await code(to: person.mobile, after: before))
  }

  func register(_ client: EtimadClient, _ person: Person = TestDaemon.citizen) async throws {
    let before = smsCount()
    let parts = person.birthDate.split(separator: "-").map { Int32($0)! }
    let challenge = try await client.startRegistration(
      idNumber: person.idNumber,
      birthDate: .with {
        $0.year = parts[0]
        $0.month = parts[1]
        $0.day = parts[2]
      }, email: "someone@example.sa", password: Self.password)
    _ = try await client.completeRegistration(
      ticket: challenge.ticket, code: try await code(to: person.mobile, after: before))
  }

  /// Registers an agency and returns a client configuration for it on the agency port.
  func agencyClient(code: String = "MOF", employee: String? = "emp-1001") async throws -> EtimadClient.Configuration {
    let issued = try await AgencyAdministration(dataDirectory: dataDirectory).add(
      code: code, nameAr: "وزارة المالية", nameEn: "Ministry of Finance", outputDirectory: dataDirectory + "/agencies",
      operator: "test")
    var configuration = publicClient()
    configuration.port = endpoints.agencyPort
    configuration.clientIdentity = (
      try String(contentsOfFile: issued.certificatePath, encoding: .utf8),
      try String(contentsOfFile: issued.keyPath, encoding: .utf8)
    )
    configuration.employee = employee
    return configuration
  }
}

struct TestFailure: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

/// The code and Etimad reason of a failed call.
func failure(_ body: () async throws -> Void) async -> (code: RPCError.Code, reason: String?, retryAfter: Duration?)? {
  do {
    try await body()
    return nil
  } catch let error as RPCError {
    return (error.code, error.etimadDetails?.reason, error.etimadDetails?.retryAfter)
  } catch {
    return (.unknown, "\(error)", nil)
  }
}
