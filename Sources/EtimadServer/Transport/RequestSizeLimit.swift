import GRPCCore

/// How large a request message each method accepts: `standard` bytes, or its own limit in
/// `perMethod` (methods that take large messages, such as uploads), keyed by
/// `package.Service/Method`. `RequestSizeLimitedTransport` and `OversizeMessageHandler` read
/// the same value, so the two never disagree.
struct RequestSizeLimits: Sendable {
  let standard: Int
  let perMethod: [String: Int]

  func limit(method: String) -> Int { perMethod[method] ?? standard }

  /// By the HTTP/2 `:path`, `/package.Service/Method`.
  func limit(path: String) -> Int { limit(method: String(path.dropFirst())) }

  /// The largest limit of any method: the transport's own maximum must lie above it.
  var largest: Int { max(standard, perMethod.values.max() ?? 0) }
}

/// A server transport whose request messages are held to `RequestSizeLimits`: a larger message
/// (or the marker `OversizeMessageHandler` left in its place) is answered RESOURCE_EXHAUSTED
/// with the limit in the status message, before any decoding.
struct RequestSizeLimitedTransport<Base: ServerTransport>: ServerTransport {
  typealias Bytes = Base.Bytes

  let base: Base
  let limits: RequestSizeLimits

  func configure(context: GRPCServerContext) { base.configure(context: context) }

  func listen(
    streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
  ) async throws {
    try await base.listen { stream, context in
      let limit = limits.limit(method: stream.descriptor.fullyQualifiedMethod)
      let inbound = RPCAsyncSequence(
        wrapping: stream.inbound.map { part in
          guard case .message(let bytes) = part else { return part }
          let size = bytes.withUnsafeBytes { OversizeMessageHandler.oversizeLength($0) } ?? bytes.count
          if size > limit {
            throw RPCError(
              code: .resourceExhausted,
              message: "The request message has \(size) bytes; this method accepts at most \(limit).")
          }
          return part
        })
      await streamHandler(
        RPCStream(descriptor: stream.descriptor, inbound: inbound, outbound: stream.outbound), context)
    }
  }

  func beginGracefulShutdown() { base.beginGracefulShutdown() }
}
