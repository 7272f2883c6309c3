import EtimadProtos
import Foundation
import SwiftProtobuf

/// The bounds every request of the contract must keep, checked on the decoded message before
/// any handler runs, so that no field can make a handler trap or burn CPU:
/// - every `google.protobuf.Timestamp`, `Duration` and `etimad.type.v1.CalendarDate` lies in
///   the range `WireTime` documents;
/// - every `etimad.type.v1.Money` is at most `Halalas.ceiling` in magnitude;
/// - every string and bytes field holds at most `maximumStringBytes` (UTF-8), and every
///   repeated field at most `maximumElements` elements.
/// A request outside them is INVALID_ARGUMENT naming each field (up to 20) by its path.
public enum RequestBounds {
  /// 16 KiB of UTF-8 per string: far above any field's own limit, far below a costly one.
  public static let maximumStringBytes = 16 * 1024
  public static let maximumElements = 1_000
  static let maximumViolations = 20

  /// Checks `message` and every message inside it.
  public static func check(_ message: any SwiftProtobuf.Message, domain: String) throws(EtimadError) {
    var visitor = Visitor(messageName: type(of: message).protoMessageName)
    do {
      try message.traverse(visitor: &visitor)
    } catch {
      // Only the visitor throws, and only to stop at the violation cap.
    }
    guard !visitor.violations.isEmpty else { return }
    throw EtimadError.invalidFields(visitor.violations, domain: domain)
  }

  private struct Enough: Error {}

  /// Walks the fields depth first, keeping the path of field names for the violations.
  private struct Visitor: SwiftProtobuf.Visitor {
    var path: [String] = []
    var messageNames: [String]
    var violations: [EtimadError.FieldViolation] = []

    init(messageName: String) { messageNames = [messageName] }

    private func field(_ number: Int) -> String {
      let name = FieldNames.shared.name(of: number, in: messageNames.last ?? "") ?? "#\(number)"
      return (path + [name]).joined(separator: ".")
    }

    private mutating func report(_ number: Int, _ reason: String, en: String, ar: String) throws {
      violations.append(
        EtimadError.FieldViolation(
          field: field(number), reason: reason, description: LocalizedString(en: en, ar: ar)))
      if violations.count >= RequestBounds.maximumViolations { throw Enough() }
    }

    private mutating func report(_ violation: EtimadError.FieldViolation) throws {
      violations.append(violation)
      if violations.count >= RequestBounds.maximumViolations { throw Enough() }
    }

    private mutating func tooLong(_ number: Int) throws {
      try report(
        number, "TOO_LONG", en: "The value is longer than \(RequestBounds.maximumStringBytes) bytes.",
        ar: "القيمة أطول من \(RequestBounds.maximumStringBytes) بايت.")
    }

    private mutating func count(_ elements: Int, _ number: Int) throws {
      guard elements > RequestBounds.maximumElements else { return }
      try report(
        number, "TOO_MANY", en: "The list has more than \(RequestBounds.maximumElements) elements.",
        ar: "تحتوي القائمة على أكثر من \(RequestBounds.maximumElements) عنصر.")
    }

    mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws {}
    mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {}
    mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {}
    mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {}
    mutating func visitSingularEnumField<E: Enum>(value: E, fieldNumber: Int) throws {}
    mutating func visitUnknown(bytes: Data) throws {}

    mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
      if value.utf8.count > RequestBounds.maximumStringBytes { try tooLong(fieldNumber) }
    }

    mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {
      if value.count > RequestBounds.maximumStringBytes { try tooLong(fieldNumber) }
    }

    mutating func visitRepeatedStringField(value: [String], fieldNumber: Int) throws {
      try count(value.count, fieldNumber)
      if value.contains(where: { $0.utf8.count > RequestBounds.maximumStringBytes }) { try tooLong(fieldNumber) }
    }

    mutating func visitRepeatedMessageField<M: Message>(value: [M], fieldNumber: Int) throws {
      try count(value.count, fieldNumber)
      for element in value { try visitSingularMessageField(value: element, fieldNumber: fieldNumber) }
    }

    mutating func visitPackedInt64Field(value: [Int64], fieldNumber: Int) throws { try count(value.count, fieldNumber) }
    mutating func visitPackedInt32Field(value: [Int32], fieldNumber: Int) throws { try count(value.count, fieldNumber) }
    mutating func visitPackedEnumField<E: Enum>(value: [E], fieldNumber: Int) throws {
      try count(value.count, fieldNumber)
    }

    mutating func visitSingularMessageField<M: Message>(value: M, fieldNumber: Int) throws {
      switch value {
      case let timestamp as Google_Protobuf_Timestamp:
        if !WireTime.isValid(timestamp) { try report(WireTime.violation(field: field(fieldNumber))) }
      case let duration as Google_Protobuf_Duration:
        if !WireTime.isValid(duration) { try report(WireTime.violation(field: field(fieldNumber))) }
      case let date as Etimad_Type_V1_CalendarDate:
        if !WireTime.isValid(date) { try report(WireTime.violation(field: field(fieldNumber))) }
      case let money as Etimad_Type_V1_Money:
        if money.amountHalalas.magnitude > UInt64(Halalas.ceiling) {
          try report(FieldRules.violation(Halalas.Problem.overflow, field: field(fieldNumber) + ".amount_halalas"))
        }
        if money.currencyCode.utf8.count > 8 { try tooLong(fieldNumber) }
      default:
        path.append(FieldNames.shared.name(of: fieldNumber, in: messageNames.last ?? "") ?? "#\(fieldNumber)")
        messageNames.append(M.protoMessageName)
        defer {
          path.removeLast()
          messageNames.removeLast()
        }
        try value.traverse(visitor: &self)
      }
    }

    mutating func visitMapField<KeyType, ValueType: MapValueType>(
      fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType,
      fieldNumber: Int
    ) throws { try count(value.count, fieldNumber) }

    mutating func visitMapField<KeyType, ValueType>(
      fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType,
      fieldNumber: Int
    ) throws where ValueType.RawValue == Int { try count(value.count, fieldNumber) }

    mutating func visitMapField<KeyType, ValueType>(
      fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
      value: _ProtobufMessageMap<KeyType, ValueType>.BaseType, fieldNumber: Int
    ) throws { try count(value.count, fieldNumber) }
  }
}

/// Field names by message and number, read once from the contract's descriptor set, so that
/// violations name fields as the .proto files do.
final class FieldNames: Sendable {
  static let shared = FieldNames()

  private let names: [String: [Int: String]]

  private init() {
    var names: [String: [Int: String]] = [:]
    if let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: EtimadDescriptorSet.bytes) {
      for file in set.file {
        func add(_ message: Google_Protobuf_DescriptorProto, prefix: String) {
          let full = prefix + message.name
          names[full] = Dictionary(message.field.map { (Int($0.number), $0.name) }, uniquingKeysWith: { a, _ in a })
          for nested in message.nestedType { add(nested, prefix: full + ".") }
        }
        for message in file.messageType { add(message, prefix: file.package.isEmpty ? "" : file.package + ".") }
      }
    }
    self.names = names
  }

  func name(of number: Int, in message: String) -> String? { names[message]?[number] }
}
