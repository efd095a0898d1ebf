using BigGan.Training.Data;
using static BigGan.Torch.torch.nn;

namespace BigGan.Training.Tests.Training;

/// <summary>A stand-in network: a linear layer plus a float buffer (like BN running stats) and an integer buffer (a counter).</summary>
internal sealed class TinyNet : Module<Tensor, Tensor>
{
    private readonly Parameter _weight;
    private readonly Parameter _bias;
    private readonly Tensor _running;
    private readonly Tensor _count;

    public TinyNet(long inFeatures, long outFeatures, ulong seed, ScalarType dtype = ScalarType.Float32)
    {
        using var g = new Generator(seed);
        using var scope = NewDisposeScope();
        _weight = register_parameter("weight", new Parameter(randn(new[] { outFeatures, inFeatures }, dtype, generator: g).mul(0.5)));
        _bias = register_parameter("bias", new Parameter(randn(new[] { outFeatures }, dtype, generator: g).mul(0.1)));
        _running = register_buffer("running", randn(new[] { outFeatures }, dtype, generator: g));
        _count = register_buffer("count", zeros(new long[] { 1 }, ScalarType.Int64));
    }

    public override Tensor forward(Tensor input)
    {
        var y = functional.linear(input, _weight, _bias);
        if (training)
        {
            using var _ = no_grad();
            using var m = y.detach().mean(0);
            _running.lerp_(m, 0.1);
            _count.add_(1);
        }
        return y;
    }
}

/// <summary>Two stacked TinyNets under submodule names, so state_dict keys are dotted.</summary>
internal sealed class TinyStack : Module<Tensor, Tensor>
{
    private readonly TinyNet _a;
    private readonly TinyNet _b;

    public TinyStack(long inFeatures, long hidden, long outFeatures, ulong seed)
    {
        _a = register_module("a", new TinyNet(inFeatures, hidden, seed));
        _b = register_module("b", new TinyNet(hidden, outFeatures, seed + 1));
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
