import EtimadKit
import Foundation
import GRPCCore

/// Gives every call a request id: the caller's `x-request-id` when it sent a sensible one,
/// otherwise a new UUID. The id is echoed in the response metadata (or the error's) and is in
/// every log line of the call; `accept-language` is read here too, once per call.
struct RequestIDInterceptor: ServerInterceptor {
  static let key = "x-request-id"

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    let id = Self.acceptable(request.metadata.first(Self.key)) ?? Hex.randomUUID()
    let info = CallInfo(requestID: id)
    let language = Language(acceptLanguage: request.metadata.first("accept-language"))
    do {
      var response = try await CallInfo.$current.withValue(info) {
        try await Language.$current.withValue(language) { try await next(request, context) }
      }
      switch response.accepted {
      case .success(var contents):
        contents.metadata.replaceOrAddString(id, forKey: Self.key)
        let body = contents.producer
        contents.producer = { writer in
          try await CallInfo.$current.withValue(info) {
            try await Language.$current.withValue(language) { try await body(writer) }
          }
        }
        response.accepted = .success(contents)
      case .failure(var error):
        error.metadata.replaceOrAddString(id, forKey: Self.key)
        response.accepted = .failure(error)
      }
      return response
    } catch var error as RPCError {
      error.metadata.replaceOrAddString(id, forKey: Self.key)
      throw error
    }
  }

  /// A caller's id is kept when it is short printable ASCII, so it cannot flood logs.
  static func acceptable(_ value: String?) -> String? {
    guard let value, !value.isEmpty, value.utf8.count <= 128,
      value.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F })
    else { return nil }
    return value
  }
}
