using System.Globalization;
using System.Text.Json;
using TorchSharp;
using BigGan.Training.Model;
using BigGan.Training.Sampling;
using static TorchSharp.torch;

namespace BigGan.Training.Onnx;

/// <summary>
/// Writes a BigGAN generator as an ONNX graph that computes what <see cref="Model.Generator.forward"/> computes in eval
/// mode:
/// <list type="bullet">
/// <item>inputs <c>z</c> float [N, DimZ] and <c>class_index</c> int64 [N] (or [N, 1]) or <c>class_onehot</c> float
/// [N, NumClasses]; N is 1 unless the batch is dynamic;</item>
/// <item>outputs <c>image</c> float [N, C, R, R] in [−1, 1] and <c>pixels</c> = clip((image + 1) · 127.5, 0, 255);</item>
/// <item>spectral norm folded into the weights: W/σ with σ from one power iteration on the stored u, exactly as the
/// eval-mode forward computes it;</item>
/// <item>batch norm with the generator's stored statistics (running, or standing ones if they were accumulated);</item>
/// <item>shared class embedding, hierarchical z (Split + Concat), per-class cBN tables, self-attention, 1 or 3 channels;</item>
/// <item>metadata properties: class names (JSON), dim_z, resolution, channels, the truncation convention, the model config.</item>
/// </list>
/// z is sampled outside the graph (ONNX random ops are not reproducible across runtimes). The file is written
/// atomically, so a failed export leaves no file.
/// </summary>
public static class GeneratorExporter
{
    public const string LatentInput = "z";
    public const string ClassIndexInput = "class_index";
    public const string ClassOneHotInput = "class_onehot";
    public const string ImageOutput = "image";
    public const string PixelsOutput = "pixels";
    public const string FormatVersion = "biggan.net-onnx-generator/1";

    /// <summary>Metadata keys written by the exporter.</summary>
    public static class Keys
    {
        public const string Format = "biggan.format";
        public const string ClassNames = "biggan.class_names";
        public const string NumClasses = "biggan.num_classes";
        public const string DimZ = "biggan.dim_z";
        public const string Resolution = "biggan.resolution";
        public const string Channels = "biggan.channels";
        public const string ClassInput = "biggan.class_input";
        public const string Batch = "biggan.batch";
        public const string Truncation = "biggan.truncation";
        public const string TruncationConvention = "biggan.truncation_convention";
        public const string Statistics = "biggan.bn_statistics";
        public const string ModelConfig = "biggan.model_config";
        public const string Step = "biggan.step";
    }

    /// <summary>Writes the sampler's generator (with the statistics it currently holds, its class names and step).</summary>
    public static void Export(BigGanSampler sampler, string path, GeneratorExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        var o = options ?? new GeneratorExportOptions();
        o = o with
        {
            ClassNames = o.ClassNames ?? sampler.ClassNames,
            Statistics = sampler.Statistics,
            Step = o.Step ?? sampler.Step,
        };
        Export(sampler.Generator, path, o);
    }

    /// <summary>Writes the generator's graph to <paramref name="path"/> atomically (parent folders are created).</summary>
    public static void Export(Model.Generator generator, string path, GeneratorExportOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var builder = Build(generator, options);
        var full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"cannot write the ONNX file {path}: it is a folder");
        var folder = Path.GetDirectoryName(full)!;
        try
        {
            Directory.CreateDirectory(folder);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot write the ONNX file {path}: its folder {folder} cannot be created ({e.Message})", e);
        }
        builder.Save(full);
    }

    /// <summary>The generator's graph, ready to save or inspect.</summary>
    public static OnnxGraphBuilder Build(Model.Generator generator, GeneratorExportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(generator);
        var o = (options ?? new GeneratorExportOptions()).Validate();
        var config = generator.Config;
        if (o.ClassNames is not null && o.ClassNames.Count != config.NumClasses)
            throw new ArgumentException($"{o.ClassNames.Count} class names given for a generator of {config.NumClasses} classes", nameof(options));

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var b = new OnnxGraphBuilder(o.Opset, "biggan_generator");
        AddMetadata(b, generator, o);
        new Walker(b, generator, o).Run();
        return b;
    }

    /// <summary>W/σ of a spectrally normalised layer as the eval-mode forward uses it (<see cref="EvalWeights.NormalizedWeight"/>).</summary>
    public static Tensor NormalizedWeight(SpectralNorm layer) => EvalWeights.NormalizedWeight(layer);

    private static void AddMetadata(OnnxGraphBuilder b, Model.Generator g, GeneratorExportOptions o)
    {
        var c = g.Config;
        var names = o.ClassNames ?? Enumerable.Range(0, c.NumClasses).Select(i => i.ToString(CultureInfo.InvariantCulture)).ToArray();
        string I(long v) => v.ToString(CultureInfo.InvariantCulture);
        b.SetMetadata(Keys.Format, FormatVersion);
        b.SetMetadata(Keys.ClassNames, JsonSerializer.Serialize(names));
        b.SetMetadata(Keys.NumClasses, I(c.NumClasses));
        b.SetMetadata(Keys.DimZ, I(c.DimZ));
        b.SetMetadata(Keys.Resolution, I(c.Resolution));
        b.SetMetadata(Keys.Channels, I(c.Channels));
        b.SetMetadata(Keys.ClassInput, o.ClassInput switch
        {
            OnnxClassInput.OneHot => $"{ClassOneHotInput} float [N, {c.NumClasses}]",
            OnnxClassInput.IndexColumn => $"{ClassIndexInput} int64 [N, 1]",
            _ => $"{ClassIndexInput} int64 [N]",
        });
        b.SetMetadata(Keys.Batch, o.DynamicBatch ? "dynamic" : "1");
        b.SetMetadata(Keys.TruncationConvention, o.TruncationConvention == TruncationConvention.TFHub ? "tfhub" : "paper");
        b.SetMetadata(Keys.Truncation, o.TruncationConvention == TruncationConvention.TFHub
            ? "draw z outside the graph as t * (a standard normal truncated to [-2, 2]) (TF-Hub / pytorch-pretrained-BigGAN convention)"
            : "draw z outside the graph from N(0, I), resampling every component with |z_i| > t (BigGAN paper; t = inf: no truncation)");
        b.SetMetadata(Keys.Statistics, o.Statistics == BatchNormStatistics.Standing ? "standing" : "running");
        b.SetMetadata(Keys.ModelConfig, c.ToJson());
        if (o.Step is { } step) b.SetMetadata(Keys.Step, I(step));
        if (o.Metadata is not null)
            foreach (var (k, v) in o.Metadata) b.SetMetadata(k, v);
        b.DocString = $"BigGAN generator {c.Resolution}x{c.Resolution}x{c.Channels}, {c.NumClasses} classes, dim_z {c.DimZ}. " +
                      $"Outputs: {ImageOutput} in [-1, 1] and {PixelsOutput} in [0, 255], NCHW.";
    }

    // Emits the graph in the order the generator's forward runs.
    private sealed class Walker(OnnxGraphBuilder b, Model.Generator g, GeneratorExportOptions o)
    {
        private string _classIndex = "";   // int64 [N] ids (Index / IndexColumn)
        private string _classOneHot = "";  // float [N, classes] (OneHot)
        private bool OneHot => o.ClassInput == OnnxClassInput.OneHot;

        public void Run()
        {
            var c = g.Config;
            OnnxDim n = o.DynamicBatch ? "N" : 1;
            var z = b.AddInput(LatentInput, OnnxDataType.Float, n, c.DimZ);
            switch (o.ClassInput)
            {
                case OnnxClassInput.OneHot:
                    _classOneHot = b.AddInput(ClassOneHotInput, OnnxDataType.Float, n, c.NumClasses);
                    break;
                case OnnxClassInput.IndexColumn:
                    _classIndex = b.Reshape(b.AddInput(ClassIndexInput, OnnxDataType.Int64, n, 1), [-1], "class_index_flat");
                    break;
                default:
                    _classIndex = b.AddInput(ClassIndexInput, OnnxDataType.Int64, n);
                    break;
            }

            // The class vector each cBN sees: shared(y) (plus a z chunk when hierarchical), or the class itself for tables.
            string? y = null;
            if (g.shared is { } shared)
            {
                y = OneHot
                    ? b.MatMul(_classOneHot, b.AddInitializer("shared.weight", shared.weight.detach()), "class_embedding")
                    : b.Embedding(_classIndex, shared.weight.detach(), "shared", "class_embedding");
            }

            string h;
            var conditions = new string[g.Blocks.Count];
            if (c.Hierarchical)
            {
                var chunks = b.Split(z, 1, Enumerable.Repeat((long)g.ZChunkSize, c.NumZChunks).ToArray(),
                    Enumerable.Range(0, c.NumZChunks).Select(i => $"z_chunk_{i}").ToArray());
                h = SnLinear(chunks[0], g.linear, "linear");
                for (int i = 0; i < conditions.Length; i++) conditions[i] = b.Concat([y!, chunks[i + 1]], 1, $"condition_{i}");
            }
            else
            {
                h = SnLinear(z, g.linear, "linear");
                for (int i = 0; i < conditions.Length; i++) conditions[i] = y ?? "";
            }
            var bottom = g.Blocks[0].InChannels;
            h = b.Reshape(h, [-1, bottom, ArchitectureTable.BottomWidth, ArchitectureTable.BottomWidth]);

            long res = ArchitectureTable.BottomWidth;
            for (int i = 0; i < g.Blocks.Count; i++)
            {
                h = Block(h, conditions[i], g.Blocks[i], $"blocks.{i}.0");
                res *= 2;
                if (g.Attention[i] is { } attention) h = Attention(h, attention, res, $"blocks.{i}.1");
            }

            var bn = g.output_bn;
            h = b.BatchNorm(h, bn.stored_mean, bn.stored_var, bn.gain.detach(), bn.bias.detach(), "output_layer.0", bn.Eps);
            h = b.Relu(h);
            h = SnConv(h, g.output_conv, "output_layer.2");
            var image = b.Tanh(h);
            var pixels = b.Clip(b.Mul(b.Add(image, b.Scalar(1)), b.Scalar(127.5f)), 0, 255);
            var shape = new OnnxDim[] { n, c.Channels, c.Resolution, c.Resolution };
            b.AddOutput(image, OnnxDataType.Float, shape, ImageOutput);
            b.AddOutput(pixels, OnnxDataType.Float, shape, PixelsOutput);
        }

        private string SnLinear(string x, SNLinear layer, string prefix)
        {
            using var w = NormalizedWeight(layer);
            return b.Linear(x, w, layer.bias?.detach(), prefix);
        }

        private string SnConv(string x, SNConv2d layer, string prefix)
        {
            using var w = NormalizedWeight(layer);
            return b.Conv2d(x, w, layer.bias?.detach(), prefix, padding: layer.Padding);
        }

        private string Block(string x, string condition, GBlock block, string prefix)
        {
            var h = b.Relu(ConditionalBn(x, condition, block.bn1, prefix + ".bn1"));
            h = b.Upsample2x(h);
            h = SnConv(h, block.conv1, prefix + ".conv1");
            h = b.Relu(ConditionalBn(h, condition, block.bn2, prefix + ".bn2"));
            h = SnConv(h, block.conv2, prefix + ".conv2");
            var shortcut = b.Upsample2x(SnConv(x, block.conv_sc, prefix + ".conv_sc"));
            return b.Add(h, shortcut);
        }

        // bn(x) · (1 + gain(c)) + bias(c), with the affine-free normalisation as a BatchNormalization of scale 1, bias 0.
        private string ConditionalBn(string x, string condition, ConditionalBatchNorm bn, string prefix)
        {
            string gain, bias;
            if (bn.IsLinear)
            {
                using var wg = NormalizedWeight((SNLinear)bn.Gain);
                using var wb = NormalizedWeight((SNLinear)bn.Bias);
                gain = b.Add(b.Gemm(condition, b.AddInitializer(prefix + ".gain.weight", wg), transB: true), b.Scalar(1));
                bias = b.Gemm(condition, b.AddInitializer(prefix + ".bias.weight", wb), transB: true);
            }
            else
            {
                var tg = ((Model.Embedding)bn.Gain).weight.detach();
                var tb = ((Model.Embedding)bn.Bias).weight.detach();
                gain = b.Add(ClassTable(tg, prefix + ".gain"), b.Scalar(1));
                bias = ClassTable(tb, prefix + ".bias");
            }
            var h = b.BatchNorm(x, bn.stored_mean, bn.stored_var, null, null, prefix, bn.Eps);
            h = b.Mul(h, b.Unsqueeze(gain, [2, 3]));
            return b.Add(h, b.Unsqueeze(bias, [2, 3]));
        }

        // Rows of a per-class table for the class input: Gather by id, or one-hot (mixture) weights times the table.
        private string ClassTable(Tensor table, string prefix) => OneHot
            ? b.MatMul(_classOneHot, b.AddInitializer(prefix + ".weight", table))
            : b.Embedding(_classIndex, table, prefix);

        private string Attention(string x, SelfAttention a, long res, string prefix)
        {
            long c8 = a.Channels / 8, c2 = a.Channels / 2, hw = res * res;
            var theta = b.Reshape(SnConv(x, a.theta, prefix + ".theta"), [-1, c8, hw]);
            var phi = b.Reshape(b.MaxPool(SnConv(x, a.phi, prefix + ".phi")), [-1, c8, hw / 4]);
            var gv = b.Reshape(b.MaxPool(SnConv(x, a.g, prefix + ".g")), [-1, c2, hw / 4]);
            var beta = b.Softmax(b.MatMul(b.Transpose(theta, [0, 2, 1]), phi), -1);   // [N, HW, HW/4]
            var attended = b.MatMul(gv, b.Transpose(beta, [0, 2, 1]));                // [N, C/2, HW]
            var o2 = SnConv(b.Reshape(attended, [-1, c2, res, res]), a.o, prefix + ".o");
            var gamma = b.AddInitializer(prefix + ".gamma", a.gamma.detach());
            return b.Add(b.Mul(o2, gamma), x);
        }
    }
}
