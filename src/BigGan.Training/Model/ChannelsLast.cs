namespace BigGan.Training.Model;

/// <summary>How a 4-d tensor's elements are laid out in memory (torch.memory_format).</summary>
public enum MemoryFormat
{
    /// <summary>Row-major NCHW.</summary>
    Contiguous,

    /// <summary>NHWC strides with NCHW sizes: oneDNN's native CPU layout, faster for convolutions, BN and pooling.</summary>
    ChannelsLast,
}

/// <summary>
/// torch.channels_last for TorchSharp, which has no memory_format argument: a permute to NHWC, a contiguous copy and a
/// permute back give NCHW sizes over NHWC strides, which libtorch's kernels then keep (conv, BN, elementwise ops).
/// </summary>
public static class ChannelsLast
{
    /// <summary>This tensor in the given layout (a new handle to the same data when it already is).</summary>
    public static Tensor contiguous(this Tensor x, MemoryFormat format)
    {
        if (format == MemoryFormat.Contiguous) return x.contiguous();
        if (x.dim() != 4) throw new ArgumentException($"channels-last needs a 4-d tensor, got {x.dim()} dimensions");
        if (x.is_contiguous(MemoryFormat.ChannelsLast)) return x.alias();
        using var nhwc = x.permute(0, 2, 3, 1);
        using var dense = nhwc.contiguous();
        return dense.permute(0, 3, 1, 2);
    }

    /// <summary>Whether the strides are dense NHWC (dimensions of size 1 may have any stride, as in PyTorch).</summary>
    public static bool is_contiguous(this Tensor x, MemoryFormat format)
    {
        if (format == MemoryFormat.Contiguous) return x.is_contiguous();
        if (x.dim() != 4) return false;
        var size = x.shape;
        var stride = x.stride();
        long expected = 1;
        foreach (var d in new[] { 1, 3, 2, 0 })
        {
            if (size[d] != 1 && stride[d] != expected) return false;
            expected *= size[d];
        }
        return true;
    }
}
