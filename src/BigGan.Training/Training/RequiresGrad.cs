using TorchSharp;

namespace BigGan.Training.Training;

/// <summary>
/// Freezes and unfreezes modules between the two halves of a GAN step (the reference's <c>toggle_grads</c>): G is frozen
/// during D steps and D during G steps, so a backward pass never computes or accumulates gradients for the other network.
/// </summary>
public static class RequiresGrad
{
    /// <summary>Sets requires_grad on every parameter of the module.</summary>
    public static void Set(torch.nn.Module module, bool requiresGrad)
    {
        ArgumentNullException.ThrowIfNull(module);
        foreach (var p in module.parameters()) p.requires_grad = requiresGrad;
    }

    /// <summary>Makes <paramref name="trained"/> trainable and freezes <paramref name="frozen"/> (e.g. (D, G) for a D step).</summary>
    public static void Toggle(torch.nn.Module trained, torch.nn.Module frozen)
    {
        Set(trained, true);
        Set(frozen, false);
    }

    /// <summary>
    /// Freezes the module until the returned scope is disposed, then restores each parameter's previous flag (so a
    /// parameter that was deliberately frozen stays frozen).
    /// </summary>
    public static IDisposable Freeze(torch.nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        var saved = module.parameters().Select(p => (p, p.requires_grad)).ToArray();
        foreach (var (p, _) in saved) p.requires_grad = false;
        return new Restore(saved);
    }

    private sealed class Restore((Parameter p, bool flag)[] saved) : IDisposable
    {
        private bool _done;

        public void Dispose()
        {
            if (_done) return;
            _done = true;
            foreach (var (p, flag) in saved)
                if (!p.IsInvalid) p.requires_grad = flag;
        }
    }
}
