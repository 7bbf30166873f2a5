import Foundation
import JSONStrict
import ServerRequests
import Testing

/// How a request body's JSON problems become 400s: the parser's failures (tested in JSONStrictTests)
/// with the error code, parameter and message a client sees.
struct RequestJSONTests {
    @Test func aKeyGivenTwiceIsA400NamingItsPath() {
        let cases: [(String, String)] = [
            (#"{"max_tokens": 5, "max_tokens": 5000}"#, "max_tokens"),
            (#"{"kv_compression": {"window": 8, "budget": 64, "window": 16}}"#, "kv_compression.window"),
            (#"{"messages": [{"role": "user"}, {"role": "user", "content": "x", "role": "system"}]}"#, "messages[1].role"),
        ]
        for (text, path) in cases {
            do {
                _ = try JSONValue.parse(Data(text.utf8))
                Issue.record("accepted \(text)")
            } catch {
                #expect(error.status == 400 && error.code == "duplicate_key" && error.param == path, "\(error)")
                #expect(error.message.contains("'\(path)' twice"), "\(error.message)")
            }
        }
    }

    @Test func aSyntaxErrorIsA400NamingItsLineAndColumn() {
        let text = "{\n  \"messages\": [1, 2,\n    ]\n}"
        do {
            _ = try JSONValue.parse(Data(text.utf8))
            Issue.record("accepted")
        } catch {
            #expect(error.status == 400 && error.code == "invalid_json", "\(error)")
            #expect(error.message.contains("line 3, column 5"), "\(error.message)")
            #expect(error.message.contains("']'"), "\(error.message)")
        }
    }
}
