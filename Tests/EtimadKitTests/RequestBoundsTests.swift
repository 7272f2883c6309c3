import EtimadKit
import EtimadProtos
import Foundation
import SwiftProtobuf
import Testing

/// Every Timestamp, CalendarDate and Money field of every request of the contract, found from
/// the descriptor set, set to extreme values: the bounds check names the field, and the safe
/// conversions never trap.
@Suite("Request bounds over the whole contract")
struct RequestBoundsTests {
  /// A field of a request that holds one of the checked message types, by its path.
  struct CheckedField: CustomStringConvertible {
    let method: String
    let numbers: [Int]
    let path: String
    let type: String
    var description: String { "\(method) \(path) (\(type))" }
  }

  static let checkedTypes: Set<String> = [
    ".google.protobuf.Timestamp", ".google.protobuf.Duration", ".etimad.type.v1.CalendarDate", ".etimad.type.v1.Money",
  ]

  /// Every checked field of every request message, nested messages followed to depth 4.
  static let fields: [CheckedField] = {
    let set = try! Google_Protobuf_FileDescriptorSet(serializedBytes: EtimadDescriptorSet.bytes)
    var messages: [String: Google_Protobuf_DescriptorProto] = [:]
    func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
      messages[prefix + "." + message.name] = message
      for nested in message.nestedType { add(nested, prefix: prefix + "." + message.name) }
    }
    for file in set.file { for message in file.messageType { add(message, prefix: "." + file.package) } }
    var found: [CheckedField] = []
    func walk(_ type: String, method: String, numbers: [Int], path: [String]) {
      guard numbers.count < 4, let message = messages[type] else { return }
      for field in message.field where field.type == .message {
        let numbers = numbers + [Int(field.number)]
        let path = path + [field.name]
        if checkedTypes.contains(field.typeName) {
          found.append(
            CheckedField(method: method, numbers: numbers, path: path.joined(separator: "."), type: field.typeName))
        } else {
          walk(field.typeName, method: method, numbers: numbers, path: path)
        }
      }
    }
    for entry in MethodCatalog.methods.values.sorted(by: { $0.fullName < $1.fullName }) {
      walk("." + entry.requestType.protoMessageName, method: entry.fullName, numbers: [], path: [])
    }
    return found
  }()

  /// A request's bytes with only the field at `numbers` set to `leaf` (a message's bytes).
  static func encode(_ numbers: [Int], leaf: [UInt8]) -> [UInt8] {
    numbers.reversed().reduce(leaf) { inner, number in
      varint(UInt64(number << 3 | 2)) + varint(UInt64(inner.count)) + inner
    }
  }

  static func varint(_ value: UInt64) -> [UInt8] {
    var value = value
    var bytes: [UInt8] = []
    repeat {
      bytes.append(UInt8(value & 0x7F) | (value > 0x7F ? 0x80 : 0))
      value >>= 7
    } while value > 0
    return bytes
  }

  /// The extreme values of each checked type, as the message bytes of the field.
  static func extremes(of type: String) -> [[UInt8]] {
    switch type {
    case ".google.protobuf.Timestamp", ".google.protobuf.Duration":
      let seconds: [Int64] = [.min, .max, -62_135_596_801, 253_402_300_800, 315_576_000_001]
      var values = seconds.map { varint(8) + varint(UInt64(bitPattern: $0)) }
      // nanos of 10^9 and -1 on a valid second
      values.append(varint(8) + varint(1) + varint(16) + varint(1_000_000_000))
      values.append(varint(8) + varint(1) + varint(16) + varint(UInt64(bitPattern: -1)))
      return values
    case ".etimad.type.v1.CalendarDate":
      // year (1), month (2), day (3), calendar (4)
      let years: [Int64] = [Int64(Int32.max), Int64(Int32.min), 10_000, -1]
      return years.map { varint(8) + varint(UInt64(bitPattern: $0)) + varint(16) + varint(1) + varint(24) + varint(1) }
        + [varint(8) + varint(1446) + varint(16) + varint(13) + varint(24) + varint(1) + varint(32) + varint(2)]
    default:
      // Money: amount_halalas (2) beyond the ceiling, both signs
      let amounts: [Int64] = [.max, .min, 10_000_000_000_001, -10_000_000_000_001]
      return amounts.map { varint(16) + varint(UInt64(bitPattern: $0)) }
    }
  }

  @Test("the contract has checked fields in requests of every area that takes them")
  func discovered() {
    let methods = Set(Self.fields.map(\.method))
    #expect(methods.contains("etimad.debts.v1.DebtService/ListDebts"))
    #expect(methods.contains("etimad.debts.v1.DebtService/RecordPayment"))
    #expect(methods.contains("etimad.payments.v1.GovernmentPaymentService/RecordPayment"))
    #expect(methods.contains("etimad.tenders.v1.TenderService/SearchTenders"))
    #expect(Self.fields.count > 20)
  }

  @Test("the testers' bytes: ListDebts create_time_from at INT64_MIN")
  func testersBytes() throws {
    let bytes: [UInt8] = [0x2a, 0x0b, 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01]
    let request = try Etimad_Debts_V1_ListDebtsRequest(serializedBytes: bytes)
    #expect(request.createTimeFrom.seconds == .min)
    #expect(throws: EtimadError.self) { try RequestBounds.check(request, domain: "test") }
    // The conversion handlers use never traps, even unchecked.
    #expect(WireTime.date(request.createTimeFrom) == Date(timeIntervalSince1970: Double(WireTime.minimumSeconds)))
  }

  @Test("every checked field of every request, at every extreme, is refused by name", arguments: fields)
  func everyField(_ field: CheckedField) throws {
    let entry = try #require(MethodCatalog.methods[field.method])
    for leaf in Self.extremes(of: field.type) {
      let request = try entry.requestType.init(serializedBytes: Self.encode(field.numbers, leaf: leaf))
      do {
        try RequestBounds.check(request, domain: "test")
        Issue.record("\(field) accepted \(leaf)")
      } catch {
        let named = error.fieldViolations.map(\.field)
        #expect(named.contains { $0 == field.path || $0.hasPrefix(field.path + ".") }, "\(field): \(named)")
        #expect(error.code == .invalidArgument)
      }
    }
  }

  @Test("values inside the ranges pass")
  func inside() throws {
    let request = Etimad_Debts_V1_ListDebtsRequest.with {
      $0.createTimeFrom = .with { $0.seconds = WireTime.minimumSeconds }
      $0.createTimeTo = .with {
        $0.seconds = WireTime.maximumSeconds
        $0.nanos = 999_999_999
      }
    }
    try RequestBounds.check(request, domain: "test")
    try RequestBounds.check(
      Etimad_Payments_V1_RecordPaymentRequest.with { $0.amount.amountHalalas = Halalas.ceiling }, domain: "test")
  }

  @Test("over-long strings and lists are refused before any handler runs")
  func sizes() throws {
    let long = String(repeating: "ا", count: RequestBounds.maximumStringBytes)
    let request = Etimad_Tenders_V1_SearchTendersRequest.with {
      $0.query = long
      $0.regionCodes = Array(repeating: "RIYADH", count: RequestBounds.maximumElements + 1)
    }
    do {
      try RequestBounds.check(request, domain: "test")
      Issue.record("accepted")
    } catch {
      #expect(Set(error.fieldViolations.map(\.reason)) == ["TOO_LONG", "TOO_MANY"])
      #expect(Set(error.fieldViolations.map(\.field)) == ["query", "region_codes"])
    }
  }
}
