import Etimad
import EtimadServer
import Foundation
import GRPCCore
import GRPCProtobuf
import SwiftProtobuf
import Testing

@Suite("The daemon over TLS")
struct ServerTests {
  @Test("answers health for itself and each service it serves")
  func health() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        // Given a daemon that has started
        // When a client asks for the overall and per-service status
        #expect(try await client.health.status(of: "") == .serving)
        #expect(try await client.health.status(of: "etimad.platform.v1.PlatformService") == .serving)
        let all = try await client.health.list(.init()).statuses
        #expect(Set(all.keys).isSuperset(of: ["", "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection"]))
        // Then an unknown service is NOT_FOUND
        await #expect(throws: RPCError.self) { try await client.health.status(of: "no.such.Service") }
        do {
          _ = try await client.health.status(of: "no.such.Service")
        } catch let error as RPCError {
          #expect(error.code == .notFound)
        }
      }
    }
  }

  @Test("lists its services and serves descriptors with their imports through reflection")
  func reflection() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let reflection = Grpc_Reflection_V1_ServerReflection.Client(wrapping: client.grpc)
        // When the client lists the services and asks for the file declaring a request message
        let answers = try await reflection.serverReflectionInfo(
          requestProducer: { writer in
            try await writer.write(.with { $0.listServices = "*" })
            try await writer.write(.with { $0.fileContainingSymbol = "etimad.platform.v1.ValidateIdentifiersRequest" })
            try await writer.write(.with { $0.fileByFilename = "no/such.proto" })
          },
          onResponse: { response in
            var answers: [Grpc_Reflection_V1_ServerReflectionResponse] = []
            for try await answer in response.messages { answers.append(answer) }
            return answers
          })
        // Then the services are listed
        try #require(answers.count == 3)
        let services = answers[0].listServicesResponse.service.map(\.name)
        #expect(
          Set(services) == [
            "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection",
            "grpc.reflection.v1alpha.ServerReflection", "etimad.platform.v1.PlatformService",
            "etimad.identity.v1.IdentityService", "etimad.debts.v1.DebtService",
            "etimad.payments.v1.GovernmentPaymentService",
            "etimad.tenders.v1.TenderService", "etimad.support.v1.SupportService",
          ])
        // And the file comes with every file it imports
        let names = try answers[1].fileDescriptorResponse.fileDescriptorProto.map {
          try Google_Protobuf_FileDescriptorProto(serializedBytes: $0).name
        }
        #expect(names.first == "etimad/platform/v1/platform_service.proto")
        #expect(Set(names).isSuperset(of: ["etimad/type/v1/person_id.proto", "google/protobuf/timestamp.proto"]))
        // And an unknown file is an error answer, not a broken stream
        #expect(answers[2].errorResponse.errorCode == Int32(RPCError.Code.notFound.rawValue))
      }
    }
  }

  @Test("v1alpha reflection answers like v1")
  func reflectionAlpha() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let reflection = Grpc_Reflection_V1alpha_ServerReflection.Client(wrapping: client.grpc)
        let services = try await reflection.serverReflectionInfo(
          requestProducer: { writer in try await writer.write(.with { $0.listServices = "" }) },
          onResponse: { response in
            var names: [String] = []
            for try await answer in response.messages { names += answer.listServicesResponse.service.map(\.name) }
            return names
          })
        #expect(services.contains("etimad.platform.v1.PlatformService"))
      }
    }
  }

  @Test("reports its version, clock and Hijri date")
  func serverInfo() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let info = try await client.platform.getServerInfo(.init())
        #expect(info.version == EtimadVersion.current)
        #expect(info.timeZone == "Asia/Riyadh")
        #expect(info.hijriDate.hasPrefix("14"))
        #expect(info.name.ar == "منصة اعتماد")
        #expect(abs(info.serverTime.date.timeIntervalSinceNow) < 60)
      }
    }
  }

  @Test("echoes the caller's request id and makes one when absent")
  func requestID() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        let chosen = "probe-\(UUID().uuidString)"
        let echoed = try await client.health.check(.init(), metadata: ["x-request-id": "\(chosen)"]) { response in
          response.metadata[stringValues: "x-request-id"].first(where: { _ in true })
        }
        #expect(echoed == chosen)
        let made = try await client.grpc.unary(
          request: ClientRequest(message: Grpc_Health_V1_HealthCheckRequest()),
          descriptor: Grpc_Health_V1_Health.Method.Check.descriptor,
          serializer: GRPCProtobuf.ProtobufSerializer<Grpc_Health_V1_HealthCheckRequest>(),
          deserializer: GRPCProtobuf.ProtobufDeserializer<Grpc_Health_V1_HealthCheckResponse>(),
          options: .defaults
        ) { response in response.metadata[stringValues: "x-request-id"].first(where: { _ in true }) }
        #expect(made?.isEmpty == false)
      }
    }
  }

  @Test("counts calls under go-grpc-prometheus names on the metrics port")
  func metrics() async throws {
    try await TestDaemon.with { daemon in
      try await EtimadClient.withClient(daemon.publicClient()) { client in
        _ = try await client.health.status(of: "")
        _ = try? await client.health.status(of: "no.such.Service")
      }
      let port = try #require(daemon.endpoints.metricsPort)
      let (data, _) = try await URLSessionless.get("http://127.0.0.1:\(port)/metrics")
      let text = String(decoding: data, as: UTF8.self)
      #expect(
        text.contains(
          #"grpc_server_handled_total{grpc_type="unary",grpc_service="grpc.health.v1.Health",grpc_method="Check",grpc_code="OK"} 1"#
        ))
      #expect(text.contains(#"grpc_code="NotFound"} 1"#))
      #expect(text.contains("grpc_server_started_total"))
      #expect(text.contains("grpc_server_handling_seconds_bucket"))
    }
  }
}
