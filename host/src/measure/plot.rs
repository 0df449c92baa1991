//! The recall-vs-QPS chart of a recall sweep, as SVG or PNG (chosen by the file extension),
//! drawn with plotters. Laying out text needs a TrueType font (plotters' pure-Rust ab_glyph
//! backend, no fontconfig/freetype): the first of a few usual system paths is loaded.

use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::error::{MeasureError, Result};
use super::recall::RecallReport;

const SIZE: (u32, u32) = (960, 640);

/// Fonts tried for PNG output, in order.
const FONT_PATHS: &[&str] = &[
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/dejavu/DejaVuSans.ttf",
    "/usr/share/fonts/TTF/DejaVuSans.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/liberation/LiberationSans-Regular.ttf",
    "/System/Library/Fonts/Supplemental/Arial.ttf",
    "/Library/Fonts/Arial.ttf",
    "C:\\Windows\\Fonts\\arial.ttf",
];

/// Draws `report` into `path` (`.svg` or `.png`), atomically (a temporary file is renamed).
pub fn plot_recall(report: &RecallReport, path: &Path) -> Result<()> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp-{}.{ext}", std::process::id()));
    let fail = |reason: String| MeasureError::Plot {
        path: path.to_path_buf(),
        reason,
    };
    if ext != "svg" && ext != "png" {
        return Err(MeasureError::Usage(format!(
            "--plot {}: the file must end in .svg or .png",
            path.display()
        )));
    }
    load_font().map_err(fail)?;
    let drawn = if ext == "svg" {
        draw(SVGBackend::new(&tmp, SIZE).into_drawing_area(), report)
    } else {
        draw(BitMapBackend::new(&tmp, SIZE).into_drawing_area(), report)
    };
    if let Err(reason) = drawn {
        let _ = std::fs::remove_file(&tmp);
        return Err(fail(reason));
    }
    std::fs::rename(&tmp, path).map_err(|e| MeasureError::io(path, e))
}

fn load_font() -> std::result::Result<(), String> {
    use std::sync::OnceLock;
    static LOADED: OnceLock<std::result::Result<(), String>> = OnceLock::new();
    LOADED
        .get_or_init(|| {
            for p in FONT_PATHS {
                if let Ok(bytes) = std::fs::read(p) {
                    // plotters keeps registered fonts for the life of the process.
                    let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
                    return plotters::style::register_font("sans-serif", FontStyle::Normal, bytes)
                        .map_err(|_| format!("{p} is not a usable TrueType font"));
                }
            }
            Err(format!(
                "drawing text needs a TrueType font and none was found (looked for {}); install one (e.g. Debian's fonts-dejavu-core)",
                FONT_PATHS.join(", ")
            ))
        })
        .clone()
}

fn draw<DB: DrawingBackend>(
    root: DrawingArea<DB, Shift>,
    report: &RecallReport,
) -> std::result::Result<(), String> {
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let points: Vec<(f64, f64, String)> = report
        .points
        .iter()
        .map(|p| {
            let label = match (&report.sweep, &p.value) {
                (Some(name), Some(v)) => format!("{name}={}", plain(v)),
                _ => String::new(),
            };
            (p.recall, p.qps, label)
        })
        .collect();
    let min_recall = points.iter().map(|p| p.0).fold(1.0f64, f64::min);
    let x_lo = ((min_recall - 0.05).max(0.0) * 20.0).floor() / 20.0;
    let y_hi = points.iter().map(|p| p.1).fold(0.0f64, f64::max) * 1.15 + 1.0;
    let title = format!(
        "{}: recall@{} vs QPS ({}{}, {} queries, concurrency {})",
        report.collection,
        report.top_k,
        report
            .index_type
            .as_deref()
            .map(|i| format!("{i}, "))
            .unwrap_or_default(),
        report.metric,
        report.queries,
        report.concurrency
    );
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 22))
        .margin(20)
        .x_label_area_size(50)
        .y_label_area_size(70)
        .build_cartesian_2d(x_lo..1.0f64, 0.0..y_hi)
        .map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(format!("recall@{}", report.top_k))
        .y_desc("queries per second")
        .label_style(("sans-serif", 16))
        .draw()
        .map_err(e)?;
    let line: Vec<(f64, f64)> = points.iter().map(|p| (p.0, p.1)).collect();
    chart
        .draw_series(LineSeries::new(line.clone(), BLUE.stroke_width(2)))
        .map_err(e)?;
    chart
        .draw_series(line.iter().map(|p| Circle::new(*p, 5, BLUE.filled())))
        .map_err(e)?;
    chart
        .draw_series(points.iter().map(|(x, y, label)| {
            Text::new(label.clone(), (*x, *y), ("sans-serif", 15).into_font())
        }))
        .map_err(e)?;
    root.present().map_err(e)
}

/// A JSON value without quotes for strings.
fn plain(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
