//! The `tracegrep` binary: parse the command line, run, map the outcome to an exit code.

use std::io::{self, IsTerminal, Write};
use std::process::ExitCode;

use clap::{CommandFactory, Parser};
use tracegrep::cli::{Cli, Command, Generate};
use tracegrep::config::Config;
use tracegrep::exit::ExitStatus;

/// Every trace of a big input is a few small allocations made on one thread and freed on
/// another: mimalloc's thread-local free lists made `--all` on 1 GB 25 % faster than glibc's
/// allocator in a side-by-side run (see the README's speed section).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let mut cli = Cli::parse();
    if let Some(Command::Mcp { paths }) = cli.command.take() {
        if let Some(n) = cli.threads.filter(|&n| n > 0) {
            let _ = rayon::ThreadPoolBuilder::new()
                .num_threads(n)
                .build_global();
        }
        let options = tracegrep::mcp::options_of(&cli);
        return match tracegrep::mcp::serve(paths, options) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e),
        };
    }
    if let Some(what) = cli.generate {
        return match generate(what, &mut io::stdout().lock()) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => fail(&e.into()),
        };
    }
    let config = match Config::from_cli(cli) {
        Ok(config) => config,
        Err(e) => return fail(&e),
    };
    let stdout = io::stdout();
    // Not locked for the run: the progress bar is drawn on stderr from worker threads, which
    // would wait forever for a lock this thread held. Each message line is one write.
    let mut err = io::stderr();
    // A terminal gets each line as it is written; a pipe gets large blocks, which is much
    // faster for big outputs.
    if config.threads > 0 {
        // Only fails if a pool already exists, in which case that pool is used.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(config.threads)
            .build_global();
    }
    let run = tracegrep::modes::run;
    let result = if stdout.is_terminal() {
        run(&config, &mut io::LineWriter::new(stdout.lock()), &mut err)
    } else {
        run(
            &config,
            &mut io::BufWriter::with_capacity(64 << 10, stdout.lock()),
            &mut err,
        )
    };
    match result {
        Ok(status) => status.into(),
        Err(e) => fail(&e),
    }
}

/// Reports a fatal error; a closed pipe (`| head`) is a quiet, successful end.
fn fail(e: &anyhow::Error) -> ExitCode {
    let broken_pipe = e
        .chain()
        .filter_map(|c| c.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe);
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    let _ = writeln!(io::stderr(), "tracegrep: {e:#}");
    ExitStatus::Error.into()
}

/// The man page: clap_mangen's sections, with the text after the options under EXIT STATUS
/// and EXAMPLES (clap_mangen would file it under "EXTRA").
fn write_man(cmd: clap::Command, out: &mut dyn Write) -> io::Result<()> {
    let man = clap_mangen::Man::new(cmd.clone());
    man.render_title(out)?;
    man.render_name_section(out)?;
    man.render_synopsis_section(out)?;
    man.render_description_section(out)?;
    man.render_options_section(out)?;
    write_man_subcommands(&cmd, out)?;
    writeln!(out, ".SH \"EXIT STATUS\"")?;
    writeln!(out, "{}", tracegrep::cli::EXIT_STATUS)?;
    writeln!(out, ".SH EXAMPLES")?;
    writeln!(out, ".nf")?;
    for line in tracegrep::cli::EXAMPLES.lines() {
        // Backslashes are roff escapes: written as `\e`.
        writeln!(out, "{}", line.replace('\\', "\\e"))?;
    }
    writeln!(out, ".fi")?;
    man.render_version_section(out)
}

/// The subcommands, each whole on this page: clap_mangen would only point to a page of its
/// own (`tracegrep-mcp(1)`), which is not installed.
fn write_man_subcommands(cmd: &clap::Command, out: &mut dyn Write) -> io::Result<()> {
    use clap_mangen::roff::{bold, italic, roman, Roff};
    let mut roff = Roff::default();
    let subcommands: Vec<&clap::Command> =
        cmd.get_subcommands().filter(|s| !s.is_hide_set()).collect();
    if subcommands.is_empty() {
        return Ok(());
    }
    roff.control("SH", ["SUBCOMMANDS"]);
    for sub in subcommands {
        roff.control("TP", []);
        let mut usage = vec![bold(format!("tracegrep {}", sub.get_name()))];
        let name_of = |arg: &clap::Arg| match arg.get_value_names() {
            Some([name, ..]) => name.to_string(),
            _ => arg.get_id().as_str().to_uppercase(),
        };
        for arg in sub.get_positionals() {
            let name = name_of(arg);
            let many = if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
                "..."
            } else {
                ""
            };
            usage.extend([roman(" ["), italic(name), roman(format!("]{many}"))]);
        }
        roff.text(usage);
        if let Some(about) = sub.get_long_about().or_else(|| sub.get_about()) {
            roff.control("IP", []);
            roff.text([roman(about.to_string())]);
        }
        for arg in sub.get_positionals() {
            if let Some(help) = arg.get_long_help().or_else(|| arg.get_help()) {
                roff.control("IP", []);
                roff.text([italic(name_of(arg)), roman(": "), roman(help.to_string())]);
            }
        }
        // The text after the help holds examples: lines kept as they are.
        if let Some(after) = sub.get_after_long_help().or_else(|| sub.get_after_help()) {
            roff.control("IP", []);
            roff.control("nf", []);
            for line in after.to_string().lines() {
                roff.text([roman(line)]);
            }
            roff.control("fi", []);
        }
    }
    roff.to_writer(out)
}

fn generate(what: Generate, out: &mut dyn Write) -> io::Result<()> {
    let mut cmd = Cli::command();
    let shell = match what {
        Generate::Man => return write_man(cmd, out),
        Generate::Bash => clap_complete::Shell::Bash,
        Generate::Zsh => clap_complete::Shell::Zsh,
        Generate::Fish => clap_complete::Shell::Fish,
        Generate::Powershell => clap_complete::Shell::PowerShell,
        Generate::Elvish => clap_complete::Shell::Elvish,
    };
    clap_complete::generate(shell, &mut cmd, "tracegrep", out);
    Ok(())
}
