namespace BigGan.Training.Import;

/// <summary>A storage a pickled tensor points at: its file key, element type and element count.</summary>
internal sealed record TorchStorageRef(string Key, ScalarType DType, long Numel, string StorageClass);

/// <summary>A pickled tensor: a strided view of a storage (what torch._utils._rebuild_tensor_v2 would build).</summary>
internal sealed record TorchTensorRef(TorchStorageRef Storage, long Offset, long[] Size, long[] Stride);

/// <summary>
/// The allow-list of a PyTorch state dict: collections.OrderedDict, the tensor rebuild functions of torch._utils, and
/// the typed storage classes (torch.FloatStorage, ...) inside persistent ids. Each is turned into plain data
/// (<see cref="PyDict"/>, <see cref="TorchTensorRef"/>, <see cref="TorchStorageRef"/>); any other global, e.g.
/// posix.system or builtins.eval, is refused by name.
/// </summary>
internal sealed class TorchPickleResolver(string source) : IPickleResolver
{
    private static readonly Dictionary<string, ScalarType> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = ScalarType.Float32, ["DoubleStorage"] = ScalarType.Float64, ["HalfStorage"] = ScalarType.Float16,
        ["BFloat16Storage"] = ScalarType.BFloat16, ["LongStorage"] = ScalarType.Int64, ["IntStorage"] = ScalarType.Int32,
        ["ShortStorage"] = ScalarType.Int16, ["CharStorage"] = ScalarType.Int8, ["ByteStorage"] = ScalarType.Byte,
        ["BoolStorage"] = ScalarType.Bool,
    };

    private static readonly PyGlobal OrderedDict = new("collections", "OrderedDict");
    private static readonly PyGlobal RebuildTensorV2 = new("torch._utils", "_rebuild_tensor_v2");
    private static readonly PyGlobal RebuildTensor = new("torch._utils", "_rebuild_tensor");
    private static readonly PyGlobal RebuildParameter = new("torch._utils", "_rebuild_parameter");

    /// <summary>Every storage the pickle referenced, by key.</summary>
    public Dictionary<string, TorchStorageRef> Storages { get; } = new(StringComparer.Ordinal);

    public PyGlobal Global(string module, string name)
    {
        var g = new PyGlobal(module, name);
        if (g == OrderedDict || g == RebuildTensorV2 || g == RebuildTensor || g == RebuildParameter) return g;
        if (module == "torch" && StorageTypes.ContainsKey(name)) return g;
        throw new UnsafePickleException($"{source}: the pickle asks for the global '{g}', which a PyTorch state dict never needs; refused " +
                                        "(allowed: collections.OrderedDict, torch._utils._rebuild_tensor_v2/_rebuild_tensor/_rebuild_parameter, torch.*Storage). " +
                                        "Nothing in the file was run.");
    }

    public object? Reduce(object? callable, PyTuple args)
    {
        if (callable is PyGlobal g && g == OrderedDict)
        {
            var dict = new PyDict();
            if (args.Count == 0) return dict;
            if (args.Count == 1 && args[0] is List<object?> pairs)
            {
                foreach (var pair in pairs)
                {
                    if (pair is not PyTuple { Count: 2 } kv || kv[0] is not (string or long)) throw Refused("OrderedDict items that are not (str or int, value) pairs");
                    dict.Items[kv[0]!] = kv[1];
                }
                return dict;
            }
            throw Refused($"OrderedDict called with {args.Count} arguments");
        }
        if (callable is PyGlobal t && (t == RebuildTensorV2 || t == RebuildTensor))
        {
            // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata]);
            // _rebuild_tensor(storage, storage_offset, size, stride). Gradients and hooks do not matter for weights.
            if (args.Count < 4 || args[0] is not TorchStorageRef storage || args[1] is not long offset
                || args[2] is not PyTuple size || args[3] is not PyTuple stride || size.Count != stride.Count)
                throw Refused($"{t} called with arguments ({string.Join(", ", args.Items.Select(RestrictedUnpickler.Describe))}), expected (storage, offset, size, stride, ...)");
            return new TorchTensorRef(storage, offset, Longs(size, "size"), Longs(stride, "stride"));
        }
        if (callable is PyGlobal p && p == RebuildParameter)
        {
            if (args.Count < 1 || args[0] is not TorchTensorRef data) throw Refused($"{p} called without a tensor");
            return data;
        }
        throw Refused($"a call of {RestrictedUnpickler.Describe(callable)}");
    }

    public object? Build(object? target, object? state)
    {
        // An OrderedDict's attributes (a state dict's _metadata: module versions) carry no weights.
        if (target is PyDict && state is PyDict or PyTuple or null) return target;
        throw Refused($"setting the state of a {RestrictedUnpickler.Describe(target)}");
    }

    public object? PersistentLoad(object? pid)
    {
        // ('storage', storage class, key, location, numel[, view metadata]) in both file formats.
        if (pid is not PyTuple { Count: 5 or 6 } t || t[0] is not "storage" || t[1] is not PyGlobal type || t[2] is not string key
            || t[3] is not string || t[4] is not long numel || (t.Count == 6 && t[5] is not null))
            throw Refused($"a persistent id that is not a storage reference ('storage', type, key, location, numel): {RestrictedUnpickler.Describe(pid)}");
        if (!StorageTypes.TryGetValue(type.Name, out var dtype) || type.Module != "torch") throw Refused($"storage type {type}");
        if (numel < 0) throw new InvalidDataException($"{source}: storage '{key}' has a negative size {numel}");
        if (Storages.TryGetValue(key, out var known))
        {
            if (known.DType != dtype || known.Numel != numel)
                throw new InvalidDataException($"{source}: storage '{key}' is referenced as {known.StorageClass}[{known.Numel}] and as {type.Name}[{numel}]");
            return known;
        }
        return Storages[key] = new TorchStorageRef(key, dtype, numel, type.Name);
    }

    private long[] Longs(PyTuple t, string what) =>
        t.Items.Select(x => x is long v ? v : throw new InvalidDataException($"{source}: a tensor {what} holds a {RestrictedUnpickler.Describe(x)}, expected integers")).ToArray();

    private UnsafePickleException Refused(string what) =>
        new($"{source}: the pickle asks for {what}, which a PyTorch state dict never needs; refused. Nothing in the file was run.");

    /// <summary>Bytes per element of a storage type.</summary>
    public static int ElementSize(ScalarType t) => t switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
