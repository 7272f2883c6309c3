import Foundation
import GRPCCore

/// `call -v`: what went over the wire besides the messages, on standard error as grpcurl's
/// `-v` prints it - the request metadata (the bearer token redacted), the response headers
/// and trailers, and the call's request id.
enum VerboseTrace {
  static func requestMetadata(_ metadata: Metadata) {
    printError("Request metadata to send:\n" + lines(metadata) + "\n")
  }

  static func responseHeaders(_ metadata: Metadata) {
    printError("Response headers received:\n" + lines(metadata) + "\n")
  }

  static func responseTrailers(_ metadata: Metadata, requestID: String?, sent: Int, received: Int) {
    printError("Response trailers received:\n" + lines(metadata))
    if let requestID { printError("Request id: \(requestID)") }
    printError(
      "Sent \(sent) request\(sent == 1 ? "" : "s") and received \(received) response\(received == 1 ? "" : "s")")
  }

  /// One `key: value` line per entry, sorted by key; secrets redacted; `(empty)` for none.
  static func lines(_ metadata: Metadata) -> String {
    let entries = metadata.map { entry -> (String, String) in
      let value: String
      switch entry.value {
      case .string(let text): value = redacted(key: entry.key, value: text)
      case .binary(let bytes): value = Data(bytes).base64EncodedString()
      }
      return (entry.key, value)
    }
    guard !entries.isEmpty else { return "(empty)" }
    return entries.sorted { $0.0 < $1.0 }.map { "\($0.0): \($0.1)" }.joined(separator: "\n")
  }

  static func redacted(key: String, value: String) -> String {
    guard key.lowercased() == "authorization" else { return value }
    return value.lowercased().hasPrefix("bearer ") ? "Bearer <redacted>" : "<redacted>"
  }
}
