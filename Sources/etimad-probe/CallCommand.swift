import ArgumentParser
import Etimad
import Foundation
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf

/// `call`: any method of the contract from JSON, answered in JSON, like grpcurl.
struct CallCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "call",
    abstract: "Call a method with a JSON request; prints the JSON response. A failed call exits 64 + its status code.",
    discussion: """
      METHOD is package.Service/Method (or package.Service.Method). For client-streaming
      methods, -d takes a JSON array of requests. Use -d @FILE to read the request from a file.
      """)

  @OptionGroup var connection: ConnectionOptions

  @Argument(help: "The method, such as etimad.platform.v1.PlatformService/GetServerInfo.")
  var method: String

  @Option(name: .customShort("d"), help: "The request as JSON (default {}), or @FILE.")
  var data = "{}"

  @Flag(help: "Send the access token saved by 'login'.")
  var withToken = false

  func run() async throws {
    let entry = try MethodLookup.entry(method)
    let json = try RequestJSON.load(data)
    let metadata = try connection.metadata()
    let options = connection.callOptions()
    let pretty = connection.format == .text
    do {
      try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
        if withToken, let token = TokenFile.load() { client.session.value = token }
        try await GenericCall.run(
          entry, entry.requestType, entry.responseType, json: json, client: client, metadata: metadata,
          options: options
        ) { response in
          print(pretty ? JSONText.pretty(response) : response)
        }
      }
    } catch let error as RPCError {
      CallFailure.report(error, json: connection.format == .json)
      throw error.code.exitCode
    }
  }
}

enum MethodLookup {
  static func entry(_ name: String) throws -> MethodCatalogEntry {
    var key = name.hasPrefix("/") ? String(name.dropFirst()) : name
    if !key.contains("/"), let dot = key.lastIndex(of: ".") {
      key.replaceSubrange(dot...dot, with: "/")
    }
    guard let entry = MethodCatalog.methods[key] else {
      let near = MethodCatalog.methods.keys.filter {
        $0.lowercased().contains(key.split(separator: "/").last?.lowercased() ?? "")
      }
      throw ValidationError(
        "unknown method '\(name)'"
          + (near.isEmpty ? "; 'list' shows the services" : "; did you mean \(near.sorted().joined(separator: ", "))?"))
    }
    return entry
  }
}

enum RequestJSON {
  static func load(_ text: String) throws -> String {
    guard text.hasPrefix("@") else { return text }
    let path = String(text.dropFirst())
    do {
      return path == "-"
        ? String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        : try String(contentsOfFile: path, encoding: .utf8)
    } catch {
      throw ValidationError("cannot read request file \(path)")
    }
  }

  /// The requests in `json`: one object, or an array of them for streaming requests.
  static func messages<Request: SwiftProtobuf.Message>(
    _ type: Request.Type, from json: String, many: Bool
  ) throws
    -> [Request]
  {
    do {
      if many, let array = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [Any] {
        return try array.map {
          let data = try JSONSerialization.data(withJSONObject: $0)
          return try Request(jsonUTF8Data: data)
        }
      }
      return [try Request(jsonString: json)]
    } catch {
      throw ValidationError("the request is not a valid \(Request.protoMessageName) in JSON: \(error)")
    }
  }
}

enum GenericCall {
  /// Calls `entry` with requests decoded from `json`, handing each response as JSON to `output`.
  static func run<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ entry: MethodCatalogEntry, _ request: Request.Type, _ response: Response.Type, json: String,
    client: EtimadClient, metadata: Metadata, options: CallOptions,
    output: @escaping @Sendable (String) -> Void
  ) async throws {
    let streamingRequest = entry.kind == .clientStreaming || entry.kind == .bidirectionalStreaming
    let messages = try RequestJSON.messages(Request.self, from: json, many: streamingRequest)
    let descriptor = MethodDescriptor(fullyQualifiedService: entry.service, method: entry.method)
    let encode = JSONEncodingOptions()
    try await client.grpc.bidirectionalStreaming(
      request: StreamingClientRequest(metadata: metadata) { writer in try await writer.write(contentsOf: messages) },
      descriptor: descriptor,
      serializer: ProtobufSerializer<Request>(),
      deserializer: ProtobufDeserializer<Response>(),
      options: options
    ) { response in
      for try await message in response.messages {
        output(try message.jsonString(options: encode))
      }
    }
  }
}

enum CallFailure {
  /// The status, its message and the decoded `google.rpc.Status` details, on standard error.
  static func report(_ error: RPCError, json: Bool) {
    let details = error.etimadDetails
    if json {
      var object: [String: Any] = ["code": "\(error.code)", "message": error.message]
      if let details {
        object["reason"] = details.reason
        object["domain"] = details.domain
        object["localized_message"] = details.localizedMessage
        object["field_violations"] = details.fieldViolations.map {
          ["field": $0.field, "reason": $0.reason, "description": $0.description]
        }
        if !details.metadata.isEmpty { object["metadata"] = details.metadata }
      }
      if let data = try? JSONSerialization.data(
        withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
      {
        printError(String(decoding: data, as: UTF8.self))
      }
      return
    }
    printError("ERROR:\n  Code: \(error.code)\n  Message: \(error.message)")
    guard let details else { return }
    if let reason = details.reason { printError("  Reason: \(reason) (\(details.domain ?? ""))") }
    if let message = details.localizedMessage { printError("  Localized: \(message)") }
    for violation in details.fieldViolations {
      printError("  Field \(violation.field): \(violation.reason): \(violation.description)")
    }
    for (key, value) in details.metadata.sorted(by: { $0.key < $1.key }) { printError("  \(key): \(value)") }
  }
}
