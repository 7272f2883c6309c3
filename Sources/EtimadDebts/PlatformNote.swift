import EtimadKit

/// The note on a request the platform itself decided (`decided_by` "system"): stored as a
/// stable code and worded at read time in the caller's language, so that Arabic and English
/// readers each get their own text. Rows written before the code (an English sentence naming
/// the state) are worded the same way.
enum PlatformNote {
  static let system = "system"

  /// The stored form of "rejected because the debt closed as `state`".
  static func debtClosed(_ state: DebtRules.State) -> String {
    "platform:debt-closed:\(state.rawValue)"
  }

  /// The note a caller reads: the platform's notes in `language`, any other note as written.
  static func text(_ stored: String, decidedBy: String?, in language: Language = Language.current) -> String {
    guard decidedBy == system else { return stored }
    let closedAs: DebtRules.State? =
      stored.contains(DebtRules.State.cancelled.rawValue)
      ? .cancelled : stored.contains(DebtRules.State.paid.rawValue) ? .paid : nil
    guard let closedAs else { return stored }
    return debtClosedText(closedAs).text(in: language)
  }

  static func debtClosedText(_ state: DebtRules.State) -> LocalizedString {
    state == .cancelled
      ? LocalizedString(
        en: "Closed by the platform: the debt was cancelled before this request was decided.",
        ar: "أُغلق الطلب من المنصة: أُلغيت المديونية قبل البت في هذا الطلب.")
      : LocalizedString(
        en: "Closed by the platform: the debt was paid in full before this request was decided.",
        ar: "أُغلق الطلب من المنصة: سُددت المديونية بالكامل قبل البت في هذا الطلب.")
  }
}
