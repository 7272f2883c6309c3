import EtimadKit
import GRPCCore

/// Facts about the call being handled that interceptors establish and handlers and logs read.
public struct CallInfo: Sendable {
  /// The caller's `x-request-id`, or one the server made for the call.
  public var requestID: String

  @TaskLocal public static var current = CallInfo(requestID: "")
}

extension Metadata {
  /// The first string value of `key`, if any.
  func first(_ key: String) -> String? {
    self[stringValues: key].first(where: { _ in true })
  }
}

extension StreamingServerResponse {
  /// The same response with its body run by `wrap`, so that an interceptor also covers the
  /// part of the call that runs after `next` returns (every response body, streamed or not).
  func wrappingProducer(
    _ wrap:
      @escaping @Sendable (
        _ body: @Sendable (RPCWriter<Message>) async throws -> Metadata, _ writer: RPCWriter<Message>
      ) async throws -> Metadata
  ) -> Self {
    var copy = self
    if case .success(var contents) = accepted {
      let body = contents.producer
      contents.producer = { writer in try await wrap(body, writer) }
      copy.accepted = .success(contents)
    }
    return copy
  }
}
