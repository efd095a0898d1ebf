using BigGan.OnnxRuntime;
using BigGan.Training.Onnx;
using F = TorchSharp.torch.nn.functional;

namespace BigGan.Training.Tests.Onnx;

/// <summary>
/// Small graphs built with <see cref="OnnxGraphBuilder"/> from the op set a BigGAN generator needs, run in ONNX
/// Runtime (Microsoft.ML.OnnxRuntime) and compared with the same computation through TorchSharp, at opsets 11 and 13,
/// static batch 1 and a dynamic batch; every file also passes python3-onnx's full checker.
/// </summary>
[TestClass]
public sealed class OnnxRuntimeParityTests
{
    private const double Tolerance = 1e-5;
    private static string _dir = "";

    [ClassInitialize]
    public static void Setup(TestContext _)
    {
        set_num_threads(1);
        _dir = Directory.CreateTempSubdirectory("biggan-onnx-parity-").FullName;
    }

    [ClassCleanup]
    public static void Cleanup()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    // ---- a conv + BN + ReLU + ×2 upsample + SA-GAN-style attention block, with Split/Concat and the pixel head ----

    private sealed class BlockWeights : IDisposable
    {
        public readonly Tensor C1W, C1B, Mean, Var, BnW, BnB, Theta, Phi, G, O;
        public const float Gamma = 0.7f;

        public BlockWeights(ulong seed)
        {
            using var g = new Generator(seed);
            Tensor R(params long[] s) => randn(s, generator: g).DetachFromDisposeScope();
            C1W = R(8, 4, 3, 3).mul_(0.3); C1B = R(8);
            Mean = R(8); Var = rand([8], generator: g).add_(0.5).DetachFromDisposeScope();
            BnW = R(8); BnB = R(8);
            Theta = R(2, 8, 1, 1); Phi = R(2, 8, 1, 1); G = R(4, 8, 1, 1); O = R(8, 4, 1, 1);
        }

        public void Dispose()
        {
            foreach (var t in new[] { C1W, C1B, Mean, Var, BnW, BnB, Theta, Phi, G, O }) t.Dispose();
        }
    }

    private static string BuildBlock(BlockWeights w, int opset, bool dynamicBatch)
    {
        var b = new OnnxGraphBuilder(opset);
        OnnxDim n = dynamicBatch ? "N" : 1;
        var x = b.AddInput("x", OnnxDataType.Float, n, 4, 4, 4);
        var h = b.Conv2d(x, w.C1W, w.C1B, "conv1", padding: 1);
        h = b.BatchNorm(h, w.Mean, w.Var, w.BnW, w.BnB, "bn1");
        h = b.Relu(h);
        h = b.Upsample2x(h); // [N, 8, 8, 8]

        var theta = b.Reshape(b.Conv2d(h, w.Theta, null, "attn.theta"), [-1, 2, 64]);
        var phi = b.Reshape(b.MaxPool(b.Conv2d(h, w.Phi, null, "attn.phi")), [-1, 2, 16]);
        var g = b.Reshape(b.MaxPool(b.Conv2d(h, w.G, null, "attn.g")), [-1, 4, 16]);
        var beta = b.Softmax(b.MatMul(b.Transpose(theta, [0, 2, 1]), phi), -1); // [N, 64, 16]
        var o = b.MatMul(g, b.Transpose(beta, [0, 2, 1]));                      // [N, 4, 64]
        o = b.Conv2d(b.Reshape(o, [-1, 4, 8, 8]), w.O, null, "attn.o");
        var y = b.Add(h, b.Mul(o, b.Scalar(BlockWeights.Gamma)));

        var parts = b.Split(y, 1, [3, 5]);
        y = b.Concat([parts[1], parts[0]], 1);
        var image = b.Tanh(y);
        var pixels = b.Clip(b.Add(b.Mul(image, b.Scalar(127.5f)), b.Scalar(127.5f)), 0, 255);
        b.AddOutput(image, OnnxDataType.Float, [n, 8, 8, 8], "image");
        b.AddOutput(pixels, OnnxDataType.Float, [n, 8, 8, 8], "pixels");
        b.SetMetadata("test", "block");

        var path = Path.Combine(_dir, $"block_op{opset}_{(dynamicBatch ? "dyn" : "b1")}.onnx");
        b.Save(path);
        return path;
    }

    private static (Tensor image, Tensor pixels) ReferenceBlock(BlockWeights w, Tensor x)
    {
        var h = F.conv2d(x, w.C1W, w.C1B, padding: [1, 1]);
        h = F.batch_norm(h, w.Mean, w.Var, w.BnW, w.BnB, training: false, eps: 1e-5);
        h = F.interpolate(h.relu(), scale_factor: [2.0, 2.0]);
        var n = h.size(0);
        var theta = F.conv2d(h, w.Theta).view(n, 2, 64);
        var phi = F.max_pool2d(F.conv2d(h, w.Phi), 2).view(n, 2, 16);
        var g = F.max_pool2d(F.conv2d(h, w.G), 2).view(n, 4, 16);
        var beta = F.softmax(theta.transpose(1, 2).bmm(phi), -1);
        var o = F.conv2d(g.bmm(beta.transpose(1, 2)).view(n, 4, 8, 8), w.O);
        var y = h + o * BlockWeights.Gamma;
        var parts = y.split([3, 5], 1);
        y = cat([parts[1], parts[0]], 1);
        var image = y.tanh();
        return (image, (image * 127.5 + 127.5).clamp(0, 255));
    }

    [TestMethod]
    [DataRow(11, false)]
    [DataRow(11, true)]
    [DataRow(13, false)]
    [DataRow(13, true)]
    public void ConvBnResizeAttentionBlockMatchesTorch(int opset, bool dynamicBatch)
    {
        using var scope = NewDisposeScope();
        using var w = new BlockWeights(7);
        var path = BuildBlock(w, opset, dynamicBatch);

        var summary = OnnxChecker.Check(path);
        Assert.AreEqual(opset, summary["opset_import"]![""]!.GetValue<int>());
        Assert.AreEqual(opset == 11 ? 6 : 7, summary["ir_version"]!.GetValue<int>());
        Assert.AreEqual("block", summary["metadata"]!["test"]!.GetValue<string>());

        long batch = dynamicBatch ? 3 : 1;
        using var gen = new Generator(11);
        var x = randn([batch, 4, 4, 4], generator: gen);
        var (image, pixels) = ReferenceBlock(w, x);

        var run = OnnxRuntimeRunner.Run(path, [OrtInput.From("x", x)]);
        AssertClose(image, run["image"]);
        AssertClose(pixels, run["pixels"], Tolerance * 255);
        Assert.AreEqual(dynamicBatch ? "N" : "1", run.Inputs[0].Shape[0]);
    }

    // ---- Gather (or one-hot MatMul) embedding, Split of z, Concat, Gemm with and without bias, Squeeze/Unsqueeze ----

    private sealed class LinearWeights : IDisposable
    {
        public readonly Tensor Embed, W, B, Gain;

        public LinearWeights(ulong seed)
        {
            using var g = new Generator(seed);
            Embed = randn([5, 4], generator: g).DetachFromDisposeScope();
            W = randn([8, 6], generator: g).DetachFromDisposeScope();
            B = randn([8], generator: g).DetachFromDisposeScope();
            Gain = randn([8, 4], generator: g).mul_(0.2).DetachFromDisposeScope();
        }

        public void Dispose()
        {
            Embed.Dispose(); W.Dispose(); B.Dispose(); Gain.Dispose();
        }
    }

    private static string BuildLinear(LinearWeights w, int opset, bool dynamicBatch, bool onehot)
    {
        var b = new OnnxGraphBuilder(opset);
        OnnxDim n = dynamicBatch ? "N" : 1;
        var z = b.AddInput("z", OnnxDataType.Float, n, 6);
        string emb;
        if (onehot)
        {
            var y = b.AddInput("class_onehot", OnnxDataType.Float, n, 5);
            emb = b.MatMul(y, b.AddInitializer("shared.weight", w.Embed));
        }
        else
        {
            var y = b.AddInput("class_index", OnnxDataType.Int64, n);
            emb = b.Embedding(y, w.Embed, "shared");
        }
        var zs = b.Split(z, 1, [2, 4]);
        var c = b.Concat([emb, zs[0]], 1);
        var h = b.Relu(b.Linear(c, w.W, w.B, "fc"));
        var gain = b.Linear(zs[1], w.Gain, null, "gain"); // Gemm without C
        var o = b.Mul(h, b.Add(gain, b.Scalar(1)));
        o = b.Squeeze(b.Unsqueeze(o, [1]), [1]);
        o = b.Reshape(o, [-1, 2, 2, 2]);
        b.AddOutput(o, OnnxDataType.Float, [n, 2, 2, 2], "h");
        var path = Path.Combine(_dir, $"linear_op{opset}_{(dynamicBatch ? "dyn" : "b1")}_{(onehot ? "onehot" : "index")}.onnx");
        b.Save(path);
        return path;
    }

    [TestMethod]
    [DataRow(11, false, false)]
    [DataRow(11, true, true)]
    [DataRow(13, false, false)]
    [DataRow(13, true, false)]
    [DataRow(13, false, true)]
    [DataRow(13, true, true)]
    public void GemmWithGatherEmbeddingMatchesTorch(int opset, bool dynamicBatch, bool onehot)
    {
        using var scope = NewDisposeScope();
        using var w = new LinearWeights(3);
        var path = BuildLinear(w, opset, dynamicBatch, onehot);
        OnnxChecker.Check(path);

        long batch = dynamicBatch ? 4 : 1;
        using var gen = new Generator(5);
        var z = randn([batch, 6], generator: gen);
        var labels = randint(0, 5, [batch], generator: gen);
        var onehotLabels = F.one_hot(labels, 5).to(float32);

        var emb = w.Embed.index_select(0, labels);
        var zs = z.split([2, 4], 1);
        var h = F.linear(cat([emb, zs[0]], 1), w.W, w.B).relu();
        var expected = (h * (F.linear(zs[1], w.Gain) + 1)).view(-1, 2, 2, 2);

        var classInput = onehot ? OrtInput.From("class_onehot", onehotLabels) : OrtInput.From("class_index", labels);
        var run = OnnxRuntimeRunner.Run(path, [OrtInput.From("z", z), classInput]);
        AssertClose(expected, run["h"]);
    }

    // ---- the remaining helpers: Sub, Div, Sigmoid, AveragePool, GlobalAveragePool, Flatten, Shape + Cast ----

    [TestMethod]
    [DataRow(11)]
    [DataRow(13)]
    public void RemainingHelpersMatchTorch(int opset)
    {
        using var scope = NewDisposeScope();
        var b = new OnnxGraphBuilder(opset);
        var x = b.AddInput("x", OnnxDataType.Float, "N", 2, 4, 4);
        var y = b.Div(b.Sub(b.Sigmoid(x), b.Scalar(0.25f)), b.Scalar(3));
        var pooled = b.Flatten(b.AveragePool(y), 1);                                // [N, 2·2·2]
        var global = b.Flatten(b.GlobalAveragePool(y), 1);                         // [N, 2]
        b.AddOutput(b.Concat([pooled, global], 1), OnnxDataType.Float, ["N", 10], "out");
        b.AddOutput(b.Cast(b.Shape(x), OnnxDataType.Float), OnnxDataType.Float, [4], "shape");
        var path = Path.Combine(_dir, $"misc_op{opset}.onnx");
        b.Save(path);
        OnnxChecker.Check(path);

        using var gen = new Generator(13);
        var input = randn([3, 2, 4, 4], generator: gen);
        var yRef = (input.sigmoid() - 0.25) / 3;
        var expected = cat([F.avg_pool2d(yRef, 2).flatten(1), yRef.mean([2, 3])], 1);
        var run = OnnxRuntimeRunner.Run(path, [OrtInput.From("x", input)]);
        AssertClose(expected, run["out"]);
        CollectionAssert.AreEqual(new float[] { 3, 2, 4, 4 }, run["shape"].Floats);
    }

    private static void AssertClose(Tensor expected, OrtOutput actual, double tolerance = Tolerance)
    {
        CollectionAssert.AreEqual(expected.shape, actual.Dims, $"shape of output '{actual.Name}'");
        var e = expected.ToArray<float>();
        var a = actual.Floats;
        double maxDiff = 0;
        for (int i = 0; i < e.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(e[i] - a[i]));
        Assert.IsTrue(maxDiff <= tolerance, $"output '{actual.Name}': max |ORT - torch| = {maxDiff:E2} > {tolerance:E1}");
        Assert.IsTrue(e.Any(v => v != 0), $"output '{actual.Name}' is all zeros: the comparison would be vacuous");
    }
}
