/// Limits on what an error may carry back to the caller: an error must never echo unbounded
/// input into trailers (grpcio then reports its own RESOURCE_EXHAUSTED instead of the error).
extension EtimadError {
  /// Characters kept of any one text (message, field path, description, metadata value).
  public static let maximumTextLength = 256
  /// Field violations kept; the rest are summarised by the count in the message.
  public static let maximumViolations = 20

  /// This error with every text cut to `maximumTextLength` and at most `maximumViolations`
  /// field violations, so that its `grpc-status-details-bin` stays within a few KiB.
  public func bounded() -> EtimadError {
    var copy = self
    copy.reason = Self.cut(reason)
    copy.domain = Self.cut(domain)
    copy.message = LocalizedString(en: Self.cut(message.english), ar: Self.cut(message.arabic))
    copy.fieldViolations = fieldViolations.prefix(Self.maximumViolations).map {
      FieldViolation(
        field: Self.cut($0.field), reason: Self.cut($0.reason),
        description: LocalizedString(en: Self.cut($0.description.english), ar: Self.cut($0.description.arabic)))
    }
    copy.metadata = Dictionary(
      metadata.prefix(Self.maximumViolations).map { (Self.cut($0.key), Self.cut($0.value)) },
      uniquingKeysWith: { first, _ in first })
    return copy
  }

  /// `text` cut to `limit` Unicode scalars (not characters: one grapheme may hold megabytes
  /// of combining marks), with an ellipsis when it was longer.
  public static func cut(_ text: String, limit: Int = maximumTextLength) -> String {
    guard text.utf8.count > limit else { return text }
    var scalars = String.UnicodeScalarView()
    scalars.append(contentsOf: text.unicodeScalars.prefix(limit))
    return String(scalars) + "…"
  }
}
