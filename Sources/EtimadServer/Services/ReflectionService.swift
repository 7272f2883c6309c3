import EtimadProtos
import Foundation
import GRPCCore
import SwiftProtobuf

/// What reflection answers from: every file of the contract by name, the file that declares
/// each symbol, and the services this server registers.
struct ReflectionIndex: Sendable {
  let files: [String: Google_Protobuf_FileDescriptorProto]
  let serializedFiles: [String: Data]
  let fileBySymbol: [String: String]
  let services: [String]

  init(descriptorSet: Data, services: [String]) throws {
    let set = try Google_Protobuf_FileDescriptorSet(serializedBytes: descriptorSet)
    var files: [String: Google_Protobuf_FileDescriptorProto] = [:]
    var serialized: [String: Data] = [:]
    var symbols: [String: String] = [:]
    for file in set.file {
      files[file.name] = file
      serialized[file.name] = try file.serializedBytes()
      let prefix = file.package.isEmpty ? "" : file.package + "."
      func addMessages(_ messages: [Google_Protobuf_DescriptorProto], scope: String) {
        for message in messages {
          let name = scope + message.name
          symbols[name] = file.name
          for field in message.field { symbols[name + "." + field.name] = file.name }
          for nested in message.enumType { symbols[name + "." + nested.name] = file.name }
          addMessages(message.nestedType, scope: name + ".")
        }
      }
      addMessages(file.messageType, scope: prefix)
      for enumeration in file.enumType { symbols[prefix + enumeration.name] = file.name }
      for service in file.service {
        symbols[prefix + service.name] = file.name
        for method in service.method { symbols[prefix + service.name + "." + method.name] = file.name }
      }
      for fileExtension in file.extension { symbols[prefix + fileExtension.name] = file.name }
    }
    self.files = files
    self.serializedFiles = serialized
    self.fileBySymbol = symbols
    self.services = services.sorted()
  }

  /// The file and every file it imports, transitively, the requested file first.
  func withDependencies(_ name: String) -> [Data]? {
    guard files[name] != nil else { return nil }
    var order: [String] = []
    var seen: Set<String> = []
    func visit(_ name: String) {
      guard seen.insert(name).inserted, let file = files[name] else { return }
      order.append(name)
      for dependency in file.dependency { visit(dependency) }
    }
    visit(name)
    return order.compactMap { serializedFiles[$0] }
  }

  func answer(_ request: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
    var response = Grpc_Reflection_V1_ServerReflectionResponse()
    response.validHost = request.host
    response.originalRequest = request
    func files(_ name: String?, missing: String) {
      if let name, let files = withDependencies(name) {
        response.fileDescriptorResponse = .with { $0.fileDescriptorProto = files }
      } else {
        response.errorResponse = .with {
          $0.errorCode = Int32(RPCError.Code.notFound.rawValue)
          $0.errorMessage = missing
        }
      }
    }
    switch request.messageRequest {
    case .listServices:
      response.listServicesResponse = .with {
        $0.service = services.map { name in .with { $0.name = name } }
      }
    case .fileByFilename(let name):
      files(name, missing: "File '\(name)' not found.")
    case .fileContainingSymbol(let symbol):
      files(fileBySymbol[symbol], missing: "Symbol '\(symbol)' not found.")
    case .fileContainingExtension(let request):
      files(nil, missing: "No extension \(request.extensionNumber) of '\(request.containingType)'.")
    case .allExtensionNumbersOfType(let type):
      if fileBySymbol[type] != nil {
        response.allExtensionNumbersResponse = .with { $0.baseTypeName = type }
      } else {
        files(nil, missing: "Type '\(type)' not found.")
      }
    case nil:
      response.errorResponse = .with {
        $0.errorCode = Int32(RPCError.Code.invalidArgument.rawValue)
        $0.errorMessage = "The request names no question."
      }
    }
    return response
  }
}

/// `grpc.reflection.v1.ServerReflection`, so that grpcurl, Postman and the probe can list and
/// describe the services.
struct ReflectionService: Grpc_Reflection_V1_ServerReflection.SimpleServiceProtocol {
  let index: ReflectionIndex

  func serverReflectionInfo(
    request: RPCAsyncSequence<Grpc_Reflection_V1_ServerReflectionRequest, any Error>,
    response: RPCWriter<Grpc_Reflection_V1_ServerReflectionResponse>,
    context: ServerContext
  ) async throws {
    for try await question in request {
      try await response.write(index.answer(question))
    }
  }
}

/// `grpc.reflection.v1alpha.ServerReflection`, still the one many tools ask first. Its messages
/// are wire-identical to v1's, so it answers through the same index by re-reading the bytes.
struct ReflectionServiceV1Alpha: Grpc_Reflection_V1alpha_ServerReflection.SimpleServiceProtocol {
  let index: ReflectionIndex

  func serverReflectionInfo(
    request: RPCAsyncSequence<Grpc_Reflection_V1alpha_ServerReflectionRequest, any Error>,
    response: RPCWriter<Grpc_Reflection_V1alpha_ServerReflectionResponse>,
    context: ServerContext
  ) async throws {
    for try await question in request {
      let v1 = try Grpc_Reflection_V1_ServerReflectionRequest(
        serializedBytes: try question.serializedBytes() as [UInt8])
      let answer = index.answer(v1)
      try await response.write(
        Grpc_Reflection_V1alpha_ServerReflectionResponse(serializedBytes: try answer.serializedBytes() as [UInt8]))
    }
  }
}
