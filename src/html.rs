//! `--format html` for `kiln status` and `kiln diff`: one self-contained page (styles inline,
//! no script, no font, no image, no link to anything), readable without JavaScript.
//!
//! Every text taken from the repository (names, models, businesses, file paths, diffs, notes)
//! goes through [`escape`]. The numbers a page shows are also in `data-*` attributes, so a test
//! can read them from the DOM and compare them with `--format json`.

use std::fmt::Write as _;

use crate::diff;
use crate::status::{self, JobStatus, PoolStatus, SessionStatus};

/// Text as HTML: `&`, `<`, `>`, `"` and `'` escaped, so it is text in an element or an
/// attribute whatever it holds.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "
body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#1d2430;background:#fff}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}h3{font-size:14px;margin:16px 0 6px}
table{border-collapse:collapse}td,th{padding:3px 10px;text-align:left;border-bottom:1px solid #e3e6ea}
.muted{color:#667}.bar{display:flex;height:22px;width:640px;border:1px solid #9aa4b1;margin:4px 0}
.seg{height:100%;overflow:hidden;white-space:nowrap;font-size:12px;line-height:22px;padding-left:4px;box-sizing:border-box;color:#fff}
.b0{background:#2f6db5}.b1{background:#2f9a6a}.b2{background:#b5762f}.b3{background:#7a4fb5}.b4{background:#b53f5a}
.unassigned{background:#c9ced6;color:#1d2430}.range{background:repeating-linear-gradient(45deg,#e8edf3,#e8edf3 4px,#cfd8e3 4px,#cfd8e3 8px);color:#1d2430}
svg{border:1px solid #9aa4b1;background:#fbfcfd}
pre{background:#f6f8fa;padding:8px;overflow:auto;font-size:12px}
.add{color:#116329;background:#dafbe1}.del{color:#82071e;background:#ffebe9}
.note{margin:2px 0}.impact{font-weight:600;display:inline-block;min-width:80px}
";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n{body}</body>\n</html>\n",
        escape(title)
    )
}

/// The `kiln status` page: each pool's distribution as a bar, each job's TaskManager floor
/// and ceiling over the 168 hours of the week in its time zone.
pub fn status_page(report: &status::Report, weeks: &[Vec<(u32, u32)>]) -> String {
    let mut body = String::from("<h1>kiln status</h1>\n");
    let _ = writeln!(body, "<h2>Model pools ({})</h2>", report.pools.len());
    for pool in &report.pools {
        pool_section(&mut body, pool);
    }
    let _ = writeln!(body, "<h2>Flink jobs ({})</h2>", report.jobs.len());
    for (job, week) in report.jobs.iter().zip(weeks) {
        job_section(&mut body, job, week);
    }
    if !report.sessions.is_empty() {
        let _ = writeln!(body, "<h2>Flink sessions ({})</h2>", report.sessions.len());
        for session in &report.sessions {
            session_section(&mut body, session);
        }
    }
    page("kiln status", &body)
}

/// A session: its size, the slots its running jobs hold, and each job.
fn session_section(body: &mut String, session: &SessionStatus) {
    let _ = writeln!(
        body,
        "<section class=\"session\" data-session=\"{}/{}\" data-slots-in-use=\"{}\"{}>",
        escape(&session.namespace),
        escape(&session.name),
        session.slots_in_use,
        session
            .slots
            .map(|n| format!(" data-slots=\"{n}\""))
            .unwrap_or_default()
    );
    let size = match session.task_managers {
        Some(n) => format!(
            "{n} TaskManagers × {} slots",
            session.slots_per_task_manager
        ),
        None => format!(
            "TaskManagers on demand, {} slots each",
            session.slots_per_task_manager
        ),
    };
    let _ = writeln!(
        body,
        "<h3>{}/{} <span class=\"muted\">Flink {} · {} · {} · slots in use {} · {}</span></h3>",
        escape(&session.namespace),
        escape(&session.name),
        escape(&session.flink_version),
        escape(&session.profile),
        escape(&size),
        escape(&session.slots_line()),
        escape(&session.source)
    );
    if let Some(policy) = status::lifecycle_line(session.savepoints.as_ref(), &[]) {
        let _ = writeln!(
            body,
            "<p class=\"lifecycle\">{} (for its jobs)</p>",
            escape(&policy)
        );
    }
    body.push_str("<table>\n<tr><th>job</th><th>parallelism</th><th>state</th><th>upgrade mode</th><th>savepoints and snapshots</th><th>file</th></tr>\n");
    for job in &session.jobs {
        let _ = writeln!(
            body,
            "<tr data-session-job=\"{}\" data-parallelism=\"{}\"><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"muted\">{}</td></tr>",
            escape(&job.name),
            job.parallelism,
            escape(&job.name),
            job.parallelism,
            escape(&job.state),
            escape(&job.upgrade_mode),
            escape(&job.lifecycle_line().unwrap_or_default()),
            escape(&job.source)
        );
    }
    body.push_str("</table>\n</section>\n");
}

fn pool_section(body: &mut String, pool: &PoolStatus) {
    let _ = writeln!(
        body,
        "<section class=\"pool\" data-pool=\"{}/{}\" data-replicas=\"{}\" data-gpus=\"{}\" data-removable=\"{}\">",
        escape(&pool.namespace),
        escape(&pool.name),
        pool.replicas,
        pool.gpus,
        pool.removable
    );
    let _ = writeln!(
        body,
        "<h3>{}/{} <span class=\"muted\">{} {} · {} pods · {} GPUs · {} removable · {}</span></h3>",
        escape(&pool.namespace),
        escape(&pool.name),
        escape(&pool.engine),
        escape(&pool.model),
        pool.replicas,
        pool.gpus,
        pool.removable,
        escape(&pool.source)
    );
    // The bar's scale: every pod the slices can have at most.
    let total: u32 = pool
        .distribution
        .iter()
        .map(|s| s.max_replicas.unwrap_or(s.replicas))
        .sum();
    let width = |n: u32| f64::from(n) * 100.0 / f64::from(total.max(1));
    body.push_str("<div class=\"bar\">");
    for (i, slice) in pool.distribution.iter().enumerate() {
        let class = if slice.business == crate::kinds::model_pool::allocation::UNASSIGNED {
            "unassigned".to_string()
        } else {
            format!("b{}", i % 5)
        };
        let _ = write!(
            body,
            "<div class=\"seg {class}\" style=\"width:{:.3}%\" title=\"{}: {}\">{} {}</div>",
            width(slice.replicas),
            escape(&slice.business),
            slice.replicas,
            escape(&slice.business),
            slice.replicas
        );
        if let Some(max) = slice.max_replicas.filter(|m| *m > slice.replicas) {
            let _ = write!(
                body,
                "<div class=\"seg range\" style=\"width:{:.3}%\" title=\"{}: up to {max}\">≤{max}</div>",
                width(max - slice.replicas),
                escape(&slice.business)
            );
        }
    }
    body.push_str("</div>\n<table>\n<tr><th>business</th><th>pods</th><th>autoscaling</th></tr>\n");
    for slice in &pool.distribution {
        let _ = writeln!(
            body,
            "<tr class=\"slice\" data-business=\"{}\" data-replicas=\"{}\"{}><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(&slice.business),
            slice.replicas,
            slice
                .max_replicas
                .map(|m| format!(" data-max-replicas=\"{m}\""))
                .unwrap_or_default(),
            escape(&slice.business),
            slice.replicas,
            slice
                .max_replicas
                .map_or_else(|| "—".to_string(), |m| format!("{}–{m}", slice.replicas))
        );
    }
    body.push_str("</table>\n</section>\n");
}

/// Chart geometry: one column of `HOUR` pixels per hour, `HEIGHT` pixels for the range.
const HOUR: usize = 5;
const HEIGHT: u32 = 120;

fn job_section(body: &mut String, job: &JobStatus, week: &[(u32, u32)]) {
    let _ = writeln!(
        body,
        "<section class=\"job\" data-job=\"{}/{}\" data-min-replicas=\"{}\" data-max-replicas=\"{}\"{}>",
        escape(&job.namespace),
        escape(&job.name),
        job.min_replicas,
        job.max_replicas,
        job.task_manager_hours_per_week
            .map(|h| format!(
                " data-hours-min=\"{:.1}\" data-hours-max=\"{:.1}\"",
                h.min, h.max
            ))
            .unwrap_or_default()
    );
    let zone = job.time_zone.as_deref().unwrap_or("UTC");
    let _ = writeln!(
        body,
        "<h3>{}/{} <span class=\"muted\">{} · {} · TaskManagers {}–{} · parallelism {} · {}</span></h3>",
        escape(&job.namespace),
        escape(&job.name),
        escape(&job.job_type),
        escape(&match &job.engine {
            Some(engine) => format!("{} on {engine}", job.mode),
            None => job.mode.clone(),
        }),
        job.min_replicas,
        job.max_replicas,
        job.parallelism,
        escape(&job.source)
    );
    if let Some(lifecycle) = job.lifecycle_line() {
        let _ = writeln!(body, "<p class=\"lifecycle\">{}</p>", escape(&lifecycle));
    }
    if let Some(hours) = job.task_manager_hours_per_week {
        let _ = writeln!(
            body,
            "<p>TaskManager-hours per week: {:.1}–{:.1}</p>",
            hours.min, hours.max
        );
    }
    let top = week.iter().map(|w| w.1).max().unwrap_or(1).max(1);
    let y = |n: u32| HEIGHT - n * HEIGHT / top;
    let width = week.len() * HOUR;
    let _ = write!(
        body,
        "<svg width=\"{}\" height=\"{}\" viewBox=\"0 0 {} {}\" role=\"img\" aria-label=\"TaskManagers over the week ({})\">",
        width,
        HEIGHT + 16,
        width,
        HEIGHT + 16,
        escape(zone)
    );
    for (hour, (floor, ceiling)) in week.iter().enumerate() {
        let x = hour * HOUR;
        // The ceiling's band above the floor, then the floor.
        let _ = write!(
            body,
            "<rect x=\"{x}\" y=\"{}\" width=\"{HOUR}\" height=\"{}\" fill=\"#cfd8e3\"/><rect class=\"hour\" data-hour=\"{hour}\" data-floor=\"{floor}\" data-ceiling=\"{ceiling}\" x=\"{x}\" y=\"{}\" width=\"{HOUR}\" height=\"{}\" fill=\"#2f6db5\"/>",
            y(*ceiling),
            HEIGHT - y(*ceiling),
            y(*floor),
            HEIGHT - y(*floor)
        );
    }
    for (day, name) in ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        .iter()
        .enumerate()
    {
        let x = day * 24 * HOUR;
        let _ = write!(
            body,
            "<line x1=\"{x}\" y1=\"0\" x2=\"{x}\" y2=\"{HEIGHT}\" stroke=\"#9aa4b1\"/><text x=\"{}\" y=\"{}\" font-size=\"11\">{name}</text>",
            x + 2,
            HEIGHT + 12
        );
    }
    let _ = writeln!(
        body,
        "</svg>\n<p class=\"muted\">Floor (dark) and ceiling (light) per hour, Monday 00:00 to Sunday 24:00, {}.</p>\n</section>",
        escape(zone)
    );
}

/// The `kiln diff` page: per environment the summary, the impact notes and each object's
/// diff.
pub fn diff_page(reports: &[diff::Report], heading: &dyn Fn(&diff::Report) -> String) -> String {
    let mut body = String::new();
    for report in reports {
        let s = &report.summary;
        let _ = writeln!(
            body,
            "<section class=\"report\" data-added=\"{}\" data-removed=\"{}\" data-changed=\"{}\" data-unchanged=\"{}\">\n<h1>{}</h1>\n<p>{} added, {} removed, {} changed, {} unchanged</p>",
            s.added,
            s.removed,
            s.changed,
            s.unchanged,
            escape(&heading(report)),
            s.added,
            s.removed,
            s.changed,
            s.unchanged
        );
        if !report.notes.is_empty() {
            let _ = writeln!(body, "<h2>Impact ({})</h2>", report.notes.len());
            for note in &report.notes {
                let _ = writeln!(
                    body,
                    "<div class=\"note\" data-impact=\"{}\"><span class=\"impact\">{}</span> {}: {}</div>",
                    escape(note.impact),
                    escape(note.impact),
                    escape(&note.object),
                    escape(&note.message)
                );
            }
        }
        if !report.changes.is_empty() {
            let _ = writeln!(body, "<h2>Changes ({})</h2>", report.changes.len());
        }
        for change in &report.changes {
            let _ = writeln!(
                body,
                "<h3 class=\"change\" data-change=\"{}\">{} {} {}/{} <span class=\"muted\">{}</span></h3>\n<pre>",
                change.change.as_str(),
                change.change.as_str(),
                escape(&change.kind),
                escape(&change.namespace),
                escape(&change.name),
                escape(&change.source)
            );
            for line in change.diff.lines() {
                let class = match line.as_bytes().first() {
                    Some(b'+') if !line.starts_with("+++") => " class=\"add\"",
                    Some(b'-') if !line.starts_with("---") => " class=\"del\"",
                    _ => "",
                };
                let _ = writeln!(body, "<span{class}>{}</span>", escape(line));
            }
            body.push_str("</pre>\n");
        }
        body.push_str("</section>\n");
    }
    page("kiln diff", &body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_repository_cannot_become_markup() {
        assert_eq!(
            escape("<script>alert('x')</script> & \"q\""),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;q&quot;"
        );
        let report = diff::Report {
            environment: None,
            summary: diff::Summary::default(),
            notes: vec![diff::Note {
                impact: "restart",
                object: "FlinkDeployment a/<b>".into(),
                message: "<img src=x onerror=alert(1)>".into(),
            }],
            changes: Vec::new(),
        };
        let page = diff_page(&[report], &|_| "<h1>".to_string());
        assert!(!page.contains("<img"), "{page}");
        assert!(!page.contains("<b>"), "{page}");
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(!page.contains("<script"), "no script at all");
    }
}
