import GRPCCore

extension RPCError.Code {
  /// The status code's canonical name, as gRPC's status code table and other gRPC
  /// implementations spell it: `INVALID_ARGUMENT`, `NOT_FOUND`. (Its `description` is
  /// grpc-swift's own spelling, `invalidArgument`.)
  public var canonicalName: String { Self.canonicalNames[rawValue] }

  /// The canonical names in code order, 0 = OK.
  public static let canonicalNames = [
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND", "ALREADY_EXISTS",
    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",
    "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS", "UNAUTHENTICATED",
  ]
}
