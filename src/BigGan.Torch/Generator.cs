using BigGan.Torch.Native;
using static BigGan.Torch.Native.Status;
using N = BigGan.Torch.Native.NativeMethods;

namespace BigGan.Torch;

/// <summary>A seedable random-number generator (libtorch's CPU Philox/MT generator). Null everywhere means the default one.</summary>
public sealed class Generator : IDisposable
{
    private readonly GeneratorHandle _handle;

    public Generator(ulong seed = 67280421310721UL)
    {
        Check(N.bgn_generator_create(seed, out _handle));
    }

    internal static GeneratorHandle HandleOf(Generator? g) => g is null ? GeneratorHandle.Default : g._handle;

    public Generator manual_seed(ulong seed)
    {
        Check(N.bgn_generator_manual_seed(_handle, seed));
        return this;
    }

    /// <summary>The full generator state as bytes (for checkpoints).</summary>
    public byte[] get_state() => GetState(_handle);

    public void set_state(byte[] state) => SetState(_handle, state);

    internal static byte[] GetState(GeneratorHandle h)
    {
        Check(N.bgn_generator_get_state(h, out var t));
        using var state = new Tensor(t).DetachFromDisposeScope();
        return state.data<byte>();
    }

    internal static void SetState(GeneratorHandle h, byte[] state)
    {
        ArgumentNullException.ThrowIfNull(state);
        using var t = torch.tensor(state).DetachFromDisposeScope();
        Check(N.bgn_generator_set_state(h, t.Handle));
    }

    public void Dispose() => _handle.Dispose();
}
