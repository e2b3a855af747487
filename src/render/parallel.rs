//! Big outputs (a table, CSV or JSON of a million traces) rendered on every core: rows are cut
//! into tasks, a few tasks per thread are rendered into memory at a time, and their text is
//! written in input order, so the bytes are the same as a serial writer's and the text held
//! at once stays small.

use std::io::{self, Write};

use rayon::prelude::*;

/// Tasks rendered at once per thread.
const TASKS_PER_THREAD: usize = 2;

/// Writes `rows` as rendered by `render` (given the task's number, from 0, and its rows),
/// `per_task` rows per task, with `separator` between the texts of consecutive tasks.
pub fn write_in_parallel<T: Sync>(
    out: &mut dyn Write,
    rows: &[T],
    per_task: usize,
    separator: &[u8],
    render: impl Fn(&mut Vec<u8>, usize, &[T]) -> io::Result<()> + Sync,
) -> io::Result<()> {
    let per_task = per_task.max(1);
    let at_once = TASKS_PER_THREAD * rayon::current_num_threads().max(1);
    // Kept from batch to batch: a task's text grows to its size once, not once per batch
    // (growing by doubling copied each text about once more: 8 % of `--format jsonl`).
    let mut texts: Vec<Vec<u8>> = vec![Vec::new(); at_once];
    for (batch_no, batch) in rows.chunks(per_task * at_once).enumerate() {
        let tasks = batch.len().div_ceil(per_task);
        let done: Vec<io::Result<()>> = texts[..tasks]
            .par_iter_mut()
            .zip(batch.par_chunks(per_task))
            .enumerate()
            .map(|(i, (text, task))| {
                text.clear();
                render(text, batch_no * at_once + i, task)
            })
            .collect();
        for (i, (text, done)) in texts.iter().zip(done).enumerate() {
            done?;
            if batch_no + i > 0 {
                out.write_all(separator)?;
            }
            out.write_all(text)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pieces_come_out_in_order_with_separators_between_tasks() {
        let rows: Vec<u32> = (0..1000).collect();
        let mut out = Vec::new();
        write_in_parallel(&mut out, &rows, 7, b"|", |text, task, rows| {
            write!(text, "{task}:")?;
            for r in rows {
                write!(text, "{r} ")?;
            }
            Ok(())
        })
        .expect("write");
        let text = String::from_utf8(out).expect("UTF-8");
        let tasks: Vec<&str> = text.split('|').collect();
        assert_eq!(tasks.len(), 1000usize.div_ceil(7));
        for (n, task) in tasks.iter().enumerate() {
            assert!(task.starts_with(&format!("{n}:{} ", n * 7)), "{task}");
        }
        let numbers: Vec<u32> = text
            .split(['|', ' '])
            .filter_map(|w| w.rsplit(':').next()?.parse().ok())
            .collect();
        assert_eq!(numbers, rows);
    }
}
