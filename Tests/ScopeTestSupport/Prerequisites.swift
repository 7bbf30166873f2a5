import Foundation
import Testing

/// Test prerequisites (../shared, the default model, the built `scope` executable) as Swift Testing
/// conditions, so a missing one is a visible skip with its reason, never a silent pass:
///
///     @Test(.needsDefaultModel) func f() throws {
///         let path = try #require(DefaultModel.path())
///
/// The condition decides whether the test runs; inside, the prerequisite is taken with `#require`, never
/// with an early `return`. With `SCOPE_REQUIRE_PREREQUISITES=1` (set by .ci/run, where everything must
/// be present) the conditions always hold, so a missing prerequisite fails its test instead of skipping.
public enum Prerequisites {
    /// Whether missing prerequisites are failures (`SCOPE_REQUIRE_PREREQUISITES=1`) rather than skips.
    public static let required = ProcessInfo.processInfo.environment["SCOPE_REQUIRE_PREREQUISITES"] == "1"

    /// Whether every `relative` path exists under ../shared.
    public static func sharedAvailable(_ relative: [String]) -> Bool {
        relative.allSatisfy { SharedData.path($0) != nil }
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test only when the default model is present or can be fetched (scripts/fetch-model.sh).
    public static var needsDefaultModel: Self {
        .enabled(if: Prerequisites.required || DefaultModel.path() != nil,
                 Comment(rawValue: "needs the default model \(DefaultModel.fileName) (\(DefaultModel.cachePath) or $SCOPE_MODEL); scripts/fetch-model.sh could not provide it"))
    }

    /// Runs the test only when every path exists under ../shared (or `$SCOPE_SHARED`).
    public static func needsShared(_ relative: String...) -> Self {
        .enabled(if: Prerequisites.required || Prerequisites.sharedAvailable(relative),
                 Comment(rawValue: "needs \(relative.map { "../shared/" + $0 }.joined(separator: ", ")) (set SCOPE_SHARED to the shared folder)"))
    }

    /// Runs the test only when the `scope` executable has been built under .build (release or debug) or
    /// `$SCOPE_EXECUTABLE` names one.
    public static var needsScopeExecutable: Self {
        .enabled(if: Prerequisites.required || ScopeExecutable.path != nil,
                 Comment(rawValue: "needs \(ScopeExecutable.missingReason)"))
    }
}
