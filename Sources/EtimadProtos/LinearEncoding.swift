import Foundation
import GRPCCore
import SwiftProtobuf

/// Protobuf binary encoding in two passes over the message: one that sizes every nested
/// message once, one that writes.
///
/// swift-protobuf writes a nested message's length prefix by sizing that message, and sizes it
/// again, with everything inside it, for every message that contains it: a field at depth d is
/// sized d times. Our list replies nest four deep (a search response, its tenders, their dates,
/// their calendar dates), and sizing was most of their serialisation. Here the first pass
/// records each nested message's size in the order the messages are visited, and the second
/// writes the length prefixes from that record.
///
/// The bytes are swift-protobuf's, field for field (`LinearEncodingTests` compares them on the
/// contract's messages). Field types the contract does not use (float, double, sint, fixed,
/// groups, maps) are not encoded here: a message with any of them is serialised by
/// swift-protobuf itself.
public enum LinearEncoding {
  /// The message's binary encoding.
  public static func serialize<M: SwiftProtobuf.Message, Bytes: GRPCContiguousBytes>(_ message: M) throws -> Bytes {
    guard message.isInitialized else { throw BinaryEncodingError.missingRequiredFields }
    var sizing = SizingVisitor()
    do {
      try message.traverse(visitor: &sizing)
    } catch is Unsupported {
      return try fallback(message)
    }
    var bytes = Bytes(repeating: 0, count: sizing.size)
    // Both passes read the same message, so they agree; a disagreement would be a bug here:
    // the writer never passes the buffer's end, and swift-protobuf's bytes are sent instead.
    do {
      let written = try bytes.withUnsafeMutableBytes { buffer -> Int in
        guard let base = buffer.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return 0 }
        var writer = WritingVisitor(base: base, end: buffer.count, sizes: sizing.sizes)
        try message.traverse(visitor: &writer)
        return writer.index
      }
      guard written == sizing.size else { return try fallback(message) }
      return bytes
    } catch is Overflow {
      return try fallback(message)
    }
  }

  private static func fallback<M: SwiftProtobuf.Message, Bytes: GRPCContiguousBytes>(_ message: M) throws -> Bytes {
    let data: [UInt8] = try message.serializedBytes()
    return Bytes(data)
  }

  /// A field type this encoder leaves to swift-protobuf.
  struct Unsupported: Error {}

  /// The writer reached the end of its buffer (or a nested size it had not recorded).
  struct Overflow: Error {}

  @inline(__always)
  static func varintSize(_ value: UInt64) -> Int {
    value == 0 ? 1 : (70 - value.leadingZeroBitCount) / 7
  }

  @inline(__always)
  static func tagSize(_ fieldNumber: Int) -> Int {
    varintSize(UInt64(fieldNumber) << 3)
  }
}

/// Wire types of the fields encoded here.
private enum Wire: UInt64 {
  case varint = 0
  case lengthDelimited = 2
}

/// A visitor that refuses the field types left to swift-protobuf. The defaults of `Visitor`
/// would forward them to other types' encodings (a float as a double, a fixed32 as a varint).
private protocol SupportedFieldsVisitor: Visitor {}

extension SupportedFieldsVisitor {
  mutating func visitSingularFloatField(value: Float, fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitSingularSInt32Field(value: Int32, fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitSingularSInt64Field(value: Int64, fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitSingularFixed32Field(value: UInt32, fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitSingularFixed64Field(value: UInt64, fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitSingularSFixed32Field(value: Int32, fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitSingularSFixed64Field(value: Int64, fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitPackedFloatField(value: [Float], fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitPackedDoubleField(value: [Double], fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitPackedSInt32Field(value: [Int32], fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitPackedSInt64Field(value: [Int64], fieldNumber: Int) throws { throw LinearEncoding.Unsupported() }
  mutating func visitPackedFixed32Field(value: [UInt32], fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitPackedFixed64Field(value: [UInt64], fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitPackedSFixed32Field(value: [Int32], fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitPackedSFixed64Field(value: [Int64], fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitSingularGroupField<G: SwiftProtobuf.Message>(value: G, fieldNumber: Int) throws {
    throw LinearEncoding.Unsupported()
  }
  mutating func visitMapField<KeyType, ValueType: MapValueType>(
    fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws { throw LinearEncoding.Unsupported() }
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
    fieldNumber: Int
  ) throws where ValueType.RawValue == Int { throw LinearEncoding.Unsupported() }
  mutating func visitMapField<KeyType, ValueType>(
    fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
    value: _ProtobufMessageMap<KeyType, ValueType>.BaseType, fieldNumber: Int
  ) throws { throw LinearEncoding.Unsupported() }
}

/// The first pass: the encoded size of the message, and of every nested message in the order
/// visited (a message's slot is taken before its fields are visited, as the writer reads them).
private struct SizingVisitor: SupportedFieldsVisitor {
  var size = 0
  var sizes: [Int] = []

  mutating func visitUnknown(bytes: Data) throws { size += bytes.count }

  mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {
    size += LinearEncoding.tagSize(fieldNumber) + LinearEncoding.varintSize(UInt64(bitPattern: value))
  }

  mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {
    size += LinearEncoding.tagSize(fieldNumber) + LinearEncoding.varintSize(value)
  }

  mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {
    size += LinearEncoding.tagSize(fieldNumber) + 1
  }

  mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
    lengthDelimited(value.utf8.count, fieldNumber)
  }

  mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {
    lengthDelimited(value.count, fieldNumber)
  }

  mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws {
    try visitSingularUInt64Field(value: UInt64(bitPattern: Int64(value.rawValue)), fieldNumber: fieldNumber)
  }

  mutating func visitSingularMessageField<M: SwiftProtobuf.Message>(value: M, fieldNumber: Int) throws {
    let slot = sizes.count
    sizes.append(0)
    let outer = size
    size = 0
    try value.traverse(visitor: &self)
    sizes[slot] = size
    let inner = size
    size = outer
    lengthDelimited(inner, fieldNumber)
  }

  mutating func visitPackedInt32Field(value: [Int32], fieldNumber: Int) throws {
    packed(value.reduce(0) { $0 + LinearEncoding.varintSize(UInt64(bitPattern: Int64($1))) }, fieldNumber)
  }

  mutating func visitPackedInt64Field(value: [Int64], fieldNumber: Int) throws {
    packed(value.reduce(0) { $0 + LinearEncoding.varintSize(UInt64(bitPattern: $1)) }, fieldNumber)
  }

  mutating func visitPackedUInt32Field(value: [UInt32], fieldNumber: Int) throws {
    packed(value.reduce(0) { $0 + LinearEncoding.varintSize(UInt64($1)) }, fieldNumber)
  }

  mutating func visitPackedUInt64Field(value: [UInt64], fieldNumber: Int) throws {
    packed(value.reduce(0) { $0 + LinearEncoding.varintSize($1) }, fieldNumber)
  }

  mutating func visitPackedBoolField(value: [Bool], fieldNumber: Int) throws {
    packed(value.count, fieldNumber)
  }

  mutating func visitPackedEnumField<E: Enum>(value: [E], fieldNumber: Int) throws {
    packed(value.reduce(0) { $0 + LinearEncoding.varintSize(UInt64(bitPattern: Int64($1.rawValue))) }, fieldNumber)
  }

  private mutating func packed(_ payload: Int, _ fieldNumber: Int) {
    // swift-protobuf writes nothing for an empty packed field (generated code never visits one)
    lengthDelimited(payload, fieldNumber)
  }

  private mutating func lengthDelimited(_ length: Int, _ fieldNumber: Int) {
    size += LinearEncoding.tagSize(fieldNumber) + LinearEncoding.varintSize(UInt64(length)) + length
  }
}

/// The second pass: writes into a buffer of exactly the size the first pass found.
private struct WritingVisitor: SupportedFieldsVisitor {
  let base: UnsafeMutablePointer<UInt8>
  let end: Int
  let sizes: [Int]
  var index = 0
  var next = 0

  init(base: UnsafeMutablePointer<UInt8>, end: Int, sizes: [Int]) {
    self.base = base
    self.end = end
    self.sizes = sizes
  }

  @inline(__always)
  private mutating func varint(_ value: UInt64) throws {
    guard index + LinearEncoding.varintSize(value) <= end else { throw LinearEncoding.Overflow() }
    var value = value
    while value >= 0x80 {
      base[index] = UInt8(truncatingIfNeeded: value) | 0x80
      index += 1
      value >>= 7
    }
    base[index] = UInt8(value)
    index += 1
  }

  @inline(__always)
  private mutating func tag(_ fieldNumber: Int, _ wire: Wire) throws {
    try varint(UInt64(fieldNumber) << 3 | wire.rawValue)
  }

  private mutating func raw(_ bytes: UnsafeRawBufferPointer) throws {
    guard let source = bytes.baseAddress, bytes.count > 0 else { return }
    guard index + bytes.count <= end else { throw LinearEncoding.Overflow() }
    (base + index).update(from: source.assumingMemoryBound(to: UInt8.self), count: bytes.count)
    index += bytes.count
  }

  mutating func visitUnknown(bytes: Data) throws {
    try bytes.withUnsafeBytes { try raw($0) }
  }

  mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {
    try tag(fieldNumber, .varint)
    try varint(UInt64(bitPattern: value))
  }

  mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {
    try tag(fieldNumber, .varint)
    try varint(value)
  }

  mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {
    try tag(fieldNumber, .varint)
    try varint(value ? 1 : 0)
  }

  mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
    try tag(fieldNumber, .lengthDelimited)
    var value = value
    try value.withUTF8 { utf8 in
      try varint(UInt64(utf8.count))
      try raw(UnsafeRawBufferPointer(utf8))
    }
  }

  mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {
    try tag(fieldNumber, .lengthDelimited)
    try varint(UInt64(value.count))
    try value.withUnsafeBytes { try raw($0) }
  }

  mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws {
    try visitSingularUInt64Field(value: UInt64(bitPattern: Int64(value.rawValue)), fieldNumber: fieldNumber)
  }

  mutating func visitSingularMessageField<M: SwiftProtobuf.Message>(value: M, fieldNumber: Int) throws {
    guard next < sizes.count else { throw LinearEncoding.Overflow() }
    try tag(fieldNumber, .lengthDelimited)
    try varint(UInt64(sizes[next]))
    next += 1
    try value.traverse(visitor: &self)
  }

  mutating func visitPackedInt32Field(value: [Int32], fieldNumber: Int) throws {
    try packed(value.lazy.map { UInt64(bitPattern: Int64($0)) }, fieldNumber)
  }

  mutating func visitPackedInt64Field(value: [Int64], fieldNumber: Int) throws {
    try packed(value.lazy.map { UInt64(bitPattern: $0) }, fieldNumber)
  }

  mutating func visitPackedUInt32Field(value: [UInt32], fieldNumber: Int) throws {
    try packed(value.lazy.map { UInt64($0) }, fieldNumber)
  }

  mutating func visitPackedUInt64Field(value: [UInt64], fieldNumber: Int) throws {
    try packed(value, fieldNumber)
  }

  mutating func visitPackedBoolField(value: [Bool], fieldNumber: Int) throws {
    try packed(value.lazy.map { $0 ? 1 : 0 }, fieldNumber)
  }

  mutating func visitPackedEnumField<E: Enum>(value: [E], fieldNumber: Int) throws {
    try packed(value.lazy.map { UInt64(bitPattern: Int64($0.rawValue)) }, fieldNumber)
  }

  private mutating func packed<Values: Collection<UInt64>>(_ values: Values, _ fieldNumber: Int) throws {
    try tag(fieldNumber, .lengthDelimited)
    try varint(UInt64(values.reduce(0) { $0 + LinearEncoding.varintSize($1) }))
    for value in values { try varint(value) }
  }
}

/// The gRPC serializer of the contract's messages: `LinearEncoding` instead of
/// swift-protobuf's own encoder (tools/generate-protos puts it in the generated stubs).
public struct LinearProtobufSerializer<Message: SwiftProtobuf.Message>: GRPCCore.MessageSerializer {
  public init() {}

  public func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
    do {
      return try LinearEncoding.serialize(message)
    } catch {
      throw RPCError(
        code: .invalidArgument, message: "Can't serialize message of type \(type(of: message)).", cause: error)
    }
  }
}
