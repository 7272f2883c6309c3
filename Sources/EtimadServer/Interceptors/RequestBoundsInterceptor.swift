import EtimadKit
import GRPCCore
import SwiftProtobuf

/// Checks every request message against the contract's bounds (`RequestBounds`: times and
/// dates in range, amounts under the ceiling, strings and lists of sensible size) as the
/// handler reads it, so no handler ever sees a value that could make it trap or spin.
struct RequestBoundsInterceptor: ServerInterceptor {
  static let domain = "platform.etimad.sa"

  func intercept<Input: Sendable, Output: Sendable>(
    request: StreamingServerRequest<Input>,
    context: ServerContext,
    next: @Sendable (StreamingServerRequest<Input>, ServerContext) async throws -> StreamingServerResponse<Output>
  ) async throws -> StreamingServerResponse<Output> {
    var checked = request
    checked.messages = RPCAsyncSequence(
      wrapping: request.messages.map { message in
        if let message = message as? any SwiftProtobuf.Message {
          try RequestBounds.check(message, domain: Self.domain)
        }
        return message
      })
    return try await next(checked, context)
  }
}
