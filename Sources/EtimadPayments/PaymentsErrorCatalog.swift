import EtimadKit

extension PaymentsErrors {
  /// Every error of the area, for a test that reads each text in both languages.
  static var catalog: [EtimadError] {
    [
      paymentNotFound, refundRequestNotFound, sectorNotFound, unknownSector, unknownService, sectorOfAnotherAgency,
      sadadReferenceExists, paidTimeInFuture, refundNotPending, .invalidFields([required("iban")], domain: domain),
    ]
      + ["available", "refundable", "refund_pending"].flatMap { part in
        [exceeds(.notPositive, part: part), exceeds(.exceeds(limit: 12_345), part: part)]
      }
  }
}
