import Foundation
import Generation
import KVCache
import LongGenBench

/// The `config` object `longgenbench run` records in every results line: the model and data files
/// (name, size, sha256: hashed once per run), the compression method with every parameter that
/// applies to it, semantics, template, max new tokens, sampling, KV type and activations.
func longGenBenchRunConfiguration(model: ModelOptions, config: CompressionConfig, sampling: SamplingOptions,
                                  template: String, maxNewTokens: Int, dataPath: String) throws -> RunConfiguration {
    func file(_ path: String) throws -> PythonJSON.Value {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
        return .object([("file", .string((path as NSString).lastPathComponent)), ("bytes", .int(size)),
                        ("sha256", .string(try sha256(ofFile: path)))])
    }
    var fields: [(String, PythonJSON.Value)] = [
        ("model", try file(model.resolvedPath)),
        ("data", try file(dataPath)),
        ("semantics", .string(config.semantics.rawValue)),
        ("prefill", .string(config.prefill.rawValue)),
    ]
    if config.prefill != .fullKV {
        fields += [("prefill_budget", .int(config.prefillBudget)), ("window", .int(config.effectiveWindow))]
    }
    if config.prefill == .snapKV || config.prefill == .pyramidKV {
        fields += [("kernel", .int(config.kernel)), ("pooling", .string(config.pooling.rawValue))]
    } else if config.decoding.info.parameters.contains(where: { $0.name == "kernel" }) {
        fields.append(("kernel", .int(config.kernel)))
    }
    if config.prefill == .pyramidKV || config.prefill == .pyramidInfer { fields.append(("beta", .int(config.beta))) }
    fields.append(("decoding", .string(config.decoding.rawValue)))
    if config.decoding != .none {
        fields += [("decoding_window", .int(config.decodingWindow)), ("recent", .int(config.recent))]
        if config.decoding.usesCounters { fields.append(("delta", .int(config.resolvedDelta(maxNewTokens: maxNewTokens)))) }
    }
    // parameters of the chosen methods that have no flag of their own (`--param`, `--interval`), defaults included
    var extra: [(String, PythonJSON.Value)] = []
    for p in config.prefill.info.parameters + config.decoding.info.parameters
    where !CompressionConfig.fieldParameters.contains(p.name) && !extra.contains(where: { $0.0 == p.name }) {
        extra.append((p.name, .string(config.parameters[p.name] ?? p.defaultValue)))
    }
    if !extra.isEmpty { fields.append(("method_parameters", .object(extra))) }
    if config.semantics == .corrected && (config.prefill != .fullKV || config.decoding != .none) {
        fields.append(("group_reduce", .string(config.groupReduce.rawValue)))
    }
    fields += [
        ("template", .string(template)),
        ("max_new_tokens", .int(maxNewTokens)),
        ("sampling", .object(samplingFields(sampling))),
        ("kv_type", .string(model.kvType.rawValue)),
        ("activations", .string(model.activations.rawValue)),
    ]
    return RunConfiguration(fields)
}

/// The sampling settings a run records: temperature, top-p, top-k and seed always; min-p and the
/// penalties when they are not their defaults (so the files of runs made before they existed still
/// match a rerun without them, and a rerun with them does not resume into a run made without).
private func samplingFields(_ sampling: SamplingOptions) -> [(String, PythonJSON.Value)] {
    func value(_ x: Float) -> PythonJSON.Value { .double(Double(String(x)) ?? 0) }
    var fields: [(String, PythonJSON.Value)] = [("temperature", value(sampling.temperature)), ("top_p", value(sampling.topP)),
                                                ("top_k", .int(sampling.topK)), ("seed", .string(String(sampling.seed)))]
    if sampling.minP != 0 { fields.append(("min_p", value(sampling.minP))) }
    if sampling.repetitionPenalty != 1 { fields.append(("repetition_penalty", value(sampling.repetitionPenalty))) }
    if sampling.frequencyPenalty != 0 { fields.append(("frequency_penalty", value(sampling.frequencyPenalty))) }
    if sampling.presencePenalty != 0 { fields.append(("presence_penalty", value(sampling.presencePenalty))) }
    return fields
}
