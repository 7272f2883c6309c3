import Foundation
import SwiftProtobuf

/// A mutating call's `request_id`. The daemon applies a change once per id, so a call whose
/// JSON sets none gets a fresh UUID, printed so that a retry after a lost answer can send the
/// same id and get the first call's result instead of a second change.
enum RequestIDFill {
  /// `json` with a fresh id added, and that id, when `message` has a `request_id` field and
  /// the JSON object sets none; otherwise `json` as it is and nil. Arrays (streamed requests)
  /// and JSON that does not parse are left for the decoder to judge.
  static func fill(_ json: String, message: String) -> (json: String, id: String?) {
    guard
      let field = MessageFields.message(message)?.field.first(where: {
        $0.name == "request_id" && $0.type == .string && $0.label != .repeated
      }),
      let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
      let brace = json.firstIndex(of: "{")
    else { return (json, nil) }
    let jsonName = field.hasJsonName ? field.jsonName : "requestId"
    guard object["request_id"] == nil, object[jsonName] == nil else { return (json, nil) }
    let id = UUID().uuidString.lowercased()
    let afterBrace = json.index(after: brace)
    let empty = json[afterBrace...].drop(while: \.isWhitespace).hasPrefix("}")
    var filled = json
    filled.insert(contentsOf: "\"\(jsonName)\":\"\(id)\"" + (empty ? "" : ","), at: afterBrace)
    return (filled, id)
  }
}
