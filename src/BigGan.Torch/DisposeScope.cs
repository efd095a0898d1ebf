namespace BigGan.Torch;

/// <summary>
/// Frees every tensor created on this thread while the scope is the innermost one, when the scope ends — except
/// tensors moved out with <see cref="Tensor.MoveToOuterDisposeScope"/> or <see cref="Tensor.DetachFromDisposeScope"/>.
/// Scopes nest and are thread-local, like libtorch's grad mode. Training loops run one scope per step.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly List<Tensor> _owned = new();
    private readonly DisposeScope? _outer;
    private bool _disposed;

    internal DisposeScope()
    {
        _outer = _current;
        _current = this;
    }

    internal static DisposeScope? Current => _current;

    /// <summary>The scope that will own what this scope moves out; null at the top level.</summary>
    public DisposeScope? Outer => _outer;

    /// <summary>Number of tensors this scope would free now.</summary>
    public int Count => _owned.Count(t => t.Owner == this && !t.IsDisposed);

    internal void Add(Tensor t)
    {
        t.Owner = this;
        _owned.Add(t);
    }

    /// <summary>Moves the tensors out of the scope and frees everything else it owns now.</summary>
    public void DisposeEverythingBut(params Tensor[] keep)
    {
        foreach (var t in keep) t.DetachFromDisposeScope();
        FreeOwned();
    }

    private void FreeOwned()
    {
        foreach (var t in _owned)
            if (t.Owner == this) t.Dispose();
        _owned.Clear();
    }

    public void Dispose()
    {
        if (_disposed) return;
        // Check before changing any state, so that after the error the inner scopes can still end and this one after them.
        if (_current != this)
            throw new InvalidOperationException("DisposeScope disposed out of order: inner scopes must end first, on the thread that created them");
        _disposed = true;
        _current = _outer;
        FreeOwned();
    }
}
