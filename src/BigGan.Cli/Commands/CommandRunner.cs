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
                                      or InvalidOperationException or TrainingDivergedException or IOException or UnauthorizedAccessException
                                      or FormatException or DllNotFoundException or System.Runtime.InteropServices.ExternalException
                                      or BigGan.Training.Distributed.DistributedException)
        {
            Consoles.Error.MarkupLine($"[red]error:[/] {Markup.Escape(e.Message)}");
            return 1;
        }
    }
}
