//! The progress bar: drawn on stderr when it is a terminal, silent otherwise or with
//! `--no-progress`.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::generate::engine::Progress;

/// The spinner of the document-at-a-time commands (`sync`, `backfill`): no total is known up
/// front. None when disabled or stderr is not a terminal.
pub fn documents_spinner(enabled: bool) -> Option<ProgressBar> {
    (enabled && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {human_pos} documents ({per_sec}) {msg}",
            )
            .expect("valid template"),
        );
        bar
    })
}

pub struct Bar {
    bar: Option<ProgressBar>,
}

impl Bar {
    pub fn new(enabled: bool) -> Bar {
        let enabled = enabled && std::io::stderr().is_terminal();
        Bar {
            bar: enabled.then(|| {
                let bar = ProgressBar::with_draw_target(Some(0), ProgressDrawTarget::stderr());
                bar.set_style(
                    ProgressStyle::with_template(
                        "{spinner} [{elapsed_precise}] {wide_bar} {human_pos}/{human_len} rows ({per_sec}, eta {eta}) {msg}",
                    )
                    .expect("valid template"),
                );
                bar
            }),
        }
    }
}

impl Progress for Bar {
    fn start(&self, total_rows: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(total_rows);
        }
    }

    fn rows_done(&self, rows: u64, bytes: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(rows);
            bar.set_message(format!("{} written", bytesize::ByteSize(bytes)));
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}
