import Testing

@testable import EtimadPayments
