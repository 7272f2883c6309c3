import EtimadKit

extension DebtsErrors {
  /// Every error of the area (each rule error in each state it can name), and the platform's
  /// notes, for a test that reads each text a person can see in both languages.
  static var catalog: [EtimadError] {
    let counts = [0, 1, 2, 3, 10, 11, 99, 100, 101]
    var ruleErrors: [DebtRuleError] = [
      .sameEmployee, .employeeRequired, .notRaiser, .debtorCannotDecide, .amountNotPositive,
      .amountExceedsBalance(Halalas(12_345)),
    ]
    for state in DebtRules.State.allCases {
      ruleErrors += [.debtNotDraft(state), .debtNotUnderReview(state), .debtNotOutstanding(state), .debtClosed(state)]
    }
    for state in RequestRules.State.allCases { ruleErrors += [.requestNotNew(state), .requestNotPending(state)] }
    for state in PlanRules.State.allCases { ruleErrors += [.planNotActive(state), .planClosed(state)] }
    ruleErrors += counts.map { .instalmentCountOutOfRange($0) }
    ruleErrors += counts.map { .balanceTooSmallForInstalments(Halalas(5), $0) }
    return ruleErrors.map(\.etimadError) + [
      debtNotFound, changeRequestNotFound, reliefRequestNotFound, planNotFound, requestAlreadyPending("PAYMENT"),
      planAlreadyActive, firstDueDatePassed(CivilDay(year: 2026, month: 1, day: 31)!), paymentAlreadyCredited,
      sadadReferenceUsed, balanceWouldBeNegative,
    ]
  }

  /// The notes the platform writes on requests it decides, in both languages.
  static var platformNotes: [LocalizedString] {
    [DebtRules.State.paid, .cancelled].map(PlatformNote.debtClosedText)
  }
}
