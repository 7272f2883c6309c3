import EtimadProtos
import Foundation
import SwiftProtobuf

/// The contract's messages as its descriptor set describes them, to name fields and enum
/// values in error messages.
enum MessageFields {
  static let files: [Google_Protobuf_FileDescriptorProto] =
    (try? Google_Protobuf_FileDescriptorSet(serializedBytes: EtimadDescriptorSet.bytes).file) ?? []

  /// The message called `fullName`, such as `etimad.platform.v1.ValidateIdentifiersRequest`.
  static func message(_ fullName: String) -> Google_Protobuf_DescriptorProto? {
    func find(_ messages: [Google_Protobuf_DescriptorProto], scope: String) -> Google_Protobuf_DescriptorProto? {
      for message in messages {
        let name = scope + message.name
        if name == fullName { return message }
        if let nested = find(message.nestedType, scope: name + ".") { return nested }
      }
      return nil
    }
    for file in files {
      if let found = find(file.messageType, scope: file.package.isEmpty ? "" : file.package + ".") { return found }
    }
    return nil
  }

  /// The JSON names of the message's fields, in declaration order.
  static func names(of fullName: String) -> [String] {
    message(fullName)?.field.map { $0.hasJsonName ? $0.jsonName : $0.name } ?? []
  }

  /// The valid names of each enum field of the message.
  static func enumValues(of fullName: String) -> [(field: String, values: [String])] {
    guard let message = message(fullName) else { return [] }
    return message.field.filter { $0.type == .`enum` }.map { field in
      let enumName = String(field.typeName.drop { $0 == "." })
      return (field.hasJsonName ? field.jsonName : field.name, enumValues(enumName))
    }
  }

  static func enumValues(_ fullName: String) -> [String] {
    func find(_ messages: [Google_Protobuf_DescriptorProto], scope: String) -> [String]? {
      for message in messages {
        let name = scope + message.name
        for enumeration in message.enumType where name + "." + enumeration.name == fullName {
          return enumeration.value.map(\.name)
        }
        if let nested = find(message.nestedType, scope: name + ".") { return nested }
      }
      return nil
    }
    for file in files {
      let prefix = file.package.isEmpty ? "" : file.package + "."
      for enumeration in file.enumType where prefix + enumeration.name == fullName {
        return enumeration.value.map(\.name)
      }
      if let found = find(file.messageType, scope: prefix) { return found }
    }
    return []
  }
}
