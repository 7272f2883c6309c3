import EtimadKit

extension TendersErrors {
  /// Every error of the area, for a test that reads each text in both languages.
  static var catalog: [EtimadError] {
    [
      notFound, referenceTaken("T-2026-001"), notDraft, notPublished, notPublicYet, offersClosed, offersStillOpen,
      alreadyFinal, datesPassed([required("name")]),
    ]
  }
}
