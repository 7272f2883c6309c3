import Testing

@testable import EtimadDebts
