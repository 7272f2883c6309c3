import EtimadKit
import EtimadProtos
import Foundation
import GRDB
import SwiftProtobuf

/// A row of `debt_change_requests`.
struct ChangeRequestRow: Sendable {
  var id: Int64
  var debtID: Int64
  var kind: String
  var state: RequestRules.State
  var raisedBy: RequestRules.Party
  var raisedByEmployee: String?
  var amount: Int64?
  var paymentReference: String
  var newValues: Data?
  var updateMask: [String]
  var reason: String
  var decisionNote: String
  var decidedBy: String?
  var createTime: Double
  var decideTime: Double?

  static func load(_ db: Database, id: Int64) throws -> ChangeRequestRow? {
    try Row.fetchOne(db, sql: "SELECT * FROM debt_change_requests WHERE id = ?", arguments: [id])
      .map(ChangeRequestRow.init(row:))
  }

  init(row: Row) {
    id = row["id"]
    debtID = row["debt_id"]
    kind = row["kind"]
    state = RequestRules.State(rawValue: row["state"]) ?? .pending
    raisedBy = RequestRules.Party(rawValue: row["raised_by"]) ?? .debtor
    raisedByEmployee = row["raised_by_employee"]
    amount = row["amount"]
    paymentReference = row["payment_reference"]
    newValues = row["new_values"]
    updateMask = (row["update_mask"] as String).split(separator: ",").map(String.init)
    reason = row["reason"]
    decisionNote = row["decision_note"]
    decidedBy = row["decided_by"]
    createTime = row["create_time"]
    decideTime = row["decide_time"]
  }

  var raiser: RequestRules.Actor { .init(party: raisedBy, employee: raisedByEmployee) }

  func message(forDebtor: Bool) -> Etimad_Debts_V1_ChangeRequest {
    .with {
      $0.id = String(id)
      $0.debtID = String(debtID)
      $0.kind = ChangeKind.message(kind)
      $0.state = state.message
      $0.raisedBy = raisedBy == .debtor ? .debtor : .agency
      if !forDebtor {
        $0.raisedByEmployee = raisedByEmployee ?? ""
        $0.decidedBy = decidedBy ?? ""
      }
      if let amount { $0.amount = .sar(Halalas(amount)) }
      $0.paymentReference = paymentReference
      if let newValues, let details = try? Etimad_Debts_V1_DebtDetails(serializedBytes: newValues) {
        $0.newValues = details
      }
      if !updateMask.isEmpty { $0.updateMask = .with { $0.paths = updateMask } }
      $0.reason = reason
      $0.decisionNote = PlatformNote.text(decisionNote, decidedBy: decidedBy)
      $0.createTime = .init(unixSeconds: createTime)
      if let decideTime { $0.decideTime = .init(unixSeconds: decideTime) }
    }
  }
}

/// A row of `debt_relief_requests`.
struct ReliefRequestRow: Sendable {
  var id: Int64
  var debtID: Int64
  var kind: String
  var state: RequestRules.State
  var amount: Int64?
  var full: Bool
  var instalmentCount: Int?
  var firstDueDate: CivilDay?
  var reason: String
  var attachmentRefs: [String]
  var decisionNote: String
  var decidedBy: String?
  var planID: Int64?
  var createTime: Double
  var decideTime: Double?

  static func load(_ db: Database, id: Int64) throws -> ReliefRequestRow? {
    try Row.fetchOne(db, sql: "SELECT * FROM debt_relief_requests WHERE id = ?", arguments: [id])
      .map(ReliefRequestRow.init(row:))
  }

  init(row: Row) {
    id = row["id"]
    debtID = row["debt_id"]
    kind = row["kind"]
    state = RequestRules.State(rawValue: row["state"]) ?? .pending
    amount = row["amount"]
    full = row["full"]
    instalmentCount = row["instalment_count"]
    firstDueDate = (row["first_due_date"] as String?).flatMap(CivilDay.init)
    reason = row["reason"]
    attachmentRefs = DebtFields.decodeList(row["attachment_refs"])
    decisionNote = row["decision_note"]
    decidedBy = row["decided_by"]
    planID = row["plan_id"]
    createTime = row["create_time"]
    decideTime = row["decide_time"]
  }

  func message(forDebtor: Bool) -> Etimad_Debts_V1_ReliefRequest {
    .with {
      $0.id = String(id)
      $0.debtID = String(debtID)
      $0.kind = ReliefKindName.message(kind)
      $0.state = state.message
      if let amount { $0.amount = .sar(Halalas(amount)) }
      $0.full = full
      if let instalmentCount { $0.instalmentCount = Int32(instalmentCount) }
      if let firstDueDate { $0.firstDueDate = firstDueDate.message }
      $0.reason = reason
      $0.attachmentRefs = attachmentRefs
      $0.decisionNote = PlatformNote.text(decisionNote, decidedBy: decidedBy)
      if !forDebtor { $0.decidedBy = decidedBy ?? "" }
      if let planID { $0.planID = String(planID) }
      $0.createTime = .init(unixSeconds: createTime)
      if let decideTime { $0.decideTime = .init(unixSeconds: decideTime) }
    }
  }
}
