import EtimadKit
import Foundation

/// New values for some fields of a debt, validated once (by the handler) and kept as they are:
/// an UpdateDebt applies one to a draft, an UPDATE_DATA change request stores one and applies
/// it when approved. The fields it sets are the paths of its field mask.
struct DebtPatch: Sendable, Hashable {
  var debtor: (kind: NationalID.Kind, number: String)? {
    get { debtorKind.flatMap { kind in debtorNumber.map { (kind, $0) } } }
    set {
      debtorKind = newValue?.kind
      debtorNumber = newValue?.number
    }
  }
  private var debtorKind: NationalID.Kind?
  private var debtorNumber: String?
  var debtorName: String?
  var category: DebtCategory?
  var reason: String?
  var amount: Halalas?
  var dueDate: CivilDay?
  var sadadBillNumber: String?
  var attachmentRefs: [String]?
  var notes: String?

  init() {}

  /// The mask paths this patch sets, in `DebtValidation.paths` order.
  var paths: [String] {
    var paths: [String] = []
    if debtorKind != nil { paths.append("debtor_id") }
    if debtorName != nil { paths.append("debtor_name") }
    if category != nil { paths.append("category") }
    if reason != nil { paths.append("reason") }
    if amount != nil { paths.append("amount") }
    if dueDate != nil { paths.append("due_date") }
    if sadadBillNumber != nil { paths.append("sadad_bill_number") }
    if attachmentRefs != nil { paths.append("attachment_refs") }
    if notes != nil { paths.append("notes") }
    return paths
  }

  /// `base` with this patch's values over it.
  func applied(to base: DebtFields) -> DebtFields {
    var fields = base
    if let debtor {
      fields.debtorIDType = debtor.kind
      fields.debtorIDNumber = debtor.number
    }
    if let debtorName { fields.debtorName = debtorName }
    if let category { fields.category = category }
    if let reason { fields.reason = reason }
    if let amount { fields.amount = amount }
    if let dueDate { fields.dueDate = dueDate }
    if let sadadBillNumber { fields.sadadBillNumber = sadadBillNumber }
    if let attachmentRefs { fields.attachmentRefs = attachmentRefs }
    if let notes { fields.notes = notes }
    return fields
  }

  /// The fields of a new debt, when this patch sets every one of them.
  var complete: DebtFields? {
    guard let debtor, let debtorName, let category, let reason, let amount, let dueDate else { return nil }
    return DebtFields(
      debtorIDType: debtor.kind, debtorIDNumber: debtor.number, debtorName: debtorName, category: category,
      reason: reason, amount: amount, dueDate: dueDate, sadadBillNumber: sadadBillNumber ?? "",
      attachmentRefs: attachmentRefs ?? [], notes: notes ?? "")
  }

  static func == (lhs: DebtPatch, rhs: DebtPatch) -> Bool { lhs.stored == rhs.stored }
  func hash(into hasher: inout Hasher) { hasher.combine(stored) }
}

// MARK: Stored form

extension DebtPatch {
  /// The stored form: a JSON object keyed by mask path, in stable codes (document kind and
  /// category codes, halalas, `YYYY-MM-DD`). Written once when the request is raised.
  private struct Stored: Codable, Hashable {
    var debtorIDType: String?
    var debtorIDNumber: String?
    var debtorName: String?
    var category: String?
    var reason: String?
    var amountHalalas: Int64?
    var dueDate: String?
    var sadadBillNumber: String?
    var attachmentRefs: [String]?
    var notes: String?

    enum CodingKeys: String, CodingKey {
      case debtorIDType = "debtor_id_type"
      case debtorIDNumber = "debtor_id_number"
      case debtorName = "debtor_name"
      case category, reason, notes
      case amountHalalas = "amount_halalas"
      case dueDate = "due_date"
      case sadadBillNumber = "sadad_bill_number"
      case attachmentRefs = "attachment_refs"
    }
  }

  private var stored: Stored {
    Stored(
      debtorIDType: debtorKind?.code, debtorIDNumber: debtorNumber, debtorName: debtorName,
      category: category?.rawValue, reason: reason, amountHalalas: amount?.value, dueDate: dueDate?.description,
      sadadBillNumber: sadadBillNumber, attachmentRefs: attachmentRefs, notes: notes)
  }

  /// Why a stored patch could not be read back.
  struct Unreadable: Error, CustomStringConvertible {
    var text: String
    var description: String { "unreadable stored debt patch: \(text)" }
  }

  var json: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    // Encoding strings, numbers and arrays of strings cannot fail.
    guard let data = try? encoder.encode(stored) else { return "{}" }
    return String(decoding: data, as: UTF8.self)
  }

  init(json: String) throws {
    guard let stored = try? JSONDecoder().decode(Stored.self, from: Data(json.utf8)) else {
      throw Unreadable(text: json)
    }
    self.init()
    if let type = stored.debtorIDType {
      guard let kind = NationalID.Kind(code: type), let number = stored.debtorIDNumber else {
        throw Unreadable(text: json)
      }
      debtor = (kind, number)
    }
    debtorName = stored.debtorName
    if let code = stored.category {
      guard let category = DebtCategory(rawValue: code) else { throw Unreadable(text: json) }
      self.category = category
    }
    reason = stored.reason
    amount = stored.amountHalalas.map(Halalas.init)
    if let text = stored.dueDate {
      guard let day = CivilDay(text) else { throw Unreadable(text: json) }
      dueDate = day
    }
    sadadBillNumber = stored.sadadBillNumber
    attachmentRefs = stored.attachmentRefs
    notes = stored.notes
  }
}

/// A list of strings (attachment references) as stored: a JSON array.
enum StoredList {
  static func decode(_ text: String) throws -> [String] {
    if text == "[]" { return [] }
    guard let list = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
      throw DebtPatch.Unreadable(text: text)
    }
    return list
  }

  static func encode(_ list: [String]) -> String {
    if list.isEmpty { return "[]" }
    // Encoding an array of strings cannot fail.
    guard let data = try? JSONEncoder().encode(list) else { return "[]" }
    return String(decoding: data, as: UTF8.self)
  }
}
