namespace BigGan.Training.Import;

/// <summary>
/// What a <see cref="RestrictedUnpickler"/> does with the opcodes that would make a real unpickler import or call
/// something: each is answered with plain data, or refused with <see cref="UnsafePickleException"/>.
/// </summary>
internal interface IPickleResolver
{
    /// <summary>GLOBAL / STACK_GLOBAL: the named global as a value, or a refusal.</summary>
    PyGlobal Global(string module, string name);

    /// <summary>REDUCE / NEWOBJ: what calling <paramref name="callable"/> with <paramref name="args"/> builds.</summary>
    object? Reduce(object? callable, PyTuple args);

    /// <summary>BUILD: sets <paramref name="state"/> on <paramref name="target"/>; returns the object.</summary>
    object? Build(object? target, object? state);

    /// <summary>BINPERSID: the object a persistent id stands for.</summary>
    object? PersistentLoad(object? pid);
}
