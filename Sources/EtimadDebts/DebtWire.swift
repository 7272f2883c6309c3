import EtimadKit
import EtimadProtos
import Foundation
import SwiftProtobuf

/// The wire form of the area's values as one caller sees them on one day: the only place
/// (with the handler's validation) where domain values and messages meet.
struct DebtWire: Sendable {
  let forDebtor: Bool
  let today: CivilDay
  let workflow: DebtWorkflow

  init(caller: DebtCaller, now: Date, workflow: DebtWorkflow) {
    forDebtor = caller.isDebtor
    today = CivilDay.inRiyadh(now)
    self.workflow = workflow
  }

  func debt(_ snapshot: DebtSnapshot) throws -> Etimad_Debts_V1_Debt {
    let debt = snapshot.debt
    let balance = try snapshot.balance()
    let amountDue = try snapshot.amountDue()
    let planState = try workflow.planState(snapshot, today: today)
    let changeKinds = snapshot.pending.compactMap { if case .change(let kind) = $0.kind { kind } else { nil } }
    let reliefKinds = snapshot.pending.compactMap { if case .relief(let kind) = $0.kind { kind } else { nil } }
    let showEmployees = !forDebtor
    return .with {
      $0.id = String(debt.id)
      $0.agencyCode = debt.agencyCode
      $0.details = debt.fields.message
      $0.state = debt.state.message
      $0.amountDue = .sar(amountDue)
      $0.paidAmount = .sar(snapshot.ledger.paid)
      $0.exemptedAmount = .sar(snapshot.ledger.exempted)
      $0.balance = .sar(balance)
      $0.pendingChangeKinds = changeKinds.sorted { $0.rawValue < $1.rawValue }.map(\.message)
      $0.pendingReliefKinds = reliefKinds.sorted { $0.rawValue < $1.rawValue }.map(\.message)
      $0.underReview = !snapshot.pending.isEmpty
      $0.reviewNote = debt.reviewNote
      if let planState { $0.planState = planState.message }
      if showEmployees {
        $0.createdBy = debt.createdBy
        $0.submittedBy = debt.submittedBy ?? ""
        $0.approvedBy = debt.approvedBy ?? ""
      }
      $0.createTime = .init(date: debt.createTime)
      $0.updateTime = .init(date: debt.updateTime)
      if let time = debt.submitTime { $0.submitTime = .init(date: time) }
      if let time = debt.approveTime { $0.approveTime = .init(date: time) }
    }
  }

  func plan(_ plan: Plan, balance: Halalas) throws -> Etimad_Debts_V1_InstalmentPlan {
    let paid = PlanRules.allocate(plan.instalments.map(\.amount), settled: try plan.settled(balance: balance))
    let state = try workflow.planState(plan, balance: balance, today: today)
    let today = today
    return .with {
      $0.id = String(plan.id)
      $0.debtID = String(plan.debtID)
      $0.reliefRequestID = String(plan.reliefRequestID)
      $0.state = state.message
      $0.total = .sar(plan.total)
      $0.graceDays = Int32(workflow.graceDays)
      $0.createTime = .init(date: plan.createTime)
      if let closeTime = plan.closeTime { $0.closeTime = .init(date: closeTime) }
      $0.instalments = zip(plan.instalments, paid).map { instalment, paid in
        Etimad_Debts_V1_Instalment.with {
          $0.number = Int32(instalment.number)
          $0.dueDate = instalment.due.message
          $0.amount = .sar(instalment.amount)
          $0.paid = .sar(paid)
          $0.overdue = PlanRules.overdue(due: instalment.due, amount: instalment.amount, paid: paid, today: today)
        }
      }
    }
  }

  func changeRequest(_ request: ChangeRequest) -> Etimad_Debts_V1_ChangeRequest {
    let forDebtor = forDebtor
    return .with {
      $0.id = String(request.id)
      $0.debtID = String(request.debtID)
      $0.kind = request.kind.message
      $0.state = request.state.message
      $0.raisedBy = request.raiser.party == .debtor ? .debtor : .agency
      if !forDebtor {
        $0.raisedByEmployee = request.raiser.employee ?? ""
        $0.decidedBy = request.decidedBy ?? ""
      }
      if let amount = request.amount { $0.amount = .sar(amount) }
      $0.paymentReference = request.paymentReference
      if let patch = request.patch {
        $0.newValues = patch.message
        // Sorted, as the mask was always stored and shown.
        $0.updateMask = .with { $0.paths = patch.paths.sorted() }
      }
      $0.reason = request.reason
      $0.decisionNote = PlatformNote.text(request.decisionNote, decidedBy: request.decidedBy)
      $0.createTime = .init(date: request.createTime)
      if let decideTime = request.decideTime { $0.decideTime = .init(date: decideTime) }
    }
  }

  func reliefRequest(_ request: ReliefRequest) -> Etimad_Debts_V1_ReliefRequest {
    let forDebtor = forDebtor
    return .with {
      $0.id = String(request.id)
      $0.debtID = String(request.debtID)
      $0.kind = request.kind.message
      $0.state = request.state.message
      if let amount = request.amount { $0.amount = .sar(amount) }
      $0.full = request.full
      if let count = request.instalmentCount { $0.instalmentCount = Int32(count) }
      if let first = request.firstDueDate { $0.firstDueDate = first.message }
      $0.reason = request.reason
      $0.attachmentRefs = request.attachmentRefs
      $0.decisionNote = PlatformNote.text(request.decisionNote, decidedBy: request.decidedBy)
      if !forDebtor { $0.decidedBy = request.decidedBy ?? "" }
      if let planID = request.planID { $0.planID = String(planID) }
      $0.createTime = .init(date: request.createTime)
      if let decideTime = request.decideTime { $0.decideTime = .init(date: decideTime) }
    }
  }

  func movement(_ movement: Movement) -> Etimad_Debts_V1_DebtMovement {
    let forDebtor = forDebtor
    let magnitude = movement.delta.value.magnitude
    return .with {
      $0.id = String(movement.id)
      $0.debtID = String(movement.debtID)
      $0.kind = movement.kind.message
      $0.amount = .sar(Halalas(magnitude > UInt64(Int64.max) ? Int64.max : Int64(magnitude)))
      $0.balanceDelta = .sar(movement.delta)
      $0.balanceAfter = .sar(movement.balanceAfter)
      $0.recordTime = .init(date: movement.recordTime)
      $0.effectiveTime = .init(date: movement.effectiveTime)
      $0.actor = .with {
        $0.kind = movement.actorKind
        $0.id = movement.actorID
        if !forDebtor { $0.employee = movement.employee ?? "" }
      }
      $0.requestID = movement.requestID
      $0.sadadReference = movement.sadadReference ?? ""
      $0.paymentReference = movement.paymentReference ?? ""
      $0.sourceRequestID = movement.source ?? ""
    }
  }
}

// MARK: Values

extension Etimad_Type_V1_Money {
  static func sar(_ amount: Halalas) -> Self {
    .with {
      $0.currencyCode = "SAR"
      $0.amountHalalas = amount.value
    }
  }
}

extension DebtFields {
  var message: Etimad_Debts_V1_DebtDetails {
    .with {
      $0.debtorID = .with {
        $0.type = Etimad_Type_V1_PersonIdType(debtorIDType)
        $0.number = debtorIDNumber
      }
      $0.debtorName = debtorName
      $0.category = category.message
      $0.reason = reason
      $0.amount = .sar(amount)
      $0.dueDate = dueDate.message
      $0.sadadBillNumber = sadadBillNumber
      $0.attachmentRefs = attachmentRefs
      $0.notes = notes
    }
  }
}

extension DebtPatch {
  /// The new values: the fields this patch sets, and only those.
  var message: Etimad_Debts_V1_DebtDetails {
    .with { details in
      if let debtor {
        details.debtorID = .with {
          $0.type = Etimad_Type_V1_PersonIdType(debtor.kind)
          $0.number = debtor.number
        }
      }
      if let debtorName { details.debtorName = debtorName }
      if let category { details.category = category.message }
      if let reason { details.reason = reason }
      if let amount { details.amount = .sar(amount) }
      if let dueDate { details.dueDate = dueDate.message }
      if let sadadBillNumber { details.sadadBillNumber = sadadBillNumber }
      if let attachmentRefs { details.attachmentRefs = attachmentRefs }
      if let notes { details.notes = notes }
    }
  }
}

// MARK: Codes

extension DebtCategory {
  init?(_ message: Etimad_Debts_V1_DebtCategory) {
    switch message {
    case .fine: self = .fine
    case .fee: self = .fee
    case .overpayment: self = .overpayment
    case .loan: self = .loan
    case .rent: self = .rent
    case .other: self = .other
    case .unspecified, .UNRECOGNIZED: return nil
    }
  }

  var message: Etimad_Debts_V1_DebtCategory {
    switch self {
    case .fine: .fine
    case .fee: .fee
    case .overpayment: .overpayment
    case .loan: .loan
    case .rent: .rent
    case .other: .other
    }
  }
}

extension DebtRules.State {
  var message: Etimad_Debts_V1_DebtState {
    switch self {
    case .draft: .draft
    case .underReview: .underReview
    case .outstanding: .outstanding
    case .paid: .paid
    case .cancelled: .cancelled
    }
  }

  init?(_ message: Etimad_Debts_V1_DebtState) {
    switch message {
    case .draft: self = .draft
    case .underReview: self = .underReview
    case .outstanding: self = .outstanding
    case .paid: self = .paid
    case .cancelled: self = .cancelled
    default: return nil
    }
  }
}

extension RequestRules.State {
  var message: Etimad_Debts_V1_RequestState {
    switch self {
    case .new: .new
    case .pending: .pending
    case .approved: .approved
    case .rejected: .rejected
    case .withdrawn: .withdrawn
    }
  }
}

extension PlanRules.State {
  var message: Etimad_Debts_V1_InstalmentPlanState {
    switch self {
    case .active: .active
    case .completed: .completed
    case .defaulted: .defaulted
    case .cancelled: .cancelled
    }
  }
}

extension ChangeKind {
  init?(_ message: Etimad_Debts_V1_ChangeRequestKind) {
    switch message {
    case .updateData: self = .updateData
    case .payment: self = .payment
    case .cancellation: self = .cancellation
    default: return nil
    }
  }

  var message: Etimad_Debts_V1_ChangeRequestKind {
    switch self {
    case .updateData: .updateData
    case .payment: .payment
    case .cancellation: .cancellation
    }
  }
}

extension ReliefKind {
  init?(_ message: Etimad_Debts_V1_ReliefKind) {
    switch message {
    case .exemption: self = .exemption
    case .instalment: self = .instalment
    default: return nil
    }
  }

  var message: Etimad_Debts_V1_ReliefKind {
    switch self {
    case .exemption: .exemption
    case .instalment: .instalment
    }
  }
}

extension MovementKind {
  var message: Etimad_Debts_V1_MovementKind {
    switch self {
    case .payment: .payment
    case .adjustment: .adjustment
    case .exemption: .exemption
    case .cancellation: .cancellation
    }
  }
}
