//! Colours and widths for terminal output.

use owo_colors::{OwoColorize, Style, XtermColors};
use unicode_width::UnicodeWidthChar;

use crate::traces::tree::SpanKind;
use crate::traces::Trace;

/// Options every terminal renderer reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RenderOptions {
    /// Emit ANSI colours.
    pub color: bool,
    /// Columns available.
    pub width_cols: usize,
}

/// Colours per service, picked by a stable hash of the name so a service keeps its colour
/// across runs and files. Eight clearly distinct hues from the 256-colour palette (the 16
/// basic colours had three blues and two cyans for ten services): blue, green, orange,
/// purple, teal, magenta, olive, indigo. No red or pink: red means a failed span. The HTML
/// report uses the same hash and the same eight hues (assets/report.html, `HUES`).
const SERVICE_COLORS: [u8; 8] = [33, 34, 214, 135, 37, 170, 142, 62];

/// The index of a service's colour in [`SERVICE_COLORS`].
pub fn service_color_index(service: &str) -> usize {
    // FNV-1a: stable across runs and platforms, unlike the std hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in service.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h as usize % SERVICE_COLORS.len()
}

/// The style of a service's name and bars, from its own colour (where the services shown
/// together are not known, as when following).
pub fn service_style(service: &str) -> Style {
    Style::new().color(XtermColors::from(
        SERVICE_COLORS[service_color_index(service)],
    ))
}

/// The colours of the services shown together (one trace): in name order, each takes its own
/// colour unless a service before it took it, then the next free one, so up to eight services
/// never share a colour, and a service keeps its colour from run to run on the same logs.
/// Past eight, colours repeat.
#[derive(Debug, Clone, Default)]
pub struct ServiceColors {
    /// Sorted by name.
    assigned: Vec<(String, u8)>,
}

impl ServiceColors {
    /// Colours for `services`.
    pub fn new<'a>(services: impl IntoIterator<Item = &'a str>) -> ServiceColors {
        let mut names: Vec<&str> = services.into_iter().collect();
        names.sort_unstable();
        names.dedup();
        let mut taken = [false; SERVICE_COLORS.len()];
        let mut assigned = Vec::with_capacity(names.len());
        for (n, name) in names.into_iter().enumerate() {
            if n % SERVICE_COLORS.len() == 0 {
                taken = [false; SERVICE_COLORS.len()];
            }
            let own = service_color_index(name);
            let k = (0..SERVICE_COLORS.len())
                .map(|step| (own + step) % SERVICE_COLORS.len())
                .find(|&k| !taken[k])
                .unwrap_or(own);
            taken[k] = true;
            assigned.push((name.to_string(), SERVICE_COLORS[k]));
        }
        ServiceColors { assigned }
    }

    /// The colours of a trace's services: those of its lines and of its logged spans (the
    /// waterfall and the timeline must agree).
    pub fn of_trace(trace: &Trace) -> ServiceColors {
        let spans = trace
            .tree
            .nodes
            .iter()
            .filter(|n| n.kind != SpanKind::Placeholder);
        ServiceColors::new(
            trace
                .stats
                .services
                .iter()
                .map(String::as_str)
                .chain(spans.map(|n| n.service.as_str())),
        )
    }

    /// The 256-colour palette index of `service`: its colour here, else its own (for a
    /// screen that paints with its own styles, as the explorer does).
    pub fn xterm(&self, service: &str) -> u8 {
        match self
            .assigned
            .binary_search_by(|(name, _)| name.as_str().cmp(service))
        {
            Ok(i) => self.assigned[i].1,
            Err(_) => SERVICE_COLORS[service_color_index(service)],
        }
    }

    /// The style of `service`: its colour here, else its own.
    pub fn style(&self, service: &str) -> Style {
        match self
            .assigned
            .binary_search_by(|(name, _)| name.as_str().cmp(service))
        {
            Ok(i) => Style::new().color(XtermColors::from(self.assigned[i].1)),
            Err(_) => service_style(service),
        }
    }
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
    fn services_shown_together_never_share_a_colour_and_none_is_red() {
        let demo = ["checkout", "payments", "edge-gateway", "users", "billing"];
        // edge-gateway and users hash to the same colour; users, later by name, moves on.
        assert_eq!(
            service_color_index("edge-gateway"),
            service_color_index("users")
        );
        let colors = ServiceColors::new(demo);
        let mut styles: Vec<String> = demo
            .iter()
            .map(|s| format!("{:?}", colors.style(s)))
            .collect();
        assert_eq!(
            format!("{:?}", colors.style("edge-gateway")),
            format!("{:?}", service_style("edge-gateway"))
        );
        styles.sort();
        styles.dedup();
        assert_eq!(styles.len(), demo.len());
        // xterm's reds and pinks.
        for red in [
            1u8, 9, 52, 88, 124, 160, 161, 196, 197, 198, 199, 203, 204, 205, 206,
        ] {
            assert!(!SERVICE_COLORS.contains(&red));
        }
        let mut distinct = SERVICE_COLORS.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        assert_eq!(distinct.len(), SERVICE_COLORS.len());
    }

    #[test]
    fn fit_counts_columns() {
        assert_eq!(fit("abc", 5), "abc  ");
        assert_eq!(fit("abcdef", 4), "abc…");
        assert_eq!(fit("東京東京", 5), "東京…");
        assert_eq!(width_of(&fit("東京東京", 5)), 5);
        assert_eq!(fit("x", 0), "");
    }
}
