using BigGan.Training.Data;
using static TorchSharp.torch.nn;

namespace BigGan.Training.Tests.Training;

/// <summary>A stand-in network: a linear layer plus a float buffer (like BN running stats) and an integer buffer (a counter).</summary>
internal sealed class TinyNet : Module<Tensor, Tensor>
{
    protected override void RegisterComponents() { }

    private readonly Parameter _weight;
    private readonly Parameter _bias;
    private readonly Tensor _running;
    private readonly Tensor _count;

    public TinyNet(long inFeatures, long outFeatures, ulong seed, ScalarType dtype = ScalarType.Float32) : base(nameof(TinyNet))
    {
        using var g = new Generator(seed);
        using var scope = NewDisposeScope();
        _weight = this.RegisterParameter("weight", new Parameter(randn(new[] { outFeatures, inFeatures }, dtype, generator: g).mul(0.5)));
        _bias = this.RegisterParameter("bias", new Parameter(randn(new[] { outFeatures }, dtype, generator: g).mul(0.1)));
        _running = this.RegisterBuffer("running", randn(new[] { outFeatures }, dtype, generator: g));
        _count = this.RegisterBuffer("count", zeros(new long[] { 1 }, ScalarType.Int64));
    }

    public override Tensor forward(Tensor input)
    {
        var y = functional.linear(input, _weight, _bias);
        if (training)
        {
            using var _ = no_grad();
            using var m = y.detach().mean([0]);
            _running.lerp_(m, 0.1);
            _count.add_(1);
        }
        return y;
    }
}

/// <summary>Two stacked TinyNets under submodule names, so state_dict keys are dotted.</summary>
internal sealed class TinyStack : Module<Tensor, Tensor>
{
    protected override void RegisterComponents() { }

    private readonly TinyNet _a;
    private readonly TinyNet _b;

    public TinyStack(long inFeatures, long hidden, long outFeatures, ulong seed) : base(nameof(TinyStack))
    {
        _a = this.RegisterModule("a", new TinyNet(inFeatures, hidden, seed));
        _b = this.RegisterModule("b", new TinyNet(hidden, outFeatures, seed + 1));
    }

    public override Tensor forward(Tensor input)
    {
        using var h = _a.forward(input);
        using var r = h.relu();
        return _b.forward(r);
    }
}

/// <summary>A batch source whose position is a counter; batches are a deterministic function of it.</summary>
internal sealed class CountingSource : IBatchSource
{
    public long Position { get; private set; }

    public int NumClasses => 3;
    public int Channels => 1;
    public int Resolution => 2;
    public IReadOnlyList<string> ClassNames => ["a", "b", "c"];

    public (Tensor images, Tensor labels) Next(int batchSize)
    {
        var images = full(new long[] { batchSize, 1, 2, 2 }, (Position % 7) / 7.0);
        var labels = full(new long[] { batchSize }, Position % 3, ScalarType.Int64);
        Position++;
        return (images, labels);
    }

    public string SaveState() => $"pos={Position}";

    public void LoadState(string state)
    {
        if (!state.StartsWith("pos=", StringComparison.Ordinal)) throw new ArgumentException($"bad data state '{state}'");
        Position = long.Parse(state[4..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public void Dispose() { }
}
