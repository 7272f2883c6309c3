import EtimadKit
import EtimadProtos
import Foundation
import SwiftProtobuf
import Testing

/// `LinearEncoding` must write swift-protobuf's bytes exactly: random messages of every
/// request and response type of the contract, made from its descriptors, are encoded both ways.
@Suite("Linear protobuf encoding")
struct LinearEncodingTests {
  @Test("random messages of every RPC's request and response type encode to swift-protobuf's bytes")
  func sameBytesAsSwiftProtobuf() throws {
    let schema = try Schema()
    var types: [String: any SwiftProtobuf.Message.Type] = [:]
    for entry in MethodCatalog.methods.values {
      types[entry.requestType.protoMessageName] = entry.requestType
      types[entry.responseType.protoMessageName] = entry.responseType
    }
    #expect(types.count > 60)
    // The reflection service's messages too: packed int32 (extension numbers), repeated bytes
    for type: any SwiftProtobuf.Message.Type in [
      Grpc_Reflection_V1_ServerReflectionRequest.self, Grpc_Reflection_V1_ServerReflectionResponse.self,
    ] {
      types[type.protoMessageName] = type
    }
    var random = SplitMix(seed: 0xE71A_AD)
    var compared = 0
    for (name, type) in types.sorted(by: { $0.key < $1.key }) {
      for round in 0..<60 {
        var wire: [UInt8] = []
        schema.randomMessage(name, depth: 0, unknown: round % 3 == 0, into: &wire, &random)
        let message = try type.init(serializedBytes: wire)
        let expected: [UInt8] = try message.serializedBytes()
        let linear: [UInt8] = try LinearEncoding.serialize(message)
        #expect(linear == expected, "\(name), round \(round)")
        compared += 1
      }
    }
    #expect(compared == types.count * 60)
  }

  @Test("a message with a field type left to swift-protobuf (a map) is still encoded right")
  func fallback() throws {
    let response = Grpc_Health_V1_HealthListResponse.with {
      $0.statuses = ["a": .with { $0.status = .serving }, "b": .with { $0.status = .notServing }]
    }
    let expected: [UInt8] = try response.serializedBytes()
    let linear: [UInt8] = try LinearEncoding.serialize(response)
    #expect(try Grpc_Health_V1_HealthListResponse(serializedBytes: linear) == response)
    #expect(linear.count == expected.count)
  }
}

/// The contract's message descriptors, and random wire data that decodes into them.
private struct Schema {
  var messages: [String: Google_Protobuf_DescriptorProto] = [:]
  var enums: [String: [Int32]] = [:]

  init() throws {
    let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: EtimadDescriptorSet.bytes)
    for file in set.file {
      let prefix = file.package.isEmpty ? "" : file.package + "."
      for message in file.messageType { add(message, prefix: prefix) }
      for item in file.enumType { enums[prefix + item.name] = item.value.map(\.number) }
    }
  }

  private mutating func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
    let name = prefix + message.name
    messages[name] = message
    for nested in message.nestedType { add(nested, prefix: name + ".") }
    for item in message.enumType { enums[name + "." + item.name] = item.value.map(\.number) }
  }

  func randomMessage(_ name: String, depth: Int, unknown: Bool, into wire: inout [UInt8], _ random: inout SplitMix) {
    guard let message = messages[name] else { return }
    for field in message.field where random.below(10) < 7 {
      let repeated = field.label == .repeated
      let count = repeated ? random.below(4) : 1
      for _ in 0..<count { randomField(field, depth: depth, unknown: unknown, into: &wire, &random) }
    }
    if unknown && random.below(2) == 0 {
      // A field number no message of the contract uses, of each wire type in turn
      let number = UInt64(5_000 + random.below(100))
      switch random.below(4) {
      case 0:
        varint(number << 3 | 0, &wire)
        varint(random.next(), &wire)
      case 1:
        varint(number << 3 | 1, &wire)
        for _ in 0..<8 { wire.append(UInt8(random.below(256))) }
      case 2:
        varint(number << 3 | 2, &wire)
        varint(3, &wire)
        wire += [1, 2, 3]
      default:
        varint(number << 3 | 5, &wire)
        for _ in 0..<4 { wire.append(UInt8(random.below(256))) }
      }
    }
  }

  private func randomField(
    _ field: Google_Protobuf_FieldDescriptorProto, depth: Int, unknown: Bool, into wire: inout [UInt8],
    _ random: inout SplitMix
  ) {
    let number = UInt64(field.number)
    func tag(_ type: UInt64) { varint(number << 3 | type, &wire) }
    switch field.type {
    case .int32, .int64, .uint32, .uint64:
      tag(0)
      // Small, large and negative values
      switch random.below(3) {
      case 0: varint(UInt64(random.below(300)), &wire)
      case 1: varint(random.next() >> UInt64(random.below(64)), &wire)
      default: varint(UInt64(bitPattern: -Int64(random.below(1_000_000) + 1)), &wire)
      }
    case .sint32, .sint64:
      tag(0)
      varint(UInt64(random.below(1_000_000)), &wire)
    case .bool:
      tag(0)
      varint(UInt64(random.below(2)), &wire)
    case .enum:
      tag(0)
      let values = enums[String(field.typeName.dropFirst())] ?? [0]
      // Sometimes a value the enum does not declare (kept as UNRECOGNIZED), negative ones too
      let value =
        switch random.below(8) {
        case 0: Int32(77)
        case 1: -Int32(random.below(1_000) + 1)
        default: values[random.below(values.count)]
        }
      varint(UInt64(bitPattern: Int64(value)), &wire)
    case .fixed64, .sfixed64, .double:
      tag(1)
      for _ in 0..<8 { wire.append(UInt8(random.below(256))) }
    case .fixed32, .sfixed32, .float:
      tag(5)
      for _ in 0..<4 { wire.append(UInt8(random.below(256))) }
    case .string:
      tag(2)
      let pieces = ["a", "Z9", "صيانة", "ـ", "é", "🇸🇦", " ", "\u{0}", "ٱلأ"]
      let text = (0..<random.below(12)).map { _ in pieces[random.below(pieces.count)] }.joined()
      varint(UInt64(text.utf8.count), &wire)
      wire += Array(text.utf8)
    case .bytes:
      tag(2)
      let length = random.below(40)
      varint(UInt64(length), &wire)
      for _ in 0..<length { wire.append(UInt8(random.below(256))) }
    case .message:
      tag(2)
      var inner: [UInt8] = []
      if depth < 5 {
        randomMessage(String(field.typeName.dropFirst()), depth: depth + 1, unknown: unknown, into: &inner, &random)
      }
      varint(UInt64(inner.count), &wire)
      wire += inner
    default:
      break
    }
  }
}

private func varint(_ value: UInt64, _ wire: inout [UInt8]) {
  var value = value
  while value >= 0x80 {
    wire.append(UInt8(truncatingIfNeeded: value) | 0x80)
    value >>= 7
  }
  wire.append(UInt8(value))
}
