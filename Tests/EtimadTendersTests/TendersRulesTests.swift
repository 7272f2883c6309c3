import Testing

@testable import EtimadTenders
