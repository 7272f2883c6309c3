import GRPCCore

/// A server transport whose request messages are held to a size per method: a larger message
/// (or the marker `OversizeMessageHandler` left in its place) is answered RESOURCE_EXHAUSTED
/// with the limit in the status message, before any decoding.
/// Methods that take large messages (uploads) get their own limit in `perMethod`.
struct RequestSizeLimitedTransport<Base: ServerTransport>: ServerTransport {
  typealias Bytes = Base.Bytes

  let base: Base
  let defaultLimit: Int
  let perMethod: [String: Int]

  /// The largest limit of any method: the transport's own maximum must lie above it.
  var largestLimit: Int { max(defaultLimit, perMethod.values.max() ?? 0) }

  func configure(context: GRPCServerContext) { base.configure(context: context) }

  func listen(
    streamHandler: @escaping @Sendable (RPCStream<Inbound, Outbound>, ServerContext) async -> Void
  ) async throws {
    try await base.listen { stream, context in
      let limit = perMethod[stream.descriptor.fullyQualifiedMethod] ?? defaultLimit
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
