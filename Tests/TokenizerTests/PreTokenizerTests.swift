import Testing
@testable import Tokenizer

/// The hand-written pattern scanners split text like the regexes they stand for.
@Suite struct PreTokenizerTests {
    func pieces(_ kind: PreTokenizerKind, _ text: String) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        let classified = ClassifiedText(scalars)
        return PreTokenizer(kind: kind).split(classified, 0..<scalars.count).map { range in
            String(String.UnicodeScalarView(range.map { Unicode.Scalar(scalars[$0])! }))
        }
    }

    @Test func gpt2WhitespaceRunsLeaveTheirLastSpaceToTheNextWord() {
        #expect(pieces(.gpt2, "Hello  world\n\n x") == ["Hello", " ", " world", "\n\n", " x"])
        #expect(pieces(.gpt2, "a  ") == ["a", "  "])
        #expect(pieces(.gpt2, "\tx") == ["\t", "x"])
        #expect(pieces(.gpt2, "a\u{3000}b") == ["a", "\u{3000}", "b"])
    }

    @Test func gpt2ContractionsAreCaseSensitiveAndLlama3OnesAreNot() {
        #expect(pieces(.gpt2, "I'm I'M") == ["I", "'m", " I", "'", "M"])
        #expect(pieces(.llama3, "I'm I'M") == ["I", "'m", " I", "'M"])
        #expect(pieces(.llama3, "WE'RE we'Ll") == ["WE", "'RE", " we", "'Ll"])
        #expect(pieces(.llama3, "x'\u{17F}y") == ["x", "'\u{17F}", "y"])  // long s case-folds to s
        #expect(pieces(.gpt2, "x'\u{17F}y") == ["x", "'", "\u{17F}y"])
    }

    @Test func digitGroupingDependsOnTheKind() {
        #expect(pieces(.llama3, "1234567") == ["123", "456", "7"])
        #expect(pieces(.qwen2, "1234") == ["1", "2", "3", "4"])
        #expect(pieces(.smollm, "abc123 4") == ["abc", "1", "2", "3", " ", "4"])
        #expect(pieces(.gpt2, "abc123 4") == ["abc", "123", " 4"])
        #expect(pieces(.default, "a+b=42,000") == ["a", "+", "b", "=", "42", ",", "000"])
        #expect(pieces(.default, "1234567") == ["123", "456", "7"])
    }

    @Test func llama3LettersAbsorbOnePrecedingNonLetterAndNewlinesGroup() {
        #expect(pieces(.llama3, "\"Hello") == ["\"Hello"])
        #expect(pieces(.llama3, "x\n\n  y") == ["x", "\n\n", " ", " y"])
        #expect(pieces(.llama3, "a.\n\nb") == ["a", ".\n\n", "b"])
        #expect(pieces(.llama3, " 5") == [" ", "5"])
    }

    @Test func unicodeCategoriesDecideLettersNumbersAndOthers() {
        #expect(pieces(.gpt2, "日本語 ½² émoji🤖!") == ["日本語", " ½²", " émoji", "🤖!"])
    }
}
