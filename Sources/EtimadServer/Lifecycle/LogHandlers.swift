import Foundation
import Logging
import Synchronization

/// The daemon's log output: text lines or JSON objects, one per line, on standard error.
public enum LogOutput {
  /// A logger factory for `LoggingSystem.bootstrap` or for building one logger directly.
  public static func factory(format: String, level: Logger.Level) -> @Sendable (String) -> any LogHandler {
    { label in
      var handler: any LogHandler =
        format == "json" ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
      handler.logLevel = level
      return handler
    }
  }
}

/// One JSON object per line with `time`, `level`, `label`, `message` and the metadata's dot keys.
/// Metadata values keep their type: log a number or a boolean as `.stringConvertible(value)`
/// (`"rpc.duration_ms": .stringConvertible(1.25)`) and it is a JSON number or boolean; strings,
/// and anything else string-convertible, are JSON strings; arrays and dictionaries nest.
public struct JSONLogHandler: LogHandler {
  public var metadata: Logger.Metadata = [:]
  public var logLevel: Logger.Level = .info
  let label: String
  private static let output = Mutex(())

  public init(label: String) { self.label = label }

  public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
    get { metadata[key] }
    set { metadata[key] = newValue }
  }

  public func log(event: LogEvent) {
    let (level, message, metadata) = (event.level, event.message, event.metadata)
    var object: [String: Any] = [
      "time": ISO8601DateFormatter.string(
        from: Date(), timeZone: .gmt, formatOptions: [.withInternetDateTime, .withFractionalSeconds]),
      "level": level.rawValue,
      "label": label,
      "message": message.description,
    ]
    for (key, value) in self.metadata.merging(metadata ?? [:], uniquingKeysWith: { $1 }) {
      object[key] = Self.json(value)
    }
    guard
      var data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
    else { return }
    data.append(0x0A)
    Self.output.withLock { _ in FileHandle.standardError.write(data) }
  }

  /// The JSON value of a metadata value.
  public static func json(_ value: Logger.Metadata.Value) -> Any {
    switch value {
    case .string(let text): text
    case .stringConvertible(let convertible): number(convertible) ?? convertible.description
    case .array(let values): values.map(json)
    case .dictionary(let values): values.mapValues(json)
    }
  }

  /// Booleans and finite numbers as JSON booleans and numbers; nil for anything else.
  private static func number(_ value: any CustomStringConvertible & Sendable) -> Any? {
    switch value {
    case let flag as Bool: flag
    case let integer as any BinaryInteger: Int64(exactly: integer).map { $0 as Any } ?? value.description
    case let real as Double: real.isFinite ? real : nil
    case let real as Float: real.isFinite ? Double(real) : nil
    default: nil
    }
  }
}
