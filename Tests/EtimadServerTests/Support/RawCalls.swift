import Etimad
import EtimadProtos
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf

/// Calls `entry` with an empty request (never a valid one: no change is made) and returns the
/// status code, nil when the call succeeded; streams are read to their first message only.
/// The access tests use it to ask the daemon who it admits to each method.
func callEmpty(_ entry: MethodCatalogEntry, on client: EtimadClient) async -> RPCError.Code? {
  await RawCall.call(entry, entry.requestType, entry.responseType, on: client)
}

enum RawCall {
  /// Calls with an empty request (never a valid one: no change is made) and returns the code,
  /// nil when the call succeeded; streams are read to their first message only.
  static func call<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
    _ entry: MethodCatalogEntry, _ request: Request.Type, _ response: Response.Type, on client: EtimadClient
  ) async -> RPCError.Code? {
    let descriptor = MethodDescriptor(fullyQualifiedService: entry.service, method: entry.method)
    do {
      switch entry.kind {
      case .unary:
        try await client.grpc.unary(
          request: ClientRequest(message: Request()), descriptor: descriptor,
          serializer: ProtobufSerializer<Request>(), deserializer: ProtobufDeserializer<Response>(), options: .defaults
        ) { response in _ = try response.message }
      case .serverStreaming:
        try await client.grpc.serverStreaming(
          request: ClientRequest(message: Request()), descriptor: descriptor,
          serializer: ProtobufSerializer<Request>(), deserializer: ProtobufDeserializer<Response>(), options: .defaults
        ) { response in
          for try await _ in response.messages { break }
        }
      case .clientStreaming, .bidirectionalStreaming:
        try await client.grpc.bidirectionalStreaming(
          request: StreamingClientRequest(of: Request.self) { writer in try await writer.write(Request()) },
          descriptor: descriptor, serializer: ProtobufSerializer<Request>(),
          deserializer: ProtobufDeserializer<Response>(), options: .defaults
        ) { response in
          for try await _ in response.messages { break }
        }
      }
      return nil
    } catch let error as RPCError {
      return error.code
    } catch {
      return .unknown
    }
  }
}
