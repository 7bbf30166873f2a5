/// Errors thrown by the plotting module; each message names the offending item.
public enum PlotError: Error, CustomStringConvertible, Equatable {
    /// A PNG byte stream is malformed (message names the chunk/field and byte offset).
    case invalidPNG(String)
    /// A PNG uses a feature the decoder does not handle (e.g. interlacing, 16-bit samples).
    case unsupportedPNG(String)
    /// Input data for a figure or image is inconsistent.
    case invalidInput(String)
    /// `write(to:)` got a path whose extension is neither .png nor .svg.
    case unsupportedExtension(String)
    /// zlib reported an error.
    case zlib(String)
    /// Writing an output file failed.
    case io(String)

    public var description: String {
        switch self {
        case .invalidPNG(let m): return "invalid PNG: \(m)"
        case .unsupportedPNG(let m): return "unsupported PNG: \(m)"
        case .invalidInput(let m): return "invalid plot input: \(m)"
        case .unsupportedExtension(let p): return "cannot choose an image format for '\(p)': use a .png or .svg extension"
        case .zlib(let m): return "zlib: \(m)"
        case .io(let m): return "I/O error: \(m)"
        }
    }
}
