using BigGan.Training.Model;
using BigGan.Training.Training;
using ModelGenerator = BigGan.Training.Model.Generator;

namespace BigGan.Training.Tests.Sampling;

/// <summary>Tiny generators with non-trivial state (perturbed weights, non-zero attention gamma, BN statistics and SN u
/// vectors moved by a few training-mode forwards), and run folders holding them as checkpoints.</summary>
internal static class SamplingFixtures
{
    /// <summary>32×32 RGB, shared embedding, hierarchical z, attention at 16 and 32 (16 channels each).</summary>
    public static ModelConfig Attention32 => new()
    {
        Resolution = 32, Channels = 3, NumClasses = 5, GCh = 4, DCh = 4, DimZ = 16, SharedDim = 6,
        SharedEmbedding = true, Hierarchical = true, GAttention = [16, 32], SnEps = 1e-6,
    };

    /// <summary>64×64 grayscale, per-class cBN tables, single z, two tracked singular values, attention at 32.</summary>
    public static ModelConfig Tables64 => new()
    {
        Resolution = 64, Channels = 1, NumClasses = 4, GCh = 2, DCh = 2, DimZ = 8,
        SharedEmbedding = false, Hierarchical = false, GAttention = [16], NumGSvs = 2, GInit = Init.N02,
    };

    /// <summary>A 32×32 model small enough for many quick samples (no attention).</summary>
    public static ModelConfig Small32 => new()
    {
        Resolution = 32, Channels = 3, NumClasses = 3, GCh = 2, DCh = 2, DimZ = 12,
        SharedEmbedding = true, Hierarchical = true, SharedDim = 4,
    };

    /// <summary>A generator in eval mode whose every parameter, BN statistic and u vector is non-trivial.</summary>
    public static ModelGenerator Warmed(ModelConfig config, ulong seed, int trainForwards = 3)
    {
        using var rng = new torch.Generator((ulong)seed);
        var g = new ModelGenerator(config, rng);
        using var scope = NewDisposeScope();
        using (no_grad())
        {
            foreach (var p in g.parameters()) p.add_(randn(p.shape, generator: rng).mul_(0.05));
            foreach (var a in g.Attention) a?.gamma.fill_(0.7);
            g.output_bn.gain.add_(0.3);
            g.train();
            for (int i = 0; i < trainForwards; i++)
            {
                var z = randn([6, config.DimZ], generator: rng);
                var y = randint(0, config.NumClasses, [6], generator: rng);
                g.forward(z, y);
            }
        }
        g.eval();
        return g;
    }

    /// <summary>
    /// A run folder with one checkpoint at <paramref name="step"/> whose G and G_ema differ (G_ema = <paramref name="ema"/>),
    /// as the trainer writes it. Returns the run folder.
    /// </summary>
    public static string WriteRun(string runDir, ModelConfig config, ModelGenerator ema, ModelGenerator? g = null, long step = 10, TrainConfig? train = null)
    {
        using var d = new Discriminator(config);
        var ownG = g is null;
        g ??= Warmed(config, 999);
        try
        {
            using var gOpt = new Adam(g.parameters());
            using var dOpt = new Adam(d.parameters());
            var state = new TrainingState
            {
                G = g, D = d, GEma = ema, GOptimizer = gOpt, DOptimizer = dOpt, IncludeDefaultRng = false,
                Step = step, ConfigJson = new RunConfig(config, train ?? new TrainConfig()).ToJson(),
            };
            Checkpoint.Save(runDir, state);
            return runDir;
        }
        finally
        {
            if (ownG) g.Dispose();
        }
    }

    public static string TempDir(string prefix) => Directory.CreateTempSubdirectory(prefix).FullName;

    public static void DeleteDir(string dir)
    {
        try { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); } catch (IOException) { }
    }

    public static float MaxAbsDiff(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        return a.sub(b).abs().max().item<float>();
    }
}
