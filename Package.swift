// swift-tools-version: 6.1
import PackageDescription

let package = Package(
  name: "etimad",
  platforms: [.macOS(.v15)],
  products: [
    .library(name: "Etimad", targets: ["Etimad"]),
    .library(name: "EtimadServer", targets: ["EtimadServer"]),
    .executable(name: "etimadd", targets: ["etimadd"]),
    .executable(name: "etimad-probe", targets: ["etimad-probe"]),
  ],
  dependencies: [
    .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.3"),
    .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.2"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
    .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
    .package(url: "https://github.com/apple/swift-certificates.git", from: "1.21.1"),
    .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
    .package(url: "https://github.com/apple/swift-asn1.git", from: "1.7.4"),
    .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
    .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    .package(url: "https://github.com/apple/swift-nio-http2.git", from: "1.46.0"),
    .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
  ],
  targets: [
    // Generated code only: messages, stubs, the descriptor set and the method catalog.
    .target(
      name: "EtimadProtos",
      dependencies: [
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
      ]
    ),
    // Shared pieces of every area: value types, errors, principal, storage, audit, paging.
    .target(
      name: "EtimadKit",
      dependencies: [
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRDB", package: "GRDB.swift"),
        // Hot one-statement reads go to SQLite directly (SQLRows.swift).
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    // National single sign-on, sessions, agencies on the mutual-TLS port.
    .target(
      name: "EtimadIdentity",
      dependencies: [
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "CryptoExtras", package: "swift-crypto"),
        .product(name: "NIOPosix", package: "swift-nio"),
      ]
    ),
    // Debts agencies register on individuals: ledger, change and relief requests, instalment plans.
    .target(
      name: "EtimadDebts",
      dependencies: [
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // Inquiry into government payments for Ministry of Interior services: search, balances, export, refunds.
    .target(
      name: "EtimadPayments",
      dependencies: [
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        // The export reads text columns straight from SQLite into its buffer.
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
      ]
    ),
    // Published competitions with Arabic-aware full-text search.
    .target(
      name: "EtimadTenders",
      dependencies: [
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRDB", package: "GRDB.swift"),
        // The ranking function is an FTS5 auxiliary function (TenderRank.swift).
        .product(name: "GRDBSQLite", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
      ]
    ),
    // Contact us: channels with their hours, support tickets protected by a proof-of-work challenge.
    .target(
      name: "EtimadSupport",
      dependencies: [
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    // Assembles the areas into the daemon: TLS, listeners, interceptors, health, reflection,
    // metrics, lifecycle.
    .target(
      name: "EtimadServer",
      dependencies: [
        "EtimadKit",
        "EtimadIdentity",
        "EtimadDebts",
        "EtimadPayments",
        "EtimadTenders",
        "EtimadSupport",
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "Metrics", package: "swift-metrics"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOHTTP2", package: "swift-nio-http2"),
        .product(name: "NIOHPACK", package: "swift-nio-http2"),
      ]
    ),
    // The client library apps embed.
    .target(
      name: "Etimad",
      dependencies: [
        "EtimadProtos",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        // SupportClient solves the support form's proof-of-work challenge (SHA-256).
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .executableTarget(
      name: "etimadd",
      dependencies: [
        "EtimadServer",
        "EtimadIdentity",
        "EtimadDebts",
        "EtimadPayments",
        "EtimadTenders",
        "EtimadKit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
      ]
    ),
    .executableTarget(
      name: "etimad-probe",
      dependencies: [
        "Etimad",
        "EtimadProtos",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Histogram", package: "hdrhistogram-swift"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOTLS", package: "swift-nio"),
        .product(name: "SwiftASN1", package: "swift-asn1"),
      ]
    ),
    // Spawns the programs the tests run (etimadd, the probe, the protobuf-c checker).
    .target(name: "EtimadTestSupport", path: "Tests/Support"),
    .testTarget(
      name: "EtimadKitTests",
      dependencies: [
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .testTarget(
      name: "EtimadProtosTests",
      dependencies: [
        "EtimadProtos", "EtimadKit", "EtimadTestSupport", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .testTarget(
      name: "EtimadDebtsTests",
      dependencies: [
        "EtimadDebts",
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .testTarget(
      name: "EtimadPaymentsTests",
      dependencies: [
        "EtimadPayments",
        "EtimadKit",
        "EtimadProtos",
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .testTarget(
      name: "EtimadTendersTests",
      dependencies: [
        "EtimadTenders",
        "EtimadKit",
        "EtimadProtos",
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]
    ),
    .testTarget(
      name: "EtimadSupportTests",
      dependencies: [
        "EtimadSupport",
        "EtimadKit",
        .product(name: "Crypto", package: "swift-crypto"),
      ]
    ),
    .testTarget(
      name: "EtimadServerTests",
      dependencies: [
        "EtimadServer",
        "EtimadIdentity",
        "EtimadDebts",
        "EtimadPayments",
        "EtimadTenders",
        "EtimadSupport",
        "Etimad",
        "EtimadProtos",
        "EtimadKit",
        "EtimadTestSupport",
        .product(name: "GRPCCore", package: "grpc-swift-2"),
        .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
        .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
        .product(name: "X509", package: "swift-certificates"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
        // Reads the daemon's audit trail back from its file.
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        // A raw HTTP/2 peer that breaks the rules grpc clients keep (FrameGuardTests).
        .product(name: "NIOSSL", package: "swift-nio-ssl"),
        .product(name: "NIOHPACK", package: "swift-nio-http2"),
      ]
    ),
  ],
  swiftLanguageModes: [.v6]
)
