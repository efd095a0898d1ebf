using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// The tool's two consoles: standard output (AnsiConsole's) for results, standard error for error lines. A console
/// that is redirected to a file or a pipe gets plain text: no colour or hyperlink escapes and no wrapping at 80
/// columns, so logs and scripts read the lines as written.
/// </summary>
internal static class Consoles
{
    public static IAnsiConsole Error { get; private set; } = AnsiConsole.Console;

    public static void Configure()
    {
        AnsiConsole.Console = Create(Console.Out, Console.IsOutputRedirected);
        Error = Create(Console.Error, Console.IsErrorRedirected);
    }

    private static IAnsiConsole Create(TextWriter writer, bool redirected)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = redirected ? AnsiSupport.No : AnsiSupport.Detect,
            ColorSystem = redirected ? ColorSystemSupport.NoColors : ColorSystemSupport.Detect,
            Interactive = redirected ? InteractionSupport.No : InteractionSupport.Detect,
        });
        if (redirected) console.Profile.Width = 4096; // a line is as long as its text
        return console;
    }
}
