import ArgumentParser
import Etimad
import EtimadProtos
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

  @Option(name: .customShort("d"), help: "The request as JSON (default {}), @FILE, or @ for standard input.")
  var data = "{}"

  @OptionGroup var tokens: TokenOptions

  @Flag(
    name: [.customShort("v"), .customLong("verbose")],
    help: "Print the request metadata, the response headers and trailers and the request id on standard error.")
  var verbose = false

  @Flag(
    help:
      "Print fields left at their default values (0, \"\", false, [], the zero enum value; null for unset messages).")
  var emitDefaults = false

  func run() async throws {
    let entry = try MethodLookup.entry(method)
    let requestName = entry.requestType.protoMessageName
    let (json, freshID) = RequestIDFill.fill(try RequestJSON.load(data), message: requestName)
    let token: String?
    do {
      token = try tokens.token(service: entry.service, method: entry.method, connection: connection)
    } catch let error as NoSavedToken {
      printError("error: \(error.description)")
      throw ExitCode(1)
    }
    let metadata = try requestMetadata(token: token)
    let options = connection.callOptions()
    let pretty = connection.format == .text
    let output = OutputOptions(
      pretty: pretty, emitDefaults: emitDefaults ? entry.responseType.protoMessageName : nil, verbose: verbose)
    // A request that does not decode is refused here, before an id is offered for a retry.
    let streamingRequest = entry.kind == .clientStreaming || entry.kind == .bidirectionalStreaming
    _ = try RequestJSON.messages(entry.requestType, from: json, many: streamingRequest)
    try await connection.checkReachable()
    if let freshID { printError("request_id: \(freshID) (reuse it to retry)") }
    if verbose { VerboseTrace.requestMetadata(metadata) }
    do {
      try await EtimadClient.withClient(try connection.clientConfiguration()) { client in
        try await GenericCall.run(
          entry, entry.requestType, entry.responseType, json: json, client: client, metadata: metadata,
          options: options, output: output)
      }
    } catch let error as RPCError {
      if verbose {
        VerboseTrace.responseTrailers(
          error.metadata, requestID: error.metadata.first("x-request-id") ?? metadata.first("x-request-id"),
          sent: 1, received: 0)
      }
      CallFailure.report(error, json: connection.format == .json)
      if token != nil, error.etimadDetails?.reason == "INVALID_TOKEN" {
        printError(
          "hint: the token saved at \(TokenFile.path) was sent and is no longer valid; run login again, or pass --no-token"
        )
      }
      throw error.code.exitCode
    }
  }

  /// `-H` and `--rpc-header`, with the headers the client library would add filled in here,
  /// so that `-v` shows what is sent: `accept-language`, a fresh `x-request-id` and the token.
  func requestMetadata(token: String?) throws -> Metadata {
    var metadata = try connection.rpcMetadata()
    if metadata.first("accept-language") == nil {
      metadata.addString(try connection.clientConfiguration().acceptLanguage, forKey: "accept-language")
    }
    if metadata.first("x-request-id") == nil {
      metadata.addString(UUID().uuidString.lowercased(), forKey: "x-request-id")
    }
    if let token, metadata.first("authorization") == nil {
      metadata.addString("Bearer \(token)", forKey: "authorization")
    }
    return metadata
  }
}

extension Metadata {
  /// The first string value of `key`.
  func first(_ key: String) -> String? {
    self[stringValues: key].first(where: { _ in true })
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
      // `-d @` (as grpcurl) and `-d @-` read standard input.
      return path == "-" || path.isEmpty
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
    } catch let error as JSONDecodingError {
      throw RequestError(message: Request.protoMessageName, error: error)
    } catch {
      throw RequestError(text: "the request is not a valid \(Request.protoMessageName) in JSON: \(error)")
    }
  }
}

/// How `call` prints responses.
struct OutputOptions: Sendable {
  /// Re-indented for people (text) or one line of JSON.
  var pretty: Bool
  /// The response message's full name when `--emit-defaults` asks for every field.
  var emitDefaults: String?
  /// `-v`: headers and trailers on standard error.
  var verbose: Bool

  func render(_ json: String) -> String {
    let full = emitDefaults.map { DefaultFields.filled(json, message: $0) } ?? json
    return pretty ? JSONText.pretty(full) : full
  }
}

enum GenericCall {
  /// Calls `entry` with requests decoded from `json`, printing each response on standard output.
  static func run<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ entry: MethodCatalogEntry, _ request: Request.Type, _ response: Response.Type, json: String,
    client: EtimadClient, metadata: Metadata, options: CallOptions, output: OutputOptions
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
      if output.verbose, case .success(let contents) = response.accepted {
        VerboseTrace.responseHeaders(contents.metadata)
      }
      var received = 0
      for try await part in response.bodyParts {
        switch part {
        case .message(let message):
          received += 1
          print(output.render(try message.jsonString(options: encode)))
        case .trailingMetadata(let trailers):
          guard output.verbose else { continue }
          let requestID =
            response.metadata.first("x-request-id") ?? trailers.first("x-request-id") ?? metadata.first("x-request-id")
          VerboseTrace.responseTrailers(trailers, requestID: requestID, sent: messages.count, received: received)
        }
      }
    }
  }
}

enum CallFailure {
  /// The status, its message and the decoded `google.rpc.Status` details, on standard error.
  static func report(_ error: RPCError, json: Bool) {
    let details = error.etimadDetails
    if json {
      var object: [String: Any] = ["code": error.code.canonicalName, "message": error.message]
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
    printError("ERROR:\n  Code: \(error.code.canonicalName)\n  Message: \(error.message)")
    guard let details else { return }
    if let reason = details.reason { printError("  Reason: \(reason) (\(details.domain ?? ""))") }
    if let message = details.localizedMessage { printError("  Localized: \(message)") }
    for violation in details.fieldViolations {
      printError("  Field \(violation.field): \(violation.reason): \(violation.description)")
    }
    for (key, value) in details.metadata.sorted(by: { $0.key < $1.key }) { printError("  \(key): \(value)") }
  }
}

/// A request that does not decode, in words that name the field; printed without the usage.
struct RequestError: Error, CustomStringConvertible {
  let description: String

  init(text: String) { description = text }

  init(message: String, error: JSONDecodingError) {
    switch error {
    case .unknownField(let name):
      let fields = MessageFields.names(of: message)
      description =
        "\(message) has no field '\(name)'" + (fields.isEmpty ? "" : "; its fields: \(fields.joined(separator: ", "))")
    case .unrecognizedEnumValue:
      let values = MessageFields.enumValues(of: message)
      description =
        "an enum value in the request is not one of \(message)'s"
        + (values.isEmpty
          ? "" : ": " + values.map { "\($0.field): \($0.values.joined(separator: ", "))" }.joined(separator: "; "))
    default:
      description = "the request is not a valid \(message) in JSON: \(error)"
    }
  }
}
