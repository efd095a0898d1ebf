namespace BigGan.Training.Import;

/// <summary>A Python tuple read from a pickle.</summary>
internal sealed record PyTuple(object?[] Items)
{
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}

/// <summary>A Python dict (or OrderedDict) read from a pickle, in insertion order. Keys are strings, integers,
/// floats, booleans or None: a state dict needs no others.</summary>
internal sealed class PyDict
{
    public OrderedDictionary<object, object?> Items { get; } = new();
}

/// <summary>A global the resolver allowed (a class or function named by module and name); it is only ever a name,
/// never something looked up or called.</summary>
internal sealed record PyGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}
