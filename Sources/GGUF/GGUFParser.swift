/// Parses and validates the GGUF header, metadata and tensor infos from a bounds-checked cursor.
struct GGUFParser {
    struct Result {
        var version: Int
        var alignment: Int
        var metadata: [String: GGUFValue]
        var metadataKeys: [String]
        var tensors: [GGUFTensorInfo]
        var dataSectionOffset: Int
    }

    /// Longest tensor name ggml accepts is 63 bytes (`GGML_MAX_NAME` = 64 including the NUL).
    static let maxNameLength = 63
    static let maxDims = 4
    /// Smallest possible encoded KV pair: empty key (8) + type (4) + 1-byte value.
    static let minKVSize = 13
    /// Smallest possible tensor info: empty name (8) + n_dims (4) + type (4) + offset (8).
    static let minTensorInfoSize = 24

    var cursor: ByteCursor
    var path: String { cursor.path }

    mutating func parse() throws -> Result {
        try cursor.require(4, "the magic")
        let magic = (0..<4).map { cursor.base.load(fromByteOffset: $0, as: UInt8.self) }
        guard magic == Array("GGUF".utf8) else {
            let shown = magic.map { (32..<127).contains($0) ? String(UnicodeScalar($0)) : "\\x" + hex2($0) }.joined()
            throw GGUFError("\(path): bad magic \"\(shown)\" at byte offset 0; expected \"GGUF\" (not a GGUF file)")
        }
        try cursor.seek(to: 4, "version")
        let rawVersion = try cursor.readU32("the version")
        switch rawVersion {
        case 2, 3: break
        case 1:
            throw GGUFError("\(path): GGUF version 1 is not supported (only versions 2 and 3); re-convert the model with a current llama.cpp")
        default:
            if rawVersion.byteSwapped == 2 || rawVersion.byteSwapped == 3 {
                throw GGUFError("\(path): GGUF version field \(rawVersion) at byte offset 4 looks big-endian; only little-endian GGUF files are supported")
            }
            throw GGUFError("\(path): unsupported GGUF version \(rawVersion) at byte offset 4 (supported: 2 and 3)")
        }
        let tensorCountOffset = cursor.offset
        let rawTensorCount = try cursor.readI64("the tensor count")
        let kvCountOffset = cursor.offset
        let rawKVCount = try cursor.readI64("the metadata key-value count")
        guard rawTensorCount >= 0 else {
            throw GGUFError("\(path): negative tensor count \(rawTensorCount) at byte offset \(tensorCountOffset)")
        }
        guard rawKVCount >= 0 else {
            throw GGUFError("\(path): negative metadata key-value count \(rawKVCount) at byte offset \(kvCountOffset)")
        }
        // Each entry needs a minimum number of bytes; counts that cannot fit in the file are absurd.
        guard rawKVCount <= Int64(cursor.remaining / Self.minKVSize) else {
            throw GGUFError("\(path): metadata key-value count \(rawKVCount) at byte offset \(kvCountOffset) is impossible for a file of \(cursor.count) bytes (corrupt or truncated file)")
        }
        let kvCount = Int(rawKVCount)
        guard rawTensorCount <= Int64((cursor.remaining - kvCount * Self.minKVSize) / Self.minTensorInfoSize) else {
            throw GGUFError("\(path): tensor count \(rawTensorCount) at byte offset \(tensorCountOffset) is impossible for a file of \(cursor.count) bytes (corrupt or truncated file)")
        }
        let tensorCount = Int(rawTensorCount)

        // Metadata.
        var metadata: [String: GGUFValue] = [:]
        metadata.reserveCapacity(kvCount)
        var keys: [String] = []
        keys.reserveCapacity(kvCount)
        for i in 0..<kvCount {
            let keyOffset = cursor.offset
            let key = try cursor.readString("key of metadata entry \(i)")
            if metadata[key] != nil {
                throw GGUFError("\(path): duplicate metadata key '\(key)' at byte offset \(keyOffset)")
            }
            let typeOffset = cursor.offset
            let typeID = try cursor.readU32("value type of metadata key '\(key)'")
            guard let type = GGUFValueType(rawValue: typeID) else {
                throw GGUFError("\(path): metadata key '\(key)' has unknown value type id \(typeID) at byte offset \(typeOffset)")
            }
            let value = try readValue(type, key: key)
            metadata[key] = value
            keys.append(key)
        }

        // Alignment.
        var alignment = GGUFFile.defaultAlignment
        if let a = metadata["general.alignment"] {
            guard case .uint32(let v) = a else {
                throw GGUFError("\(path): metadata key 'general.alignment' must be of type uint32, found \(a.typeName)")
            }
            guard v != 0, v & (v - 1) == 0 else {
                throw GGUFError("\(path): metadata key 'general.alignment' = \(v) is not a non-zero power of two")
            }
            alignment = Int(v)
        }

        // Tensor infos.
        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(tensorCount)
        var relativeOffsets: [Int] = []
        relativeOffsets.reserveCapacity(tensorCount)
        var names = Set<String>()
        names.reserveCapacity(tensorCount)
        for i in 0..<tensorCount {
            let infoOffset = cursor.offset
            let name = try cursor.readString("name of tensor \(i)")
            guard name.utf8.count <= Self.maxNameLength else {
                throw GGUFError("\(path): tensor \(i) at byte offset \(infoOffset) has a name of \(name.utf8.count) bytes (at most \(Self.maxNameLength) allowed): '\(name.prefix(80))'")
            }
            guard names.insert(name).inserted else {
                throw GGUFError("\(path): duplicate tensor name '\(name)' at byte offset \(infoOffset)")
            }
            let nDimsOffset = cursor.offset
            let nDims = try cursor.readU32("number of dimensions of tensor '\(name)'")
            guard nDims >= 1, nDims <= UInt32(Self.maxDims) else {
                throw GGUFError("\(path): tensor '\(name)' has \(nDims) dimensions at byte offset \(nDimsOffset) (must be 1...\(Self.maxDims))")
            }
            var shape: [Int] = []
            shape.reserveCapacity(Int(nDims))
            var elements = 1
            for d in 0..<Int(nDims) {
                let dimOffset = cursor.offset
                let ne = try cursor.readI64("dimension \(d) of tensor '\(name)'")
                guard ne > 0 else {
                    throw GGUFError("\(path): tensor '\(name)' dimension \(d) is \(ne) at byte offset \(dimOffset) (must be positive)")
                }
                let (product, overflow) = elements.multipliedReportingOverflow(by: Int(ne))
                guard !overflow else {
                    throw GGUFError("\(path): tensor '\(name)' element count overflows 64 bits (dimension \(d) = \(ne) at byte offset \(dimOffset))")
                }
                elements = product
                shape.append(Int(ne))
            }
            let typeOffset = cursor.offset
            let typeID = try cursor.readU32("type of tensor '\(name)'")
            guard let type = GGMLType(rawValue: typeID) else {
                let note = (typeID == 4 || typeID == 5 || (31...33).contains(typeID) || (36...38).contains(typeID))
                    ? " (a type removed from ggml)" : ""
                throw GGUFError("\(path): tensor '\(name)' has unknown ggml type id \(typeID)\(note) at byte offset \(typeOffset)")
            }
            guard shape[0] % type.blockSize == 0 else {
                throw GGUFError("\(path): tensor '\(name)' of type \(type.name) has row length ne[0] = \(shape[0]), not a multiple of the block size \(type.blockSize)")
            }
            let (bytes, bytesOverflow) = (shape[0] / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
            var total = bytes
            var sizeOverflow = bytesOverflow
            for d in shape.dropFirst() where !sizeOverflow {
                (total, sizeOverflow) = total.multipliedReportingOverflow(by: d)
            }
            guard !sizeOverflow else {
                throw GGUFError("\(path): tensor '\(name)' byte size overflows 64 bits (shape \(shape), type \(type.name))")
            }
            let offsetPos = cursor.offset
            let rawOffset = try cursor.readU64("data offset of tensor '\(name)'")
            guard rawOffset <= UInt64(cursor.count) else {
                throw GGUFError("\(path): tensor '\(name)' data offset \(rawOffset) (read at byte offset \(offsetPos)) lies past the end of the file (\(cursor.count) bytes)")
            }
            guard Int(rawOffset) % alignment == 0 else {
                throw GGUFError("\(path): tensor '\(name)' data offset \(rawOffset) (read at byte offset \(offsetPos)) is not a multiple of the alignment \(alignment)")
            }
            relativeOffsets.append(Int(rawOffset))
            tensors.append(GGUFTensorInfo(name: name, type: type, shape: shape, dataOffset: 0))
        }

        // Data section: aligned start, every tensor within the file, no overlaps.
        let afterInfos = cursor.offset
        let dataStart = (afterInfos + alignment - 1) / alignment * alignment
        if tensorCount > 0, dataStart > cursor.count {
            throw GGUFError("\(path): the tensor data section would start at byte offset \(dataStart), past the end of the file (\(cursor.count) bytes): the file is truncated")
        }
        for i in 0..<tensorCount {
            let t = tensors[i]
            let start = dataStart + relativeOffsets[i]
            let (end, overflow) = start.addingReportingOverflow(t.byteCount)
            guard !overflow, end <= cursor.count else {
                throw GGUFError("\(path): tensor '\(t.name)' data [\(start), \(start &+ t.byteCount)) (\(t.byteCount) bytes at relative offset \(relativeOffsets[i])) runs past the end of the file (\(cursor.count) bytes): the file is truncated or the tensor's shape or offset is wrong")
            }
            tensors[i] = GGUFTensorInfo(name: t.name, type: t.type, shape: t.shape, dataOffset: start)
        }
        let order = (0..<tensorCount).sorted { relativeOffsets[$0] < relativeOffsets[$1] }
        for k in order.indices.dropFirst() {
            let prev = tensors[order[k - 1]], cur = tensors[order[k]]
            if prev.dataOffset + prev.byteCount > cur.dataOffset {
                throw GGUFError("\(path): tensor '\(cur.name)' data at relative offset \(relativeOffsets[order[k]]) overlaps tensor '\(prev.name)' (relative offset \(relativeOffsets[order[k - 1]]), \(prev.byteCount) bytes)")
            }
        }
        return Result(version: Int(rawVersion), alignment: alignment, metadata: metadata, metadataKeys: keys,
                      tensors: tensors, dataSectionOffset: dataStart)
    }

    /// Reads one metadata value of `type` (arrays: element type, count, elements; nesting rejected).
    private mutating func readValue(_ type: GGUFValueType, key: String) throws -> GGUFValue {
        switch type {
        case .array:
            let typeOffset = cursor.offset
            let elemID = try cursor.readU32("array element type of metadata key '\(key)'")
            guard let elemType = GGUFValueType(rawValue: elemID) else {
                throw GGUFError("\(path): metadata key '\(key)' is an array with unknown element type id \(elemID) at byte offset \(typeOffset)")
            }
            guard elemType != .array else {
                throw GGUFError("\(path): metadata key '\(key)' is a nested array (array of arrays) at byte offset \(typeOffset); nested arrays are not supported")
            }
            let countOffset = cursor.offset
            let count = try cursor.readU64("array length of metadata key '\(key)'")
            guard count <= UInt64(cursor.remaining / elemType.minimumSize) else {
                throw GGUFError("\(path): metadata key '\(key)' array length \(count) at byte offset \(countOffset) needs at least \(count.multipliedReportingOverflow(by: UInt64(elemType.minimumSize)).partialValue) bytes of \(elemType.name) values, but only \(cursor.remaining) bytes remain")
            }
            return .array(try readArray(elemType, count: Int(count), key: key))
        default:
            return try readScalar(type, key: key)
        }
    }

    private mutating func readScalar(_ type: GGUFValueType, key: String) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try cursor.read(UInt8.self, "value of metadata key '\(key)'"))
        case .int8: return .int8(try cursor.read(Int8.self, "value of metadata key '\(key)'"))
        case .uint16: return .uint16(try cursor.read(UInt16.self, "value of metadata key '\(key)'"))
        case .int16: return .int16(try cursor.read(Int16.self, "value of metadata key '\(key)'"))
        case .uint32: return .uint32(try cursor.read(UInt32.self, "value of metadata key '\(key)'"))
        case .int32: return .int32(try cursor.read(Int32.self, "value of metadata key '\(key)'"))
        case .uint64: return .uint64(try cursor.read(UInt64.self, "value of metadata key '\(key)'"))
        case .int64: return .int64(try cursor.read(Int64.self, "value of metadata key '\(key)'"))
        case .float32: return .float32(try cursor.readF32("value of metadata key '\(key)'"))
        case .float64: return .float64(try cursor.readF64("value of metadata key '\(key)'"))
        case .bool:
            let at = cursor.offset
            let b = try cursor.read(UInt8.self, "value of metadata key '\(key)'")
            guard b <= 1 else {
                throw GGUFError("\(path): metadata key '\(key)' bool value \(b) at byte offset \(at) is neither 0 nor 1")
            }
            return .bool(b == 1)
        case .string: return .string(try cursor.readString("value of metadata key '\(key)'"))
        case .array: preconditionFailure("arrays are handled by readValue")
        }
    }

    private mutating func readArray(_ type: GGUFValueType, count: Int, key: String) throws -> [GGUFValue] {
        var items: [GGUFValue] = []
        items.reserveCapacity(count)
        switch type {
        case .string:
            for i in 0..<count {
                items.append(.string(try cursor.readString("element \(i) of array '\(key)'")))
            }
        case .float32:
            for i in 0..<count {
                items.append(.float32(try cursor.readF32("element \(i) of array '\(key)'")))
            }
        case .int32:
            for i in 0..<count {
                items.append(.int32(try cursor.read(Int32.self, "element \(i) of array '\(key)'")))
            }
        default:
            for _ in 0..<count {
                items.append(try readScalar(type, key: key))
            }
        }
        return items
    }
}

private func hex2(_ b: UInt8) -> String {
    let digits = Array("0123456789abcdef")
    return String([digits[Int(b >> 4)], digits[Int(b & 15)]])
}
