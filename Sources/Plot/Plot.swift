// Plot: a small, dependency-free plotting module (zlib aside) for the project's figures.
//
// - `Figure` holds a grid of `Axes` panels and renders them to PNG (`png()`), SVG (`svg()`), a
//   raster `Canvas` (`canvas()`), or a file chosen by extension (`write(to:)`).
// - `Axes` takes line, scatter, bar, reference-line, annotation and heatmap series, computes nice
//   ticks (1, 2, 5 × 10^k; powers of the base on log axes), lays out title, labels, legend and
//   colour bar, and draws them through a `Renderer` (raster or SVG) so both formats agree.
// - `Canvas` is an RGBA8 raster with antialiased lines (solid or dashed), discs, polygons,
//   markers and text in the built-in `BitmapFont` (5×7 glyphs, any scale, rotated for y labels).
// - `PNGEncoder` / `PNGDecoder` write and read (8-bit, non-interlaced) PNG files via zlib.
