import Foundation
import SwiftProtobuf

/// `--emit-defaults`, as grpcurl's: every field of the response, those at their default value
/// too. swift-protobuf 1.39's JSON encoder leaves them out and has no option to keep them, so
/// they are filled in from the contract's descriptors, in declaration order: 0, `""`, false,
/// `[]`, `{}` for maps, the enum's zero value, and null for an unset message. Members of a
/// oneof (and proto3 `optional` fields) stay out when unset: there, unset is not a default.
enum DefaultFields {
  static func filled(_ json: String, message: String) -> String {
    guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return json }
    return render(object, message: message)
  }

  static func render(_ object: [String: Any], message fullName: String) -> String {
    // Well-known types have JSON forms of their own (a Timestamp is a string): kept as they are.
    guard !fullName.hasPrefix("google.protobuf."), let message = MessageFields.message(fullName) else {
      return encode(object)
    }
    var members: [String] = []
    var seen: Set<String> = []
    for field in message.field {
      let name = field.hasJsonName ? field.jsonName : field.name
      seen.insert(name)
      if let value = object[name] {
        members.append("\"\(name)\":" + render(value, field))
      } else if let value = defaultValue(field) {
        members.append("\"\(name)\":" + value)
      }
    }
    for key in object.keys.sorted() where !seen.contains(key) {
      members.append(encode(key) + ":" + encode(object[key]!))
    }
    return "{" + members.joined(separator: ",") + "}"
  }

  static func render(_ value: Any, _ field: Google_Protobuf_FieldDescriptorProto) -> String {
    guard field.type == .message, !isMap(field) else { return encode(value) }
    let type = String(field.typeName.drop { $0 == "." })
    if let array = value as? [Any] {
      let items = array.map { item in (item as? [String: Any]).map { render($0, message: type) } ?? encode(item) }
      return "[" + items.joined(separator: ",") + "]"
    }
    return (value as? [String: Any]).map { render($0, message: type) } ?? encode(value)
  }

  static func defaultValue(_ field: Google_Protobuf_FieldDescriptorProto) -> String? {
    if field.hasOneofIndex { return nil }
    if field.label == .repeated { return isMap(field) ? "{}" : "[]" }
    switch field.type {
    case .message, .group: return "null"
    case .bool: return "false"
    case .string, .bytes: return "\"\""
    case .int64, .uint64, .sint64, .fixed64, .sfixed64: return "\"0\""
    case .enum:
      let values = MessageFields.enumValues(String(field.typeName.drop { $0 == "." }))
      return values.first.map { "\"\($0)\"" } ?? "0"
    default: return "0"
    }
  }

  static func isMap(_ field: Google_Protobuf_FieldDescriptorProto) -> Bool {
    guard field.type == .message, field.label == .repeated else { return false }
    return MessageFields.message(String(field.typeName.drop { $0 == "." }))?.options.mapEntry == true
  }

  static func encode(_ value: Any) -> String {
    let data = try? JSONSerialization.data(
      withJSONObject: value, options: [.fragmentsAllowed, .withoutEscapingSlashes])
    return data.map { String(decoding: $0, as: UTF8.self) } ?? "null"
  }
}
