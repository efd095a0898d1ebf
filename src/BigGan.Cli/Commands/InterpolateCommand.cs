using System.CommandLine;
using BigGan.Training.Sampling;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary><c>biggan interpolate</c>: an interpolation sheet; each row walks between two endpoints in z (class fixed),
/// in class-embedding space (z fixed), or both.</summary>
internal static class InterpolateCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output PNG", Required = true };
        var mode = new Option<string>("--mode") { Description = "what moves along a row: z, class, or both", DefaultValueFactory = _ => "z" };
        var rows = new Option<int>("--rows") { Description = "rows (interpolations)", DefaultValueFactory = _ => 8 };
        var midpoints = new Option<int>("--midpoints") { Description = "images between the two endpoints of a row", DefaultValueFactory = _ => 8 };
        var command = new Command("interpolate", "write an interpolation sheet of a trained generator") { output, mode, rows, midpoints };
        var generator = new GeneratorOptions(command);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var m = result.GetValue(mode)?.Trim().ToLowerInvariant() switch
            {
                "z" => InterpolationMode.Z,
                "class" or "y" => InterpolationMode.Class,
                "both" or "zy" => InterpolationMode.Both,
                var other => throw new ArgumentException($"--mode {other}: expected z, class or both"),
            };
            var path = result.GetValue(output)!;
            using var sampler = generator.Open(result);
            var truncation = generator.ParseTruncation(result, sampler);
            AnsiConsole.MarkupLine($"generator: {Markup.Escape(GeneratorOptions.Describe(sampler))}");
            SampleSheets.WriteInterpolationSheet(sampler, path, m, result.GetValue(rows), result.GetValue(midpoints), truncation,
                result.GetValue(generator.Seed), generator.ParseClasses(result, sampler));
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] ({result.GetValue(rows)} rows, {m.ToString().ToLowerInvariant()} interpolation)");
            return 0;
        }));
        return command;
    }
}
