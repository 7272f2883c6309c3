import SwiftProtobuf

/// One RPC of the contract as tools see it: its names, its streaming kind and the Swift types
/// of its messages. `MethodCatalog.methods` lists them all.
public struct MethodCatalogEntry: Sendable {
  /// How many messages each side sends.
  public enum Kind: String, Sendable {
    case unary, clientStreaming, serverStreaming, bidirectionalStreaming
  }

  /// The fully-qualified service name, such as `etimad.platform.v1.PlatformService`.
  public let service: String
  /// The method's name within its service, such as `GetServerInfo`.
  public let method: String
  public let kind: Kind
  public let requestType: any SwiftProtobuf.Message.Type
  public let responseType: any SwiftProtobuf.Message.Type

  /// `package.Service/Method`, the form grpcurl and the probe accept.
  public var fullName: String { "\(service)/\(method)" }
}
