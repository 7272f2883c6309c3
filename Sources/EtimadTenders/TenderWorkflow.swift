import EtimadKit
import Foundation

/// The order in which the tender rules run on a change, as pure functions of the tender the
/// store loaded in the change's transaction: the same whichever store is behind
/// `TenderStorage`. No I/O. (A reference number taken by another tender is the store's own
/// check when it writes, as a unique key.)
enum TenderWorkflow {
  /// What `action` does to `tender` (nil for a new one, or one the store did not find) at
  /// `now` (whole seconds), or the error that refuses it.
  static func decide(_ action: TenderAction, _ tender: Tender?, now: Int64) throws -> TenderDecision {
    if case .create(let fields, let agency, let employee) = action {
      return .insert(fields, agency: agency, employee: employee)
    }
    // Another agency's tender is unknown to the caller.
    guard let target = action.target, let tender, tender.id == target.id, tender.agencyCode == target.agency else {
      throw TendersErrors.notFound
    }
    switch action {
    case .create:
      throw TendersErrors.notFound
    case .update(let id, _, let paths, let apply):
      guard tender.state == .draft else { throw TendersErrors.notDraft }
      var fields = tender.fields
      let problems = apply(&fields)
      guard problems.isEmpty else { throw EtimadError.invalidFields(problems, domain: TenderRules.domain) }
      return .update(id: id, fields: fields, paths: paths)
    case .publish(let id, _):
      guard tender.state == .draft else { throw TendersErrors.notDraft }
      var dates = tender.fields.dates
      // A tender cannot be announced in the past: a publish time gone by becomes now.
      dates.publish = max(dates.publish, now)
      let problems = TenderRules.dateViolations(dates)
      guard problems.isEmpty else { throw TendersErrors.datesPassed(problems) }
      return .publish(id: id, publishTime: dates.publish)
    case .extend(let id, _, let employee, let reason, let requested):
      guard tender.state == .published else { throw TendersErrors.notPublished }
      let current = tender.fields.dates
      guard now < current.lastOffer else { throw TendersErrors.offersClosed }
      var new = current
      if let value = requested.lastEnquiry { new.lastEnquiry = value }
      if let value = requested.lastOffer { new.lastOffer = value }
      if let value = requested.opening { new.opening = value }
      let problems = TenderRules.extensionViolations(from: current, to: new, reason: reason)
      guard problems.isEmpty else { throw EtimadError.invalidFields(problems, domain: TenderRules.domain) }
      return .extend(id: id, from: current, to: new, reason: reason, employee: employee)
    case .cancel(let id, _, let reason):
      guard tender.state == .draft || tender.state == .published else { throw TendersErrors.alreadyFinal }
      // The public never saw a draft or a scheduled tender: it is withdrawn, not cancelled.
      let wasPublic = TenderRules.isPublic(state: tender.state, publish: tender.fields.dates.publish, now: now)
      return .close(id: id, state: wasPublic ? .cancelled : .withdrawn, reason: reason)
    case .close(let id, _, let outcome, let note):
      guard tender.state == .published else {
        throw tender.state == .draft ? TendersErrors.notPublished : TendersErrors.alreadyFinal
      }
      guard now >= tender.fields.dates.lastOffer else { throw TendersErrors.offersStillOpen }
      return .close(id: id, state: outcome, reason: note)
    }
  }

  /// The audit row of a change, from what was decided, the tender it left and its time.
  static func audit(_ decision: TenderDecision, _ tender: Tender, now: Int64) -> AuditRecord {
    let target = "tender/\(tender.id)"
    switch decision {
    case .insert(let fields, _, _):
      return AuditRecord(target: target, summary: "draft created, reference \(fields.referenceNumber)")
    case .update(_, _, let paths):
      return AuditRecord(target: target, summary: "draft updated: \(paths.joined(separator: ", "))")
    case .publish(_, let publishTime):
      let when = publishTime > now ? "scheduled for \(publishTime)" : "public now"
      return AuditRecord(target: target, summary: "published, \(when)")
    case .extend(_, let from, let to, _, _):
      return AuditRecord(target: target, summary: "dates extended, last offer \(from.lastOffer) -> \(to.lastOffer)")
    case .close(_, let state, _):
      let summary =
        switch state {
        case .cancelled, .withdrawn: state.auditName
        default: "closed as \(state.auditName)"
        }
      return AuditRecord(target: target, summary: summary)
    }
  }
}

extension TenderState {
  /// How audit summaries name the state.
  var auditName: String {
    switch self {
    case .draft: "draft"
    case .published: "published"
    case .cancelled: "cancelled"
    case .withdrawn: "withdrawn"
    case .complete: "complete"
    case .unsuccessful: "unsuccessful"
    }
  }
}

extension TenderRules {
  /// Whether `viewer` (an agency code, or nil) may see the tender at `now`: public tenders,
  /// and an agency's own in any state.
  static func visible(_ tender: Tender, to viewer: String?, now: Int64) -> Bool {
    (viewer != nil && tender.agencyCode == viewer)
      || isPublic(state: tender.state, publish: tender.fields.dates.publish, now: now)
  }
}
