using BigGan.Torch;
using static BigGan.Torch.torch;

namespace BigGan.Cli.Commands;

/// <summary>Sample sheets: one row per class, the same latent per column, from the generator in eval mode.</summary>
internal static class SheetWriter
{
    public static void ClassSheet(BigGan.Training.Model.Generator g, string path, int columns, ulong seed)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var wasTraining = g.training;
        g.eval();
        try
        {
            using var scope = NewDisposeScope();
            using var inference = inference_mode();
            using var rng = new BigGan.Torch.Generator(seed);
            int k = g.NumClasses;
            var z = randn([columns, g.DimZ], generator: rng).repeat(k, 1);
            var y = arange(k).unsqueeze(1).repeat(1, columns).reshape(-1);
            var images = g.forward(z, y);
            torchvision.utils.save_image(images, path, nrow: columns);
        }
        finally
        {
            g.train(wasTraining);
        }
    }
}
