/// An area's own error type (a rule refusing a transition, a balance too small, ...) that knows
/// its wire form. Rules throw these typed errors; `ErrorMappingInterceptor` turns any of them
/// into `google.rpc.Status` through `etimadError`, so no handler or store adapts them by hand.
public protocol DomainError: Error, Sendable {
  /// The status code, reason, both languages' texts and details of this error.
  var etimadError: EtimadError { get }
}
