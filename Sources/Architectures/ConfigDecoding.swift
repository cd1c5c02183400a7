import Foundation

// Reading config.json into typed configurations. Decoding errors become
// `ArchitecturesError.invalidConfig` naming the file and the key path.

/// Thrown from `init(from:)` when a value decodes but is not acceptable.
struct ConfigValueError: Error {
    var key: String
    var reason: String
}

enum ConfigFile {
    static func data(_ path: String) throws -> Data {
        guard FileManager.default.fileExists(atPath: path) else {
            throw ArchitecturesError.cannotReadConfig(path: path, reason: "no such file")
        }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ArchitecturesError.cannotReadConfig(path: path, reason: error.localizedDescription)
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from data: Data, path: String) throws -> T {
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let error as ConfigValueError {
            throw ArchitecturesError.invalidConfig(path: path, key: error.key, reason: error.reason)
        } catch let error as DecodingError {
            throw describe(error, path: path)
        } catch {
            throw ArchitecturesError.cannotReadConfig(path: path, reason: "\(error)")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, path: String) throws -> T {
        try decode(type, from: try data(path), path: path)
    }

    private static func describe(_ error: DecodingError, path: String) -> ArchitecturesError {
        func keyPath(_ codingPath: [CodingKey], _ last: CodingKey? = nil) -> String {
            let keys = (codingPath + (last.map { [$0] } ?? [])).map { $0.intValue.map(String.init) ?? $0.stringValue }
            return keys.isEmpty ? "(top level)" : keys.joined(separator: ".")
        }
        switch error {
        case let .keyNotFound(key, context):
            return .invalidConfig(path: path, key: keyPath(context.codingPath, key), reason: "required but missing")
        case let .typeMismatch(type, context):
            return .invalidConfig(path: path, key: keyPath(context.codingPath), reason: "expected a value of type \(type)")
        case let .valueNotFound(type, context):
            return .invalidConfig(path: path, key: keyPath(context.codingPath), reason: "expected a value of type \(type), found null")
        case let .dataCorrupted(context):
            return context.codingPath.isEmpty
                ? .cannotReadConfig(path: path, reason: "not valid JSON")
                : .invalidConfig(path: path, key: keyPath(context.codingPath), reason: context.debugDescription)
        @unknown default:
            return .cannotReadConfig(path: path, reason: "\(error)")
        }
    }
}

/// A JSON value of any kind, decoded only to be skipped or inspected lightly.
struct AnyJSON: Decodable {
    let isNull: Bool
    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        isNull = container.decodeNil()
    }
}

extension KeyedDecodingContainer {
    /// Key present with a non-null value?
    func hasValue(_ key: Key) -> Bool {
        guard contains(key) else { return false }
        return (try? decodeNil(forKey: key)) == false
    }

    func value<T: Decodable>(_ key: Key, default value: T) throws -> T {
        try decodeIfPresent(T.self, forKey: key) ?? value
    }
}
