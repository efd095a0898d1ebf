namespace BigGan.Torch;

/// <summary>Kinds of device; the values equal c10::DeviceType.</summary>
public enum DeviceType
{
    CPU = 0,
    CUDA = 1,
}

/// <summary>A device such as "cpu" or "cuda:0".</summary>
public sealed record Device(DeviceType type, int index = -1)
{
    public static readonly Device CPU = new(DeviceType.CPU);

    public static Device CUDA(int index = 0) => new(DeviceType.CUDA, index);

    /// <summary>Parses "cpu", "cuda" or "cuda:N".</summary>
    public static Device Parse(string spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var s = spec.Trim().ToLowerInvariant();
        if (s == "cpu") return CPU;
        if (s == "cuda") return CUDA(0);
        if (s.StartsWith("cuda:") && int.TryParse(s.AsSpan(5), out var i) && i >= 0) return CUDA(i);
        throw new ArgumentException($"unknown device '{spec}': expected cpu, cuda or cuda:N", nameof(spec));
    }

    public static implicit operator Device(string spec) => Parse(spec);

    public override string ToString() => type == DeviceType.CPU ? "cpu" : index >= 0 ? $"cuda:{index}" : "cuda";
}
