// swift-tools-version: 6.1
// Builds the two protoc plugins the contract needs, pinned to the versions the daemon links.
// Only `tools/generate-protos` uses this package; CI never builds it.
import PackageDescription

let package = Package(
  name: "protoc-plugins",
  dependencies: [
    .package(url: "https://github.com/apple/swift-protobuf.git", exact: "1.39.0"),
    .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", exact: "2.4.1"),
  ],
  targets: []
)
