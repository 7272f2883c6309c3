import Etimad
import EtimadServer
import Foundation
import GRPCCore
import Testing

@Suite("Errors as google.rpc.Status")
struct ErrorDetailsTests {
  static let invalid = Etimad_Platform_V1_ValidateIdentifiersRequest.with {
    $0.personID.number = "1234567890"
    $0.iban = "SA0380000000608010167518"
    $0.mobile = "0111234567"
  }

  @Test(
    "every invalid field is reported with INVALID_ARGUMENT, in Arabic by default",
    arguments: [
      ("ar", "ar"), ("en-US,en;q=0.9", "en"), ("fr, ar;q=0.5", "ar"), ("de", "ar"),
    ])
  func languages(acceptLanguage: String, expected: String) async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient(language: acceptLanguage)) { client in
        let error = await #expect(throws: RPCError.self) {
          _ = try await client.platform.validateIdentifiers(Self.invalid)
        }
        let details = try #require(error?.etimadDetails)
        #expect(error?.code == .invalidArgument)
        #expect(details.reason == "INVALID_FIELDS")
        #expect(details.domain == "platform.etimad.sa")
        #expect(details.fieldViolations.map(\.field) == ["person_id.number", "iban", "mobile"])
        #expect(details.fieldViolations.map(\.reason) == ["CHECK_DIGIT", "CHECKSUM", "NOT_SAUDI_MOBILE"])
        let arabic = details.localizedMessage?.unicodeScalars.contains { (0x0600...0x06FF).contains($0.value) } ?? false
        #expect(arabic == (expected == "ar"))
        // The status message itself is for developers: always English.
        #expect(error?.message.unicodeScalars.allSatisfy { $0.isASCII } == true)
      }
    }
  }

  @Test("valid identifiers come back normalised, with the bank's name")
  func normalised() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let answer = try await client.platform.validateIdentifiers(
          .with {
            $0.personID.number = "١٠١٢٣٤٥٦٧٢"
            $0.iban = "sa03 8000 0000 6080 1016 7519"
            $0.mobile = "+966 50 123 4567"
          })
        #expect(answer.personID.number == "1012345672")
        #expect(answer.personID.type == .nationalID)
        #expect(answer.iban == "SA0380000000608010167519")
        #expect(answer.bankName.en == "Al Rajhi Bank")
        #expect(answer.mobile == "+966501234567")
      }
    }
  }
}
