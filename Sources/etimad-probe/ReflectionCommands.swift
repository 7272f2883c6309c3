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

/// `describe`: a service, method, message or enum in proto syntax with its comments, from
/// reflection; with no symbol, every service with its methods and the messages of their files.
struct DescribeCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "describe",
    abstract: "Describe a service, method, message or enum through server reflection (all services without one).")

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "A fully-qualified symbol, such as etimad.platform.v1.PlatformService; none for everything.")
  var symbol: String?

  func run() async throws {
    let json = connection.format == .json
    guard let symbol = self.symbol?.replacingOccurrences(of: "/", with: ".") else {
      let files = try await withReflection(connection) { reflection in
        var files: [Google_Protobuf_FileDescriptorProto] = []
        for service in try await reflection.services() {
          // The file declaring the service comes first; the rest are its imports.
          if let file = try await reflection.files(containing: service).first,
            !files.contains(where: { $0.name == file.name })
          {
            files.append(file)
          }
        }
        return files
      }
      print(ProtoText.describeAll(files, json: json))
      return
    }
    let files = try await withReflection(connection) { try await $0.files(containing: symbol) }
    guard let text = ProtoText.describe(symbol, in: files, json: json) else {
      printError("error: '\(symbol)' not found in the files reflection returned")
      throw ExitCode(64 + 5)
    }
    print(text)
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
