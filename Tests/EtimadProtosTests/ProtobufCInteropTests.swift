import EtimadProtos
import EtimadTestSupport
import Foundation
import SwiftProtobuf
import Testing

/// Our messages and libprotobuf-c's agree byte for byte, both ways: a C program built from the
/// same .proto files with protoc-c encodes fixed values that swift-protobuf decodes to equal
/// messages (and encodes to the same bytes), and decodes swift-protobuf's bytes back.
@Suite("protobuf-c compatibility")
struct ProtobufCInteropTests {
  /// The values `Tests/Interop/protobuf-c/interop.c` encodes and expects, by its names.
  static let messages: [(String, any SwiftProtobuf.Message)] = [
    (
      "money",
      Etimad_Type_V1_Money.with {
        $0.currencyCode = "SAR"
        $0.amountHalalas = 123_456_789_012_345
      }
    ),
    (
      "money_negative",
      Etimad_Type_V1_Money.with {
        $0.currencyCode = "SAR"
        $0.amountHalalas = -250
      }
    ),
    ("localized_text", name),
    (
      "server_info",
      Etimad_Platform_V1_GetServerInfoResponse.with {
        $0.name = name
        $0.version = "1.0.0"
        $0.serverTime = .with {
          $0.seconds = 1_764_000_000
          $0.nanos = 500
        }
        $0.hijriDate = "1447-06-04"
        $0.services = ["grpc.health.v1.Health", "etimad.platform.v1.PlatformService", "خدمة المنصة"]
        $0.timeZone = "Asia/Riyadh"
      }
    ),
    (
      "validate_request",
      Etimad_Platform_V1_ValidateIdentifiersRequest.with {
        $0.personID = .with {
          $0.type = .iqama
          $0.number = "2000000002"
        }
        $0.iban = "SA0380000000608010167519"
        $0.mobile = "+966501234567"
      }
    ),
  ]

  static let name = Etimad_Type_V1_LocalizedText.with {
    $0.ar = "منصة اعتماد"
    $0.en = "Etimad platform"
  }

  @Test("protobuf-c's bytes decode to the same messages and equal swift-protobuf's bytes")
  func cToSwift() async throws {
    let program = try Self.program()
    let run = try Self.run(program, ["encode"])
    try #require(run.status == 0, "\(run.stderr)")
    var seen = 0
    for line in run.stdout.split(separator: "\n") {
      let parts = line.split(separator: " ")
      try #require(parts.count == 2)
      let (name, hex) = (String(parts[0]), String(parts[1]))
      let expected = try #require(Self.messages.first { $0.0 == name }?.1, "unknown message \(name)")
      let bytes = try #require(Hex.decode(hex))
      let decoded = try type(of: expected).init(serializedBytes: bytes)
      #expect(decoded.isEqualTo(message: expected), "\(name) decoded differently")
      #expect(try expected.serializedBytes() as [UInt8] == bytes, "\(name) encodes differently")
      seen += 1
    }
    #expect(seen == Self.messages.count)
  }

  @Test("swift-protobuf's bytes decode in protobuf-c to the same values")
  func swiftToC() async throws {
    let program = try Self.program()
    for (name, message) in Self.messages {
      let run = try Self.run(program, ["decode", name, Hex.encode(try message.serializedBytes())])
      #expect(run.status == 0, "\(name): \(run.stdout)\(run.stderr)")
      #expect(run.stdout.contains("ok \(name)"))
    }
  }

  /// `ETIMAD_PBC_INTEROP`, or the program built once per test process with the folder's script.
  static func program() throws -> String {
    if let path = ProcessInfo.processInfo.environment["ETIMAD_PBC_INTEROP"] { return path }
    return try built.get()
  }

  static let built: Result<String, any Error> = Result {
    let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
    let script = root.appendingPathComponent("Tests/Interop/protobuf-c/build.sh").path
    let out = FileManager.default.temporaryDirectory.appendingPathComponent("etimad-pbc-\(getpid())").path
    let build = try run("/bin/bash", [script, out])
    guard build.status == 0 else {
      throw InteropError(
        "building the protobuf-c program failed (needs protoc-c, libprotobuf-c-dev, cc):\n\(build.stderr)")
    }
    return out + "/pbc-interop"
  }

  static func run(_ path: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
    let run = try ProgramRun.runBlocking(path, arguments)
    return (run.status, run.stdout, run.stderr)
  }
}

struct InteropError: Error, CustomStringConvertible {
  let description: String
  init(_ description: String) { self.description = description }
}

enum Hex {
  static func encode(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02x", $0) }.joined()
  }

  static func decode(_ text: String) -> [UInt8]? {
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
      let next = text.index(index, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
      guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
      bytes.append(byte)
      index = next
    }
    return bytes
  }
}
