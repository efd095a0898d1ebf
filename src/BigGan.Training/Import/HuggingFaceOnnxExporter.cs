using BigGan.Training.Onnx;

namespace BigGan.Training.Import;

/// <summary>
/// A <see cref="HuggingFaceBigGan"/> as an ONNX graph for one truncation (its batch-norm statistics are picked and
/// mixed for it at export): inputs <c>z</c> float [N, z_dim] (already scaled by the truncation) and the class as
/// <c>class_onehot</c> float [N, num_classes] (one-hot or class weights) or, like this project's own exports,
/// <c>class_index</c> int64 [N] or [N, 1] (what ML.NET's ApplyOnnxModel feeds from a scalar Int64 column); outputs
/// <c>image</c> in [−1, 1] and <c>pixels</c> in [0, 255]; the spectral norm is folded into the weights. The same
/// function as <see cref="HuggingFaceBigGan.Forward"/> at that truncation, op for op: a class index gathers the
/// column of the (linear, bias-free) class embedding that its one-hot vector would select.
/// </summary>
public static class HuggingFaceOnnxExporter
{
    public const string LatentInput = GeneratorExporter.LatentInput;
    public const string ClassOneHotInput = GeneratorExporter.ClassOneHotInput;
    public const string ClassIndexInput = GeneratorExporter.ClassIndexInput;

    /// <summary>The graph with a one-hot class input (float [N, num_classes]).</summary>
    public static void Export(HuggingFaceBigGan g, double truncation, string path, bool dynamicBatch = true, int opset = OnnxGraphBuilder.DefaultOpset) =>
        Export(g, truncation, path, new GeneratorExportOptions { ClassInput = OnnxClassInput.OneHot, DynamicBatch = dynamicBatch, Opset = opset });

    /// <summary>The graph with the class input, batch, opset, class names and extra metadata of <paramref name="options"/>
    /// (its truncation convention is always TF-Hub's, and its statistics those of <paramref name="truncation"/>).</summary>
    public static void Export(HuggingFaceBigGan g, double truncation, string path, GeneratorExportOptions options)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var o = (options ?? throw new ArgumentNullException(nameof(options))).Validate();
        if (!(truncation > 0 && truncation <= 1)) throw new ArgumentException($"truncation {truncation}: expected 0 < truncation <= 1", nameof(truncation));
        if (o.ClassNames is not null && o.ClassNames.Count != g.NumClasses)
            throw new ArgumentException($"{o.ClassNames.Count} class names given for a generator of {g.NumClasses} classes", nameof(options));
        using var scope = NewDisposeScope();
        var c = g.Config;
        var b = new OnnxGraphBuilder(o.Opset);
        OnnxDim n = o.DynamicBatch ? "N" : 1;
        var z = b.AddInput(LatentInput, OnnxDataType.Float, n, c.ZDim);
        var embed = o.ClassInput switch
        {
            OnnxClassInput.OneHot => b.Linear(b.AddInput(ClassOneHotInput, OnnxDataType.Float, n, c.NumClasses), g.Weight("embeddings.weight"), null, "embeddings"),
            // embeddings.weight is [z_dim, classes]: one-hot · Wᵀ is row y of Wᵀ
            OnnxClassInput.IndexColumn => b.Embedding(b.Reshape(b.AddInput(ClassIndexInput, OnnxDataType.Int64, n, 1), [-1], "class_index_flat"),
                g.Weight("embeddings.weight").t().contiguous(), "embeddings"),
            _ => b.Embedding(b.AddInput(ClassIndexInput, OnnxDataType.Int64, n), g.Weight("embeddings.weight").t().contiguous(), "embeddings"),
        };
        var cond = b.Concat([z, embed], 1);
        var ch = (long)c.ChannelWidth;
        var h = b.Linear(cond, g.Weight("generator.gen_z.weight"), g.Weight("generator.gen_z.bias"), "generator.gen_z");
        h = b.Transpose(b.Reshape(h, [-1, 4, 4, HuggingFaceBigGanConfig.BottomMultiplier * ch]), [0, 3, 1, 2]);
        var resolution = 4L;
        for (int i = 0; i < c.Layers.Count; i++)
        {
            var layer = c.Layers[i];
            if (c.HasAttention && i == c.AttentionLayerPosition) h = Attention(b, g, h, $"generator.layers.{i}", ch * layer.InMultiplier, resolution);
            h = Block(b, g, h, cond, truncation, $"generator.layers.{HuggingFaceBigGan.ModuleIndex(c, i)}", layer, ch);
            if (layer.UpSample) resolution *= 2;
        }
        var (mean, variance) = g.Statistics("generator.bn", truncation);
        h = b.Relu(b.BatchNorm(h, mean, variance, g.Weight("generator.bn.weight"), g.Weight("generator.bn.bias"), "generator.bn", c.Eps));
        h = b.Conv2d(h, g.Weight("generator.conv_to_rgb.weight"), g.Weight("generator.conv_to_rgb.bias"), "generator.conv_to_rgb", padding: 1);
        var image = b.Tanh(b.Split(h, 1, [3, ch - 3])[0]);
        var pixels = b.Clip(b.Add(b.Mul(image, b.Scalar(127.5f)), b.Scalar(127.5f)), 0, 255);
        b.AddOutput(image, OnnxDataType.Float, [n, 3, c.OutputDim, c.OutputDim], GeneratorExporter.ImageOutput);
        b.AddOutput(pixels, OnnxDataType.Float, [n, 3, c.OutputDim, c.OutputDim], GeneratorExporter.PixelsOutput);
        AddMetadata(b, g, truncation, o);
        b.Save(path);
    }

    private static void AddMetadata(OnnxGraphBuilder b, HuggingFaceBigGan g, double truncation, GeneratorExportOptions o)
    {
        var c = g.Config;
        string I(long v) => v.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var t = truncation.ToString("R", System.Globalization.CultureInfo.InvariantCulture);
        b.SetMetadata("biggan.source", "huggingface pytorch-pretrained-BigGAN");
        b.SetMetadata("truncation", t);
        b.SetMetadata("truncation_convention", "tfhub");
        b.SetMetadata("dim_z", I(c.ZDim));
        if (o.ClassNames is not null) b.SetMetadata(GeneratorExporter.Keys.ClassNames, System.Text.Json.JsonSerializer.Serialize(o.ClassNames));
        b.SetMetadata(GeneratorExporter.Keys.NumClasses, I(c.NumClasses));
        b.SetMetadata(GeneratorExporter.Keys.DimZ, I(c.ZDim));
        b.SetMetadata(GeneratorExporter.Keys.Resolution, I(c.OutputDim));
        b.SetMetadata(GeneratorExporter.Keys.Channels, "3");
        b.SetMetadata(GeneratorExporter.Keys.ClassInput, o.ClassInput switch
        {
            OnnxClassInput.OneHot => $"{ClassOneHotInput} float [N, {c.NumClasses}]",
            OnnxClassInput.IndexColumn => $"{ClassIndexInput} int64 [N, 1]",
            _ => $"{ClassIndexInput} int64 [N]",
        });
        b.SetMetadata(GeneratorExporter.Keys.Batch, o.DynamicBatch ? "dynamic" : "1");
        b.SetMetadata(GeneratorExporter.Keys.TruncationConvention, "tfhub");
        b.SetMetadata(GeneratorExporter.Keys.Truncation, $"draw z outside the graph as {t} * (a standard normal truncated to [-2, 2]); the batch-norm statistics are those of truncation {t}");
        if (o.Metadata is not null)
            foreach (var (k, v) in o.Metadata) b.SetMetadata(k, v);
    }

    private static string Block(OnnxGraphBuilder b, HuggingFaceBigGan g, string x, string cond, double truncation, string p, HuggingFaceLayer layer, long ch)
    {
        string Conv(string v, string name, long padding) => b.Conv2d(v, g.Weight($"{p}.{name}.weight"), g.Weight($"{p}.{name}.bias"), $"{p}.{name}", padding);
        var h = b.Relu(BatchNorm(b, g, x, cond, truncation, p + ".bn_0"));
        h = Conv(h, "conv_0", 0);
        h = b.Relu(BatchNorm(b, g, h, cond, truncation, p + ".bn_1"));
        if (layer.UpSample) h = b.Upsample2x(h);
        h = Conv(h, "conv_1", 1);
        h = b.Relu(BatchNorm(b, g, h, cond, truncation, p + ".bn_2"));
        h = Conv(h, "conv_2", 1);
        h = b.Relu(BatchNorm(b, g, h, cond, truncation, p + ".bn_3"));
        h = Conv(h, "conv_3", 0);
        var inC = ch * layer.InMultiplier;
        var shortcut = layer.InMultiplier != layer.OutMultiplier ? b.Split(x, 1, [inC / 2, inC - inC / 2])[0] : x;
        if (layer.UpSample) shortcut = b.Upsample2x(shortcut);
        return b.Add(h, shortcut);
    }

    // Normalise with the truncation's statistics, then · (1 + scale(c)) + offset(c) per sample.
    private static string BatchNorm(OnnxGraphBuilder b, HuggingFaceBigGan g, string x, string cond, double truncation, string p)
    {
        var (mean, variance) = g.Statistics(p, truncation);
        var normalized = b.BatchNorm(x, mean, variance, null, null, p, g.Config.Eps);
        var gain = b.Unsqueeze(b.Add(b.Linear(cond, g.Weight(p + ".scale.weight"), null, p + ".scale"), b.Scalar(1f)), [2, 3]);
        var bias = b.Unsqueeze(b.Linear(cond, g.Weight(p + ".offset.weight"), null, p + ".offset"), [2, 3]);
        return b.Add(b.Mul(normalized, gain), bias);
    }

    private static string Attention(OnnxGraphBuilder b, HuggingFaceBigGan g, string x, string p, long c, long r)
    {
        string Project(string v, string name) => b.Conv2d(v, g.Weight($"{p}.{name}.weight"), null, $"{p}.{name}");
        var hw = r * r;
        var theta = b.Reshape(Project(x, "snconv1x1_theta"), [-1, c / 8, hw]);
        var phi = b.Reshape(b.MaxPool(Project(x, "snconv1x1_phi")), [-1, c / 8, hw / 4]);
        var attention = b.Softmax(b.MatMul(b.Transpose(theta, [0, 2, 1]), phi), -1);
        var gv = b.Reshape(b.MaxPool(Project(x, "snconv1x1_g")), [-1, c / 2, hw / 4]);
        var o = b.Reshape(b.MatMul(gv, b.Transpose(attention, [0, 2, 1])), [-1, c / 2, r, r]);
        o = Project(o, "snconv1x1_o_conv");
        var gamma = b.AddInitializer($"{p}.gamma", g.Weight($"{p}.gamma"));
        return b.Add(x, b.Mul(o, gamma));
    }
}
