
use builtin;
use str;

set edit:completion:arg-completer[tracegrep] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'tracegrep'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'tracegrep'= {
            cand --format 'What to print: the header, waterfall and timeline (`full`), one of them, the trace as JSON, or the original lines'
            cand --color 'When to use colours. `auto` colours a terminal unless NO_COLOR is set'
            cand --width 'Width of the output in columns (default: the terminal''s, or 100 when piped)'
            cand --idle 'With --follow: how long the trace must be quiet before its waterfall is printed (`5s`, `500ms`, `1m`)'
            cand -j 'Number of threads to search with (default: one per core)'
            cand --threads 'Number of threads to search with (default: one per core)'
            cand --trace-field 'Read the trace id from this field (a dotted path such as `ctx.trace`), before the built-in names'
            cand --span-field 'Read the span id from this field (dotted path)'
            cand --parent-field 'Read the parent span id from this field (dotted path)'
            cand --time-field 'Read the timestamp from this field (dotted path)'
            cand --service-field 'Read the service name from this field (dotted path)'
            cand --generate 'Print a shell completion script or the man page and exit'
            cand -f 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)'
            cand --follow 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)'
            cand -q 'Do not print the per-file summary of skipped and damaged lines on stderr'
            cand --quiet 'Do not print the per-file summary of skipped and damaged lines on stderr'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
