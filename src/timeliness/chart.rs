//! Small server-rendered SVG charts: one line of weekly percentages, readable without
//! JavaScript, titled and described for screen readers (each chart on a page sits beside a
//! table of the same numbers).

use std::fmt::Write;

/// One point: a label for the x axis and a percentage, or `None` when nothing was judged.
pub struct Point {
    pub label: String,
    pub percent: Option<f64>,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A line chart of percentages (0-100) over weeks, `id` unique on the page.
pub fn percent_line(id: &str, title: &str, points: &[Point]) -> String {
    const W: f64 = 640.0;
    const H: f64 = 220.0;
    const LEFT: f64 = 48.0;
    const RIGHT: f64 = 12.0;
    const TOP: f64 = 12.0;
    const BOTTOM: f64 = 40.0;
    let plot_w = W - LEFT - RIGHT;
    let plot_h = H - TOP - BOTTOM;
    let n = points.len().max(1);
    let x = |i: usize| {
        if n == 1 {
            LEFT + plot_w / 2.0
        } else {
            LEFT + plot_w * i as f64 / (n - 1) as f64
        }
    };
    let y = |p: f64| TOP + plot_h * (1.0 - p.clamp(0.0, 100.0) / 100.0);
    let described: Vec<String> = points
        .iter()
        .map(|p| match p.percent {
            Some(v) => format!("{} {:.0}%", p.label, v),
            None => format!("{} nothing judged", p.label),
        })
        .collect();
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title {id}-desc" xmlns="http://www.w3.org/2000/svg"><title id="{id}-title">{}</title><desc id="{id}-desc">{}</desc>"#,
        escape(title),
        escape(&described.join("; "))
    );
    for pct in [0.0, 50.0, 100.0] {
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{}" y1="{y0:.1}" y2="{y0:.1}" stroke="#b1b4b6" stroke-width="1"/><text x="{}" y="{:.1}" font-size="12" text-anchor="end" fill="#0b0c0c">{pct:.0}%</text>"##,
            W - RIGHT,
            LEFT - 6.0,
            y(pct) + 4.0,
            y0 = y(pct),
        );
    }
    let every = n.div_ceil(8).max(1);
    for (i, p) in points.iter().enumerate() {
        if i % every == 0 || i + 1 == n {
            let _ = write!(
                svg,
                r##"<text x="{:.1}" y="{}" font-size="12" text-anchor="middle" fill="#0b0c0c">{}</text>"##,
                x(i),
                H - BOTTOM + 18.0,
                escape(&p.label)
            );
        }
    }
    // The line breaks where a week has nothing judged.
    let mut segment = String::new();
    let mut lines = Vec::new();
    for (i, p) in points.iter().enumerate() {
        match p.percent {
            Some(v) => {
                let _ = write!(segment, "{:.1},{:.1} ", x(i), y(v));
            }
            None if !segment.is_empty() => lines.push(std::mem::take(&mut segment)),
            None => {}
        }
    }
    if !segment.is_empty() {
        lines.push(segment);
    }
    for l in lines {
        let _ = write!(
            svg,
            r##"<polyline points="{}" fill="none" stroke="#1d70b8" stroke-width="3"/>"##,
            l.trim_end()
        );
    }
    for (i, p) in points.iter().enumerate() {
        if let Some(v) = p.percent {
            let _ = write!(
                svg,
                r##"<circle cx="{:.1}" cy="{:.1}" r="4" fill="#1d70b8"/>"##,
                x(i),
                y(v)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_describes_every_point_and_breaks_where_nothing_was_judged() {
        let points = vec![
            Point {
                label: "2 Nov".into(),
                percent: Some(100.0),
            },
            Point {
                label: "9 Nov".into(),
                percent: None,
            },
            Point {
                label: "16 Nov".into(),
                percent: Some(50.0),
            },
            Point {
                label: "23 Nov".into(),
                percent: Some(75.0),
            },
        ];
        let svg = percent_line("fc", "First contact <24 h", &points);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("First contact &lt;24 h"));
        assert!(svg.contains("2 Nov 100%; 9 Nov nothing judged; 16 Nov 50%; 23 Nov 75%"));
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 3);
    }
}
