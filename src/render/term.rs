//! Colours and widths for terminal output.

use owo_colors::{AnsiColors, OwoColorize, Style};
use unicode_width::UnicodeWidthChar;

/// Options every terminal renderer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Emit ANSI colours.
    pub color: bool,
    /// Columns available.
    pub width_cols: usize,
}

/// Colours per service, picked by a stable hash of the name so a service keeps its colour
/// across runs and files.
const SERVICE_COLORS: &[AnsiColors] = &[
    AnsiColors::Cyan,
    AnsiColors::Green,
    AnsiColors::Yellow,
    AnsiColors::Blue,
    AnsiColors::Magenta,
    AnsiColors::BrightCyan,
    AnsiColors::BrightGreen,
    AnsiColors::BrightYellow,
    AnsiColors::BrightBlue,
    AnsiColors::BrightMagenta,
];

/// The style of a service's name and bars.
pub fn service_style(service: &str) -> Style {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in service.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    let color = SERVICE_COLORS[h as usize % SERVICE_COLORS.len()];
    Style::new().color(color)
}

/// Applies `style` when colour is on.
pub fn paint(opts: &RenderOptions, text: &str, style: Style) -> String {
    if opts.color {
        text.style(style).to_string()
    } else {
        text.to_string()
    }
}

/// Display width of a string in terminal columns.
pub fn width_of(text: &str) -> usize {
    text.chars().map(|c| c.width().unwrap_or(0)).sum()
}

/// Cuts `text` to at most `max` columns, ending with `…` when cut, then pads it to exactly `max`.
pub fn fit(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(max + 4);
    let mut used = 0;
    if width_of(text) <= max {
        out.push_str(text);
        used = width_of(text);
    } else if max > 0 {
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > max - 1 {
                break;
            }
            out.push(c);
            used += w;
        }
        out.push('…');
        used += 1;
    }
    out.extend(std::iter::repeat_n(' ', max.saturating_sub(used)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_counts_columns() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("東京東京", 5), "東京…");
        assert_eq!(width_of(&fit("東京東京", 5)), 5);
        assert_eq!(fit("x", 0), "");
    }
}
