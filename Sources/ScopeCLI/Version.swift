/// The version `scope --version` prints (major.minor.patch). Raise it with every change users can
/// see: flags, output formats, results files.
enum ScopeVersion {
    static let current = "0.25.0"
}
