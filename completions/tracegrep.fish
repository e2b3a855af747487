complete -c tracegrep -l format -d 'What to print: the header, waterfall and timeline (`full`), one of them, the trace as JSON, or the original lines' -r -f -a "full\t'Header, waterfall and timeline'
waterfall\t'Header and waterfall'
timeline\t'The timeline alone'
json\t'One JSON document (schema `tracegrep.trace` v1, see docs/json-schema.md)'
raw\t'The matching lines as they are, prefixed with their file name'"
complete -c tracegrep -l color -d 'When to use colours. `auto` colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set'
always\t'Always'
never\t'Never'"
complete -c tracegrep -l width -d 'Width of the output in columns (default: the terminal\'s, or 100 when piped)' -r
complete -c tracegrep -l idle -d 'With --follow: how long the trace must be quiet before its waterfall is printed (`5s`, `500ms`, `1m`)' -r
complete -c tracegrep -s j -l threads -d 'Number of threads to search with (default: one per core)' -r
complete -c tracegrep -l trace-field -d 'Read the trace id from this field (a dotted path such as `ctx.trace`), before the built-in names' -r
complete -c tracegrep -l span-field -d 'Read the span id from this field (dotted path)' -r
complete -c tracegrep -l parent-field -d 'Read the parent span id from this field (dotted path)' -r
complete -c tracegrep -l time-field -d 'Read the timestamp from this field (dotted path)' -r
complete -c tracegrep -l service-field -d 'Read the service name from this field (dotted path)' -r
complete -c tracegrep -l generate -d 'Print a shell completion script or the man page and exit' -r -f -a "bash\t'bash completions'
zsh\t'zsh completions'
fish\t'fish completions'
powershell\t'PowerShell completions'
elvish\t'elvish completions'
man\t'The man page (roff)'"
complete -c tracegrep -s f -l follow -d 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)'
complete -c tracegrep -s q -l quiet -d 'Do not print the per-file summary of skipped and damaged lines on stderr'
complete -c tracegrep -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tracegrep -s V -l version -d 'Print version'
