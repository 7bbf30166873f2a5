import CPrefetch

/// Software prefetch for code outside the kernels (the kernels call `CPrefetch` directly). A hint:
/// no result depends on it.
public enum Prefetch {
    /// Asks for the lines of the `bytes` bytes at `p` with intent to write.
    @inline(__always)
    public static func forWrite(_ p: UnsafeMutableRawPointer, bytes: Int) { scope_prefetch_range_write(p, bytes) }
}
