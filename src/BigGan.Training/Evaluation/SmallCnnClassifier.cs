using TorchSharp;
using BigGan.Training.Model;
using Generator = TorchSharp.torch.Generator;
using F = TorchSharp.torch.nn.functional;
using TorchSharp.Utils;

namespace BigGan.Training.Evaluation;

/// <summary>
/// A small CNN image classifier used as the feature network for FID/IS when no Inception weights can be had:
/// [conv3×3-BN-ReLU ×2, maxpool] ×2, conv3×3-BN-ReLU, global average pool, linear-ReLU (the penultimate features),
/// linear (the class logits). Trained on the real training split by <see cref="ClassifierTrainer"/>; saved as
/// safetensors with its architecture in the metadata.
/// </summary>
public sealed class SmallCnnClassifier : torch.nn.Module<Tensor, Tensor>, IFeatureNetwork
{
    // Components are registered explicitly under the reference's names (see ExplicitModule).
    protected override void RegisterComponents() { }

    public const string FormatName = "biggan-small-cnn-classifier";

    private readonly ConvBnRelu[] _convs;
    private readonly Linear _feature;
    private readonly Linear _head;

    public ClassifierConfig Config { get; }

    public SmallCnnClassifier(ClassifierConfig config, ulong seed = 0) : base(nameof(SmallCnnClassifier))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        Config = config;
        using var g = new Generator(seed);
        int w = config.Width;
        (int cin, int cout)[] convs = [(config.Channels, w), (w, w), (w, 2 * w), (2 * w, 2 * w), (2 * w, 4 * w)];
        _convs = convs.Select((c, i) => this.RegisterModule($"conv{i + 1}", new ConvBnRelu(c.cin, c.cout, g))).ToArray();
        _feature = this.RegisterModule("feature", new Linear(4 * w, config.FeatureDimension, g, gain: Math.Sqrt(2)));
        _head = this.RegisterModule("head", new Linear(config.FeatureDimension, config.NumClasses, g, gain: 1));
    }

    public string Name => Config.Description;
    public int FeatureDimension => Config.FeatureDimension;
    public int NumClasses => Config.NumClasses;

    /// <summary>Class logits [N, K] (batch statistics in training mode, running ones in eval mode).</summary>
    public override Tensor forward(Tensor input) => Run(input, training).logits;

    /// <summary>Features and logits in eval mode without gradients, whatever mode the module is in.</summary>
    public (Tensor features, Tensor logits) Extract(Tensor images)
    {
        using var _ = torch.no_grad();
        return Run(images, train: false);
    }

    private (Tensor features, Tensor logits) Run(Tensor x, bool train)
    {
        CheckImages(x);
        using var scope = torch.NewDisposeScope();
        // Channels-last, as G and D: oneDNN's few-channel NCHW convolution backward is unreliable (see Convolution).
        var h = x.contiguous(MemoryFormat.ChannelsLast);
        for (int i = 0; i < _convs.Length; i++)
        {
            h = _convs[i].Forward(h, train);
            if (i is 1 or 3) h = F.max_pool2d(h, [2, 2]);
        }
        h = h.mean([2, 3]);
        var features = _feature.Forward(h).relu();
        var logits = _head.Forward(features);
        return (features.MoveToOuterDisposeScope(), logits.MoveToOuterDisposeScope());
    }

    private void CheckImages(Tensor x)
    {
        ArgumentNullException.ThrowIfNull(x);
        var s = x.shape;
        if (s.Length != 4 || s[1] != Config.Channels || s[2] != Config.Resolution || s[3] != Config.Resolution)
            throw new ArgumentException($"{Name} expects images [N, {Config.Channels}, {Config.Resolution}, {Config.Resolution}], got [{string.Join(", ", s)}]");
        if (x.dtype != ScalarType.Float32) throw new ArgumentException($"{Name} expects float32 images in [-1, 1], got {x.dtype}");
    }

    // ---- persistence ----

    /// <summary>Writes the weights and running statistics with the architecture (and any extra metadata), atomically.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var state = state_dict();
        try
        {
            var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>())
            {
                ["format"] = FormatName,
                ["config"] = Config.ToJson(),
            };
            Safetensors.Save(state, path, meta);
        }
        finally
        {
            foreach (var t in state.Values) t.Dispose();
        }
    }

    /// <summary>Loads a classifier written by <see cref="Save"/>, in eval mode.</summary>
    public static SmallCnnClassifier Load(string path) => Load(path, out _);

    public static SmallCnnClassifier Load(string path, out IReadOnlyDictionary<string, string> metadata)
    {
        var (tensors, meta) = Safetensors.Load(path);
        try
        {
            if (!meta.TryGetValue("format", out var format) || format != FormatName)
                throw new InvalidDataException($"{path} is not a BigGan.NET classifier (metadata format is '{format ?? "missing"}', expected '{FormatName}')");
            if (!meta.TryGetValue("config", out var json)) throw new InvalidDataException($"{path} lacks the classifier architecture (metadata 'config')");
            var model = new SmallCnnClassifier(ClassifierConfig.FromJson(json));
            try { model.load_state_dict(new Dictionary<string, Tensor>(tensors)); }
            catch (ArgumentException e)
            {
                model.Dispose();
                throw new InvalidDataException($"{path}: the weights do not match the stored architecture: {e.Message}", e);
            }
            model.eval();
            metadata = meta;
            return model;
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    // ---- layers ----

    private sealed class ConvBnRelu : ExplicitModule
    {
        // Component names let TorchSharp's Module.to replace these fields with the moved tensors.
        [ComponentName(Name = "weight")] private readonly Parameter _weight;
        [ComponentName(Name = "bn_weight")] private readonly Parameter _gamma;
        [ComponentName(Name = "bn_bias")] private readonly Parameter _beta;
        [ComponentName(Name = "running_mean")] private readonly Tensor _runningMean;
        [ComponentName(Name = "running_var")] private readonly Tensor _runningVar;

        public ConvBnRelu(int cin, int cout, Generator g) : base(nameof(ConvBnRelu))
        {
            // He initialisation: the layer is followed by ReLU. No conv bias: BN's shift replaces it.
            using var w = torch.empty([cout, cin, 3, 3]);
            w.normal_(0, Math.Sqrt(2.0 / (cin * 9)), g); // not nn.init.normal_, which ignores g (TorchSharp 0.107)
            _weight = this.RegisterParameter("weight", new Parameter(w));
            using var one = torch.ones(cout);
            using var zero = torch.zeros(cout);
            _gamma = this.RegisterParameter("bn_weight", new Parameter(one));
            _beta = this.RegisterParameter("bn_bias", new Parameter(zero));
            _runningMean = this.RegisterBuffer("running_mean", torch.zeros(cout));
            _runningVar = this.RegisterBuffer("running_var", torch.ones(cout));
        }

        public Tensor Forward(Tensor x, bool train)
        {
            using var c = Convolution.Conv2d(x, _weight, padding: 1);
            using var n = F.batch_norm(c, _runningMean, _runningVar, _gamma, _beta, training: train, momentum: 0.1, eps: 1e-5);
            return n.relu();
        }
    }

    private sealed class Linear : ExplicitModule
    {
        [ComponentName(Name = "weight")] private readonly Parameter _weight;
        [ComponentName(Name = "bias")] private readonly Parameter _bias;

        public Linear(int fin, int fout, Generator g, double gain) : base(nameof(Linear))
        {
            using var w = torch.empty([fout, fin]);
            w.normal_(0, gain / Math.Sqrt(fin), g);
            _weight = this.RegisterParameter("weight", new Parameter(w));
            using var b = torch.zeros(fout);
            _bias = this.RegisterParameter("bias", new Parameter(b));
        }

        public Tensor Forward(Tensor x) => F.linear(x, _weight, _bias);
    }
}
