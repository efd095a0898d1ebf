using System.CommandLine;
using BigGan.Training.Onnx;
using BigGan.Training.Sampling;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan export --onnx</c>: the EMA generator as an ONNX graph (spectral norm folded, batch norm with the chosen
/// statistics) with inputs z and class_index or class_onehot, outputs image ([-1, 1]) and pixels ([0, 255]), for
/// ONNX Runtime or ML.NET's ApplyOnnxModel. The defaults (batch 1, class_index int64 [1, 1]) are what plain
/// ApplyOnnxModel accepts from a Vector&lt;Single, DimZ&gt; column z and an Int64 column class_index. An imported
/// Hugging Face BigGAN-deep run exports the same inputs and outputs, for the --truncation its statistics are picked for.
/// </summary>
internal static class ExportCommand
{
    public static Command Create()
    {
        var onnx = new Option<string>("--onnx") { Description = "output .onnx file", Required = true };
        var batch = new Option<string>("--batch") { Description = "1 (a fixed batch of one, what ML.NET feeds) or dynamic", DefaultValueFactory = _ => "1" };
        // index-column by default: ML.NET's ApplyOnnxModel feeds a scalar column as [1, 1] and refuses int64 [N] ("Invalid rank").
        var classInput = new Option<string>("--class-input")
        {
            Description = "index-column (int64 [N, 1], what ML.NET's ApplyOnnxModel feeds from a scalar Int64 column), index (int64 [N]) or onehot (float [N, classes])",
            DefaultValueFactory = _ => "index-column",
        };
        var opset = new Option<int>("--opset") { Description = "ONNX opset: 13, or 11 for older runtimes", DefaultValueFactory = _ => OnnxGraphBuilder.DefaultOpset };
        var convention = new Option<string>("--truncation-convention") { Description = "recorded in the metadata: how z is to be drawn, paper or tfhub", DefaultValueFactory = _ => "paper" };
        var truncation = new Option<string?>("--truncation")
        {
            Description = "imported Hugging Face BigGAN-deep runs only: tfhub:t (0 < t <= 1), the truncation whose batch-norm statistics the graph holds (default tfhub:1); " +
                          "z is drawn outside the graph as t × a normal truncated at ±2",
        };
        var command = new Command("export", "export a trained generator as ONNX") { onnx, batch, classInput, opset, convention, truncation };
        var generator = new GeneratorOptions(command, sampling: false);
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var options = new GeneratorExportOptions
            {
                DynamicBatch = result.GetValue(batch)?.Trim().ToLowerInvariant() switch
                {
                    "1" => false,
                    "dynamic" or "n" => true,
                    var b => throw new ArgumentException($"--batch {b}: expected 1 or dynamic"),
                },
                ClassInput = result.GetValue(classInput)?.Trim().ToLowerInvariant() switch
                {
                    "index" => OnnxClassInput.Index,
                    "onehot" or "one-hot" => OnnxClassInput.OneHot,
                    "index-column" => OnnxClassInput.IndexColumn,
                    var c => throw new ArgumentException($"--class-input {c}: expected index, onehot or index-column"),
                },
                Opset = result.GetValue(opset),
                TruncationConvention = result.GetValue(convention)?.Trim().ToLowerInvariant() switch
                {
                    "paper" => TruncationConvention.Paper,
                    "tfhub" or "hf" => TruncationConvention.TFHub,
                    var t => throw new ArgumentException($"--truncation-convention {t}: expected paper or tfhub"),
                },
            }.Validate();
            var path = result.GetValue(onnx)!;
            var asked = GeneratorOptions.Parse(result.GetValue(truncation));
            using var sampler = generator.Open(result, asked);
            // this project's graph takes z drawn outside it, so a truncation has nothing to select there
            if (asked is not null && sampler is BigGanSampler)
                throw new ArgumentException("--truncation is for imported Hugging Face BigGAN-deep runs, whose batch-norm statistics depend on it; " +
                                            "this run's graph takes z drawn outside it (record how with --truncation-convention)");
            AnsiConsole.MarkupLine($"generator: {Markup.Escape(GeneratorOptions.Describe(sampler))}");
            sampler.ExportOnnx(path, options);
            var input = options.ClassInput == OnnxClassInput.OneHot ? $"{GeneratorExporter.ClassOneHotInput} float [N, {sampler.NumClasses}]"
                : options.ClassInput == OnnxClassInput.IndexColumn ? $"{GeneratorExporter.ClassIndexInput} int64 [N, 1]" : $"{GeneratorExporter.ClassIndexInput} int64 [N]";
            var graph = $"({new FileInfo(path).Length / 1e6:F1} MB, opset {options.Opset}, N = {(options.DynamicBatch ? "dynamic" : "1")}): " +
                        $"inputs z float [N, {sampler.DimZ}], {input}; outputs image [-1, 1] and pixels [0, 255], [N, {sampler.Channels}, {sampler.Resolution}, {sampler.Resolution}]";
            AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] {Markup.Escape(graph)}");
            return 0;
        }));
        return command;
    }
}
