using System.CommandLine;
using BigGan.Training.Import;
using Spectre.Console;

namespace BigGan.Cli.Commands;

/// <summary>
/// <c>biggan import</c>: converts published generator weights (BigGAN-PyTorch's G_ema.pth) into a run folder that
/// sample, interpolate, export, evaluate and the ML.NET adapters open like a trained run (<see cref="PretrainedImport"/>).
/// The file is read by a restricted unpickler: a pickle that asks for anything but state-dict data is refused.
/// </summary>
internal static class ImportCommand
{
    public static Command Create()
    {
        var format = new Option<string>("--format") { Description = "whose weights: biggan-pytorch (G.pth / G_ema.pth of ajbrock/BigGAN-PyTorch) or huggingface (not supported yet)", Required = true };
        var weights = new Option<string>("--weights") { Description = "the weights file (either torch.save format)", Required = true };
        var config = new Option<string?>("--config") { Description = "optional model configuration JSON (this project's model section); default: read off the weights' shapes" };
        var output = new Option<string>("--out") { Description = "the new run folder to write", Required = true };
        var command = new Command("import", "convert published BigGAN weights into a run folder") { format, weights, config, output };
        command.SetAction(result => CommandRunner.Run(() =>
        {
            var kind = PretrainedImport.Parse(result.GetValue(format));
            if (kind == PretrainedFormat.HuggingFace)
                throw new ArgumentException("--format huggingface: Hugging Face pytorch-pretrained-BigGAN (TF-Hub BigGAN-deep) weights are not supported yet; --format biggan-pytorch is");
            var run = PretrainedImport.ImportRun(result.GetValue(weights)!, kind, result.GetValue(output)!, result.GetValue(config));
            var c = run.Config;
            AnsiConsole.MarkupLine($"imported [bold]{Markup.Escape(result.GetValue(weights)!)}[/] ({PretrainedImport.Name(kind)}) into [bold]{Markup.Escape(run.RunDir)}[/]");
            AnsiConsole.WriteLine($"generator: {c.Resolution}×{c.Resolution}×{c.Channels}, {c.NumClasses} classes{(run.ImageNetClassNames ? " (ImageNet names)" : "")}, " +
                                  $"G_ch {c.GCh}, dim_z {c.DimZ}{(c.Hierarchical ? " (hierarchical)" : "")}, shared_dim {c.ResolvedSharedDim}, attention at {(c.GAttention.Count == 0 ? "none" : string.Join(", ", c.GAttention))}");
            AnsiConsole.WriteLine($"next: biggan sample --run {run.RunDir} --classes {(run.ImageNetClassNames ? "\"golden retriever\"" : "0")} --out sheet.png");
            return 0;
        }));
        return command;
    }
}
