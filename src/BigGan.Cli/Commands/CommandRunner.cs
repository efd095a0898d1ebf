using BigGan.Training.Training;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>Runs a command body and turns the errors a user can fix into one red line on standard error and exit code 1.</summary>
internal static class CommandRunner
{
    public static int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or FileNotFoundException or DirectoryNotFoundException
                                      or InvalidOperationException or TrainingDivergedException or TrainingCollapsedException or IOException or UnauthorizedAccessException
                                      or FormatException or DllNotFoundException or System.Runtime.InteropServices.ExternalException
                                      or BigGan.Training.Distributed.DistributedException)
        {
            Consoles.Error.MarkupLine($"[red]error:[/] {Markup.Escape(UserMessage(e))}");
            return 1;
        }
    }

    // An ArgumentException's message ends in " (Parameter 'name')", the C# name of an argument the user never typed.
    private static string UserMessage(Exception e) =>
        e is ArgumentException { ParamName: { } name } ? e.Message.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : e.Message;
}
