import Foundation
import Testing
@testable import Plot

@Suite struct SampleFigureTests {
    /// Writes every sample figure as PNG and SVG to `$TMPDIR/scope-plot-samples` (for looking at
    /// them) and checks that each PNG decodes to the figure's size.
    @Test func sampleFiguresWriteDecodablePNGAndSVG() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("scope-plot-samples")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, make) in SampleFigures.all {
            let fig = try make()
            let png = dir.appendingPathComponent("\(name).png")
            try fig.write(to: png)
            try fig.write(to: dir.appendingPathComponent("\(name).svg"))
            let image = try PNGDecoder.decode(Array(try Data(contentsOf: png)))
            #expect(image.width == fig.width && image.height == fig.height, "\(name)")
        }
    }
}
