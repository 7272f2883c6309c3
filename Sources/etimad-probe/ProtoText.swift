import EtimadProtos
import Foundation
import SwiftProtobuf

/// Renders descriptors in proto syntax, with the leading comments of the `.proto` source
/// (reflection serves the files with their source info), or as descriptor JSON.
enum ProtoText {
  static func describe(_ symbol: String, in files: [Google_Protobuf_FileDescriptorProto], json: Bool) -> String? {
    for file in files {
      let source = ProtoComments(file)
      let prefix = file.package.isEmpty ? "" : file.package + "."
      for (s, service) in file.service.enumerated() {
        let name = prefix + service.name
        if name == symbol {
          return json ? (try? service.jsonString()) : "\(name) is a service:\n" + render(service, s, source)
        }
        for (m, method) in service.method.enumerated() where "\(name).\(method.name)" == symbol {
          return json
            ? (try? method.jsonString())
            : "\(symbol) is a method:\n" + render(method, source.comment([6, s, 2, m]), indent: "")
        }
      }
      if let found = find(symbol, in: file.messageType, scope: prefix, path: [4], source, json: json) { return found }
      for (e, enumeration) in file.enumType.enumerated() where prefix + enumeration.name == symbol {
        return json ? (try? enumeration.jsonString()) : render(enumeration, path: [5, Int32(e)], source, indent: "")
      }
    }
    return nil
  }

  /// Every service of `files` with its methods, then the messages and enums those files declare.
  static func describeAll(_ files: [Google_Protobuf_FileDescriptorProto], json: Bool) -> String {
    if json {
      let services = files.flatMap { file in file.service.compactMap { try? $0.jsonString() } }
      return "[" + services.joined(separator: ",") + "]"
    }
    var blocks: [String] = []
    for file in files {
      let source = ProtoComments(file)
      let prefix = file.package.isEmpty ? "" : file.package + "."
      for (s, service) in file.service.enumerated() {
        blocks.append("\(prefix)\(service.name) is a service:\n" + render(service, s, source))
      }
      var types: [String] = []
      func collect(_ messages: [Google_Protobuf_DescriptorProto], scope: String, path: [Int32]) {
        for (i, message) in messages.enumerated() where !message.options.mapEntry {
          let name = scope + message.name
          types.append(line(name, summary: source.comment(path + [Int32(i)])))
          for (e, enumeration) in message.enumType.enumerated() {
            types.append(line(name + "." + enumeration.name, summary: source.comment(path + [Int32(i), 4, Int32(e)])))
          }
          collect(message.nestedType, scope: name + ".", path: path + [Int32(i), 3])
        }
      }
      collect(file.messageType, scope: prefix, path: [4])
      for (e, enumeration) in file.enumType.enumerated() {
        types.append(line(prefix + enumeration.name, summary: source.comment([5, Int32(e)])))
      }
      if !types.isEmpty { blocks.append("Messages and enums of \(file.name):\n" + types.joined(separator: "\n")) }
    }
    return blocks.joined(separator: "\n\n")
  }

  /// `  name  // the comment's first line`.
  static func line(_ name: String, summary comment: String?) -> String {
    guard let first = comment?.split(separator: "\n").first else { return "  \(name)" }
    return "  \(name)  // \(first.trimmingCharacters(in: .whitespaces))"
  }

  static func find(
    _ symbol: String, in messages: [Google_Protobuf_DescriptorProto], scope: String, path: [Int32],
    _ source: ProtoComments, json: Bool
  ) -> String? {
    for (i, message) in messages.enumerated() {
      let name = scope + message.name
      let here = path + [Int32(i)]
      if name == symbol {
        return json ? (try? message.jsonString()) : "\(name) is a message:\n" + render(message, path: here, source)
      }
      for (e, enumeration) in message.enumType.enumerated() where name + "." + enumeration.name == symbol {
        return json
          ? (try? enumeration.jsonString()) : render(enumeration, path: here + [4, Int32(e)], source, indent: "")
      }
      if let nested = find(symbol, in: message.nestedType, scope: name + ".", path: here + [3], source, json: json) {
        return nested
      }
    }
    return nil
  }

  static func render(_ service: Google_Protobuf_ServiceDescriptorProto, _ s: Int, _ source: ProtoComments) -> String {
    var lines = ProtoComments.lines(source.comment([6, Int32(s)]), indent: "") + ["service \(service.name) {"]
    for (m, method) in service.method.enumerated() {
      lines.append(render(method, source.comment([6, Int32(s), 2, Int32(m)]), indent: "  "))
    }
    lines.append("}")
    return lines.joined(separator: "\n")
  }

  static func render(_ method: Google_Protobuf_MethodDescriptorProto, _ comment: String?, indent: String) -> String {
    let input = (method.clientStreaming ? "stream " : "") + method.inputType
    let output = (method.serverStreaming ? "stream " : "") + method.outputType
    return
      (ProtoComments.lines(comment, indent: indent) + [
        "\(indent)rpc \(method.name) ( \(input) ) returns ( \(output) );"
      ])
      .joined(separator: "\n")
  }

  static func render(_ message: Google_Protobuf_DescriptorProto, path: [Int32], _ source: ProtoComments) -> String {
    var lines = ProtoComments.lines(source.comment(path), indent: "") + ["message \(message.name) {"]
    for (f, field) in message.field.enumerated() {
      let label = field.label == .repeated ? "repeated " : ""
      let type = field.typeName.isEmpty ? typeName(field.type) : field.typeName
      lines += ProtoComments.lines(source.comment(path + [2, Int32(f)]), indent: "  ")
      lines.append("  \(label)\(type) \(field.name) = \(field.number);")
    }
    for (e, enumeration) in message.enumType.enumerated() {
      lines.append(render(enumeration, path: path + [4, Int32(e)], source, indent: "  "))
    }
    lines.append("}")
    return lines.joined(separator: "\n")
  }

  static func render(
    _ enumeration: Google_Protobuf_EnumDescriptorProto, path: [Int32], _ source: ProtoComments, indent: String
  ) -> String {
    var lines = ProtoComments.lines(source.comment(path), indent: indent) + ["\(indent)enum \(enumeration.name) {"]
    for (v, value) in enumeration.value.enumerated() {
      lines += ProtoComments.lines(source.comment(path + [2, Int32(v)]), indent: indent + "  ")
      lines.append("\(indent)  \(value.name) = \(value.number);")
    }
    lines.append("\(indent)}")
    return lines.joined(separator: "\n")
  }

  static func typeName(_ type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> String {
    switch type {
    case .double: "double"
    case .float: "float"
    case .int64: "int64"
    case .uint64: "uint64"
    case .int32: "int32"
    case .fixed64: "fixed64"
    case .fixed32: "fixed32"
    case .bool: "bool"
    case .string: "string"
    case .bytes: "bytes"
    case .uint32: "uint32"
    case .sfixed32: "sfixed32"
    case .sfixed64: "sfixed64"
    case .sint32: "sint32"
    case .sint64: "sint64"
    default: "\(type)"
    }
  }
}

/// The leading comments of a file's declarations, by their source-info path (4 = message_type,
/// 2 = field, 3 = nested_type, 4 within a message = enum_type, 5 = enum_type, 6 = service,
/// 2 within a service = method).
struct ProtoComments {
  let byPath: [[Int32]: String]

  init(_ file: Google_Protobuf_FileDescriptorProto) {
    var byPath: [[Int32]: String] = [:]
    for location in file.sourceCodeInfo.location where location.hasLeadingComments {
      byPath[location.path] = location.leadingComments
    }
    self.byPath = byPath
  }

  func comment(_ path: [Int32]) -> String? { byPath[path] }

  func comment(_ path: [Int]) -> String? { byPath[path.map(Int32.init)] }

  /// The comment as `//` lines at `indent`.
  static func lines(_ comment: String?, indent: String) -> [String] {
    guard let comment else { return [] }
    return comment.split(separator: "\n", omittingEmptySubsequences: false)
      .map { $0.hasPrefix(" ") ? String($0.dropFirst()) : String($0) }
      .reversed().drop { $0.trimmingCharacters(in: .whitespaces).isEmpty }.reversed()
      .map { $0.isEmpty ? "\(indent)//" : "\(indent)// \($0)" }
  }
}
