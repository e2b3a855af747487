
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'tracegrep' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'tracegrep'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'tracegrep' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'What to print: the header, waterfall and timeline (`full`), one of them, the trace as JSON, or the original lines')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colours. `auto` colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--width', '--width', [CompletionResultType]::ParameterName, 'Width of the output in columns (default: the terminal''s, or 100 when piped)')
            [CompletionResult]::new('--idle', '--idle', [CompletionResultType]::ParameterName, 'With --follow: how long the trace must be quiet before its waterfall is printed (`5s`, `500ms`, `1m`)')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Number of threads to search with (default: one per core)')
            [CompletionResult]::new('--threads', '--threads', [CompletionResultType]::ParameterName, 'Number of threads to search with (default: one per core)')
            [CompletionResult]::new('--trace-field', '--trace-field', [CompletionResultType]::ParameterName, 'Read the trace id from this field (a dotted path such as `ctx.trace`), before the built-in names')
            [CompletionResult]::new('--span-field', '--span-field', [CompletionResultType]::ParameterName, 'Read the span id from this field (dotted path)')
            [CompletionResult]::new('--parent-field', '--parent-field', [CompletionResultType]::ParameterName, 'Read the parent span id from this field (dotted path)')
            [CompletionResult]::new('--time-field', '--time-field', [CompletionResultType]::ParameterName, 'Read the timestamp from this field (dotted path)')
            [CompletionResult]::new('--service-field', '--service-field', [CompletionResultType]::ParameterName, 'Read the service name from this field (dotted path)')
            [CompletionResult]::new('--generate', '--generate', [CompletionResultType]::ParameterName, 'Print a shell completion script or the man page and exit')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Keep reading as the files grow (like `tail -F`, across rotation) or until stdin ends: print each new line of the trace as it arrives, and the waterfall when the trace has been quiet for --idle, at the end of stdin, and on Ctrl-C (which then exits 130)')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Do not print the per-file summary of skipped and damaged lines on stderr')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Do not print the per-file summary of skipped and damaged lines on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
