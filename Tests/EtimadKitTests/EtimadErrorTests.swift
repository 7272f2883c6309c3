import GRPCCore
import GRPCProtobuf
import Testing

@testable import EtimadKit

@Suite("EtimadError as google.rpc.Status")
struct EtimadErrorTests {
  static let paymentTooLarge = EtimadError(
    code: .failedPrecondition,
    reason: "PAYMENT_EXCEEDS_BALANCE",
    domain: "debts.etimad.sa",
    message: LocalizedString(en: "The payment exceeds the balance.", ar: "المبلغ المدفوع يتجاوز الرصيد."),
    fieldViolations: [
      .init(
        field: "payment.amount", reason: "EXCEEDS_BALANCE",
        description: LocalizedString(en: "At most 15.00 SAR may be paid.", ar: "الحد الأقصى للدفع 15.00 ريال.")),
      .init(
        field: "request_id", reason: "REQUIRED",
        description: LocalizedString(en: "A request_id is required.", ar: "request_id مطلوب.")),
    ],
    metadata: ["balance_halalas": "1500", "debt": "debts/42"]
  )

  static let rateLimited = EtimadError(
    code: .resourceExhausted,
    reason: "RATE_LIMITED",
    domain: "etimad.sa",
    message: LocalizedString(en: "Too many requests.", ar: "طلبات كثيرة جدًا."),
    retryAfter: .seconds(30)
  )

  @Test("the code, the English status message and ErrorInfo carry the reason, domain and metadata")
  func codeAndErrorInfo() throws {
    for language in Language.allCases {
      // When the status is built in either language
      let status = Self.paymentTooLarge.googleRPCStatus(in: language)
      // Then the code is kept, the developer's message stays English, and ErrorInfo comes first
      #expect(status.code == .failedPrecondition)
      #expect(status.message == "The payment exceeds the balance.")
      let info = try #require(status.details.first?.errorInfo)
      #expect(info.reason == "PAYMENT_EXCEEDS_BALANCE")
      #expect(info.domain == "debts.etimad.sa")
      #expect(info.metadata == ["balance_halalas": "1500", "debt": "debts/42"])
      #expect(status.details.compactMap(\.errorInfo).count == 1)
    }
  }

  @Test(
    "BadRequest lists every field violation with its description in the caller's language",
    arguments: [
      (Language.arabic, ["الحد الأقصى للدفع 15.00 ريال.", "request_id مطلوب."]),
      (Language.english, ["At most 15.00 SAR may be paid.", "A request_id is required."]),
    ])
  func badRequest(language: Language, descriptions: [String]) throws {
    // When the status is built
    let status = Self.paymentTooLarge.googleRPCStatus(in: language)
    // Then one BadRequest holds both violations, in order, localized
    let badRequests = status.details.compactMap(\.badRequest)
    try #require(badRequests.count == 1)
    let violations = badRequests[0].violations
    #expect(violations.map(\.field) == ["payment.amount", "request_id"])
    #expect(violations.map(\.reason) == ["EXCEEDS_BALANCE", "REQUIRED"])
    #expect(violations.map(\.violationDescription) == descriptions)
    #expect(violations.map { $0.localizedMessage?.locale } == [language.rawValue, language.rawValue])
    #expect(violations.map { $0.localizedMessage?.message } == descriptions)
  }

  @Test(
    "LocalizedMessage carries the message in the caller's language, last",
    arguments: [
      (Language.arabic, "ar", "المبلغ المدفوع يتجاوز الرصيد."),
      (Language.english, "en", "The payment exceeds the balance."),
    ])
  func localizedMessage(language: Language, locale: String, message: String) throws {
    let status = Self.paymentTooLarge.googleRPCStatus(in: language)
    let localized = try #require(status.details.last?.localizedMessage)
    #expect(localized.locale == locale)
    #expect(localized.message == message)
    #expect(status.details.compactMap(\.localizedMessage).count == 1)
  }

  @Test("no BadRequest without field violations, and no RetryInfo without retryAfter")
  func optionalDetails() {
    // Given an error with neither field violations nor a retry delay
    let error = EtimadError.notFound(
      "debt", named: LocalizedString(en: "The debt", ar: "المديونية"), domain: "debts.etimad.sa")
    // When its status is built
    let status = error.googleRPCStatus(in: .arabic)
    // Then it has only ErrorInfo and LocalizedMessage
    #expect(status.details.count == 2)
    #expect(status.details.allSatisfy { $0.badRequest == nil && $0.retryInfo == nil })
    #expect(Self.paymentTooLarge.googleRPCStatus(in: .arabic).details.allSatisfy { $0.retryInfo == nil })
  }

  @Test("RetryInfo carries retryAfter")
  func retryInfo() throws {
    let status = Self.rateLimited.googleRPCStatus(in: .english)
    #expect(status.code == .resourceExhausted)
    let retry = try #require(status.details.compactMap(\.retryInfo).first)
    #expect(retry.delay == .seconds(30))
    #expect(status.details.compactMap(\.retryInfo).count == 1)
  }

  @Test("invalidFields names every field, in both languages")
  func invalidFields() {
    // Given two wrong fields
    let violations = [
      EtimadError.FieldViolation(
        field: "iban", reason: "CHECKSUM", description: LocalizedString(en: "Bad IBAN.", ar: "آيبان غير صحيح.")),
      EtimadError.FieldViolation(
        field: "mobile", reason: "NOT_SAUDI_MOBILE",
        description: LocalizedString(en: "Bad mobile.", ar: "جوال غير صحيح.")),
    ]
    // When they are reported
    let error = EtimadError.invalidFields(violations, domain: "platform.etimad.sa")
    // Then the error is INVALID_ARGUMENT, INVALID_FIELDS, listing both
    #expect(error.code == .invalidArgument)
    #expect(error.reason == "INVALID_FIELDS")
    #expect(error.domain == "platform.etimad.sa")
    #expect(error.fieldViolations == violations)
    #expect(error.message.english == "The request has invalid fields: iban, mobile.")
    #expect(error.message.arabic == "الطلب يحتوي على حقول غير صحيحة: iban، mobile.")
  }

  @Test("notFound answers NOT_FOUND naming the resource")
  func notFound() {
    let error = EtimadError.notFound(
      "debt", named: LocalizedString(en: "The debt", ar: "المديونية"), domain: "debts.etimad.sa")
    #expect(error.code == .notFound)
    #expect(error.reason == "NOT_FOUND")
    #expect(error.metadata == ["resource": "debt"])
    #expect(error.message.english == "The debt was not found.")
    #expect(error.message.arabic == "لم يتم العثور على المديونية.")
  }

  @Test(
    "thrown from a handler, it becomes an RPCError whose status details are in the call's language",
    arguments: [
      (Language.arabic, "المبلغ المدفوع يتجاوز الرصيد."), (Language.english, "The payment exceeds the balance."),
    ])
  func rpcErrorConvertible(language: Language, message: String) throws {
    // Given the language of the call being handled
    let metadata = Language.$current.withValue(language) { Self.paymentTooLarge.rpcErrorMetadata }
    // When the error is converted as the server converts it
    #expect(Array(metadata[binaryValues: "grpc-status-details-bin"]).count == 1)
    let rpcError = RPCError(
      code: Self.paymentTooLarge.rpcErrorCode, message: Self.paymentTooLarge.rpcErrorMessage, metadata: metadata)
    // Then a client unpacks the same status from the trailer
    #expect(rpcError.code == .failedPrecondition)
    #expect(rpcError.message == "The payment exceeds the balance.")
    let status = try #require(try rpcError.unpackGoogleRPCStatus())
    #expect(status == Self.paymentTooLarge.googleRPCStatus(in: language))
    #expect(status.details.last?.localizedMessage?.locale == language.rawValue)
    #expect(status.details.last?.localizedMessage?.message == message)
    #expect(status.details.first?.errorInfo?.reason == "PAYMENT_EXCEEDS_BALANCE")
  }

  @Test("without a call's language, the trailer is in Arabic")
  func rpcErrorDefaultsToArabic() throws {
    // When the error is converted through GRPCCore's own conversion, outside any call
    let rpcError = RPCError(Self.rateLimited)
    // Then its details are in Arabic and keep the retry delay
    let status = try #require(try rpcError.unpackGoogleRPCStatus())
    #expect(rpcError.code == .resourceExhausted)
    #expect(status.details.last?.localizedMessage?.locale == "ar")
    #expect(status.details.last?.localizedMessage?.message == "طلبات كثيرة جدًا.")
    #expect(status.details.compactMap(\.retryInfo).first?.delay == .seconds(30))
  }
}
