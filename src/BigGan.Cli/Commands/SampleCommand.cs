using System.CommandLine;
using BigGan.Training.Sampling;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan sample</c>: samples of a trained generator (EMA by default) as a class sheet (one row per class, one latent
/// per column), as numpy's .npz (<c>x</c> uint8 NCHW, <c>y</c> int64; the reference's sample_npz, for scoring), or as a
/// folder of PNGs with one subfolder per class and a labels.csv.
/// </summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "output: a PNG sheet, an .npz file, or a folder (see --format)", Required = true };
        var format = new Option<string>("--format") { Description = "png (a sheet, one row per class), npz, or folder", DefaultValueFactory = _ => "png" };
        var perClass = new Option<int?>("--per-class") { Description = "images per class (the sheet's columns; default 10)" };
        var columns = new Option<int?>("--columns") { Description = "same as --per-class (sheet columns)" };
        var overwrite = new Option<bool>("--overwrite") { Description = "--format folder: replace an existing folder" };
        var channels = new Option<int>("--channels") { Description = "--format npz or folder: 1 (gray, BT.601 luma) or 3 (RGB); 0 keeps the generator's own", DefaultValueFactory = _ => 0 };
        var command = new Command("sample", "write samples of a trained generator: a sheet, an .npz, or a folder of PNGs") { output, format, perClass, columns, overwrite, channels };
        var generator = new GeneratorOptions(command);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var count = result.GetValue(perClass) ?? result.GetValue(columns) ?? 10;
            if (count < 1) throw new ArgumentException($"--per-class {count}: expected at least 1");
            var kind = result.GetValue(format)?.Trim().ToLowerInvariant();
            if (kind is not ("png" or "npz" or "folder")) throw new ArgumentException($"--format {kind}: expected png, npz or folder");
            var path = result.GetValue(output)!;
            var outputChannels = result.GetValue(channels);
            if (outputChannels is not (0 or 1 or 3)) throw new ArgumentException($"--channels {outputChannels}: expected 1 (gray), 3 (RGB) or 0 (the generator's own)");
            if (outputChannels != 0 && kind == "png") throw new ArgumentException("--channels applies to --format npz or folder, not to a sheet");
            using var sampler = generator.Open(result);
            var truncation = generator.ParseTruncation(result, sampler);
            var classes = generator.ParseClasses(result, sampler);
            var seed = result.GetValue(generator.Seed);
            AnsiConsole.MarkupLine($"generator: {Markup.Escape(GeneratorOptions.Describe(sampler))}");
            switch (kind)
            {
                case "png":
                    SampleSheets.WriteClassSheet(sampler, path, classes, count, truncation, seed);
                    AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] ({classes?.Count ?? sampler.NumClasses} classes × {count}, truncation {truncation})");
                    break;
                case "npz":
                {
                    var n = SampleExport.WriteNpz(sampler, path, classes, count, truncation, seed, channels: outputChannels);
                    var shapes = $"x uint8 [{n}, {(outputChannels == 0 ? sampler.Channels : outputChannels)}, {sampler.Resolution}, {sampler.Resolution}], y int64 [{n}] (truncation {truncation})";
                    AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/]: {Markup.Escape(shapes)}");
                    break;
                }
                default:
                {
                    var n = SampleExport.WriteFolder(sampler, path, classes, count, truncation, seed, result.GetValue(overwrite), channels: outputChannels);
                    AnsiConsole.MarkupLine($"wrote {n} PNGs and labels.csv to [bold]{Markup.Escape(path)}[/] (truncation {truncation})");
                    break;
                }
            }
            return 0;
        }));
        return command;
    }
}
