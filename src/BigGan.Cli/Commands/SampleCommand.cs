using System.CommandLine;
using BigGan.Training.Model;
using BigGan.Training.Training;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary><c>biggan sample</c>: a sample sheet (one row per class) from a run's EMA generator.</summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var run = new Option<string>("--run") { Description = "run folder (its latest checkpoint is used)", Required = true };
        var output = new Option<string>("--out") { Description = "output PNG", Required = true };
        var columns = new Option<int>("--columns") { Description = "samples per class", DefaultValueFactory = _ => 10 };
        var seed = new Option<ulong>("--seed") { Description = "seed of the latents", DefaultValueFactory = _ => 0 };
        var command = new Command("sample", "write samples of a trained generator") { run, output, columns, seed };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var runDir = result.GetValue(run)!;
            var checkpoint = Checkpoint.Latest(runDir) ?? throw new InvalidOperationException($"{runDir} holds no checkpoint");
            var config = RunConfig.FromJson(checkpoint.ConfigJson, checkpoint.Path);
            using var g = new Generator(config.Model, skipInit: true);
            Checkpoint.LoadModule(checkpoint.Path, config.Train.UseEma ? Checkpoint.GEmaFile : Checkpoint.GFile, g);
            SheetWriter.ClassSheet(g, result.GetValue(output)!, result.GetValue(columns), result.GetValue(seed));
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(result.GetValue(output)!)}[/] (step {checkpoint.Step})");
            return 0;
        }));
        return command;
    }
}
