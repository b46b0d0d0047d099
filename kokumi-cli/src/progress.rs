//! Where progress bars and stage lines go: nowhere, a terminal's stderr, or (for tests) a
//! terminal in memory.
//!
//! The binary turns progress on only when stderr is a terminal, and every command turns it off
//! again for `-o json`: output meant for scripts never comes with progress noise. Progress is
//! drawn with `indicatif`, which also draws nothing on a stderr that is not a terminal.

use std::fmt;
use std::sync::{Arc, Mutex};

use indicatif::{ProgressDrawTarget, TermLike};

/// Where progress is drawn.
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub enum Progress {
    /// Nowhere (pipes, files, `-o json`, tests).
    #[default]
    Off,
    /// On stderr (the binary, when stderr is a terminal).
    Stderr,
    /// Into a terminal in memory, to see what a terminal would have shown.
    Capture(Capture),
}

impl Progress {
    /// [`Progress::Stderr`] when `on`, else [`Progress::Off`].
    pub fn stderr_if(on: bool) -> Self {
        if on { Self::Stderr } else { Self::Off }
    }

    /// Whether anything is drawn.
    pub fn is_on(&self) -> bool {
        !matches!(self, Self::Off)
    }

    /// This, unless `off` (e.g. `-o json`): then [`Progress::Off`].
    pub fn unless(self, off: bool) -> Self {
        if off { Self::Off } else { self }
    }

    /// A fresh draw target, or `None` when progress is off.
    pub fn target(&self) -> Option<ProgressDrawTarget> {
        match self {
            Self::Off => None,
            Self::Stderr => Some(ProgressDrawTarget::stderr()),
            Self::Capture(capture) => {
                Some(ProgressDrawTarget::term_like(Box::new(capture.clone())))
            }
        }
    }
}

/// A terminal in memory: everything progress drew, as text (cursor movements dropped).
#[derive(Clone, Default)]
pub struct Capture {
    text: Arc<Mutex<String>>,
}

impl Capture {
    /// An empty capture.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything written so far.
    pub fn text(&self) -> String {
        self.text
            .lock()
            .map(|t| t.clone())
            .unwrap_or_else(|e| e.into_inner().clone())
    }

    fn push(&self, s: &str) {
        let mut text = self.text.lock().unwrap_or_else(|e| e.into_inner());
        text.push_str(s);
    }
}

impl fmt::Debug for Capture {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Capture").finish_non_exhaustive()
    }
}

impl TermLike for Capture {
    fn width(&self) -> u16 {
        120
    }

    fn move_cursor_up(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_down(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_right(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn move_cursor_left(&self, _: usize) -> std::io::Result<()> {
        Ok(())
    }

    fn write_line(&self, s: &str) -> std::io::Result<()> {
        self.push(s);
        self.push("\n");
        Ok(())
    }

    fn write_str(&self, s: &str) -> std::io::Result<()> {
        self.push(s);
        Ok(())
    }

    fn clear_line(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn flush(&self) -> std::io::Result<()> {
        Ok(())
    }
}
