using System.CommandLine;
using System.Globalization;
using BigGan.Training.Import;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan import</c>: converts published generator weights into a run folder that sample, interpolate, export,
/// evaluate and the ML.NET adapters open like a trained run: BigGAN-PyTorch's G_ema.pth (<see cref="PretrainedImport"/>)
/// or a Hugging Face BigGAN-deep's pytorch_model.bin + config.json (<see cref="HuggingFaceRun"/>, sampled with the
/// TF-Hub truncation tfhub:t). A Hugging Face model can also go straight to an ONNX file for one truncation
/// (<see cref="HuggingFaceOnnxExporter"/>).
/// Files are read by a restricted unpickler: a pickle that asks for anything but state-dict data is refused.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "whose weights: biggan-pytorch (G.pth / G_ema.pth of ajbrock/BigGAN-PyTorch) or huggingface (pytorch_model.bin of pytorch-pretrained-BigGAN)", Required = true };
        var weights = new Option<string>("--weights") { Description = "the weights file (either torch.save format)", Required = true };
        var config = new Option<string?>("--config") { Description = "biggan-pytorch: optional model configuration JSON (default: read off the weights' shapes); huggingface: its config.json (default: config.json next to the weights)" };
        var output = new Option<string?>("--out") { Description = "the new run folder to write" };
        var onnx = new Option<string?>("--onnx") { Description = "huggingface: (also, or instead) an ONNX file to write (inputs z and class_onehot) for --truncation" };
        var truncation = new Option<double>("--truncation") { Description = "huggingface --onnx: the truncation the ONNX file's batch-norm statistics are for (0 < t <= 1; z is drawn as t × a normal truncated at ±2)", DefaultValueFactory = _ => 0.4 };
        var command = new Command("import", "convert published BigGAN weights (BigGAN-PyTorch, Hugging Face BigGAN-deep) into a run folder, or a Hugging Face model into an ONNX file") { format, weights, config, output, onnx, truncation };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var kind = PretrainedImport.Parse(result.GetValue(format));
            var file = result.GetValue(weights)!;
            if (kind == PretrainedFormat.HuggingFace)
            {
                var (runOut, path) = (result.GetValue(output), result.GetValue(onnx));
                if (runOut is null && path is null) throw new ArgumentException("--format huggingface needs --out RUN_DIR (a new run folder), --onnx FILE, or both");
                if (runOut is not null)
                {
                    var imported = HuggingFaceRun.Import(file, result.GetValue(config), runOut);
                    var hc = imported.Config;
                    AnsiConsole.MarkupLine($"imported [bold]{Markup.Escape(file)}[/] (huggingface) into [bold]{Markup.Escape(imported.RunDir)}[/]");
                    AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"generator: BigGAN-deep {hc.OutputDim}×{hc.OutputDim}×3, {hc.NumClasses} classes{(imported.ImageNetClassNames ? " (ImageNet names)" : "")}, z_dim {hc.ZDim}, channel_width {hc.ChannelWidth}; " +
                        $"sample it with --truncation tfhub:t (0 < t <= 1, default tfhub:1)"));
                    AnsiConsole.WriteLine($"next: biggan sample --run {imported.RunDir} --classes {(imported.ImageNetClassNames ? "\"golden retriever\"" : "0")} --truncation tfhub:0.4 --out sheet.png");
                }
                if (path is null) return 0;
                var t = result.GetValue(truncation);
                using var g = HuggingFaceBigGanWeights.Load(file, result.GetValue(config));
                HuggingFaceOnnxExporter.Export(g, t, path);
                var c = g.Config;
                AnsiConsole.MarkupLine($"wrote [bold]{Markup.Escape(path)}[/] from {Markup.Escape(file)} (huggingface)");
                AnsiConsole.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"generator: {c.OutputDim}×{c.OutputDim}×3, {c.NumClasses} classes, z_dim {c.ZDim}, channel_width {c.ChannelWidth}, truncation {t} (inputs z [N, {c.ZDim}] = {t} × a normal truncated at ±2, class_onehot [N, {c.NumClasses}])"));
                return 0;
            }
            if (result.GetValue(onnx) is not null) throw new ArgumentException("--onnx is for --format huggingface; for biggan-pytorch import into --out, then run `biggan export`");
            var outDir = result.GetValue(output) ?? throw new ArgumentException("--format biggan-pytorch needs --out RUN_DIR (a new run folder)");
            var run = PretrainedImport.ImportRun(file, kind, outDir, result.GetValue(config));
            var m = run.Config;
            AnsiConsole.MarkupLine($"imported [bold]{Markup.Escape(file)}[/] ({PretrainedImport.Name(kind)}) into [bold]{Markup.Escape(run.RunDir)}[/]");
            AnsiConsole.WriteLine($"generator: {m.Resolution}×{m.Resolution}×{m.Channels}, {m.NumClasses} classes{(run.ImageNetClassNames ? " (ImageNet names)" : "")}, " +
                                  $"G_ch {m.GCh}, dim_z {m.DimZ}{(m.Hierarchical ? " (hierarchical)" : "")}, shared_dim {m.ResolvedSharedDim}, {(m.GAttention.Count == 0 ? "no attention" : "attention at " + string.Join(", ", m.GAttention))}");
            AnsiConsole.WriteLine($"next: biggan sample --run {run.RunDir} --classes {(run.ImageNetClassNames ? "\"golden retriever\"" : "0")} --out sheet.png");
            return 0;
        }));
        return command;
    }
}
