import EtimadKit

#if os(Linux)
  // glibc's malloc_trim(3), which the Glibc module does not export (it lives in malloc.h).
  @_silgen_name("malloc_trim")
  private func mallocTrim(_ pad: Int) -> Int32
#endif

/// Gives memory freed after a burst (a flood of connections or large requests) back to the
/// system. glibc keeps freed memory in its per-thread arenas, so a daemon's RSS stays at its
/// peak for good; `malloc_trim` releases the free pages of every arena. Cheap when there is
/// nothing to release, so it simply runs every 30 s.
enum MemoryTrim {
  static let job = PeriodicJob(name: "memory-trim", interval: .seconds(30)) {
    #if os(Linux)
      _ = mallocTrim(0)
    #endif
  }
}
