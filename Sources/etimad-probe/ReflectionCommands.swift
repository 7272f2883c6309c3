import ArgumentParser
import Etimad
import EtimadProtos
import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import SwiftProtobuf

/// A reflection session: asks grpc.reflection.v1 the questions one at a time.
struct ReflectionClient {
  let client: EtimadClient
  let metadata: Metadata
  let options: CallOptions

  func ask(
    _ questions: [Grpc_Reflection_V1_ServerReflectionRequest]
  ) async throws
    -> [Grpc_Reflection_V1_ServerReflectionResponse]
  {
    let reflection = Grpc_Reflection_V1_ServerReflection.Client(wrapping: client.grpc)
    return try await reflection.serverReflectionInfo(
      metadata: metadata, options: options,
      requestProducer: { writer in try await writer.write(contentsOf: questions) },
      onResponse: { response in
        var answers: [Grpc_Reflection_V1_ServerReflectionResponse] = []
        for try await answer in response.messages { answers.append(answer) }
        return answers
      })
  }

  func services() async throws -> [String] {
    let answer = try await ask([.with { $0.listServices = "*" }]).first
    return answer?.listServicesResponse.service.map(\.name).sorted() ?? []
  }

  /// The files that declare `symbol`, with their dependencies.
  func files(containing symbol: String) async throws -> [Google_Protobuf_FileDescriptorProto] {
    guard let answer = try await ask([.with { $0.fileContainingSymbol = symbol }]).first else { return [] }
    if case .errorResponse(let error) = answer.messageResponse {
      throw ValidationError("reflection: \(error.errorMessage)")
    }
    return try answer.fileDescriptorResponse.fileDescriptorProto.map {
      try Google_Protobuf_FileDescriptorProto(serializedBytes: $0)
    }
  }
}

/// Runs `body` with a reflection session, turning call failures into exit codes.
func withReflection<T: Sendable>(
  _ connection: ConnectionOptions, _ body: @Sendable (ReflectionClient) async throws -> T
) async throws -> T {
  let metadata = try connection.metadata()
  try await connection.checkReachable()
  do {
    return try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
      try await body(ReflectionClient(client: client, metadata: metadata, options: connection.callOptions()))
    }
  } catch let error as RPCError {
    printError("error: \(error.code.canonicalName): \(error.message)")
    throw error.code.exitCode
  }
}

/// `list`: the services the daemon serves, from reflection.
struct ListCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list", abstract: "List services (or a service's methods) through server reflection.")

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "A service whose methods to list.")
  var service: String?

  func run() async throws {
    let service = self.service
    let names: [String] = try await withReflection(connection) { reflection in
      guard let service else { return try await reflection.services() }
      let files = try await reflection.files(containing: service)
      for file in files {
        for candidate in file.service where "\(file.package).\(candidate.name)" == service {
          return candidate.method.map { "\(service).\($0.name)" }
        }
      }
      throw ValidationError("no service '\(service)'")
    }
    if connection.format == .json {
      print(JSONText.array(names))
    } else {
      for name in names { print(name) }
    }
  }
}

/// `describe`: a service, method, message or enum in proto syntax, from reflection.
struct DescribeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "describe", abstract: "Describe a service, method, message or enum through server reflection.")

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "A fully-qualified symbol, such as etimad.platform.v1.PlatformService.")
  var symbol: String

  func run() async throws {
    let symbol = self.symbol.replacingOccurrences(of: "/", with: ".")
    let files = try await withReflection(connection) { try await $0.files(containing: symbol) }
    guard let text = ProtoText.describe(symbol, in: files, json: connection.format == .json) else {
      printError("error: '\(symbol)' not found in the files reflection returned")
      throw ExitCode(64 + 5)
    }
    print(text)
  }
}

/// Renders descriptors in proto syntax (text) or as descriptor JSON.
enum ProtoText {
  static func describe(_ symbol: String, in files: [Google_Protobuf_FileDescriptorProto], json: Bool) -> String? {
    for file in files {
      let prefix = file.package.isEmpty ? "" : file.package + "."
      for service in file.service {
        let name = prefix + service.name
        if name == symbol {
          return json ? (try? service.jsonString()) : render(service, package: file.package)
        }
        for method in service.method where "\(name).\(method.name)" == symbol {
          return json ? (try? method.jsonString()) : "\(symbol) is a method:\n  " + render(method)
        }
      }
      if let found = find(symbol, in: file.messageType, scope: prefix, json: json) { return found }
      for enumeration in file.enumType where prefix + enumeration.name == symbol {
        return json ? (try? enumeration.jsonString()) : render(enumeration, indent: "")
      }
    }
    return nil
  }

  static func find(
    _ symbol: String, in messages: [Google_Protobuf_DescriptorProto], scope: String, json: Bool
  )
    -> String?
  {
    for message in messages {
      let name = scope + message.name
      if name == symbol { return json ? (try? message.jsonString()) : render(message, name: name) }
      for enumeration in message.enumType where name + "." + enumeration.name == symbol {
        return json ? (try? enumeration.jsonString()) : render(enumeration, indent: "")
      }
      if let nested = find(symbol, in: message.nestedType, scope: name + ".", json: json) { return nested }
    }
    return nil
  }

  static func render(_ service: Google_Protobuf_ServiceDescriptorProto, package: String) -> String {
    var lines = ["\(package).\(service.name) is a service:", "service \(service.name) {"]
    for method in service.method { lines.append("  " + render(method)) }
    lines.append("}")
    return lines.joined(separator: "\n")
  }

  static func render(_ method: Google_Protobuf_MethodDescriptorProto) -> String {
    let input = (method.clientStreaming ? "stream " : "") + method.inputType
    let output = (method.serverStreaming ? "stream " : "") + method.outputType
    return "rpc \(method.name) ( \(input) ) returns ( \(output) );"
  }

  static func render(_ message: Google_Protobuf_DescriptorProto, name: String) -> String {
    var lines = ["\(name) is a message:", "message \(message.name) {"]
    for field in message.field {
      let label = field.label == .repeated ? "repeated " : ""
      let type = field.typeName.isEmpty ? typeName(field.type) : field.typeName
      lines.append("  \(label)\(type) \(field.name) = \(field.number);")
    }
    for enumeration in message.enumType { lines.append(render(enumeration, indent: "  ")) }
    lines.append("}")
    return lines.joined(separator: "\n")
  }

  static func render(_ enumeration: Google_Protobuf_EnumDescriptorProto, indent: String) -> String {
    var lines = ["\(indent)enum \(enumeration.name) {"]
    for value in enumeration.value { lines.append("\(indent)  \(value.name) = \(value.number);") }
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

/// Small JSON helpers for the probe's output.
enum JSONText {
  static func array(_ strings: [String]) -> String {
    let data = (try? JSONSerialization.data(withJSONObject: strings, options: [.withoutEscapingSlashes])) ?? Data()
    return String(decoding: data, as: UTF8.self)
  }

  /// A protobuf JSON text re-indented for people, its fields in the order the message
  /// declares them (as protobuf writes them) and non-ASCII kept as is; an empty message is `{}`.
  static func pretty(_ json: String) -> String {
    var out = ""
    var depth = 0
    var inString = false
    var escaped = false
    var previous: Character = " "
    func newline() { out += "\n" + String(repeating: "  ", count: depth) }
    for character in json {
      if inString {
        out.append(character)
        if escaped {
          escaped = false
        } else if character == "\\" {
          escaped = true
        } else if character == "\"" {
          inString = false
        }
        previous = character
        continue
      }
      switch character {
      case "\"":
        if previous == "{" || previous == "[" { newline() }
        inString = true
        out.append(character)
      case "{", "[":
        if previous == "{" || previous == "[" { newline() }
        out.append(character)
        depth += 1
      case "}", "]":
        depth -= 1
        if previous != "{" && previous != "[" { newline() }
        out.append(character)
      case ",":
        out.append(character)
        newline()
      case ":":
        out += ": "
      case " ", "\n", "\t", "\r":
        continue
      default:
        if previous == "{" || previous == "[" { newline() }
        out.append(character)
      }
      previous = character
    }
    return out
  }
}
